// The gateway's ed25519 host key: host_key_dir/ssh_host_ed25519_key, generated (mode 0600)
// on first start.
#pragma once

#include <filesystem>

namespace dropgate::gateway {

std::filesystem::path ensure_host_key(const std::filesystem::path& dir);

}  // namespace dropgate::gateway
