// Service metrics: each part defines its own counters, gauges and histograms (namespace-scope
// objects in the part's own file) and this registry keeps them all in one shared memory region.
// `serve` creates the region with init() and its fd is inherited (DROPGATE_METRICS_FD) by the
// processes it starts and by the gateway's session processes, so every process bumps the same
// atomics and the supervisor renders them at /metrics without any IPC.
//
// Layout: the region holds one 64-bit slot per value, in registration order. Every process of
// the service is the same binary, so the static registrations — and the layout — are the same
// in all of them; the region starts with a signature of the registered names, and a process
// that finds a region with another signature (a test binary's, say) creates its own.
// Metrics must therefore be objects with static storage duration, constructed before main.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dropgate::metrics {

// Maps the inherited region, or creates one and exports its fd to child processes.
// Idempotent; called implicitly by the first update.
void init();

// A monotonic count. Several Counters may share a name with different labels ("status=\"x\"").
class Counter {
  public:
    Counter(std::string_view name, std::string_view help, std::string_view labels = {});
    void add(std::uint64_t amount = 1) const;
    std::uint64_t value() const;

  private:
    std::size_t slot_;
};

// A value that goes up and down (active sessions).
class Gauge {
  public:
    Gauge(std::string_view name, std::string_view help);
    void add(std::int64_t amount) const;
    void set(std::int64_t value) const;
    std::int64_t value() const;

  private:
    std::size_t slot_;
};

// Observations in seconds against fixed upper bounds (Prometheus histogram).
class Histogram {
  public:
    Histogram(std::string_view name, std::string_view help, std::initializer_list<double> bounds);
    void observe(double seconds) const;

  private:
    std::size_t slot_;  // bucket counts (bounds + the +Inf one), then the sum in microseconds
    std::vector<double> bounds_;
    friend std::string render_prometheus();
};

// The current value of the counter or gauge registered as `name` (with `labels`), if any: how a
// part that does not link another reads its state (serve's /healthz reads the worker's gauges).
std::optional<std::int64_t> value_of(std::string_view name, std::string_view labels = {});

// Prometheus text exposition format (version 0.0.4), families in registration order.
std::string render_prometheus();

}  // namespace dropgate::metrics
