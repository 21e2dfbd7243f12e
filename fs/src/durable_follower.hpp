// Makes a staging file durable behind its writer: fdatasync up to what writeback has written,
// on a thread of its own, so the writer never waits for the disk's write-cache flush (it cost
// the writer ~40 ms per 64 MiB in line, while the check starved: bench/writers.sh). After each
// one the durable size is recorded in the file's kDurable xattr, which is what a restart keeps.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace dropgate::fs {

class DurableFollower {
  public:
    explicit DurableFollower(int fd) : fd_(fd) {}
    ~DurableFollower() { stop(); }
    DurableFollower(const DurableFollower&) = delete;
    DurableFollower& operator=(const DurableFollower&) = delete;

    // Asks for [0, upto) to be made durable; returns at once (starts the thread the first time).
    void request(std::uint64_t upto);
    // What is known durable so far.
    std::uint64_t durable() const { return durable_.load(); }
    // Finishes the fdatasync in flight, if any, and joins the thread. The two calls below are
    // made only when it is stopped (a request() starts it again).
    void stop();
    // The writer made [0, size) durable itself (an fsync): recorded as such.
    void synced(std::uint64_t size);
    // The file was cut to `size` (a truncation, a suspension): nothing beyond is durable.
    void reset(std::uint64_t size);

  private:
    void loop(std::stop_token stop);
    void record(std::uint64_t size);

    const int fd_;
    std::mutex mutex_;
    std::condition_variable_any wanted_;
    std::uint64_t target_ = 0;  // guarded by mutex_
    std::atomic<std::uint64_t> durable_{0};
    std::jthread thread_;
};

}  // namespace dropgate::fs
