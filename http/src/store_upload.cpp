#include "store_upload.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "dropgate/base/log.hpp"
#include "dropgate/contract/names.hpp"
#include "dropgate/contract/xattrs.hpp"
#include "dropgate/index/verdicts.hpp"

namespace dropgate::http {

namespace {

std::filesystem::path in_mount(const config::Config& config, const std::string& customer,
                               const std::string& path) {
    return config.store.mount / customer / path;
}

void tag(int fd, const char* name, const std::string& value) {
    if (!value.empty()) ::fsetxattr(fd, name, value.data(), value.size(), 0);
}

// What the store records with the upload's row (and the reason lookup needs: its upload id).
void tag_all(int fd, const StoreUpload::Tags& tags) {
    tag(fd, contract::xattr::kUploadId, tags.upload_id);
    tag(fd, contract::xattr::kRemote, tags.remote);
    tag(fd, contract::xattr::kClientVersion, tags.client);
}

std::string read_xattr(const std::filesystem::path& file, const char* name) {
    char value[256];
    ssize_t n = ::getxattr(file.c_str(), name, value, sizeof value);
    return n > 0 ? std::string(value, static_cast<std::size_t>(n)) : std::string();
}

// Makes the directories of `path` below the customer's directory, through the mount.
void make_parents(const config::Config& config, const std::string& customer,
                  const std::string& path) {
    std::filesystem::path dir = config.store.mount / customer;
    std::filesystem::path parents = std::filesystem::path(path).parent_path();
    for (const auto& part : parents) {
        dir /= part;
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
            throw UploadRefused(contract::Refusal{errno, contract::describe(errno)});
    }
}

}  // namespace

std::optional<BundleFacts> bundle_facts(const config::Config& config, const std::string& customer,
                                        const std::string& path) {
    auto file = in_mount(config, customer, path);
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IRUSR))
        return std::nullopt;
    BundleFacts facts{path, static_cast<std::uint64_t>(st.st_size),
                      read_xattr(file, contract::xattr::kSha256), 0};
    try {
        facts.members = std::stoull(read_xattr(file, contract::xattr::kMembers));
    } catch (const std::exception&) {
    }
    return facts;
}

StoreUpload::StoreUpload(const config::Config& config, std::string customer, std::string path,
                         UniqueFd fd, std::uint64_t size, std::string upload_id)
    : config_(&config),
      customer_(std::move(customer)),
      path_(std::move(path)),
      upload_id_(std::move(upload_id)),
      fd_(std::move(fd)),
      size_(size) {}

StoreUpload StoreUpload::create(const config::Config& config, const std::string& customer,
                                const std::string& path, const Tags& tags) {
    auto file = in_mount(config, customer, path);
    constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
    UniqueFd fd(::open(file.c_str(), kFlags, 0644));
    if (!fd && errno == ENOENT && path.find('/') != std::string::npos) {
        make_parents(config, customer, path);  // only when missing: each level is a round trip
        fd.reset(::open(file.c_str(), kFlags, 0644));
    }
    if (!fd) {
        int error = errno;
        std::string reason = error == EEXIST ? contract::already_exists(customer + "/" + path)
                             : error == EACCES
                                 ? contract::NamePolicy(config.store)
                                       .refusal(std::filesystem::path(path).filename().string())
                                 : contract::describe(error);
        throw UploadRefused(contract::Refusal{error, reason});
    }
    tag_all(fd.get(), tags);
    return StoreUpload(config, customer, path, std::move(fd), 0, tags.upload_id);
}

StoreUpload StoreUpload::resume(const config::Config& config, const std::string& customer,
                                const std::string& path, std::uint64_t offset, const Tags& tags) {
    auto file = in_mount(config, customer, path);
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw UploadRefused(contract::Refusal{errno, contract::describe(errno)});
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) != offset)
        throw UploadRefused(contract::Refusal{
            EINVAL, "the upload holds " + std::to_string(st.st_size) + " bytes, not " +
                        std::to_string(offset) + ": continue at its size"});
    if (::lseek(fd.get(), static_cast<off_t>(offset), SEEK_SET) < 0)
        throw UploadRefused(contract::Refusal{errno, contract::describe(errno)});
    tag_all(fd.get(), tags);
    return StoreUpload(config, customer, path, std::move(fd), offset, tags.upload_id);
}

StoreUpload::~StoreUpload() {
    if (fd_) suspend();
}

contract::Refusal StoreUpload::refusal(int error) const {
    if (auto recorded = index::recorded_refusal(config_->index.database, upload_id_, error))
        return *recorded;
    return contract::Refusal{error, contract::describe(error)};
}

void StoreUpload::announce(std::uint64_t total) {
    const std::string text = std::to_string(total);
    if (::fsetxattr(fd_.get(), contract::xattr::kExpectedSize, text.data(), text.size(), 0) == 0)
        return;
    const int error = errno;
    // Anything else (a mount that is a plain directory: ENOTSUP) only means no early answer.
    if (error != EFBIG && error != EDQUOT && error != ENOSPC) return;
    fd_.reset();  // the verdict is committed; the close only repeats it
    throw UploadRefused(refusal(error));
}

void StoreUpload::write(const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd_.get(), data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            int error = errno;
            fd_.reset();  // the verdict is committed; the close only repeats it
            throw UploadRefused(refusal(error));
        }
        data += n;
        size -= static_cast<std::size_t>(n);
        size_ += static_cast<std::uint64_t>(n);
    }
}

BundleFacts StoreUpload::finish() {
    int result = ::close(fd_.release());
    int error = result == 0 ? 0 : errno;
    // A close that returned 0 and left a readable bundle is its acceptance: the index is asked
    // only when something else happened (a refusal's reason, a held name discarded later).
    auto facts = bundle_facts(*config_, customer_, path_);
    if (error == 0 && facts) return *facts;
    if (auto refused = index::recorded_refusal(config_->index.database, upload_id_, error))
        throw UploadRefused(*refused);
    if (facts) return *facts;
    throw UploadRefused(contract::Refusal{EIO, "accepted, but not readable through the mount"});
}

void StoreUpload::suspend() {
    static const char one[] = "1";
    ::fsetxattr(fd_.get(), contract::xattr::kAborted, one, 1, 0);
    fd_.reset();
}

void StoreUpload::abandon() {
    if (::ftruncate(fd_.get(), 0) != 0) throw UploadRefused(refusal(errno));
    size_ = 0;
    suspend();
}

}  // namespace dropgate::http
