#include "dropgate/replicate/verify_remote.hpp"

#include <algorithm>
#include <span>
#include <vector>

#include "dropgate/index/replicas.hpp"
#include "dropgate/objstore/s3_client.hpp"
#include "dropgate/validator/sha256.hpp"

namespace dropgate::replicate {

namespace {

// The SHA-256 of the object's bytes, read back in 16 MiB ranged GETs.
std::string hash_object(objstore::S3Client& client, const std::string& key, std::uint64_t size) {
    constexpr std::uint64_t kChunk = 16 << 20;
    std::vector<char> buffer(
        static_cast<std::size_t>(std::min(kChunk, std::max<std::uint64_t>(size, 1))));
    validator::Sha256 hash;
    for (std::uint64_t offset = 0; offset < size; offset += kChunk) {
        std::span<char> chunk(buffer.data(),
                              static_cast<std::size_t>(std::min(kChunk, size - offset)));
        std::size_t got = client.get(key, offset, chunk);
        hash.update({reinterpret_cast<const std::uint8_t*>(chunk.data()), got});
        if (got != chunk.size()) break;  // short: the hash will not match
    }
    return hash.hex_digest();
}

}  // namespace

RemoteSummary verify_remote(const config::Config& config, bool repair, bool deep,
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
        else if (deep) {
            std::string sha = hash_object(client, row.object_key, row.bytes);
            if (sha != row.sha256)
                detail = row.object_key + "'s bytes hash to " + sha + ", the bundle's to " +
                         row.sha256 + " (its metadata says the bundle's)";
        }
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
