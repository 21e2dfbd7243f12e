// Renders a Config back to TOML with every default filled in and every path absolute.
// The output is itself a valid config that loads to the same value.
#include <toml++/toml.h>

#include <sstream>

#include "dropgate/base/time.hpp"
#include "dropgate/config/config.hpp"

namespace dropgate::config {

namespace {

std::string size_text(std::uint64_t bytes) {
    static constexpr std::pair<const char*, std::uint64_t> units[] = {
        {"TiB", 1ull << 40}, {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}};
    for (auto [name, factor] : units)
        if (bytes % factor == 0) return std::to_string(bytes / factor) + name;
    return std::to_string(bytes);
}

toml::array string_array(const std::vector<std::string>& values) {
    toml::array array;
    for (const auto& value : values) array.push_back(value);
    return array;
}

}  // namespace

std::string render(const Config& config) {
    toml::array listen;
    for (const auto& endpoint : config.server.listen) listen.push_back(endpoint.to_string());
    toml::table server{
        {"listen", listen},
        {"host_key_dir", config.server.host_key_dir.string()},
        {"max_sessions", static_cast<std::int64_t>(config.server.max_sessions)},
        {"max_sessions_per_user", static_cast<std::int64_t>(config.server.max_sessions_per_user)},
        {"login_grace_time", format_duration(config.server.login_grace_time)},
        {"idle_timeout", format_duration(config.server.idle_timeout)},
    };
    const Store& s = config.store;
    toml::table store{
        {"root", s.root.string()},
        {"mount", s.mount.string()},
        {"accept", string_array(s.accept)},
        {"temp_suffixes", string_array(s.temp_suffixes)},
        {"max_bundle_size", size_text(s.max_bundle_size)},
        {"max_uncompressed_size", size_text(s.max_uncompressed_size)},
        {"max_compression_ratio", static_cast<std::int64_t>(s.max_compression_ratio)},
        {"max_members", static_cast<std::int64_t>(s.max_members)},
        {"resume_window", format_duration(s.resume_window)},
        {"seek_index", s.seek_index},
    };
    toml::table root{
        {"server", server},
        {"store", store},
        {"index", toml::table{{"database", config.index.database.string()}}},
    };
    if (config.metrics.listen)
        root.insert("metrics", toml::table{{"listen", config.metrics.listen->to_string()}});
    if (config.http) {
        const Http& h = *config.http;
        toml::array http_listen;
        for (const auto& endpoint : h.listen) http_listen.push_back(endpoint.to_string());
        toml::table http{{"listen", http_listen},
                         {"max_connections", static_cast<std::int64_t>(h.max_connections)}};
        if (h.plain)
            http.insert("plain", true);
        else {
            http.insert("tls_cert", h.tls_cert.string());
            http.insert("tls_key", h.tls_key.string());
        }
        root.insert("http", std::move(http));
    }
    if (config.replicate) {
        const Replicate& r = *config.replicate;
        // The credentials themselves are never rendered: only where they come from.
        toml::table replicate{{"endpoint", r.endpoint},
                              {"bucket", r.bucket},
                              {"region", r.region},
                              {"prefix", r.prefix},
                              {"rate", r.rate_text},
                              {"concurrency", static_cast<std::int64_t>(r.concurrency)},
                              {"part_size", size_text(r.part_size)}};
        if (r.credentials_file) replicate.insert("credentials_file", r.credentials_file->string());
        root.insert("replicate", std::move(replicate));
        toml::table retention{{"cache_size", size_text(config.retention.cache_size)}};
        if (config.retention.keep_local)
            retention.insert("keep_local", format_duration(*config.retention.keep_local));
        if (config.retention.delete_after)
            retention.insert("delete_after", format_duration(*config.retention.delete_after));
        root.insert("retention", std::move(retention));
    }
    const auto quota_keys = [](const Quota& quota, toml::table& table) {
        if (quota.max_bytes) table.insert("max_bytes", size_text(*quota.max_bytes));
        if (quota.max_bundles)
            table.insert("max_bundles", static_cast<std::int64_t>(*quota.max_bundles));
        if (quota.max_partial_bytes)
            table.insert("max_partial_bytes", size_text(*quota.max_partial_bytes));
    };
    if (config.quota.limits()) {
        toml::table quota;
        quota_keys(config.quota, quota);
        root.insert("quota", std::move(quota));
    }
    const Security& sec = config.security;
    toml::array allow;
    for (const auto& network : sec.allow) allow.push_back(network.to_string());
    root.insert("security",
                toml::table{{"max_auth_failures", static_cast<std::int64_t>(sec.max_auth_failures)},
                            {"window", format_duration(sec.window)},
                            {"ban_time", format_duration(sec.ban_time)},
                            {"max_ban_time", format_duration(sec.max_ban_time)},
                            {"allow", allow},
                            {"max_connections_per_address",
                             static_cast<std::int64_t>(sec.max_connections_per_address)},
                            {"max_startups", sec.max_startups.to_string()}});
    toml::array users;
    for (const auto& user : config.users) {
        toml::table entry{{"name", user.name}, {"role", std::string(to_string(user.role))}};
        if (!user.public_keys.empty()) entry.insert("keys", string_array(user.public_keys));
        if (user.password_hash) entry.insert("password", *user.password_hash);
        if (!user.token_hashes.empty()) entry.insert("tokens", string_array(user.token_hashes));
        quota_keys(user.quota, entry);
        users.push_back(std::move(entry));
    }
    root.insert("user", std::move(users));

    std::ostringstream out;
    out << "# " << config.source.string() << ", resolved\n" << toml::toml_formatter(root) << "\n";
    return out.str();
}

}  // namespace dropgate::config
