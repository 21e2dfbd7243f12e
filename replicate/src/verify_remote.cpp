#include "dropgate/replicate/verify_remote.hpp"

#include "dropgate/index/replicas.hpp"
#include "dropgate/objstore/s3_client.hpp"

namespace dropgate::replicate {

RemoteSummary verify_remote(const config::Config& config, bool repair,
                            const std::function<void(const RemoteProblem&)>& report) {
    auto replicas = index::Replicas::open(config.index.database);
    objstore::S3Client client(*config.replicate, nullptr);
    RemoteSummary summary;
    for (const auto& row : replicas.list()) {
        if (row.state != index::ReplicaState::replicated) continue;
        ++summary.objects_checked;
        auto info = client.head(row.object_key);
        std::string detail;
        if (!info)
            detail = "no object at " + row.object_key;
        else if (info->size != row.bytes)
            detail = row.object_key + " has " + std::to_string(info->size) + " bytes, the bundle " +
                     std::to_string(row.bytes);
        else if (info->sha256 != row.sha256)
            detail = row.object_key + " has sha256 metadata \"" + info->sha256 + "\", the bundle " +
                     row.sha256;
        if (detail.empty()) continue;
        ++summary.problems;
        bool repaired = false;
        if (!row.local) {
            detail += "; the only copy was there (no local copy left)";
        } else if (repair) {
            replicas.requeue(row.upload);
            detail += "; queued for replication again";
            repaired = true;
            ++summary.repaired;
        } else {
            detail += "; the local copy is intact: --repair queues it again";
        }
        report({row.customer + "/" + row.path, detail, repaired});
    }
    return summary;
}

}  // namespace dropgate::replicate
