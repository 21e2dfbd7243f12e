// The FUSE store (docs/store.md): the write-enabled view where uploads are validated while they
// arrive and judged at close, and the read-only support view of every accepted bundle.
#pragma once

#include <chrono>
#include <filesystem>

#include "dropgate/config/config.hpp"

namespace dropgate::fs {

struct MountSettings {
    std::filesystem::path mountpoint;  // absolute
    bool read_only = false;            // the support view: all customers, every write EROFS
    bool foreground = true;            // false: daemonize once mounted (read-only view only)
    // Let the kernel batch small writes into large WRITEs. Off by default: the kernel then holds
    // tens of MiB of dirty pages that it sends only at close, which delays the verdict.
    bool writeback_cache = false;
    unsigned max_idle_threads = 10;
    // A temp-suffix upload judged acceptable waits this long for its rename (spec §4: 10 min).
    std::chrono::seconds hold_timeout{10 * 60};
};

// Mounts, serves until SIGTERM/SIGINT or an external unmount, unmounts after in-flight
// requests (flush verdicts included) have finished. Returns the process exit status.
// Throws std::runtime_error with context if the store cannot start.
int run(const config::Config& config, const MountSettings& settings);

}  // namespace dropgate::fs
