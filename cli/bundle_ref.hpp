// The one accepted bundle a command-line reference names (query members, ls, cat): PATH,
// CUSTOMER/PATH or an upload id; anything else, or several, is a user error that says so.
#pragma once

#include <string>

#include "dropgate/index/index.hpp"

namespace dropgate::cli {

index::UploadRecord one_bundle(const index::Index& index, const std::string& reference);

}  // namespace dropgate::cli
