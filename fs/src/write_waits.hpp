// Where one upload's writer spent its time (issue 13: the writer, the check, the hash and
// writeback must overlap, not take turns). Filled by the writing FUSE thread, logged with the
// verdict at debug level (`verdict_timing`), so a slow upload says which wait it was.
#pragma once

#include <chrono>

namespace dropgate::fs {

struct WriteWaits {
    using Clock = std::chrono::steady_clock;
    double pwrite_ms = 0;     // copying WRITEs into the staging file
    double backlog_ms = 0;    // held back: the check (or hash) fell behind by kMaxBacklog
    double writeback_ms = 0;  // sync_file_range waiting for the range kLag behind to reach disk
    double datasync_ms = 0;   // the periodic fdatasync (the disk's write cache flush)
    double inline_ms = 0;     // checking the first MiB in line, from the request buffer

    // Adds the time since `start` to `field`.
    static void add(double& field, Clock::time_point start) {
        field += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    }
};

}  // namespace dropgate::fs
