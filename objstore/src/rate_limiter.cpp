#include "dropgate/objstore/rate_limiter.hpp"

#include <algorithm>
#include <ctime>
#include <thread>

namespace dropgate::objstore {

namespace {

constexpr double kMaxBurst = 4.0 * 1024 * 1024;

int minute_of_day_now() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    return local.tm_hour * 60 + local.tm_min;
}

// A tenth of a second's worth, within [64 KiB, 4 MiB]: small enough that the average over a
// few seconds is the cap, large enough that senders are not woken for every packet.
double burst_for(std::uint64_t rate) {
    return std::clamp(static_cast<double>(rate) / 10.0, 64.0 * 1024, kMaxBurst);
}

}  // namespace

RateLimiter::RateLimiter(const config::Replicate& replicate) : replicate_(replicate) {}

std::uint64_t RateLimiter::current_cap() const {
    return replicate_.bytes_per_second_at(minute_of_day_now());
}

void RateLimiter::refill(Clock::time_point now, std::uint64_t rate) {
    double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min(burst_for(rate), tokens_ + elapsed * static_cast<double>(rate));
    refilled_ = now;
}

void RateLimiter::acquire(std::size_t bytes) {
    if (replicate_.rate.empty()) return;
    std::unique_lock lock(mutex_);
    // Tokens are taken up front (the balance may go negative); the sender then waits for the
    // debt to be paid back, so senders queue fairly and the long-run rate is the cap.
    std::uint64_t rate = current_cap();
    refill(Clock::now(), rate);
    if (rate == 0) return;  // the timetable says off right now
    tokens_ -= static_cast<double>(bytes);
    if (tokens_ >= 0) return;
    auto wait = std::chrono::duration<double>(-tokens_ / static_cast<double>(rate));
    lock.unlock();
    std::this_thread::sleep_for(wait);
}

}  // namespace dropgate::objstore
