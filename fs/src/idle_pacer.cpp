#include "idle_pacer.hpp"

#include <time.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

namespace dropgate::fs {

namespace {

using namespace std::chrono_literals;
constexpr auto kInterval = 200ms;     // /proc/stat counts in 10 ms ticks: 20 per CPU per interval
constexpr double kSpareWanted = 1.0;  // CPUs left idle by everything else
// A pass waits this long at most: on a machine that is never idle it goes on in the idle class.
constexpr auto kLongestWait = 60s;

// Non-idle CPU time of every CPU since boot: user, nice, system, irq, softirq, steal.
double busy_seconds() {
    std::ifstream stat("/proc/stat");
    std::string cpu;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal))
        return 0;
    static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return (user + nice + system + irq + softirq + steal) / ticks;
}

double own_seconds() {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace

IdlePacer::IdlePacer(std::stop_token stop)
    : stop_(std::move(stop)),
      cpus_(std::max(1u, std::thread::hardware_concurrency())),
      last_(sample()) {}

IdlePacer::Sample IdlePacer::sample() {
    return {std::chrono::steady_clock::now(), busy_seconds(), own_seconds()};
}

bool IdlePacer::saturated(const Sample& now) const {
    const double elapsed = std::chrono::duration<double>(now.at - last_.at).count();
    const double others =
        (now.busy_seconds - last_.busy_seconds) - (now.own_seconds - last_.own_seconds);
    return others > (static_cast<double>(cpus_) - kSpareWanted) * elapsed;
}

void IdlePacer::operator()() {
    for (;;) {
        if (stop_.stop_requested() || waited_ >= kLongestWait) return;
        const Sample now = sample();
        const auto since = now.at - last_.at;
        if (judged_ && since < kInterval) return;  // judged recently enough
        if (since < kInterval) {                   // the first call: an interval to judge by
            std::this_thread::sleep_for(kInterval - since);
            waited_ += kInterval - since;
            continue;
        }
        const bool busy = saturated(now);
        last_ = now;
        judged_ = true;
        if (!busy) return;
        std::this_thread::sleep_for(kInterval);
        waited_ += kInterval;
    }
}

}  // namespace dropgate::fs
