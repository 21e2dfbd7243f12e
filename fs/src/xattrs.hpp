// The user.dropgate.* extended attributes: tags a writer sets before close, and the facts a
// published bundle carries (stored on the backing file at publish, from its index row).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "dropgate/indexer/index.hpp"

namespace dropgate::fs::xattr {

inline constexpr const char* kUploadId = "user.dropgate.upload_id";
inline constexpr const char* kRemote = "user.dropgate.remote";
inline constexpr const char* kClientVersion = "user.dropgate.client_version";
inline constexpr const char* kAborted = "user.dropgate.aborted";
inline constexpr const char* kSha256 = "user.dropgate.sha256";
inline constexpr const char* kUploadedAt = "user.dropgate.uploaded_at";
inline constexpr const char* kUploader = "user.dropgate.uploader";
inline constexpr const char* kMembers = "user.dropgate.members";
// On staging files only: "customer/path", so a restart can name what it marks aborted.
inline constexpr const char* kTarget = "user.dropgate.target";

// The attributes a bundle shows, from its row.
std::vector<std::pair<std::string, std::string>> bundle_attributes(
    const indexer::UploadRecord& row);
// Stores them on an open backing file; returns 0 or errno.
int store(int fd, const std::vector<std::pair<std::string, std::string>>& attributes);
// Every user.dropgate.* attribute of a backing file (by path).
std::vector<std::pair<std::string, std::string>> load(const std::string& path);
// One attribute of an open file, or "" if absent.
std::string get(int fd, const char* name);

}  // namespace dropgate::fs::xattr
