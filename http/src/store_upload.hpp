// One upload into the store mount, as blocking calls (run them on the file pool): create a new
// name or continue a partial, write in large pieces, then close for the verdict or leave it
// partial for a later resume. The store does the judging; this only carries its answers —
// the errno, and the reason the store recorded for this upload id — back to the request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/contract/refusals.hpp"

namespace dropgate::http {

// The store refused (or could not take) the upload: the errno and the reason line.
class UploadRefused : public std::runtime_error {
  public:
    explicit UploadRefused(contract::Refusal refusal)
        : std::runtime_error(refusal.reason), refusal_(std::move(refusal)) {}
    const contract::Refusal& refusal() const { return refusal_; }

  private:
    contract::Refusal refusal_;
};

// What a published bundle shows (its xattrs in the mount).
struct BundleFacts {
    std::string path;  // "host1/logs.tgz", relative to the customer
    std::uint64_t bytes = 0;
    std::string sha256;
    std::uint64_t members = 0;
};

// Reads a published bundle's facts through the mount; nullopt if it is not there (or not yet
// readable: a partial).
std::optional<BundleFacts> bundle_facts(const config::Config& config, const std::string& customer,
                                        const std::string& path);

class StoreUpload {
  public:
    struct Tags {
        std::string upload_id;
        std::string remote;
        std::string client;  // User-Agent
    };
    // A new file at customer/path (its directories are made as needed). Throws UploadRefused:
    // EEXIST name taken, EACCES a name the store does not take, ...
    static StoreUpload create(const config::Config& config, const std::string& customer,
                              const std::string& path, const Tags& tags);
    // Continues the partial at customer/path, whose size must be `offset`. Throws
    // UploadRefused (ENOENT no such partial; EINVAL its size is not `offset`).
    static StoreUpload resume(const config::Config& config, const std::string& customer,
                              const std::string& path, std::uint64_t offset, const Tags& tags);

    StoreUpload(StoreUpload&&) noexcept = default;
    StoreUpload& operator=(StoreUpload&&) noexcept = default;
    // Still open: left partial (the request ended without its verdict).
    ~StoreUpload();

    // Tells the store the upload's whole size before its bytes come. Throws UploadRefused when
    // it could not fit (EFBIG, EDQUOT, ENOSPC: the verdict is committed).
    void announce(std::uint64_t total);
    // Throws UploadRefused with the store's verdict (fail fast) or the write's errno.
    void write(const char* data, std::size_t size);
    std::uint64_t size() const { return size_; }
    // Closes for the verdict. Throws UploadRefused with the recorded reason.
    BundleFacts finish();
    // Tags it aborted and closes: the store keeps it partial, resumable at size().
    void suspend();
    // Starts it over empty and closes it tagged aborted: the store aborts and removes it.
    void abandon();

  private:
    StoreUpload(const config::Config& config, std::string customer, std::string path, UniqueFd fd,
                std::uint64_t size, std::string upload_id);
    contract::Refusal refusal(int error) const;

    const config::Config* config_ = nullptr;
    std::string customer_, path_, upload_id_;
    UniqueFd fd_;
    std::uint64_t size_ = 0;
};

}  // namespace dropgate::http
