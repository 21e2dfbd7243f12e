// The [security] section: bans after failed logins and connection limits (spec §14).
#include "security.hpp"

#include <charconv>

namespace dropgate::config {

namespace detail {

namespace {

std::uint32_t count(TableReader& reader, std::string_view key, std::uint32_t fallback) {
    return static_cast<std::uint32_t>(reader.integer(key, 0, 1'000'000).value_or(fallback));
}

// "start:rate:full" as OpenSSH's MaxStartups (a lone number N is N:100:N).
Startups read_startups(TableReader& reader) {
    Startups startups;
    auto text = reader.string("max_startups");
    if (!text) return startups;
    std::uint32_t parts[3] = {};
    std::size_t found = 0;
    const char* at = text->data();
    const char* end = text->data() + text->size();
    while (found < 3) {
        auto [next, error] = std::from_chars(at, end, parts[found]);
        if (error != std::errc() || next == at) break;
        ++found;
        at = next;
        if (at == end || *at != ':') break;
        ++at;
    }
    const bool one = found == 1 && at == end, three = found == 3 && at == end;
    if (!one && !three)
        reader.fail("max_startups",
                    "expected \"start:rate:full\" like \"10:30:100\", got \"" + *text + "\"");
    startups = one ? Startups{parts[0], 100, parts[0]} : Startups{parts[0], parts[1], parts[2]};
    if (startups.start == 0 || startups.start > startups.full || startups.rate > 100)
        reader.fail("max_startups",
                    "needs 0 < start <= full and rate <= 100, got \"" + *text + "\"");
    return startups;
}

}  // namespace

Security read_security(TableReader& reader) {
    Security security;
    security.max_auth_failures = count(reader, "max_auth_failures", security.max_auth_failures);
    security.window = reader.duration("window").value_or(security.window);
    security.ban_time = reader.duration("ban_time").value_or(security.ban_time);
    security.max_ban_time = reader.duration("max_ban_time").value_or(security.max_ban_time);
    if (security.max_ban_time < security.ban_time)
        reader.fail("max_ban_time", "is shorter than ban_time");
    if (auto networks = reader.strings("allow")) {
        for (const auto& text : *networks) {
            try {
                security.allow.push_back(Network::parse(text));
            } catch (const std::invalid_argument& e) {
                reader.fail("allow", e.what());
            }
        }
    }
    security.max_connections_per_address =
        count(reader, "max_connections_per_address", security.max_connections_per_address);
    security.max_startups = read_startups(reader);
    return security;
}

}  // namespace detail

std::string Startups::to_string() const {
    return std::to_string(start) + ":" + std::to_string(rate) + ":" + std::to_string(full);
}

bool Security::allowed(const IpAddress& address) const {
    for (const auto& network : allow)
        if (network.contains(address)) return true;
    return false;
}

}  // namespace dropgate::config
