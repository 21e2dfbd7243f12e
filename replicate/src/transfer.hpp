// Copying one leased bundle to object storage and recording it (spec §12): a PutObject up to
// part_size, multipart above; the bytes read back from the store mount are hashed on the way and
// must match the index's SHA-256, and the object is confirmed with HEAD before the row says so.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "dropgate/config/config.hpp"
#include "dropgate/index/replicas.hpp"
#include "dropgate/objstore/s3_client.hpp"

namespace dropgate::replicate {

struct Transfer {
    const config::Config& config;
    objstore::S3Client& client;
    index::Replicas& replicas;
    std::int64_t owner;         // the lease holder (this process)
    std::vector<char>& buffer;  // one part's worth, reused
    const std::atomic<bool>& stop;
};

// Throws objstore::S3Error (kind says whether to retry) or std::system_error (reading the mount).
void replicate_bundle(const Transfer& transfer, const index::Replica& bundle);

// The part size for a bundle: the configured one, grown so that no bundle needs more than
// 10,000 parts (S3's limit), in whole MiB.
std::uint64_t part_size_for(std::uint64_t bytes, std::uint64_t configured);

}  // namespace dropgate::replicate
