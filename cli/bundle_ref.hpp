// How the read-only commands (query, ls, cat, reindex) reach the index: opened read-only, with a
// missing or too old database a user error that says what to do; and the one accepted bundle a
// reference names: PATH, CUSTOMER/PATH or an upload id (anything else, or several, a user error).
#pragma once

#include <string>

#include "dropgate/config/config.hpp"
#include "dropgate/index/index.hpp"

namespace dropgate::cli {

index::Index read_only_index(const config::Config& config);
index::UploadRecord one_bundle(const index::Index& index, const std::string& reference);

}  // namespace dropgate::cli
