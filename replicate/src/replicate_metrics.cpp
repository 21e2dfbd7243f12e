#include "replicate_metrics.hpp"

namespace dropgate::replicate {

const metrics::Gauge queue_depth("dropgate_replication_queue_depth",
                                 "Accepted bundles not yet replicated");
const metrics::Gauge queue_bytes("dropgate_replication_queue_bytes",
                                 "Bytes of the bundles not yet replicated");
const metrics::Gauge oldest_unreplicated_seconds(
    "dropgate_replication_oldest_unreplicated_seconds",
    "Age of the oldest accepted bundle not yet replicated (0: none)");
const metrics::Gauge permanent_failures(kReplicationPermanentFailures,
                                        "Queued bundles whose last try failed permanently "
                                        "(credentials, bucket): needs an operator");
const metrics::Gauge current_rate("dropgate_replication_rate_bytes_per_second",
                                  "Bytes per second sent to object storage, last 5 s");
const metrics::Counter bytes_sent("dropgate_replication_sent_bytes_total",
                                  "Body bytes sent to object storage");
const metrics::Counter bundles_replicated("dropgate_replication_bundles_total",
                                          "Bundles replicated and confirmed");
const metrics::Counter errors_transient("dropgate_replication_errors_total",
                                        "Failed replication tries, by kind", "kind=\"transient\"");
const metrics::Counter errors_permanent("dropgate_replication_errors_total",
                                        "Failed replication tries, by kind", "kind=\"permanent\"");
const metrics::Counter errors_integrity("dropgate_replication_errors_total",
                                        "Failed replication tries, by kind", "kind=\"integrity\"");

}  // namespace dropgate::replicate
