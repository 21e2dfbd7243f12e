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

    // One retention pass (retention.cpp), from the one retention thread (write mode only).
    // `deleted` is told each bundle removed for good.
    void apply_retention(Backing& backing, const std::function<void(const std::string&)>& deleted);

  private:
    void remove_local_copy(Backing& backing, const index::Replica& replica);
    bool delete_everywhere(Backing& backing, const index::Replica& replica);

    const config::Config& config_;
    std::mutex lookup_mutex_;  // replicas_ is shared by the FUSE threads opening stubs
    index::Replicas replicas_;
    objstore::RemoteReader reader_;
    // Retention's own connection and client: a pass (HEAD and DELETE requests, renames) never
    // holds up an open of a remote-only bundle.
    std::optional<index::Replicas> retention_replicas_;
    objstore::S3Client retention_client_;
};

}  // namespace dropgate::fs
