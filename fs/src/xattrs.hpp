// How the store keeps and shows the user.dropgate.* attributes (names: contract/xattrs.hpp):
// the facts a published bundle carries, stored on the backing file at publish from its row.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "dropgate/contract/xattrs.hpp"
#include "dropgate/index/index.hpp"

namespace dropgate::fs::xattr {

using namespace contract::xattr;

// The attributes a bundle shows, from its row.
std::vector<std::pair<std::string, std::string>> bundle_attributes(const index::UploadRecord& row);
// Stores them on an open backing file; returns 0 or errno.
int store(int fd, const std::vector<std::pair<std::string, std::string>>& attributes);
// Every user.dropgate.* attribute of a backing file (by path), except the staging-only ones.
std::vector<std::pair<std::string, std::string>> load(const std::string& path);
// One attribute of an open file, or "" if absent.
std::string get(int fd, const char* name);

}  // namespace dropgate::fs::xattr
