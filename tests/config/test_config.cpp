// Config loading: good files resolve every field; every kind of mistake is reported with the
// file, the line and the key, because that is what an operator needs to fix it.
#include <catch2/catch.hpp>

#include "config_errors.hpp"
#include "dropgate/config/config.hpp"
#include "harness.hpp"

using dropgate::config::ConfigError;
using dropgate::config::load;
using dropgate::config::Role;
using dropgate::test::error_of;
using dropgate::test::TempDir;
using dropgate::test::write_file;

namespace {

// A real ed25519 public key, generated once for the suite.
const std::string& test_key() {
    static const std::string key = [] {
        TempDir dir;
        return dropgate::test::make_key_pair(dir / "k");
    }();
    return key;
}

const char* kStore = "[store]\nroot = \"data\"\nmount = \"mnt\"\n";

std::string customer(const std::string& name = "acme") {
    return "[[user]]\nname = \"" + name + "\"\nrole = \"customer\"\nkeys = [\"" + test_key() +
           "\"]\n";
}

}  // namespace

TEST_CASE("a full config loads with every field typed and every path resolved") {
    TempDir dir;
    std::filesystem::create_directory(dir / "keys");
    write_file(dir / "keys/acme.pub", "# acme's laptop\n" + test_key() + "\n\n");
    write_file(dir / "dropgate.toml", R"(
[server]
listen = ["0.0.0.0:2222", "[::]:2223"]
host_key_dir = "keys"
max_sessions = 50
max_sessions_per_user = 3
login_grace_time = "45s"
idle_timeout = "2h"

[store]
root = "/var/lib/dropgate"
mount = "run/store"
accept = ["*.tgz"]
temp_suffixes = [".filepart"]
max_bundle_size = "10GiB"
max_uncompressed_size = "2TiB"
max_compression_ratio = 50
max_members = 1234
resume_window = "2h"

[index]
database = "index/db.sqlite3"

[metrics]
listen = "127.0.0.1:9464"

[[user]]
name = "acme"
role = "customer"
authorized_keys = "keys/acme.pub"
password = "$6$saltsalt$hash"

[[user]]
name = "sam"
role = "support"
keys = [")" + test_key() + R"("]
)");
    auto config = load(dir / "dropgate.toml");
    CHECK(config.source == dir / "dropgate.toml");
    REQUIRE(config.server.listen.size() == 2);
    CHECK(config.server.listen[0].host == "0.0.0.0");
    CHECK(config.server.listen[0].port == 2222);
    CHECK(config.server.listen[1].host == "::");
    CHECK(config.server.listen[1].to_string() == "[::]:2223");
    CHECK(config.server.host_key_dir == dir / "keys");
    CHECK(config.server.max_sessions == 50);
    CHECK(config.server.max_sessions_per_user == 3);
    CHECK(config.server.login_grace_time == std::chrono::seconds(45));
    CHECK(config.server.idle_timeout == std::chrono::hours(2));
    CHECK(config.store.root == "/var/lib/dropgate");
    CHECK(config.store.mount == dir / "run/store");
    CHECK(config.store.accept == std::vector<std::string>{"*.tgz"});
    CHECK(config.store.temp_suffixes == std::vector<std::string>{".filepart"});
    CHECK(config.store.max_bundle_size == 10ull << 30);
    CHECK(config.store.max_uncompressed_size == 2ull << 40);
    CHECK(config.store.max_compression_ratio == 50);
    CHECK(config.store.max_members == 1234);
    CHECK(config.store.resume_window == std::chrono::hours(2));
    CHECK(config.index.database == dir / "index/db.sqlite3");
    REQUIRE(config.metrics.listen);
    CHECK(config.metrics.listen->port == 9464);
    REQUIRE(config.users.size() == 2);
    CHECK(config.users[0].role == Role::customer);
    CHECK(config.users[0].public_keys == std::vector<std::string>{test_key()});
    CHECK(config.users[0].password_hash == "$6$saltsalt$hash");
    CHECK(config.users[1].role == Role::support);
    CHECK(config.customers() == std::vector<std::string>{"acme"});
    CHECK(config.find_user("sam") == &config.users[1]);
    CHECK(config.find_user("nobody") == nullptr);
}

TEST_CASE("a minimal config gets the documented defaults") {
    TempDir dir;
    write_file(dir / "dropgate.toml", std::string(kStore) + customer());
    auto config = load(dir / "dropgate.toml");
    CHECK(config.server.listen.at(0).to_string() == "0.0.0.0:2222");
    CHECK(config.server.host_key_dir == dir / "keys");
    CHECK(config.server.max_sessions == 1000);
    CHECK(config.server.max_sessions_per_user == 20);
    CHECK(config.server.login_grace_time == std::chrono::seconds(30));
    CHECK(config.server.idle_timeout == std::chrono::minutes(15));
    CHECK(config.store.root == dir / "data");
    CHECK(config.store.accept == std::vector<std::string>{"*.tgz", "*.tar.gz"});
    CHECK(config.store.temp_suffixes == std::vector<std::string>{".filepart", ".part"});
    CHECK(config.store.max_bundle_size == 64ull << 30);
    CHECK(config.store.max_uncompressed_size == 1ull << 40);
    CHECK(config.store.max_compression_ratio == 200);
    CHECK(config.store.max_members == 1'000'000);
    CHECK(config.store.resume_window == std::chrono::hours(24));
    CHECK(config.index.database == dir / "data/index.sqlite3");
    CHECK_FALSE(config.metrics.listen);
}

TEST_CASE("every kind of config mistake names the file, the line and the key") {
    TempDir dir;
    const std::string file = (dir / "dropgate.toml").string();
    struct Case {
        const char* what;
        std::string text;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {"bad TOML", "[store\nroot = 1\n", file + ":1: invalid TOML"},
        {"unknown key", std::string(kStore) + "max_member = 3\n" + customer(),
         file + ":4: store.max_member: unknown key (did you mean \"max_members\"?)"},
        {"unknown section", std::string(kStore) + customer() + "[storage]\nroot = \"x\"\n",
         file + ":8: storage: unknown section"},
        {"wrong type", std::string(kStore) + "max_members = \"many\"\n" + customer(),
         file + ":4: store.max_members: expected an integer, got string"},
        {"bad size", std::string(kStore) + "max_bundle_size = \"12 PB\"\n" + customer(),
         file + ":4: store.max_bundle_size: unknown size unit \"PB\""},
        {"bad duration", "[server]\nidle_timeout = \"soon\"\n" + std::string(kStore) + customer(),
         file + ":2: server.idle_timeout: expected a duration"},
        {"bad listen address",
         "[server]\nlisten = \"0.0.0.0\"\n" + std::string(kStore) + customer(),
         file + ":2: server.listen: expected \"host:port\""},
        {"bad role",
         std::string(kStore) + "[[user]]\nname = \"acme\"\nrole = \"admin\"\nkeys = [\"" +
             test_key() + "\"]\n",
         file + ":6: user[0].role: expected \"customer\" or \"support\", got \"admin\""},
        {"duplicate user", std::string(kStore) + customer() + customer(),
         file + ":9: user[1].name: duplicate user \"acme\""},
        {"unsafe customer name", std::string(kStore) + customer("../etc"),
         file + ":5: user[0].name: \"../etc\" is not a safe name"},
        {"missing key file",
         std::string(kStore) + "[[user]]\nname = \"acme\"\nrole = \"customer\"\nauthorized_keys = "
                               "\"keys/none.pub\"\n",
         file + ":7: user[0].authorized_keys: cannot read " + (dir / "keys/none.pub").string()},
        {"bad key text",
         std::string(kStore) + "[[user]]\nname = \"acme\"\nrole = \"customer\"\nkeys = "
                               "[\"ssh-ed25519 AAAAnotakey\"]\n",
         file + ":7: user[0].keys: key 1: not a valid ssh-ed25519 public key"},
        {"key with options",
         std::string(kStore) +
             "[[user]]\nname = \"acme\"\nrole = \"customer\"\nkeys = [\"from=\\\"10.0.0.1\\\" " +
             test_key() + "\"]\n",
         file + ":7: user[0].keys: key 1: \"from=\"10.0.0.1\"\" is not a public key type"},
        {"plain-text password",
         std::string(kStore) +
             "[[user]]\nname = \"acme\"\nrole = \"customer\"\npassword = \"hunter2\"\n",
         file + ":7: user[0].password: expected a crypt(3) hash"},
        {"user without credentials",
         std::string(kStore) + "[[user]]\nname = \"acme\"\nrole = \"customer\"\n",
         file + ":5: user[0].name: user \"acme\" has no way to log in"},
        {"missing store root", "[store]\nmount = \"m\"\n" + customer(),
         file + ":1: store.root: missing"},
        {"mount inside root", "[store]\nroot = \"data\"\nmount = \"data/mnt\"\n" + customer(),
         file + ":3: store.mount: must not be inside root"},
        {"zero limit", std::string(kStore) + "max_compression_ratio = 0\n" + customer(),
         file + ":4: store.max_compression_ratio: must be between 1 and"},
        {"no users", std::string(kStore), file + ": user: no [[user]] defined"},
        {"a token instead of its hash",
         std::string(kStore) + "[[user]]\nname = \"acme\"\nrole = \"customer\"\ntokens = "
                               "[\"dg_abc\"]\n",
         file + ":7: user[0].tokens: expected \"sha256:<64 hex digits>\""},
        {"http without a certificate",
         std::string(kStore) + "[http]\nlisten = \"0.0.0.0:8443\"\n" + customer(),
         file + ":4: http.tls_cert: missing"},
        {"http plain and tls at once",
         std::string(kStore) +
             "[http]\nlisten = \"0.0.0.0:8443\"\nplain = true\ntls_cert = "
             "\"c.pem\"\n" +
             customer(),
         file + ":7: http.tls_cert: set with plain = true"},
        {"quota on a support user",
         std::string(kStore) + "[[user]]\nname = \"help\"\nrole = \"support\"\nkeys = [\"" +
             test_key() + "\"]\nmax_bytes = \"1GiB\"\n",
         file + ":8: user[0].max_bytes: only a customer has a quota"},
        {"unknown quota key", std::string(kStore) + "[quota]\nmax_byte = 3\n" + customer(),
         file + ":5: quota.max_byte: unknown key (did you mean \"max_bytes\"?)"},
        {"bad quota size", std::string(kStore) + "[quota]\nmax_bytes = \"lots\"\n" + customer(),
         file + ":5: quota.max_bytes: "},
        {"zero bundles", std::string(kStore) + "[quota]\nmax_bundles = 0\n" + customer(),
         file + ":5: quota.max_bundles: must be between 1 and"},
        {"allow-list entry not a network",
         std::string(kStore) + "[security]\nallow = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n" +
             customer(),
         file + ":5: security.allow: bad prefix length in \"10.0.0.0/33\" (expected /0 to /32)"},
        {"allow-list entry a host name",
         std::string(kStore) + "[security]\nallow = [\"gateway.example\"]\n" + customer(),
         file + ":5: security.allow: not an IP address or network: \"gateway.example\""},
        {"max_startups not start:rate:full",
         std::string(kStore) + "[security]\nmax_startups = \"10:30\"\n" + customer(),
         file + ":5: security.max_startups: expected \"start:rate:full\""},
        {"max_startups start above full",
         std::string(kStore) + "[security]\nmax_startups = \"50:30:10\"\n" + customer(),
         file + ":5: security.max_startups: needs 0 < start <= full"},
        {"max_ban_time below ban_time",
         std::string(kStore) + "[security]\nban_time = \"2h\"\nmax_ban_time = \"1h\"\n" +
             customer(),
         file + ":6: security.max_ban_time: is shorter than ban_time"},
        {"http plain not a bool",
         std::string(kStore) + "[http]\nlisten = \"0.0.0.0:8443\"\nplain = \"yes\"\n" + customer(),
         file + ":6: http.plain: expected true or false"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        std::string message = error_of(dir, c.text);
        CHECK_THAT(message, Catch::StartsWith(c.expected));
    }
}

TEST_CASE("a bad line in an authorized_keys file names that file and line too") {
    TempDir dir;
    std::filesystem::create_directory(dir / "keys");
    write_file(dir / "keys/acme.pub", test_key() + "\nssh-rsa AAAAB3NzaC1yc2EAAAA garbage\n");
    std::string message = error_of(dir, std::string(kStore) +
                                            "[[user]]\nname = \"acme\"\nrole = "
                                            "\"customer\"\nauthorized_keys = \"keys/acme.pub\"\n");
    CHECK_THAT(message,
               Catch::Contains(":7: user[0].authorized_keys: " + (dir / "keys/acme.pub").string() +
                               ":2: not a valid ssh-rsa"));
}

TEST_CASE("a missing config file is reported by name") {
    TempDir dir;
    CHECK_THROWS_WITH(load(dir / "nope.toml"), Catch::Contains((dir / "nope.toml").string()) &&
                                                   Catch::Contains("no such file"));
}

TEST_CASE("sizes, durations and endpoints parse in the documented forms") {
    using namespace dropgate::config;
    CHECK(parse_size("64GiB") == 64ull << 30);
    CHECK(parse_size("512 MiB") == 512ull << 20);
    CHECK(parse_size("1TiB") == 1ull << 40);
    CHECK(parse_size("4096") == 4096);
    CHECK(parse_size("7KiB") == 7 * 1024);
    CHECK_THROWS_AS(parse_size("GiB"), std::invalid_argument);
    CHECK_THROWS_AS(parse_size("-1GiB"), std::invalid_argument);
    CHECK_THROWS_AS(parse_size("99999999999TiB"), std::invalid_argument);
    CHECK(parse_duration("30s") == std::chrono::seconds(30));
    CHECK(parse_duration("15m") == std::chrono::minutes(15));
    CHECK(parse_duration("2h") == std::chrono::hours(2));
    CHECK(parse_duration("3d") == std::chrono::hours(72));
    CHECK_THROWS_AS(parse_duration("3w"), std::invalid_argument);
    CHECK(parse_endpoint("[::1]:22").host == "::1");
    CHECK(parse_endpoint("127.0.0.1:2222").port == 2222);
    CHECK_THROWS_AS(parse_endpoint("127.0.0.1:0"), std::invalid_argument);
    CHECK_THROWS_AS(parse_endpoint("::1:22"), std::invalid_argument);
    CHECK(is_safe_name("acme-corp.eu_1"));
    CHECK_FALSE(is_safe_name("Acme"));
    CHECK_FALSE(is_safe_name(".."));
    CHECK_FALSE(is_safe_name("a/b"));
    CHECK_FALSE(is_safe_name(""));
}

TEST_CASE("a rendered config loads back to the same values") {
    TempDir dir;
    write_file(dir / "dropgate.toml",
               "[server]\nlisten = [\"[::]:2200\"]\nidle_timeout = \"90s\"\n" +
                   std::string(kStore) + "max_bundle_size = \"1536MiB\"\n[quota]\n" +
                   "max_bundles = 5\nmax_partial_bytes = \"2GiB\"\n" + customer() +
                   "max_bytes = \"3GiB\"\n");
    auto config = load(dir / "dropgate.toml");
    write_file(dir / "rendered.toml", render(config));
    auto again = load(dir / "rendered.toml");
    CHECK(again.server.listen.at(0).to_string() == "[::]:2200");
    CHECK(again.server.idle_timeout == std::chrono::seconds(90));
    CHECK(again.store.root == config.store.root);
    CHECK(again.store.max_bundle_size == 1536ull << 20);
    CHECK(again.index.database == config.index.database);
    CHECK(again.users.at(0).public_keys == config.users.at(0).public_keys);
    CHECK(again.quota.max_bundles == 5u);
    CHECK(again.quota.max_partial_bytes == 2ull << 30);
    CHECK_FALSE(again.quota.max_bytes);
    const auto acme = again.quota_of("acme");
    CHECK(acme.max_bundles == 5u);
    CHECK(acme.max_bytes == 3ull << 30);
}

TEST_CASE("security settings load, render back, and match addresses by network") {
    TempDir dir;
    write_file(dir / "dropgate.toml",
               std::string(kStore) +
                   "[security]\nmax_auth_failures = 4\nwindow = \"5m\"\nban_time = \"90s\"\n"
                   "allow = [\"10.1.0.0/16\", \"2001:db8::/32\", \"192.0.2.7\"]\n"
                   "max_connections_per_address = 7\nmax_startups = \"20\"\n" +
                   customer());
    auto config = load(dir / "dropgate.toml");
    write_file(dir / "rendered.toml", render(config));
    for (const auto& loaded : {config, load(dir / "rendered.toml")}) {
        const auto& security = loaded.security;
        CHECK(security.max_auth_failures == 4u);
        CHECK(security.window == std::chrono::minutes(5));
        CHECK(security.ban_time == std::chrono::seconds(90));
        CHECK(security.max_ban_time == std::chrono::hours(24));
        CHECK(security.max_connections_per_address == 7u);
        CHECK(security.max_startups.to_string() == "20:100:20");
        for (const char* in :
             {"10.1.200.3", "2001:db8:1::5", "[2001:db8::1]", "192.0.2.7", "::ffff:10.1.0.1"})
            CHECK(security.allowed(*dropgate::IpAddress::parse(in)));
        for (const char* out : {"10.2.0.1", "2001:db9::1", "192.0.2.8", "::1", "127.0.0.1"})
            CHECK_FALSE(security.allowed(*dropgate::IpAddress::parse(out)));
    }
    CHECK(dropgate::IpAddress::of_remote("[2001:db8::1]:2222")->to_string() == "2001:db8::1");
    CHECK(dropgate::IpAddress::of_remote("192.0.2.7:50122")->to_string() == "192.0.2.7");
    CHECK_FALSE(dropgate::IpAddress::of_remote("local:pid 12"));
}

TEST_CASE("tokens are stored as hashes and checked against them, passwords by crypt") {
    TempDir dir;
    auto made = dropgate::config::new_token();
    CHECK(made.token.rfind("dg_", 0) == 0);
    CHECK(made.token.size() == 3 + 43);  // 256 bits in base64url
    CHECK(made.hash == dropgate::config::token_hash(made.token));
    CHECK(made.hash.find(made.token) == std::string::npos);
    auto other = dropgate::config::new_token();
    CHECK(other.token != made.token);
    write_file(dir / "dropgate.toml",
               std::string(kStore) +
                   "[http]\nlisten = \"127.0.0.1:8443\"\nplain = true\n"
                   "[[user]]\nname = \"acme\"\nrole = \"customer\"\ntokens = [\"" +
                   made.hash + "\"]\n");
    auto config = load(dir / "dropgate.toml");
    REQUIRE(config.http);
    CHECK(config.http->plain);
    CHECK(dropgate::config::check_token(config, made.token) == &config.users.at(0));
    CHECK(dropgate::config::check_token(config, other.token) == nullptr);
    CHECK(dropgate::config::check_token(config, made.hash) == nullptr);
    CHECK(dropgate::config::check_password(config, "acme", made.token) == nullptr);
    write_file(dir / "rendered.toml", render(config));
    auto again = load(dir / "rendered.toml");
    CHECK(again.users.at(0).token_hashes == config.users.at(0).token_hashes);
    CHECK(again.http->listen.at(0).to_string() == "127.0.0.1:8443");
}

TEST_CASE("a config error is one line even when the file's text holds a line break") {
    TempDir dir;
    const std::string file = (dir / "dropgate.toml").string();
    // toml++ quotes the broken line's end; a TOML string can hold an escaped line break.
    CHECK(error_of(dir, std::string(kStore) + "seek_index = tr\n" + customer()) ==
          file + ":4: invalid TOML: Error while parsing boolean: expected 'true', saw 'tr\\n'");
    CHECK(error_of(dir, std::string(kStore) + "temp_suffixes = [\"x\\ny\"]\n" + customer()) ==
          file + ":4: store.temp_suffixes: \"x\\ny\" must start with a dot, like \".filepart\"");
}
