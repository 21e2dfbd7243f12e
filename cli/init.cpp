// `dropgate init DIR`: a working example setup — commented config, host key (and a known_hosts
// file with it), a demo customer and a support user with fresh key pairs, store and index
// folders — so a new user uploads a minute later. Never overwrites anything.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "command.hpp"
#include "dropgate/base/ssh_keys.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/http/self_signed.hpp"

namespace dropgate::cli {

namespace {

constexpr const char* kExampleConfig =
    R"(# dropgate configuration (TOML). Relative paths resolve against this file's folder.
# Check it with:  dropgate check -c dropgate.toml

[server]
# Addresses the SFTP gateway listens on; several allowed, IPv6 as "[::]:2222".
# The demo listens on loopback only; use "0.0.0.0:2222" to accept customers from outside.
listen = ["127.0.0.1:2222"]
host_key_dir = "keys"            # ssh_host_ed25519_key lives here (generated if missing, mode 0600)
max_sessions = 1000
max_sessions_per_user = 20
login_grace_time = "30s"         # time to authenticate
idle_timeout = "15m"             # an SFTP session with no request for this long is closed

[store]
root = "data"                    # backing directory: data/bundles/<customer>/..., data/.staging/
mount = "store"                  # the read-write FUSE mount the gateway writes through
accept = ["*.tgz", "*.tar.gz"]   # names a bundle may have
temp_suffixes = [".filepart", ".part"]   # upload-then-rename clients (WinSCP, FileZilla)
max_bundle_size = "64GiB"
max_uncompressed_size = "1TiB"
max_compression_ratio = 200      # refuse "zip bombs": output above this x input, plus 1 GiB
max_members = 1000000            # tar members per bundle
resume_window = "24h"            # an interrupted upload is kept this long to be resumed
seek_index = true                # index each bundle in the background for <bundle>.d/, cat, grep

[index]
database = "data/index.sqlite3" # SQLite index of every upload and member (docs/index-schema.md)

[metrics]
listen = "127.0.0.1:9464"        # Prometheus /metrics and /healthz; remove the section to disable

[http]
# The HTTPS front end: PUT /upload/<name>, tus uploads at /files/, the web page at /.
# init made a self-signed certificate for localhost; put a real one here for customers.
listen = ["127.0.0.1:8443"]
tls_cert = "keys/http_cert.pem"
tls_key = "keys/http_key.pem"
# plain = true                     # plain HTTP instead (no tls_cert/tls_key): behind a TLS proxy only

# Copy every accepted bundle to S3-compatible object storage (docs/operations.md), and free
# local disk once a copy is confirmed; uncomment and fill in to use.
# [replicate]
# endpoint = "https://s3.eu-west-1.amazonaws.com"
# bucket = "my-diagnostics"
# region = "eu-west-1"
# prefix = "site1/"
# credentials_file = "keys/s3.toml"  # access_key_id = "...", secret_access_key = "..." (chmod 600)
# rate = "40Mbit/s"                  # or a timetable: "08:00,40Mbit/s 19:00,off"
# [retention]
# keep_local = "7d"                  # local copy kept this long after it is safely stored remotely

# What each customer may keep (accepted bundles + uploads in progress); a [[user]] may set its
# own max_bytes / max_bundles. Uncomment to use.
# [quota]
# max_bytes = "500GiB"
# max_bundles = 10000
# max_partial_bytes = "50GiB"   # unfinished uploads (in progress or partial) together

# Both doors ban an address after failed logins and limit connections; these are the defaults.
# [security]
# max_auth_failures = 5         # within window; 0 = no bans
# window = "10m"
# ban_time = "10m"              # doubled at each repeat, up to max_ban_time
# max_ban_time = "24h"
# allow = ["10.0.0.0/8"]        # never banned, no per-address limit
# max_connections_per_address = 100
# max_startups = "10:30:100"    # random early drop of connections not logged in (as OpenSSH)

# One [[user]] per account. role = "customer" uploads into its own folder;
# role = "support" sees every customer's bundles, read-only.
[[user]]
name = "acme"
role = "customer"
authorized_keys = "keys/acme_ed25519.pub"   # OpenSSH format, one key per line
tokens = ["@ACME_TOKEN_HASH@"]   # HTTP API tokens, hashed: `dropgate token acme` makes one
# keys = ["ssh-ed25519 AAAA... laptop"]     # or inline
# password = "$6$..."                        # optional: output of `dropgate passwd`

[[user]]
name = "support"
role = "support"
authorized_keys = "keys/support_ed25519.pub"
)";

// One line per name a client may use for the demo server ("[localhost]:2222", …).
void write_known_hosts(const std::filesystem::path& file, std::uint16_t port,
                       const std::string& host_public_key) {
    const std::string key = host_public_key.substr(0, host_public_key.rfind(' '));  // no comment
    std::ofstream out(file, std::ios::trunc);
    const std::string p = std::to_string(port);
    out << "[localhost]:" << p << ",[127.0.0.1]:" << p << ",[::1]:" << p << " " << key << "\n";
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

void make_directory(const std::filesystem::path& dir, mode_t mode) {
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), mode);
}

}  // namespace

void add_init(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "init", "Write a working example setup (config, host key, demo users) into DIR");
    auto dir = std::make_shared<std::string>();
    cmd->add_option("DIR", *dir, "Folder to create the setup in")->required();
    cmd->callback([dir] {
        const std::filesystem::path root = std::filesystem::absolute(*dir).lexically_normal();
        const std::filesystem::path config_file = root / "dropgate.toml";
        const std::filesystem::path keys = root / "keys";
        for (const auto& existing :
             {config_file, keys / "ssh_host_ed25519_key", keys / "acme_ed25519",
              keys / "support_ed25519", root / "known_hosts", keys / "http_cert.pem",
              keys / "http_key.pem", keys / "acme.token"}) {
            if (std::filesystem::exists(existing))
                throw UserError(existing.string() +
                                " already exists; init never overwrites (choose another DIR)");
        }
        make_directory(root, 0755);
        make_directory(keys, 0700);
        make_directory(root / "data", 0750);
        make_directory(root / "store", 0755);

        const std::string host_key =
            generate_ed25519_key(keys / "ssh_host_ed25519_key", "dropgate-host");
        generate_ed25519_key(keys / "acme_ed25519", "acme@dropgate-demo");
        generate_ed25519_key(keys / "support_ed25519", "support@dropgate-demo");
        http::write_self_signed(keys / "http_cert.pem", keys / "http_key.pem");
        // The demo customer's API token: its hash goes into the config, the token into a file
        // only root reads, so the README's curl line works as typed.
        const auto token = config::new_token();
        {
            std::ofstream out(keys / "acme.token", std::ios::trunc);
            out << token.token << "\n";
            if (!out) throw std::runtime_error("cannot write " + (keys / "acme.token").string());
            ::chmod((keys / "acme.token").c_str(), 0600);
        }
        {
            std::string text = kExampleConfig;
            const std::string marker = "@ACME_TOKEN_HASH@";
            text.replace(text.find(marker), marker.size(), token.hash);
            std::ofstream out(config_file, std::ios::trunc);
            out << text;
            if (!out) throw std::runtime_error("cannot write " + config_file.string());
        }
        const auto config = config::load(config_file);  // what init writes must load
        // The clients below need the server's host key before they will talk to it: known_hosts
        // holds it for every name the demo listens under, so the commands work as typed.
        const auto known_hosts = root / "known_hosts";
        write_known_hosts(known_hosts, config.server.listen.front().port, host_key);

        const std::string port = std::to_string(config.server.listen.front().port);
        const std::string client = "sftp -P " + port +
                                   " -o UserKnownHostsFile=" + known_hosts.string() + " -i " +
                                   keys.string();
        std::cout << "Created a dropgate setup in " << root.string() << "\n"
                  << "  config:    " << config_file.string() << "\n"
                  << "  host key:  " << fingerprint_sha256(host_key) << " (in "
                  << known_hosts.string() << ")\n"
                  << "  start:     dropgate serve -c " << config_file.string() << "\n"
                  << "  upload:    " << client << "/acme_ed25519 acme@localhost\n"
                  << "  support:   " << client << "/support_ed25519 support@localhost\n"
                  << "  https:     curl --cacert " << (keys / "http_cert.pem").string()
                  << " -H \"Authorization: Bearer $(cat " << (keys / "acme.token").string()
                  << ")\" -T bundle.tgz https://localhost:" << config.http->listen.front().port
                  << "/upload/bundle.tgz\n"
                  << "  web page:  https://localhost:" << config.http->listen.front().port
                  << "/ (log in as acme with the token in " << (keys / "acme.token").string()
                  << ")\n";
    });
}

}  // namespace dropgate::cli
