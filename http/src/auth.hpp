// Who is asking: an API token (`Authorization: Bearer`), or a browser session cookie made by
// logging in with the user's password or a token. Sessions live in memory: a restart logs
// browsers out, never customers' uploads (tus resumes with a new login).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dropgate/config/config.hpp"
#include "dropgate/guard/bans.hpp"

namespace dropgate::http {

inline constexpr std::string_view kSessionCookie = "dropgate_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

struct Principal {
    const config::User* user = nullptr;
    bool by_cookie = false;  // a browser: unsafe methods need the session's CSRF token too
    std::string csrf;        // the session's CSRF token (cookie logins only)
};

class Sessions {
  public:
    struct Session {
        std::string id;  // the cookie's value
        std::string csrf;
    };
    Session create(const config::User& user);
    std::optional<Principal> find(const config::Config& config, std::string_view id);
    void remove(std::string_view id);

  private:
    struct Entry {
        std::string user;
        std::string csrf;
        std::chrono::steady_clock::time_point expires;
    };
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

class Exchange;
// The principal of a request (user null: none, or a wrong one). A wrong credential is logged
// and counted as an auth failure.
Principal authenticate(const config::Config& config, Sessions& sessions, guard::BanList& bans,
                       const Exchange& request);
// The value of one cookie in a Cookie header ("" when absent).
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);
// Counts and logs one failed login (SFTP and HTTP failures share the log event's shape) and
// counts it towards a ban of the client's address.
void auth_failed(guard::BanList& bans, const Exchange& request, std::string_view user,
                 std::string_view method);

}  // namespace dropgate::http
