#include "dropgate/metrics.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <sstream>
#include <string>
#include <system_error>

#include "dropgate/unique_fd.hpp"

namespace dropgate::metrics {

namespace {

constexpr std::array<double, 12> kValidationBuckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                       0.25,  0.5,   1,    2.5,   5,    10};
constexpr std::array<std::string_view, 3> kStatuses = {"accepted", "rejected", "aborted"};

struct Counters {
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::int64_t> active_sessions{0};
    std::atomic<std::uint64_t> sessions{0};
    std::atomic<std::uint64_t> auth_failures{0};
    std::atomic<std::uint64_t> bytes_received{0};
    std::array<std::atomic<std::uint64_t>, kStatuses.size()> uploads{};
    std::array<std::atomic<std::uint64_t>, kStatuses.size()> upload_bytes{};
    std::array<std::atomic<std::uint64_t>, kValidationBuckets.size() + 1> validation_buckets{};
    std::atomic<std::uint64_t> validation_microseconds{0};
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "cross-process counters need lock-free atomics");

Counters* g_counters = nullptr;
constexpr const char* kMetricsFdVariable = "DROPGATE_METRICS_FD";

Counters& counters() {
    if (!g_counters) init();
    return *g_counters;
}

}  // namespace

void init() {
    if (g_counters) return;
    // A process started by `serve` inherits the counters' memfd and finds it in the environment;
    // the first process creates it (and exports it for the processes it starts).
    if (const char* inherited = std::getenv(kMetricsFdVariable)) {
        int fd = std::atoi(inherited);
        void* memory = mmap(nullptr, sizeof(Counters), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (memory != MAP_FAILED) {
            g_counters = static_cast<Counters*>(memory);
            return;
        }
    }
    UniqueFd fd(memfd_create("dropgate-metrics", 0));
    if (!fd || ftruncate(fd.get(), sizeof(Counters)) != 0)
        throw std::system_error(errno, std::generic_category(), "metrics memfd");
    void* memory = mmap(nullptr, sizeof(Counters), PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (memory == MAP_FAILED)
        throw std::system_error(errno, std::generic_category(), "metrics mmap");
    g_counters = new (memory) Counters();
    setenv(kMetricsFdVariable, std::to_string(fd.release()).c_str(), 1);
}

void connection_accepted() {
    counters().connections.fetch_add(1, std::memory_order_relaxed);
}

void session_opened() {
    counters().sessions.fetch_add(1, std::memory_order_relaxed);
    counters().active_sessions.fetch_add(1, std::memory_order_relaxed);
}

void session_closed() {
    counters().active_sessions.fetch_sub(1, std::memory_order_relaxed);
}

void auth_failure() {
    counters().auth_failures.fetch_add(1, std::memory_order_relaxed);
}

void bytes_received(std::uint64_t bytes) {
    counters().bytes_received.fetch_add(bytes, std::memory_order_relaxed);
}

void upload_finished(std::string_view status, std::uint64_t bytes) {
    Counters& c = counters();
    for (std::size_t i = 0; i < kStatuses.size(); ++i) {
        if (kStatuses[i] != status) continue;
        c.uploads[i].fetch_add(1, std::memory_order_relaxed);
        c.upload_bytes[i].fetch_add(bytes, std::memory_order_relaxed);
    }
}

void verdict_latency(double seconds) {
    Counters& c = counters();
    std::size_t bucket = 0;
    while (bucket < kValidationBuckets.size() && seconds > kValidationBuckets[bucket]) ++bucket;
    c.validation_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    c.validation_microseconds.fetch_add(static_cast<std::uint64_t>(seconds * 1e6 + 0.5),
                                        std::memory_order_relaxed);
}

std::string render_prometheus() {
    const Counters& c = counters();
    std::ostringstream out;
    auto family = [&](const char* name, const char* type, const char* help) {
        out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
    };
    family("dropgate_uploads_total", "counter", "Uploads by final status.");
    for (std::size_t i = 0; i < kStatuses.size(); ++i)
        out << "dropgate_uploads_total{status=\"" << kStatuses[i] << "\"} " << c.uploads[i].load()
            << '\n';
    family("dropgate_upload_bytes_total", "counter", "Bytes of finished uploads by final status.");
    for (std::size_t i = 0; i < kStatuses.size(); ++i)
        out << "dropgate_upload_bytes_total{status=\"" << kStatuses[i] << "\"} "
            << c.upload_bytes[i].load() << '\n';
    family("dropgate_bytes_received_total", "counter", "Bytes written by clients into the store.");
    out << "dropgate_bytes_received_total " << c.bytes_received.load() << '\n';
    family("dropgate_connections_total", "counter", "TCP connections accepted by the gateway.");
    out << "dropgate_connections_total " << c.connections.load() << '\n';
    family("dropgate_sessions_total", "counter", "Authenticated SFTP sessions started.");
    out << "dropgate_sessions_total " << c.sessions.load() << '\n';
    family("dropgate_active_sessions", "gauge", "Authenticated SFTP sessions open now.");
    out << "dropgate_active_sessions " << c.active_sessions.load() << '\n';
    family("dropgate_auth_failures_total", "counter", "Failed authentication attempts.");
    out << "dropgate_auth_failures_total " << c.auth_failures.load() << '\n';
    family("dropgate_validation_seconds", "histogram",
           "Time from the last close to the verdict, per upload.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kValidationBuckets.size(); ++i) {
        cumulative += c.validation_buckets[i].load();
        out << "dropgate_validation_seconds_bucket{le=\"" << kValidationBuckets[i] << "\"} "
            << cumulative << '\n';
    }
    cumulative += c.validation_buckets.back().load();
    out << "dropgate_validation_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n';
    out << "dropgate_validation_seconds_sum " << c.validation_microseconds.load() / 1e6 << '\n';
    out << "dropgate_validation_seconds_count " << cumulative << '\n';
    return out.str();
}

}  // namespace dropgate::metrics
