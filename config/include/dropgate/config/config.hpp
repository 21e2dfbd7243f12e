// The loaded dropgate configuration: an immutable value built once by load()
// and passed by const reference to every part. No globals.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/base/address.hpp"

namespace dropgate::config {

// A config problem, already formatted as "FILE:LINE: KEY: what is wrong". Always one line:
// control characters from the file (a string's "\n", the broken line toml++ quotes) are shown
// escaped, so the CLI's one line on stderr is the whole error.
class ConfigError : public std::runtime_error {
  public:
    explicit ConfigError(const std::string& message);
};

enum class Role { customer, support };
std::string_view to_string(Role role);

struct Endpoint {
    std::string host;  // "0.0.0.0", "::", "127.0.0.1" (no brackets)
    std::uint16_t port = 0;
    std::string to_string() const;  // "0.0.0.0:2222", "[::]:2222"
};

// How much a customer may keep in the store (spec §14); unset: no limit.
struct Quota {
    std::optional<std::uint64_t> max_bytes;    // accepted bundles + uploads in progress/partial
    std::optional<std::uint64_t> max_bundles;  // accepted bundles + uploads in progress/partial
    // Bytes of unfinished uploads (in progress, held under a temporary name, partial): what
    // interrupted uploads kept for resume may take of the disk.
    std::optional<std::uint64_t> max_partial_bytes;
    bool limits() const { return max_bytes || max_bundles || max_partial_bytes; }  // any set
};

struct User {
    std::string name;
    Role role = Role::customer;
    // Public keys in OpenSSH one-line format ("ssh-ed25519 AAAA... comment"),
    // gathered from `authorized_keys` (file) and `keys` (inline); already checked to parse.
    std::vector<std::string> public_keys;
    std::optional<std::string> password_hash;  // crypt(3) hash, e.g. "$6$salt$..."
    // HTTP API tokens, stored hashed: "sha256:<64 hex digits>" (from `dropgate token USER`).
    std::vector<std::string> token_hashes;
    Quota quota;  // this customer's own limits, over [quota]'s
};

struct Server {
    std::vector<Endpoint> listen{{"0.0.0.0", 2222}};
    std::filesystem::path host_key_dir;  // absolute
    std::uint32_t max_sessions = 1000;
    std::uint32_t max_sessions_per_user = 20;
    std::chrono::seconds login_grace_time{30};
    std::chrono::seconds idle_timeout{15 * 60};
};

struct Store {
    std::filesystem::path root;   // absolute; the backing layout (contract/layout.hpp)
    std::filesystem::path mount;  // absolute; the read-write FUSE mount
    std::vector<std::string> accept{"*.tgz", "*.tar.gz"};
    std::vector<std::string> temp_suffixes{".filepart", ".part"};
    std::uint64_t max_bundle_size = 64ull << 30;
    std::uint64_t max_uncompressed_size = 1ull << 40;
    std::uint64_t max_compression_ratio = 200;
    std::uint64_t max_members = 1'000'000;
    // An upload interrupted without a verdict is kept this long for its owner to resume.
    std::chrono::seconds resume_window{24 * 3600};
    // Build each accepted bundle's seek index in the background (spec §13). Off: a view builds
    // it on its first read instead (one full inflate then), `dropgate reindex` builds them all.
    bool seek_index = true;
};

struct Index {
    std::filesystem::path database;  // absolute
};

// The HTTPS front end (spec §11); absent section: no HTTP front end.
struct Http {
    std::vector<Endpoint> listen;    // at least one
    std::filesystem::path tls_cert;  // absolute; PEM certificate chain
    std::filesystem::path tls_key;   // absolute; PEM private key
    bool plain = false;              // serve plain HTTP, no TLS: only when set explicitly
    std::uint32_t max_connections = 20000;
};

// Object storage replication (spec §12); absent section: bundles stay local only.
struct Replicate {
    // One step of the rate timetable: from `minute` of the day (local time) on, at most
    // `bytes_per_second` (0: no cap). Sorted by minute; a plain rate is one step at 00:00.
    struct RateStep {
        int minute = 0;
        std::uint64_t bytes_per_second = 0;
    };
    std::string endpoint;  // "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:4568"
    std::string bucket;
    std::string region = "us-east-1";
    std::string prefix;  // object key = prefix + customer + "/" + path
    // From `credentials_file` (TOML: access_key_id, secret_access_key) or the environment
    // (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Never logged, never rendered.
    std::string access_key_id;
    std::string secret_access_key;
    std::optional<std::filesystem::path> credentials_file;
    std::string rate_text = "off";  // as written, for render()
    std::vector<RateStep> rate;     // empty: no cap
    std::uint32_t concurrency = 4;
    std::uint64_t part_size = 16ull << 20;  // ≥ 8 MiB; larger bundles go multipart

    // The cap in force at `minute_of_day` (0: none).
    std::uint64_t bytes_per_second_at(int minute_of_day) const;
};

// When local copies of replicated bundles go (spec §12); only with [replicate].
struct Retention {
    std::optional<std::chrono::seconds> keep_local;    // absent: keep every local copy
    std::optional<std::chrono::seconds> delete_after;  // absent: keep bundles forever
    std::uint64_t cache_size = 1ull << 30;             // read-through cache of remote bundles
};

// OpenSSH's MaxStartups "start:rate:full": once `start` connections are still unauthenticated, a
// new one is dropped with probability `rate` %, rising linearly to 100 % at `full`.
struct Startups {
    std::uint32_t start = 10;
    std::uint32_t rate = 30;
    std::uint32_t full = 100;
    std::string to_string() const;  // "10:30:100"
};

// Both doors' defences against hostile clients (spec §14, [security]).
struct Security {
    // This many failed logins from one address within `window` ban it; 0: no bans.
    std::uint32_t max_auth_failures = 5;
    std::chrono::seconds window{10 * 60};
    // The first ban's length, doubled at each repeat up to `max_ban_time`; a repeat is a ban
    // of an address whose previous ban ended less than `max_ban_time` ago.
    std::chrono::seconds ban_time{10 * 60};
    std::chrono::seconds max_ban_time{24 * 3600};
    std::vector<Network> allow;  // never banned, no per-address connection limit
    // Open connections from one address, per door (SSH and HTTP count apart); 0: no limit.
    std::uint32_t max_connections_per_address = 100;
    Startups max_startups;  // SFTP: not yet logged in; HTTPS: still in the TLS handshake

    bool allowed(const IpAddress& address) const;
};

struct Metrics {
    std::optional<Endpoint> listen;  // absent: metrics disabled
};

struct Config {
    std::filesystem::path source;  // the file it was loaded from (absolute)
    Server server;
    Store store;
    Index index;
    Metrics metrics;
    std::optional<Http> http;
    std::optional<Replicate> replicate;
    Retention retention;
    Security security;
    Quota quota;  // [quota]: every customer's limits unless their [[user]] sets its own
    std::vector<User> users;

    const User* find_user(std::string_view name) const;
    // A customer's limits: their own keys, else [quota]'s.
    Quota quota_of(std::string_view customer) const;
    std::vector<std::string> customers() const;  // names of users with Role::customer, config order
};

// Loads and validates a config file. Relative paths resolve against the file's folder.
// Throws ConfigError ("FILE:LINE: KEY: message") on any problem, including unknown keys.
Config load(const std::filesystem::path& file);

// Parses "64GiB", "512 MiB", "1024" (bytes). Throws std::invalid_argument with a reason.
std::uint64_t parse_size(std::string_view text);
// Parses "30s", "15m", "2h", "90" (seconds). Throws std::invalid_argument with a reason.
std::chrono::seconds parse_duration(std::string_view text);
// Parses a rate: "40Mbit/s", "5MB/s", "512KiB/s", "off" (0), or a timetable of
// "HH:MM,RATE" steps ("08:00,40Mbit/s 19:00,off"). Throws std::invalid_argument.
std::vector<Replicate::RateStep> parse_rate(std::string_view text);
// "host:port", "[v6]:port". Throws std::invalid_argument.
Endpoint parse_endpoint(std::string_view text);

// A customer/user name usable as one path component: [a-z0-9][a-z0-9._-]{0,63}, not "." / "..".
bool is_safe_name(std::string_view name);

// The user if `password` matches their crypt(3) hash; takes about as long for an unknown user
// or one without a password (a dummy hash is checked).
const User* check_password(const Config& config, std::string_view user, std::string_view password);
// The user one of whose `tokens` is the SHA-256 of `token`, or null.
const User* check_token(const Config& config, std::string_view token);
// "sha256:<hex>" of a token: what the config stores.
std::string token_hash(std::string_view token);
// A new API token ("dg_" + 256 random bits in base64url) and its stored hash.
struct NewToken {
    std::string token;
    std::string hash;
};
NewToken new_token();

// Renders a config back as TOML with every value resolved (used by `dropgate check`).
std::string render(const Config& config);

}  // namespace dropgate::config
