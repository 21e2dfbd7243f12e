// Bans after failed logins (spec §14): `max_auth_failures` failures from one address within
// `window` ban it for `ban_time`, doubled at each repeat up to `max_ban_time`. A door counts its
// own failures; the bans themselves live in the index (index/bans.hpp), so the other door
// refuses a banned address too (within a second) and a restart keeps them. Allow-listed
// networks are never counted. Thread-safe: the HTTP front end calls it from several threads.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "dropgate/base/address.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/index/bans.hpp"

namespace dropgate::guard {

enum class Door { sftp, http };
std::string_view to_string(Door door);

class BanList {
  public:
    BanList(const config::Config& config, Door door);
    ~BanList();

    // When `address`'s ban ends, if it is banned now. Reloads the index's bans at most once a
    // second (so an `unban`, or a ban by the other door, takes effect within that).
    std::optional<index::Clock::time_point> banned_until(const IpAddress& address);
    // Counts one failed login; the ban it brings about, if any (stored, logged and in force).
    std::optional<index::Ban> failure(const IpAddress& address, std::string_view user);

  private:
    void refresh(index::Clock::time_point now);
    index::Bans* store();
    index::Ban impose(const IpAddress& address, std::string_view user, std::size_t failures,
                      index::Clock::time_point now);

    const config::Config& config_;
    const config::Security& security_;
    const Door door_;
    std::mutex mutex_;
    std::map<IpAddress, std::deque<index::Clock::time_point>> failures_;
    std::map<IpAddress, index::Clock::time_point> active_;  // address -> banned until
    index::Clock::time_point refreshed_{};
    std::optional<index::Bans> store_;
};

}  // namespace dropgate::guard
