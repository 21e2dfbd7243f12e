// The gateway's metrics (registered with the base registry, rendered by `serve` at /metrics).
#pragma once

namespace dropgate::gateway::gateway_metrics {

void connection_accepted();
void session_opened();  // an authenticated SFTP session starts
void session_closed();
void auth_failure();

}  // namespace dropgate::gateway::gateway_metrics
