// `dropgate verify --remote`: every replicated bundle's object is there with the bundle's size
// and SHA-256 metadata (HEAD; a deleted-behind-our-back object is reported); `deep` also reads
// every object back and hashes its bytes (catches an object rewritten with the same metadata).
// With repair, a bundle whose object is gone or wrong but whose local copy is still here is
// queued again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "dropgate/config/config.hpp"

namespace dropgate::replicate {

struct RemoteProblem {
    std::string name;    // "acme/logs.tgz"
    std::string detail;  // what was expected and found
    bool repaired = false;
};

struct RemoteSummary {
    std::uint64_t objects_checked = 0;
    std::uint64_t problems = 0;
    std::uint64_t repaired = 0;
};

RemoteSummary verify_remote(const config::Config& config, bool repair, bool deep,
                            const std::function<void(const RemoteProblem&)>& report);

}  // namespace dropgate::replicate
