#include "probes.hpp"

#include <sys/vfs.h>

#include <fstream>
#include <sstream>
#include <string>

namespace dropgate::service {

namespace {
constexpr long kFuseSuperMagic = 0x65735546;
}

bool store_mounted(const std::filesystem::path& mount) {
    struct statfs info {};
    return ::statfs(mount.c_str(), &info) == 0 && info.f_type == kFuseSuperMagic;
}

bool port_listening(const config::Endpoint& endpoint) {
    // /proc/net/tcp{,6}: "sl local_address rem_address st ...", local as HEXIP:HEXPORT, st 0A =
    // LISTEN.
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state;
            fields >> slot >> local >> remote >> state;
            auto colon = local.rfind(':');
            if (colon == std::string::npos || state != "0A") continue;
            if (std::stoul(local.substr(colon + 1), nullptr, 16) == endpoint.port) return true;
        }
    }
    return false;
}

bool all_listening(const std::vector<config::Endpoint>& endpoints) {
    for (const auto& endpoint : endpoints)
        if (!port_listening(endpoint)) return false;
    return true;
}

}  // namespace dropgate::service
