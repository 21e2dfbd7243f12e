// How long a worker holds a leased bundle before another may take it (renewed after every part),
// and the clock leases and retries are written in (unix milliseconds, as the replicas table has).
#pragma once

#include <chrono>
#include <cstdint>

namespace dropgate::replicate {

inline constexpr std::chrono::milliseconds kLease = std::chrono::minutes(5);

inline std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace dropgate::replicate
