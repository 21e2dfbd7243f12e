// Service metrics shared by every process of one dropgate service. The counters live in a
// MAP_SHARED mapping created by init() before `serve` forks the store and the gateway (and the
// gateway its session processes), so each process bumps the same atomics and the supervisor
// renders them at /metrics without any IPC. Without init() each process counts for itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dropgate::metrics {

// Creates the shared counters; call once, before forking. Idempotent.
void init();

void connection_accepted();
void session_opened();  // an authenticated SFTP session starts
void session_closed();
void auth_failure();
void bytes_received(std::uint64_t bytes);
// An upload got its verdict: status is "accepted", "rejected" or "aborted".
void upload_finished(std::string_view status, std::uint64_t bytes, double validation_seconds);

// Prometheus text exposition format (version 0.0.4).
std::string render_prometheus();

}  // namespace dropgate::metrics
