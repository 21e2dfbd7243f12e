#include "transfer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <system_error>

#include "dropgate/base/log.hpp"
#include "dropgate/base/unique_fd.hpp"
#include "dropgate/objstore/sigv4.hpp"
#include "dropgate/validator/sha256.hpp"
#include "lease.hpp"
#include "replicate_metrics.hpp"

namespace dropgate::replicate {

namespace {

using objstore::S3Error;
using Clock = std::chrono::system_clock;

constexpr std::uint64_t kMaxParts = 10'000;

// Reads exactly `size` bytes at `offset` of the bundle.
std::string_view read_part(int fd, std::vector<char>& buffer, std::uint64_t offset,
                           std::size_t size, const std::string& path) {
    if (buffer.size() < size) buffer.resize(size);
    std::size_t done = 0;
    while (done < size) {
        ssize_t n =
            ::pread(fd, buffer.data() + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::system_error(errno, std::generic_category(), "read " + path);
        if (n == 0)
            throw S3Error(S3Error::Kind::integrity, 0, "ShortBundle",
                          path + " is shorter than its index row says");
        done += static_cast<std::size_t>(n);
    }
    return {buffer.data(), size};
}

void check_whole(const std::string& got, const index::Replica& bundle, const std::string& path) {
    if (got != bundle.sha256)
        throw S3Error(S3Error::Kind::integrity, 0, "LocalCopyDiffers",
                      path + ": the local bytes hash to " + got + ", the index says " +
                          bundle.sha256 + " (nothing was replicated)");
}

bool intact(const std::optional<objstore::ObjectInfo>& info, const index::Replica& bundle) {
    return info && info->size == bundle.bytes && info->sha256 == bundle.sha256;
}

void upload_multipart(const Transfer& t, const index::Replica& bundle, int fd,
                      const std::string& key, const std::string& path) {
    const std::uint64_t part_size = part_size_for(bundle.bytes, t.config.replicate->part_size);
    const std::string upload_id = t.client.create_multipart(key, bundle.sha256);
    t.replicas.set_multipart(bundle.upload, upload_id);  // so a crash can abort it
    validator::Sha256 whole;
    std::vector<std::string> etags;
    for (std::uint64_t offset = 0; offset < bundle.bytes; offset += part_size) {
        if (t.stop) throw S3Error(S3Error::Kind::transient, 0, "Stopped", "stopping");
        auto size = static_cast<std::size_t>(std::min(part_size, bundle.bytes - offset));
        std::string_view part = read_part(fd, t.buffer, offset, size, path);
        whole.update({reinterpret_cast<const std::uint8_t*>(part.data()), part.size()});
        etags.push_back(t.client.upload_part(key, upload_id, static_cast<int>(etags.size() + 1),
                                             part, objstore::sha256_hex(part)));
        t.replicas.renew(bundle.upload, t.owner, now_ms() + kLease.count());
    }
    try {
        check_whole(whole.hex_digest(), bundle, path);
    } catch (const S3Error&) {
        t.client.abort(key, upload_id);
        throw;
    }
    t.client.complete(key, upload_id, etags);
}

}  // namespace

std::uint64_t part_size_for(std::uint64_t bytes, std::uint64_t configured) {
    constexpr std::uint64_t kMiB = 1 << 20;
    std::uint64_t needed = (bytes + kMaxParts - 1) / kMaxParts;
    needed = (needed + kMiB - 1) / kMiB * kMiB;
    return std::max(configured, needed);
}

void replicate_bundle(const Transfer& t, const index::Replica& bundle) {
    const std::string key = t.client.key_for(bundle.customer, bundle.path);
    const std::string path = (t.config.store.mount / bundle.customer / bundle.path).string();
    // A multipart upload left by a killed worker is aborted (or, where the server cannot abort,
    // superseded by the new one).
    if (!bundle.multipart_id.empty()) {
        t.client.abort(key, bundle.multipart_id);
        t.replicas.set_multipart(bundle.upload, "");
    }
    // Uploaded before a crash, recorded never: confirm, do not send again.
    if (auto info = t.client.head(key); intact(info, bundle)) {
        t.replicas.replicated(bundle.upload, key, info->etag, Clock::now());
        return;
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw std::system_error(errno, std::generic_category(), "open " + path);
    if (bundle.bytes <= t.config.replicate->part_size) {
        std::string_view body =
            read_part(fd.get(), t.buffer, 0, static_cast<std::size_t>(bundle.bytes), path);
        std::string sha = objstore::sha256_hex(body);
        check_whole(sha, bundle, path);  // the payload hash is the bundle's
        t.client.put(key, body, sha, bundle.sha256);
    } else {
        upload_multipart(t, bundle, fd.get(), key, path);
    }
    auto info = t.client.head(key);
    if (!intact(info, bundle))
        throw S3Error(S3Error::Kind::integrity, 0, "ObjectDiffers",
                      key + ": the stored object's size or sha256 metadata does not match");
    t.replicas.replicated(bundle.upload, key, info->etag, Clock::now());
    bundles_replicated.add();
    log::info("bundle_replicated", {{"customer", bundle.customer},
                                    {"path", bundle.path},
                                    {"key", key},
                                    {"bytes", bundle.bytes},
                                    {"etag", info->etag}});
}

}  // namespace dropgate::replicate
