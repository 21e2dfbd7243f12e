// Side-effect-free readiness probes: is the FUSE store mounted and answering, is the gateway
// listening. (Connecting to the gateway would count and log a bogus client, so the listening
// check reads the kernel's socket table instead.)
#pragma once

#include <filesystem>
#include <vector>

#include "dropgate/config/config.hpp"

namespace dropgate::service {

// True if `mount` is a FUSE mount whose daemon answers statfs.
bool store_mounted(const std::filesystem::path& mount);

// True if some socket is in LISTEN state on the endpoint's TCP port.
bool port_listening(const config::Endpoint& endpoint);
// True if every endpoint's port is listening (a part's readiness).
bool all_listening(const std::vector<config::Endpoint>& endpoints);

}  // namespace dropgate::service
