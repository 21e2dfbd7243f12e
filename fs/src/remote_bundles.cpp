#include "remote_bundles.hpp"

#include "dropgate/contract/layout.hpp"

namespace dropgate::fs {

std::unique_ptr<RemoteBundles> RemoteBundles::create(const config::Config& config, bool read_only) {
    if (!config.replicate) return nullptr;
    return std::make_unique<RemoteBundles>(config, read_only);
}

RemoteBundles::RemoteBundles(const config::Config& config, bool read_only)
    : config_(config),
      replicas_(index::Replicas::open(config.index.database, read_only)),
      reader_(*config.replicate, contract::Layout(config.store.root).remote_cache(),
              config.retention.cache_size),
      retention_client_(*config.replicate, nullptr) {
    if (!read_only) retention_replicas_.emplace(index::Replicas::open(config.index.database));
}

std::optional<objstore::RemoteObject> RemoteBundles::object_for(const std::string& rel) {
    auto slash = rel.find('/');
    if (slash == std::string::npos) return std::nullopt;
    std::lock_guard lock(lookup_mutex_);
    auto row = replicas_.find(rel.substr(0, slash), rel.substr(slash + 1));
    if (!row || row->object_key.empty()) return std::nullopt;
    return objstore::RemoteObject{row->object_key, row->sha256, row->bytes};
}

std::size_t RemoteBundles::read(const objstore::RemoteObject& object, std::uint64_t offset,
                                std::span<char> out) {
    return reader_.read(object, offset, out);
}

}  // namespace dropgate::fs
