#include "xattrs.hpp"

#include <sys/xattr.h>

#include <cerrno>

#include "dropgate/base/time.hpp"

namespace dropgate::fs::xattr {

std::vector<std::pair<std::string, std::string>> bundle_attributes(const index::UploadRecord& row) {
    std::string uploader = row.customer;
    if (!row.remote.empty()) uploader += " from " + row.remote;
    return {{kSha256, row.sha256},
            {kUploadedAt, format_timestamp_seconds(row.finished_at)},
            {kUploader, uploader},
            {kMembers, std::to_string(row.member_count)},
            {kUploadId, row.upload_id}};
}

int store(int fd, const std::vector<std::pair<std::string, std::string>>& attributes) {
    for (const auto& [name, value] : attributes)
        if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0) return errno;
    return 0;
}

std::vector<std::pair<std::string, std::string>> load(const std::string& path) {
    std::vector<std::pair<std::string, std::string>> result;
    char names[4096];
    ssize_t len = ::llistxattr(path.c_str(), names, sizeof names);
    for (ssize_t at = 0; len > 0 && at < len;) {
        std::string name(names + at);
        at += static_cast<ssize_t>(name.size()) + 1;
        if (!name.starts_with(kPrefix) || name == kTarget || name == kDurable) continue;
        char value[1024];
        ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
        if (n >= 0) result.emplace_back(name, std::string(value, static_cast<std::size_t>(n)));
    }
    return result;
}

std::string get(int fd, const char* name) {
    char value[1024];
    ssize_t n = ::fgetxattr(fd, name, value, sizeof value);
    return n > 0 ? std::string(value, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace dropgate::fs::xattr
