// What the replication tests read back: `dropgate query replication --json`, per bundle.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "service_fixture.hpp"

namespace dropgate::test {

// The replication row of customer/path, or nullopt.
std::optional<nlohmann::json> replica_of(const Service& service, const std::string& customer,
                                         const std::string& path);
// Waits until the bundle's location is `location` ("local+remote", "remote", "deleted").
bool wait_location(const Service& service, const std::string& customer, const std::string& path,
                   const std::string& location,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60));
// `dropgate verify -c CONFIG --remote` and any more flags ("--repair", "--deep").
RunResult verify_remote(const Service& service, const std::vector<std::string>& flags = {});
// curl of the service's metrics endpoint (path "/healthz" or "/metrics").
std::string metrics_get(const Service& service, const std::string& path);

}  // namespace dropgate::test
