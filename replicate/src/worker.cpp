// The worker process: `concurrency` transfer threads, each leasing one bundle at a time from the
// index, and a main thread that keeps the queue gauges current and waits for SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <thread>

#include "dropgate/base/log.hpp"
#include "dropgate/index/replicas.hpp"
#include "dropgate/objstore/rate_limiter.hpp"
#include "dropgate/replicate/replicate.hpp"
#include "lease.hpp"
#include "replicate_metrics.hpp"
#include "transfer.hpp"

namespace dropgate::replicate {

namespace {

using namespace std::chrono_literals;
using objstore::S3Error;
using Clock = std::chrono::system_clock;

constexpr auto kIdlePoll = 500ms;

std::atomic<bool> stop_requested{false};

void on_stop_signal(int) {
    stop_requested = true;
}

// Sleeps up to `duration`, waking early when asked to stop.
void nap(std::chrono::milliseconds duration) {
    for (auto left = duration; left > 0ms && !stop_requested; left -= 100ms)
        std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(100ms)));
}

// Exponential backoff with jitter: 1 s, 2 s, 4 s … up to 2 min for what may pass by itself;
// a minute for what needs someone to change something (so a fix shows within a minute).
std::chrono::milliseconds backoff(std::int64_t tries, S3Error::Kind kind) {
    static thread_local std::mt19937 random{std::random_device{}()};
    double base =
        kind == S3Error::Kind::transient
            ? std::min(120.0,
                       std::pow(2.0, static_cast<double>(std::max<std::int64_t>(tries, 1) - 1)))
            : 60.0;
    double jitter = std::uniform_real_distribution<double>(0.5, 1.5)(random);
    return std::chrono::milliseconds(static_cast<std::int64_t>(base * jitter * 1000));
}

void count_error(S3Error::Kind kind) {
    switch (kind) {
        case S3Error::Kind::transient:
            errors_transient.add();
            break;
        case S3Error::Kind::permanent:
            errors_permanent.add();
            break;
        default:
            errors_integrity.add();
    }
}

void failed(index::Replicas& replicas, const index::Replica& bundle, S3Error::Kind kind,
            const std::string& error) {
    if (stop_requested) {
        replicas.release(bundle.upload);
        return;
    }
    auto delay = backoff(bundle.tries, kind);
    replicas.retry_later(bundle.upload, objstore::to_string(kind), error, now_ms() + delay.count());
    count_error(kind);
    auto level = kind == S3Error::Kind::transient ? log::Level::warn : log::Level::error;
    log::event(level, "replication_failed",
               {{"customer", bundle.customer},
                {"path", bundle.path},
                {"kind", objstore::to_string(kind)},
                {"error", error},
                {"tries", bundle.tries},
                {"retry_in_s", delay.count() / 1000.0}});
}

void transfer_loop(const config::Config& config, objstore::RateLimiter& limiter) {
    auto replicas = index::Replicas::open(config.index.database);
    objstore::S3Client client(*config.replicate, &limiter, &stop_requested);
    client.on_sent = [](std::size_t bytes) { bytes_sent.add(bytes); };
    std::vector<char> buffer;
    const std::int64_t owner = ::getpid();
    Transfer transfer{config, client, replicas, owner, buffer, stop_requested};
    while (!stop_requested) {
        std::optional<index::Replica> bundle;
        try {
            bundle = replicas.lease(now_ms(), kLease, owner);
        } catch (const index::IndexError& e) {
            log::warn("replication_lease_failed", {{"error", e.what()}});
        }
        if (!bundle) {
            nap(kIdlePoll);
            continue;
        }
        try {
            replicate_bundle(transfer, *bundle);
        } catch (const S3Error& e) {
            failed(replicas, *bundle, e.kind, e.what());
        } catch (const std::exception& e) {  // reading the mount, the index
            failed(replicas, *bundle, S3Error::Kind::transient, e.what());
        }
    }
}

void update_gauges(index::Replicas& replicas) {
    auto stats = replicas.stats();
    queue_depth.set(static_cast<std::int64_t>(stats.queued));
    queue_bytes.set(static_cast<std::int64_t>(stats.queued_bytes));
    oldest_unreplicated_seconds.set(
        stats.oldest_queued
            ? std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - *stats.oldest_queued)
                  .count()
            : 0);
    permanent_failures.set(static_cast<std::int64_t>(stats.permanent_failures));
}

// A worker killed with its service may linger as a zombie nobody has reaped yet: that one holds
// nothing either.
bool process_alive(std::int64_t pid) {
    if (pid <= 0 || pid == ::getpid()) return pid > 0;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    auto close = line.rfind(')');
    char state = close != std::string::npos && close + 2 < line.size() ? line[close + 2] : 'X';
    return state != 'Z' && state != 'X';
}

}  // namespace

int run(const config::Config& config) {
    if (!config.replicate) throw std::runtime_error(config.source.string() + ": no [replicate]");
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);

    auto replicas = index::Replicas::open(config.index.database);
    // Leases of a worker that was killed are free at once, not after they expire.
    replicas.free_dead_leases(process_alive);
    replicas.retry_permanent_failures_now();
    objstore::RateLimiter limiter(*config.replicate);
    std::vector<std::jthread> threads;
    for (std::uint32_t i = 0; i < config.replicate->concurrency; ++i)
        threads.emplace_back([&] { transfer_loop(config, limiter); });
    log::info("replication_ready", {{"endpoint", config.replicate->endpoint},
                                    {"bucket", config.replicate->bucket},
                                    {"rate", config.replicate->rate_text},
                                    {"concurrency", config.replicate->concurrency}});

    // The sent rate over the last 5 s, sampled each second.
    std::vector<std::uint64_t> samples(6, bytes_sent.value());
    while (!stop_requested) {
        try {
            update_gauges(replicas);
        } catch (const index::IndexError& e) {
            log::warn("replication_stats_failed", {{"error", e.what()}});
        }
        samples.erase(samples.begin());
        samples.push_back(bytes_sent.value());
        current_rate.set(static_cast<std::int64_t>((samples.back() - samples.front()) / 5));
        nap(1s);
    }
    threads.clear();  // joins: each finishes or abandons its transfer
    log::info("replication_stopped", {});
    return 0;
}

}  // namespace dropgate::replicate
