// The bans table (docs/index-schema.md "bans"): source addresses refused at connect after too
// many failed logins. The connection guard (guard/) decides; this stores, so that both doors
// and `dropgate query bans` see every ban and a restart keeps them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dropgate/index/index.hpp"

namespace dropgate::index {

namespace sqlite {
class Stmt;
}

struct Ban {
    std::string address;  // "203.0.113.7", "2001:db8::1"
    std::string door;     // "sftp" or "http": where the failures were counted
    std::string user;     // the last user name tried
    std::uint32_t failures = 0;
    std::uint32_t repeats = 1;  // 1 for a first ban, n for the n-th in a row
    Clock::time_point banned_at{};
    Clock::time_point banned_until{};
    std::string reason;
};

class Bans {
  public:
    static Bans open(const std::filesystem::path& database, bool read_only = false);
    ~Bans();
    Bans(Bans&&) noexcept;
    Bans& operator=(Bans&&) noexcept;

    // Stores `ban` for its address in one transaction: `decide` first sees the address's
    // previous ban, if any, and sets the new one's repeats and banned_until from it.
    Ban impose(Ban ban, const std::function<void(Ban&, const std::optional<Ban>&)>& decide);
    // Bans in force at `now`.
    std::vector<Ban> active(Clock::time_point now) const;
    // Every address ever banned, the latest ban first.
    std::vector<Ban> all() const;
    // `dropgate unban`: forgets the address (repeats included). False if it had no row.
    bool lift(const std::string& address);

  private:
    struct Statements;
    explicit Bans(Index index);
    Index index_;
    std::unique_ptr<Statements> statements_;
};

}  // namespace dropgate::index
