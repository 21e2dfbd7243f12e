// Gives each accepted bundle its seek index (spec §13) in the background, after the verdict, at
// idle CPU and I/O priority, so uploads and their close verdicts do not wait for it (a second
// zlib pass, not a checkpoint of the validator's ISA-L state: see docs/store.md). At start it
// also indexes every accepted bundle that has no index yet.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "dropgate/config/config.hpp"
#include "dropgate/index/index.hpp"

namespace dropgate::fs {

class SeekIndexer {
  public:
    explicit SeekIndexer(const config::Config& config);
    ~SeekIndexer();
    // Starts the thread (after the store has daemonized: a fork keeps only the calling thread).
    void start();
    void enqueue(const index::UploadRecord& bundle);

  private:
    void loop(std::stop_token stop);
    void catch_up(std::stop_token stop);

    const config::Config& config_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::deque<index::UploadRecord> queue_;
    std::jthread thread_;
};

}  // namespace dropgate::fs
