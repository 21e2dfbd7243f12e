#include "host_key.hpp"

#include <sys/stat.h>

#include "dropgate/base/log.hpp"
#include "dropgate/base/ssh_keys.hpp"

namespace dropgate::gateway {

std::filesystem::path ensure_host_key(const std::filesystem::path& dir) {
    std::filesystem::path key = dir / "ssh_host_ed25519_key";
    if (std::filesystem::exists(key)) return key;
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    generate_ed25519_key(key, "dropgate host key");
    log::info("host_key_generated", {{"path", key.string()}});
    return key;
}

}  // namespace dropgate::gateway
