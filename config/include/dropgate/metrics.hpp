// Service metrics shared by every process of one dropgate service. The counters live in a
// shared memfd mapping: `serve` creates it with init() and its fd is inherited (through the
// environment variable DROPGATE_METRICS_FD) by the store and gateway processes it starts and by
// the gateway's session processes, so each bumps the same atomics and the supervisor renders
// them at /metrics without any IPC. A process started on its own counts for itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dropgate::metrics {

// Maps the inherited counters, or creates them and exports their fd to child processes.
// Idempotent; called implicitly by the first counter update.
void init();

void connection_accepted();
void session_opened();  // an authenticated SFTP session starts
void session_closed();
void auth_failure();
void bytes_received(std::uint64_t bytes);
// An upload ended: status is "accepted", "rejected" or "aborted".
void upload_finished(std::string_view status, std::uint64_t bytes);
// The time from an upload's last close to its verdict (validation tail, fsync, publish, commit).
void verdict_latency(double seconds);

// Prometheus text exposition format (version 0.0.4).
std::string render_prometheus();

}  // namespace dropgate::metrics
