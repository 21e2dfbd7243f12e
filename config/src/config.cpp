// Loads dropgate.toml into an immutable Config. Every problem becomes one ConfigError that
// names the file, the line and the key; unknown keys are errors, so typos never pass silently.
#include "dropgate/config/config.hpp"

#include <arpa/inet.h>

#include <set>

#include "reader.hpp"
#include "replicate.hpp"
#include "security.hpp"
#include "users.hpp"

namespace dropgate::config {

namespace {

using detail::TableReader;

const toml::table* section(const toml::table& root, const std::string& file,
                           std::string_view name) {
    const toml::node* n = root.get(name);
    if (!n) return nullptr;
    if (!n->is_table())
        throw ConfigError(file + ":" + std::to_string(n->source().begin.line) + ": " +
                          std::string(name) + ": expected a table [" + std::string(name) + "]");
    return n->as_table();
}

std::uint32_t line_of(const toml::table* table) {
    return table ? table->source().begin.line : 0;
}

void check_listen_host(TableReader& reader, std::string_view key, const Endpoint& endpoint) {
    in6_addr scratch{};
    if (inet_pton(AF_INET, endpoint.host.c_str(), &scratch) != 1 &&
        inet_pton(AF_INET6, endpoint.host.c_str(), &scratch) != 1)
        reader.fail(
            key, "\"" + endpoint.host +
                     "\" is not an IP address (use e.g. \"0.0.0.0\", \"127.0.0.1\" or \"[::]\")");
}

std::vector<Endpoint> read_endpoints(TableReader& reader, std::string_view key) {
    std::vector<Endpoint> endpoints;
    for (const auto& text : reader.string_or_strings(key).value_or(std::vector<std::string>{})) {
        try {
            endpoints.push_back(parse_endpoint(text));
        } catch (const std::invalid_argument& e) {
            reader.fail(key, e.what());
        }
        check_listen_host(reader, key, endpoints.back());
    }
    return endpoints;
}

Server read_server(const toml::table* table, const std::string& file,
                   const std::filesystem::path& base) {
    TableReader reader(file, "server", table, line_of(table));
    Server server;
    if (reader.string_or_strings("listen")) {
        server.listen = read_endpoints(reader, "listen");
        if (server.listen.empty()) reader.fail("listen", "needs at least one address");
    }
    server.host_key_dir = reader.path("host_key_dir", base).value_or(base / "keys");
    constexpr std::int64_t kMaxCount = 1'000'000;
    server.max_sessions =
        static_cast<std::uint32_t>(reader.integer("max_sessions", 1, kMaxCount).value_or(1000));
    server.max_sessions_per_user = static_cast<std::uint32_t>(
        reader.integer("max_sessions_per_user", 1, kMaxCount).value_or(20));
    server.login_grace_time = reader.duration("login_grace_time").value_or(server.login_grace_time);
    server.idle_timeout = reader.duration("idle_timeout").value_or(server.idle_timeout);
    reader.finish();
    return server;
}

bool is_inside(const std::filesystem::path& inner, const std::filesystem::path& outer) {
    auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
    return o == outer.end();
}

Store read_store(const toml::table* table, const std::string& file,
                 const std::filesystem::path& base) {
    TableReader reader(file, "store", table, line_of(table));
    if (!table)
        throw ConfigError(file +
                          ": store: missing section [store] (needs at least root and mount)");
    Store store;
    auto root = reader.path("root", base);
    if (!root) reader.fail("root", "missing (the backing directory, e.g. \"/var/lib/dropgate\")");
    auto mount = reader.path("mount", base);
    if (!mount)
        reader.fail("mount", "missing (the FUSE mount point, e.g. \"/run/dropgate/store\")");
    store.root = *root;
    store.mount = *mount;
    if (is_inside(store.mount, store.root) || is_inside(store.root, store.mount))
        reader.fail("mount", "must not be inside root, nor root inside it (" +
                                 store.mount.string() + " vs " + store.root.string() + ")");
    if (auto accept = reader.strings("accept")) {
        if (accept->empty()) reader.fail("accept", "needs at least one pattern such as \"*.tgz\"");
        store.accept = *accept;
    }
    if (auto suffixes = reader.strings("temp_suffixes")) {
        for (const auto& suffix : *suffixes)
            if (suffix.size() < 2 || suffix[0] != '.' || suffix.find('/') != std::string::npos)
                reader.fail("temp_suffixes",
                            "\"" + suffix + "\" must start with a dot, like \".filepart\"");
        store.temp_suffixes = *suffixes;
    }
    store.max_bundle_size = reader.size("max_bundle_size").value_or(store.max_bundle_size);
    store.max_uncompressed_size =
        reader.size("max_uncompressed_size").value_or(store.max_uncompressed_size);
    store.max_compression_ratio = static_cast<std::uint64_t>(
        reader.integer("max_compression_ratio", 1, 1'000'000).value_or(200));
    store.max_members = static_cast<std::uint64_t>(
        reader.integer("max_members", 1, 1'000'000'000).value_or(1'000'000));
    store.resume_window = reader.duration("resume_window").value_or(store.resume_window);
    store.seek_index = reader.boolean("seek_index").value_or(store.seek_index);
    reader.finish();
    return store;
}

Index read_index(const toml::table* table, const std::string& file,
                 const std::filesystem::path& base, const Store& store) {
    TableReader reader(file, "index", table, line_of(table));
    Index index;
    index.database = reader.path("database", base).value_or(store.root / "index.sqlite3");
    reader.finish();
    return index;
}

Metrics read_metrics(const toml::table* table, const std::string& file) {
    TableReader reader(file, "metrics", table, line_of(table));
    Metrics metrics;
    if (reader.string("listen")) {
        auto endpoints = read_endpoints(reader, "listen");
        metrics.listen = endpoints.front();
    }
    reader.finish();
    return metrics;
}

std::optional<Http> read_http(const toml::table* table, const std::string& file,
                              const std::filesystem::path& base) {
    if (!table) return std::nullopt;
    TableReader reader(file, "http", table, line_of(table));
    Http http;
    http.listen = read_endpoints(reader, "listen");
    if (http.listen.empty()) reader.fail("listen", "missing (e.g. \"0.0.0.0:8443\")");
    http.plain = reader.boolean("plain").value_or(false);
    auto cert = reader.path("tls_cert", base), key = reader.path("tls_key", base);
    if (!http.plain && !cert)
        reader.fail("tls_cert",
                    "missing (a PEM certificate; `dropgate init` makes a "
                    "self-signed one), or set plain = true for plain HTTP");
    if (!http.plain && !key) reader.fail("tls_key", "missing (the certificate's PEM private key)");
    if (http.plain && (cert || key))
        reader.fail(cert ? "tls_cert" : "tls_key", "set with plain = true: choose one");
    http.tls_cert = cert.value_or("");
    http.tls_key = key.value_or("");
    http.max_connections = static_cast<std::uint32_t>(
        reader.integer("max_connections", 1, 1'000'000).value_or(http.max_connections));
    reader.finish();
    return http;
}

void check_sections(const toml::table& root, const std::string& file) {
    static const std::set<std::string, std::less<>> known{
        "server",    "store",     "index", "metrics",  "http",
        "replicate", "retention", "quota", "security", "user"};
    for (const auto& [key, value] : root) {
        if (known.count(key.str())) continue;
        throw ConfigError(file + ":" + std::to_string(key.source().begin.line) + ": " +
                          std::string(key.str()) +
                          ": unknown section (expected [server], [store], [index], [metrics], "
                          "[http], [replicate], [retention], [quota], [security] or [[user]])");
    }
}

}  // namespace

Config load(const std::filesystem::path& file) {
    const std::string name = file.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw ConfigError(
            name + ": cannot read config: " +
            (std::filesystem::exists(file, ec) ? "not a regular file" : "no such file"));
    toml::table root = detail::parse_toml_file(name);
    check_sections(root, name);

    Config config;
    config.source = std::filesystem::absolute(file).lexically_normal();
    const std::filesystem::path base = config.source.parent_path();
    config.server = read_server(section(root, name, "server"), name, base);
    config.store = read_store(section(root, name, "store"), name, base);
    config.index = read_index(section(root, name, "index"), name, base, config.store);
    config.metrics = read_metrics(section(root, name, "metrics"), name);
    config.http = read_http(section(root, name, "http"), name, base);
    config.replicate = detail::read_replicate(section(root, name, "replicate"), name, base);
    config.retention = detail::read_retention(section(root, name, "retention"), name,
                                              config.replicate.has_value());
    if (const toml::table* quota = section(root, name, "quota")) {
        TableReader reader(name, "quota", quota, line_of(quota));
        config.quota = detail::read_quota(reader);
        reader.finish();
    }
    if (const toml::table* security = section(root, name, "security")) {
        TableReader reader(name, "security", security, line_of(security));
        config.security = detail::read_security(reader);
        reader.finish();
    }
    config.users = detail::read_users(root, name, base);
    return config;
}

}  // namespace dropgate::config
