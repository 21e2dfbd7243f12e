#include "dropgate/guard/bans.hpp"

#include <algorithm>

#include "dropgate/base/log.hpp"
#include "dropgate/base/metrics.hpp"
#include "dropgate/base/time.hpp"

namespace dropgate::guard {

namespace {

using index::Clock;

constexpr auto kRefreshEvery = std::chrono::seconds(1);
// Addresses whose failures are being counted; past this, the oldest entries are forgotten
// (memory stays bounded under a flood of distinct addresses).
constexpr std::size_t kMaxTracked = 65536;

const metrics::Counter bans_sftp("dropgate_bans_total", "Addresses banned after failed logins",
                                 "door=\"sftp\"");
const metrics::Counter bans_http("dropgate_bans_total", "Addresses banned after failed logins",
                                 "door=\"http\"");
const metrics::Gauge bans_active("dropgate_bans_active", "Addresses banned right now");

// ban_time · 2^(repeats-1), at most max_ban_time.
std::chrono::seconds ban_length(const config::Security& security, std::uint32_t repeats) {
    auto length = security.ban_time;
    for (std::uint32_t i = 1; i < repeats && length < security.max_ban_time; ++i) length *= 2;
    return std::min(length, security.max_ban_time);
}

}  // namespace

std::string_view to_string(Door door) {
    return door == Door::sftp ? "sftp" : "http";
}

BanList::BanList(const config::Config& config, Door door)
    : config_(config), security_(config.security), door_(door) {}
BanList::~BanList() = default;

// The index is opened on first use (the store creates it at start-up) and again after a
// failure; without it the door still bans from its own counts.
index::Bans* BanList::store() {
    if (!store_) {
        try {
            store_.emplace(index::Bans::open(config_.index.database));
        } catch (const std::exception& e) {
            log::warn("bans_unavailable", {{"door", to_string(door_)}, {"error", e.what()}});
            return nullptr;
        }
    }
    return &*store_;
}

void BanList::refresh(Clock::time_point now) {
    if (now - refreshed_ < kRefreshEvery && now >= refreshed_) return;
    refreshed_ = now;
    index::Bans* bans = store();
    if (!bans) return;
    try {
        std::map<IpAddress, Clock::time_point> active;
        for (const auto& ban : bans->active(now))
            if (auto address = IpAddress::parse(ban.address)) active[*address] = ban.banned_until;
        active_ = std::move(active);
        bans_active.set(static_cast<std::int64_t>(active_.size()));
    } catch (const std::exception& e) {
        log::warn("bans_unavailable", {{"door", to_string(door_)}, {"error", e.what()}});
        store_.reset();
    }
}

std::optional<Clock::time_point> BanList::banned_until(const IpAddress& address) {
    if (security_.max_auth_failures == 0) return std::nullopt;
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    refresh(now);
    auto it = active_.find(address);
    if (it == active_.end() || it->second <= now) return std::nullopt;
    return it->second;
}

std::optional<index::Ban> BanList::failure(const IpAddress& address, std::string_view user) {
    if (security_.max_auth_failures == 0 || security_.allowed(address)) return std::nullopt;
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    if (failures_.size() >= kMaxTracked) {
        std::erase_if(failures_, [&](const auto& entry) {
            return entry.second.back() + security_.window < now;
        });
        if (failures_.size() >= kMaxTracked) failures_.clear();
    }
    auto& times = failures_[address];
    times.push_back(now);
    while (!times.empty() && times.front() + security_.window < now) times.pop_front();
    if (times.size() < security_.max_auth_failures) return std::nullopt;
    const std::size_t count = times.size();
    failures_.erase(address);
    index::Ban ban = impose(address, user, count, now);
    active_[address] = ban.banned_until;
    bans_active.set(static_cast<std::int64_t>(active_.size()));
    (door_ == Door::sftp ? bans_sftp : bans_http).add();
    log::warn("ban", {{"door", to_string(door_)},
                      {"address", ban.address},
                      {"user", ban.user},
                      {"failures", ban.failures},
                      {"repeats", ban.repeats},
                      {"ban_time", format_duration(std::chrono::duration_cast<std::chrono::seconds>(
                                       ban.banned_until - ban.banned_at))},
                      {"until", format_timestamp(ban.banned_until)},
                      {"reason", ban.reason}});
    return ban;
}

// Stores the ban; if the index cannot be written the ban holds in this door all the same.
index::Ban BanList::impose(const IpAddress& address, std::string_view user, std::size_t failures,
                           Clock::time_point now) {
    index::Ban ban;
    ban.address = address.to_string();
    ban.door = std::string(to_string(door_));
    ban.user = std::string(user);
    ban.failures = static_cast<std::uint32_t>(failures);
    ban.banned_at = now;
    ban.reason =
        std::to_string(failures) + " failed logins within " + format_duration(security_.window);
    const auto decide = [&](index::Ban& next, const std::optional<index::Ban>& previous) {
        const bool repeat = previous && previous->banned_until + security_.max_ban_time > now;
        next.repeats = repeat ? previous->repeats + 1 : 1;
        next.banned_until = now + ban_length(security_, next.repeats);
    };
    if (index::Bans* bans = store()) {
        try {
            return bans->impose(ban, decide);
        } catch (const std::exception& e) {
            log::warn("bans_unavailable", {{"door", to_string(door_)}, {"error", e.what()}});
            store_.reset();
        }
    }
    decide(ban, std::nullopt);
    return ban;
}

}  // namespace dropgate::guard
