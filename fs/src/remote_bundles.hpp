// Bundles whose bytes live in object storage (spec §12): finding a stub's object through the
// replicas row, reading it through the read-through cache, and the retention pass that turns
// confirmed replicas into stubs (keep_local) and removes old bundles everywhere (delete_after).
// Exists only with [replicate].
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "backing.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/index/replicas.hpp"
#include "dropgate/objstore/remote_reader.hpp"
#include "dropgate/objstore/s3_client.hpp"

namespace dropgate::fs {

class RemoteBundles {
  public:
    // Null without [replicate].
    static std::unique_ptr<RemoteBundles> create(const config::Config& config, bool read_only);
    RemoteBundles(const config::Config& config, bool read_only);

    // The object of the bundle at `rel` ("customer/path"), if it has been replicated.
    std::optional<objstore::RemoteObject> object_for(const std::string& rel);
    std::size_t read(const objstore::RemoteObject& object, std::uint64_t offset,
                     std::span<char> out);

    // One retention pass (retention.cpp). `deleted` is told each bundle removed for good.
    void apply_retention(Backing& backing, const std::function<void(const std::string&)>& deleted);

  private:
    void remove_local_copy(Backing& backing, const index::Replica& replica);
    void delete_everywhere(Backing& backing, const index::Replica& replica);

    const config::Config& config_;
    std::mutex mutex_;  // the index connection and the retention client are one thread's at a time
    index::Replicas replicas_;
    objstore::RemoteReader reader_;
    objstore::S3Client client_;
};

}  // namespace dropgate::fs
