#include "dropgate/base/metrics.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "dropgate/base/unique_fd.hpp"

namespace dropgate::metrics {

namespace {

constexpr const char* kMetricsFdVariable = "DROPGATE_METRICS_FD";
using Slot = std::atomic<std::uint64_t>;
static_assert(Slot::is_always_lock_free, "cross-process counters need lock-free atomics");

enum class Kind { counter, gauge, histogram };

struct Family {
    Kind kind;
    std::string name, help, labels;
    std::size_t slot;
    const Histogram* histogram = nullptr;
};

// Built during static initialisation (before main), read afterwards: no lock needed.
struct Registry {
    std::vector<Family> families;
    std::size_t slots = 0;
    Slot* region = nullptr;  // [0] signature, then the slots

    std::uint64_t signature() const {
        std::uint64_t hash = 1469598103934665603ull;  // FNV-1a over every name, label and slot
        auto mix = [&](std::string_view text) {
            for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
            hash = (hash ^ 0xff) * 1099511628211ull;
        };
        for (const auto& f : families) {
            mix(f.name);
            mix(f.labels);
        }
        return hash ^ slots;
    }
};

Registry& registry() {
    static Registry instance;
    return instance;
}

std::size_t enroll(Kind kind, std::string_view name, std::string_view help, std::string_view labels,
                   std::size_t slots) {
    Registry& r = registry();
    if (r.region) throw std::logic_error("metric " + std::string(name) + " registered after init");
    r.families.push_back(
        {kind, std::string(name), std::string(help), std::string(labels), r.slots});
    r.slots += slots;
    return r.families.back().slot;
}

Slot& slot(std::size_t index) {
    Registry& r = registry();
    if (!r.region) init();
    return r.region[1 + index];
}

Slot* map_region(int fd, std::size_t bytes) {
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return memory == MAP_FAILED ? nullptr : static_cast<Slot*>(memory);
}

}  // namespace

void init() {
    Registry& r = registry();
    if (r.region) return;
    const std::size_t bytes = (1 + r.slots) * sizeof(Slot);
    const std::uint64_t signature = r.signature();
    if (const char* inherited = std::getenv(kMetricsFdVariable)) {
        int fd = std::atoi(inherited);
        struct stat st {};
        if (::fstat(fd, &st) == 0 && std::size_t(st.st_size) == bytes) {
            if (Slot* region = map_region(fd, bytes); region && region[0].load() == signature) {
                r.region = region;
                return;
            } else if (region) {
                ::munmap(region, bytes);
            }
        }
    }
    UniqueFd fd(memfd_create("dropgate-metrics", 0));  // inherited on purpose: no MFD_CLOEXEC
    if (!fd || ftruncate(fd.get(), off_t(bytes)) != 0)
        throw std::system_error(errno, std::generic_category(), "metrics memfd");
    Slot* region = map_region(fd.get(), bytes);
    if (!region) throw std::system_error(errno, std::generic_category(), "metrics mmap");
    region[0] = signature;  // the memfd starts zeroed: every counter is 0
    r.region = region;
    setenv(kMetricsFdVariable, std::to_string(fd.release()).c_str(), 1);
}

Counter::Counter(std::string_view name, std::string_view help, std::string_view labels)
    : slot_(enroll(Kind::counter, name, help, labels, 1)) {}

void Counter::add(std::uint64_t amount) const {
    slot(slot_).fetch_add(amount, std::memory_order_relaxed);
}

std::uint64_t Counter::value() const {
    return slot(slot_).load(std::memory_order_relaxed);
}

Gauge::Gauge(std::string_view name, std::string_view help)
    : slot_(enroll(Kind::gauge, name, help, {}, 1)) {}

void Gauge::add(std::int64_t amount) const {
    slot(slot_).fetch_add(std::uint64_t(amount), std::memory_order_relaxed);  // two's complement
}

void Gauge::set(std::int64_t value) const {
    slot(slot_).store(std::uint64_t(value), std::memory_order_relaxed);
}

std::optional<std::int64_t> value_of(std::string_view name, std::string_view labels) {
    for (const auto& f : registry().families)
        if (f.name == name && f.labels == labels && f.kind != Kind::histogram)
            return std::int64_t(slot(f.slot).load(std::memory_order_relaxed));
    return std::nullopt;
}

std::int64_t Gauge::value() const {
    return std::int64_t(slot(slot_).load(std::memory_order_relaxed));
}

Histogram::Histogram(std::string_view name, std::string_view help,
                     std::initializer_list<double> bounds)
    : slot_(enroll(Kind::histogram, name, help, {}, bounds.size() + 2)), bounds_(bounds) {
    registry().families.back().histogram = this;
}

void Histogram::observe(double seconds) const {
    std::size_t bucket = 0;
    while (bucket < bounds_.size() && seconds > bounds_[bucket]) ++bucket;
    slot(slot_ + bucket).fetch_add(1, std::memory_order_relaxed);
    slot(slot_ + bounds_.size() + 1)
        .fetch_add(std::uint64_t(seconds * 1e6 + 0.5), std::memory_order_relaxed);
}

std::string render_prometheus() {
    init();
    std::ostringstream out;
    std::string last;
    for (const Family& f : registry().families) {
        if (f.name != last) {
            const char* type = f.kind == Kind::counter ? "counter"
                               : f.kind == Kind::gauge ? "gauge"
                                                       : "histogram";
            out << "# HELP " << f.name << ' ' << f.help << "\n# TYPE " << f.name << ' ' << type
                << '\n';
            last = f.name;
        }
        std::string labels = f.labels.empty() ? "" : "{" + f.labels + "}";
        if (f.kind == Kind::counter) {
            out << f.name << labels << ' ' << slot(f.slot).load() << '\n';
        } else if (f.kind == Kind::gauge) {
            out << f.name << labels << ' ' << std::int64_t(slot(f.slot).load()) << '\n';
        } else {
            const auto& bounds = f.histogram->bounds_;
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < bounds.size(); ++i) {
                cumulative += slot(f.slot + i).load();
                out << f.name << "_bucket{le=\"" << bounds[i] << "\"} " << cumulative << '\n';
            }
            cumulative += slot(f.slot + bounds.size()).load();
            out << f.name << "_bucket{le=\"+Inf\"} " << cumulative << '\n';
            out << f.name << "_sum " << double(slot(f.slot + bounds.size() + 1).load()) / 1e6
                << '\n';
            out << f.name << "_count " << cumulative << '\n';
        }
    }
    return out.str();
}

}  // namespace dropgate::metrics
