#include "host_key.hpp"

#include <sys/stat.h>

#include "dropgate/config/keys.hpp"
#include "log.hpp"

namespace dropgate::gateway {

std::filesystem::path ensure_host_key(const std::filesystem::path& dir) {
    std::filesystem::path key = dir / "ssh_host_ed25519_key";
    if (std::filesystem::exists(key)) return key;
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    config::generate_ed25519_key(key, "dropgate host key");
    LogLine("host_key_generated").add("path", key.string()).emit();
    return key;
}

}  // namespace dropgate::gateway
