// The worker's metrics (spec §12 Ops); serve's /healthz reads permanent_failures by name.
#pragma once

#include "dropgate/base/metrics.hpp"
#include "dropgate/replicate/replicate.hpp"

namespace dropgate::replicate {

extern const metrics::Gauge queue_depth;
extern const metrics::Gauge queue_bytes;
extern const metrics::Gauge oldest_unreplicated_seconds;
extern const metrics::Gauge permanent_failures;
extern const metrics::Gauge current_rate;
extern const metrics::Counter bytes_sent;
extern const metrics::Counter bundles_replicated;
extern const metrics::Counter errors_transient, errors_permanent, errors_integrity;

}  // namespace dropgate::replicate
