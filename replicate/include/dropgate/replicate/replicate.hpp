// `dropgate replicate`: copies every accepted bundle to the [replicate] bucket, `concurrency`
// bundles at a time under one rate cap, until SIGTERM/SIGINT. Transfers in flight when it stops
// are abandoned and their leases given back; the next start redoes them.
#pragma once

#include "dropgate/config/config.hpp"

namespace dropgate::replicate {

int run(const config::Config& config);

// The gauge of queued bundles whose last try failed permanently; serve's /healthz reports the
// service degraded while it is not 0.
inline constexpr const char* kReplicationPermanentFailures =
    "dropgate_replication_permanent_failures";

}  // namespace dropgate::replicate
