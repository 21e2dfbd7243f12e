#include "gateway_metrics.hpp"

#include "dropgate/base/metrics.hpp"

namespace dropgate::gateway::gateway_metrics {

namespace {

const metrics::Counter connections("dropgate_connections_total",
                                   "TCP connections accepted by the gateway.");
const metrics::Counter sessions("dropgate_sessions_total", "Authenticated SFTP sessions started.");
const metrics::Gauge active_sessions("dropgate_active_sessions",
                                     "Authenticated SFTP sessions open now.");
const metrics::Counter auth_failures("dropgate_auth_failures_total",
                                     "Failed authentication attempts.");

}  // namespace

void connection_accepted() {
    connections.add();
}

void session_opened() {
    sessions.add();
    active_sessions.add(1);
}

void session_closed() {
    active_sessions.add(-1);
}

void auth_failure() {
    auth_failures.add();
}

}  // namespace dropgate::gateway::gateway_metrics
