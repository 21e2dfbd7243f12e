#include "dropgate/guard/limits.hpp"

#include <random>

#include "dropgate/base/log.hpp"
#include "dropgate/base/metrics.hpp"

namespace dropgate::guard {

namespace {

using Kind = Refusal::Kind;

#define DROPGATE_REFUSED(door, kind)                                            \
    metrics::Counter("dropgate_connections_refused_total",                      \
                     "Connections closed at once: a ban or a connection limit", \
                     "door=\"" door "\",kind=\"" kind "\"")
const metrics::Counter refused_counters[2][4] = {
    {DROPGATE_REFUSED("sftp", "banned"), DROPGATE_REFUSED("sftp", "per_address"),
     DROPGATE_REFUSED("sftp", "startups"), DROPGATE_REFUSED("sftp", "total")},
    {DROPGATE_REFUSED("http", "banned"), DROPGATE_REFUSED("http", "per_address"),
     DROPGATE_REFUSED("http", "startups"), DROPGATE_REFUSED("http", "total")}};
#undef DROPGATE_REFUSED

std::string_view kind_name(Kind kind) {
    switch (kind) {
        case Kind::banned:
            return "banned";
        case Kind::per_address:
            return "per_address";
        case Kind::startups:
            return "startups";
        default:
            return "total";
    }
}

// OpenSSH's drop rule: below `start` never, at `full` always, between the two with a
// probability rising linearly from `rate` % to 100 %.
bool early_drop(const config::Startups& startups, std::size_t unauthenticated) {
    if (unauthenticated < startups.start) return false;
    if (unauthenticated >= startups.full) return true;
    const double span = double(startups.full - startups.start);
    const double percent =
        startups.rate + (100.0 - startups.rate) * double(unauthenticated - startups.start) / span;
    thread_local std::mt19937 random{std::random_device{}()};
    return std::uniform_real_distribution<double>(0, 100)(random) < percent;
}

}  // namespace

std::optional<Refusal> connection_refusal(const config::Security& security,
                                          const IpAddress& address, std::size_t from_address,
                                          std::size_t unauthenticated) {
    const bool allowed = security.allowed(address);
    if (!allowed && security.max_connections_per_address &&
        from_address >= security.max_connections_per_address)
        return Refusal{Kind::per_address, "too many connections from " + address.to_string() +
                                              " (max_connections_per_address " +
                                              std::to_string(security.max_connections_per_address) +
                                              ")"};
    if (early_drop(security.max_startups, unauthenticated))
        return Refusal{Kind::startups, "too many unauthenticated connections (" +
                                           std::to_string(unauthenticated) + ", max_startups " +
                                           security.max_startups.to_string() + ")"};
    return std::nullopt;
}

void report_refusal(Door door, const Refusal& refusal, std::string_view remote) {
    refused_counters[door == Door::sftp ? 0 : 1][static_cast<int>(refusal.kind)].add();
    log::info("connection_refused", {{"door", to_string(door)},
                                     {"remote", remote},
                                     {"kind", kind_name(refusal.kind)},
                                     {"reason", refusal.reason}});
}

std::size_t AddressCounts::open(const IpAddress& address) {
    std::lock_guard lock(mutex_);
    return counts_[address]++;
}

void AddressCounts::close(const IpAddress& address) {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(address);
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
}

}  // namespace dropgate::guard
