// The FUSE store (docs/store.md): the write-enabled view where uploads are validated while they
// arrive and judged at close, and the read-only support view of every accepted bundle.
#pragma once

#include <filesystem>

#include "dropgate/config/config.hpp"

namespace dropgate::fs {

struct MountSettings {
    std::filesystem::path mountpoint;  // absolute
    bool read_only = false;            // the support view: all customers, every write EROFS
    bool foreground = true;            // false: daemonize once mounted (read-only view only)
    bool writeback_cache = true;       // let the kernel batch small writes into large WRITEs
    unsigned max_idle_threads = 10;
};

// Mounts, serves until SIGTERM/SIGINT or an external unmount, unmounts after in-flight
// requests (flush verdicts included) have finished. Returns the process exit status.
// Throws std::runtime_error with context if the store cannot start.
int run(const config::Config& config, const MountSettings& settings);

}  // namespace dropgate::fs
