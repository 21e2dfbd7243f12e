// The CLI frame as a user meets it: init, check, passwd, --help/--version and exit codes.
#include <crypt.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "harness.hpp"

using dropgate::test::dropgate_bin;
using dropgate::test::read_file;
using dropgate::test::run;
using dropgate::test::TempDir;

TEST_CASE("init writes a setup that check accepts, with private keys readable only by the owner") {
    TempDir dir;
    auto init = run({dropgate_bin(), "init", (dir / "demo").string()});
    REQUIRE(init.exit_code == 0);
    CHECK_THAT(init.out,
               Catch::Contains(
                   "sftp -P 2222 -o UserKnownHostsFile=" + (dir / "demo/known_hosts").string() +
                   " -i " + (dir / "demo/keys/acme_ed25519").string() + " acme@localhost"));
    // The host key's fingerprint, as OpenSSH shows it, and a known_hosts line with the key.
    auto listed = run({"ssh-keygen", "-lf", (dir / "demo/keys/ssh_host_ed25519_key.pub").string()});
    REQUIRE(listed.exit_code == 0);
    const std::string fingerprint = listed.out.substr(4, listed.out.find(' ', 4) - 4);
    CHECK_THAT(init.out, Catch::Contains("host key:  " + fingerprint));
    auto found =
        run({"ssh-keygen", "-F", "[localhost]:2222", "-f", (dir / "demo/known_hosts").string()});
    CHECK(found.exit_code == 0);

    auto check = run({dropgate_bin(), "check", "-c", (dir / "demo/dropgate.toml").string()});
    CHECK(check.exit_code == 0);
    CHECK_THAT(check.out, Catch::Contains("root = '" + (dir / "demo/data").string() + "'"));
    CHECK_THAT(check.out, Catch::Contains("name = 'acme'"));
    CHECK_THAT(check.out, Catch::Contains("role = 'support'"));

    for (const char* key : {"ssh_host_ed25519_key", "acme_ed25519", "support_ed25519"}) {
        struct stat st {};
        REQUIRE(stat((dir / "demo/keys" / key).c_str(), &st) == 0);
        INFO(key);
        CHECK((st.st_mode & 07777) == 0600);
    }
    // OpenSSH can use the generated private key: it derives the same public key.
    auto derived = run({"ssh-keygen", "-y", "-f", (dir / "demo/keys/acme_ed25519").string()});
    REQUIRE(derived.exit_code == 0);
    CHECK_THAT(read_file(dir / "demo/keys/acme_ed25519.pub"),
               Catch::StartsWith(derived.out.substr(0, 80)));
}

TEST_CASE("init refuses to overwrite an existing setup") {
    TempDir dir;
    REQUIRE(run({dropgate_bin(), "init", (dir / "demo").string()}).exit_code == 0);
    std::string before = read_file(dir / "demo/keys/ssh_host_ed25519_key");
    auto again = run({dropgate_bin(), "init", (dir / "demo").string()});
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.err, Catch::Contains("already exists"));
    CHECK(read_file(dir / "demo/keys/ssh_host_ed25519_key") == before);
}

TEST_CASE("passwd prints a SHA-512 crypt hash that verifies the password and nothing else") {
    auto result = run({dropgate_bin(), "passwd"}, "correct horse battery\n");
    REQUIRE(result.exit_code == 0);
    std::string hash = result.out.substr(0, result.out.find('\n'));
    CHECK_THAT(hash, Catch::StartsWith("$6$"));
    crypt_data data{};
    CHECK(std::string(crypt_rn("correct horse battery", hash.c_str(), &data, sizeof data)) == hash);
    crypt_data other{};
    CHECK(std::string(crypt_rn("wrong horse", hash.c_str(), &other, sizeof other)) != hash);

    auto second = run({dropgate_bin(), "passwd"}, "correct horse battery\n");
    CHECK(second.out != result.out);  // fresh salt every time
}

TEST_CASE("passwd refuses an empty password") {
    auto result = run({dropgate_bin(), "passwd"}, "\n");
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains("empty password"));
}

TEST_CASE("a bad config makes check exit 1 with one line naming file, line and key") {
    TempDir dir;
    dropgate::test::write_file(dir / "bad.toml",
                               "[store]\nroot = \"r\"\nmount = \"m\"\nmax_members = -5\n");
    auto result = run({dropgate_bin(), "check", "-c", (dir / "bad.toml").string()});
    CHECK(result.exit_code == 1);
    CHECK(result.err == "dropgate: " + (dir / "bad.toml").string() +
                            ":4: store.max_members: must be between 1 and 1000000000, got -5\n");
    CHECK(result.out.empty());
}

TEST_CASE("--help and --version exit 0, a missing subcommand or option exits 1") {
    auto help = run({dropgate_bin(), "--help"});
    CHECK(help.exit_code == 0);
    for (const char* sub : {"init", "passwd", "check", "validate", "query", "verify", "store",
                            "mount", "gateway", "serve"}) {
        INFO(sub);
        CHECK_THAT(help.out, Catch::Contains(sub));
        CHECK(run({dropgate_bin(), sub, "--help"}).exit_code == 0);
    }
    auto version = run({dropgate_bin(), "--version"});
    CHECK(version.exit_code == 0);
    CHECK_THAT(version.out, Catch::StartsWith("dropgate "));
    CHECK(run({dropgate_bin()}).exit_code == 1);
    CHECK(run({dropgate_bin(), "check"}).exit_code == 1);
    CHECK(run({dropgate_bin(), "no-such-command"}).exit_code == 1);
}

TEST_CASE("the read-only commands say the index is missing, in one line, exit 1") {
    TempDir dir;
    REQUIRE(run({dropgate_bin(), "init", (dir / "demo").string()}).exit_code == 0);
    const std::string config = (dir / "demo/dropgate.toml").string();
    for (std::vector<std::string> command :
         {std::vector<std::string>{"query", "-c", config, "bundles"},
          {"ls", "-c", config, "acme/x.tgz"},
          {"cat", "-c", config, "acme/x.tgz", "a"},
          {"reindex", "-c", config}}) {
        command.insert(command.begin(), dropgate_bin());
        auto r = run(command);
        INFO(command[1]);
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err,
                   Catch::StartsWith("dropgate: index database ") &&
                       Catch::Contains("does not exist (it is created when the store starts)"));
    }
}
