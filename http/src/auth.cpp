#include "auth.hpp"

#include "dropgate/base/ids.hpp"
#include "dropgate/base/log.hpp"
#include "dropgate/base/metrics.hpp"
#include "exchange.hpp"

namespace dropgate::http {

namespace {

// Beside the gateway's dropgate_auth_failures_total (SSH): the HTTP door's own count.
const metrics::Counter http_auth_failures("dropgate_http_auth_failures_total",
                                          "Failed HTTP logins and requests with a wrong token");

constexpr auto kSessionLifetime = std::chrono::hours(12);

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

Sessions::Session Sessions::create(const config::User& user) {
    Session session{random_hex(32), random_hex(16)};
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(entries_, [&](const auto& entry) { return entry.second.expires < now; });
    entries_[session.id] = Entry{user.name, session.csrf, now + kSessionLifetime};
    return session;
}

std::optional<Principal> Sessions::find(const config::Config& config, std::string_view id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(std::string(id));
    if (it == entries_.end() || it->second.expires < std::chrono::steady_clock::now())
        return std::nullopt;
    const config::User* user = config.find_user(it->second.user);
    if (!user) return std::nullopt;
    return Principal{user, true, it->second.csrf};
}

void Sessions::remove(std::string_view id) {
    std::lock_guard lock(mutex_);
    entries_.erase(std::string(id));
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        auto end = header.find(';');
        std::string_view pair = trim(header.substr(0, end));
        header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
        auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
    return {};
}

void auth_failed(guard::BanList& bans, const Exchange& request, std::string_view user,
                 std::string_view method) {
    http_auth_failures.add();
    log::warn("auth_failure",
              {{"door", "http"}, {"remote", request.remote()}, {"user", user}, {"method", method}});
    if (auto address = IpAddress::of_remote(request.remote())) bans.failure(*address, user);
}

Principal authenticate(const config::Config& config, Sessions& sessions, guard::BanList& bans,
                       const Exchange& request) {
    std::string_view authorization = request.header("Authorization");
    if (!authorization.empty()) {
        constexpr std::string_view kBearer = "Bearer ";
        if (authorization.substr(0, kBearer.size()) == kBearer) {
            std::string_view token = trim(authorization.substr(kBearer.size()));
            if (const config::User* user = config::check_token(config, token))
                return Principal{user, false, {}};
        }
        auth_failed(bans, request, "", "token");
        return {};
    }
    std::string_view cookie = cookie_value(request.header("Cookie"), kSessionCookie);
    if (cookie.empty()) return {};
    if (auto principal = sessions.find(config, cookie)) return *principal;
    return {};  // an expired session is not an attack: the page asks to log in again
}

}  // namespace dropgate::http
