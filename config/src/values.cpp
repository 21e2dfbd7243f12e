// Scalar value parsing shared by the loader: sizes, durations, endpoints, names.
#include <charconv>
#include <stdexcept>
#include <string>

#include "dropgate/config/config.hpp"

namespace dropgate::config {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits "123 GiB" into the number and the unit; the number must be a non-negative integer.
std::pair<std::uint64_t, std::string_view> split_number(std::string_view text, const char* what) {
    text = trim(text);
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range)
        throw std::invalid_argument(std::string(what) + " is too large");
    if (ec != std::errc() || end == text.data())
        throw std::invalid_argument(std::string("expected a ") + what + " like " +
                                    (what[0] == 's' ? "\"64GiB\"" : "\"30s\"") + ", got \"" +
                                    std::string(text) + "\"");
    return {value, trim(std::string_view(end, text.data() + text.size() - end))};
}

std::uint64_t scaled(std::uint64_t value, std::uint64_t unit, const char* what) {
    if (unit != 0 && value > UINT64_MAX / unit)
        throw std::invalid_argument(std::string(what) + " is too large");
    return value * unit;
}

}  // namespace

std::uint64_t parse_size(std::string_view text) {
    auto [value, unit] = split_number(text, "size");
    static constexpr std::pair<std::string_view, std::uint64_t> units[] = {
        {"", 1},
        {"B", 1},
        {"KiB", 1ull << 10},
        {"MiB", 1ull << 20},
        {"GiB", 1ull << 30},
        {"TiB", 1ull << 40},
        {"KB", 1000},
        {"MB", 1000'000},
        {"GB", 1000'000'000},
        {"TB", 1000'000'000'000}};
    for (auto [name, factor] : units)
        if (unit == name) return scaled(value, factor, "size");
    throw std::invalid_argument("unknown size unit \"" + std::string(unit) +
                                "\" (use B, KiB, MiB, GiB or TiB)");
}

std::chrono::seconds parse_duration(std::string_view text) {
    auto [value, unit] = split_number(text, "duration");
    std::uint64_t factor = 0;
    if (unit.empty() || unit == "s")
        factor = 1;
    else if (unit == "m")
        factor = 60;
    else if (unit == "h")
        factor = 3600;
    else if (unit == "d")
        factor = 86400;
    else
        throw std::invalid_argument("unknown duration unit \"" + std::string(unit) +
                                    "\" (use s, m, h or d)");
    std::uint64_t seconds = scaled(value, factor, "duration");
    if (seconds > (1ull << 40)) throw std::invalid_argument("duration is too large");
    return std::chrono::seconds(static_cast<std::int64_t>(seconds));
}

Endpoint parse_endpoint(std::string_view text) {
    Endpoint endpoint;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw std::invalid_argument("expected \"[ipv6]:port\", got \"" + std::string(text) +
                                        "\"");
        endpoint.host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon)
            throw std::invalid_argument("expected \"host:port\" (IPv6 as \"[::]:2222\"), got \"" +
                                        std::string(text) + "\"");
        endpoint.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    }
    if (endpoint.host.empty())
        throw std::invalid_argument("missing host in \"" + std::string(text) + "\"");
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
        throw std::invalid_argument("port must be 1-65535 in \"" + std::string(text) + "\"");
    endpoint.port = static_cast<std::uint16_t>(port);
    return endpoint;
}

std::string Endpoint::to_string() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
}

std::string_view to_string(Role role) {
    return role == Role::customer ? "customer" : "support";
}

bool is_safe_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
    auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!lower_alnum(name.front())) return false;
    for (char c : name)
        if (!lower_alnum(c) && c != '.' && c != '_' && c != '-') return false;
    return true;
}

const User* Config::find_user(std::string_view name) const {
    for (const auto& user : users)
        if (user.name == name) return &user;
    return nullptr;
}

Quota Config::quota_of(std::string_view customer) const {
    Quota merged = quota;
    if (const User* user = find_user(customer)) {
        if (user->quota.max_bytes) merged.max_bytes = user->quota.max_bytes;
        if (user->quota.max_bundles) merged.max_bundles = user->quota.max_bundles;
    }
    return merged;
}

std::vector<std::string> Config::customers() const {
    std::vector<std::string> names;
    for (const auto& user : users)
        if (user.role == Role::customer) names.push_back(user.name);
    return names;
}

}  // namespace dropgate::config
