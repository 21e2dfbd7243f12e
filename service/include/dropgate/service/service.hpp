// `dropgate serve`: the whole service. Starts the store (as `dropgate store`), waits until its
// mount answers, starts the gateway (as `dropgate gateway`), waits until it listens, signals
// readiness to systemd, serves /metrics and /healthz, and supervises both: if one dies the
// other is stopped and serve exits non-zero; SIGTERM/SIGINT stop the gateway first (running
// transfers get the grace period), then the store (unmount), and serve exits 0.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "dropgate/config/config.hpp"

namespace dropgate::service {

struct ServeOptions {
    std::filesystem::path config_file;  // passed on to the child processes
    std::chrono::seconds grace_period{30};
    std::chrono::seconds start_timeout{30};
};

// Runs until stopped; returns the process exit status (0 after a clean stop).
int serve(const config::Config& config, const ServeOptions& options);

}  // namespace dropgate::service
