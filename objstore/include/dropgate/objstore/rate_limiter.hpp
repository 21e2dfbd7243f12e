// One token bucket over every transfer of the process (spec §12 `rate`): each sender takes
// tokens for the bytes it is about to send and waits when there are none. The rate follows the
// config's timetable; the bucket holds at most `burst` bytes (≤ 4 MiB), so a pause never turns
// into a long burst above the cap.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "dropgate/config/config.hpp"

namespace dropgate::objstore {

class RateLimiter {
  public:
    explicit RateLimiter(const config::Replicate& replicate);
    // Blocks until `bytes` may be sent (returns at once without a cap in force).
    void acquire(std::size_t bytes);
    // The cap in force now, bytes per second (0: none).
    std::uint64_t current_cap() const;

  private:
    using Clock = std::chrono::steady_clock;
    void refill(Clock::time_point now, std::uint64_t rate);

    const config::Replicate& replicate_;
    mutable std::mutex mutex_;
    double tokens_ = 0;
    Clock::time_point refilled_ = Clock::now();
};

}  // namespace dropgate::objstore
