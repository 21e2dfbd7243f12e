// Keeps a background pass (the seek indexer) off a busy machine. Even in the idle scheduling
// class a thread that inflates costs concurrent uploads ~5 % (shared caches, memory bandwidth,
// the hypervisor's view of the CPUs: bench/indexing.sh, 0.95x with SCHED_IDLE alone), so between
// reads it looks at how busy everything else kept the CPUs over the last 200 ms and, while that
// left less than one whole CPU idle, sleeps instead of running (then 0.99x) — for a minute at
// most per pass, so that on a machine never idle the indexes still come, at the idle class.
#pragma once

#include <chrono>
#include <cstdint>
#include <stop_token>

namespace dropgate::fs {

class IdlePacer {
  public:
    explicit IdlePacer(std::stop_token stop);
    // Returns at once while the machine has spare CPU; otherwise waits until it has (or a stop).
    void operator()();

  private:
    struct Sample {
        std::chrono::steady_clock::time_point at;
        double busy_seconds = 0;  // of every CPU, from /proc/stat
        double own_seconds = 0;   // of this thread
    };
    static Sample sample();
    bool saturated(const Sample& now) const;

    std::stop_token stop_;
    unsigned cpus_;
    Sample last_;
    bool judged_ = false;
    std::chrono::steady_clock::duration waited_{};
};

}  // namespace dropgate::fs
