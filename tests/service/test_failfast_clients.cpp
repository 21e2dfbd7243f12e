// Fail fast as customers meet it (spec §4): real clients upload into a real `dropgate serve`;
// content bad from its first bytes is refused while it arrives — the client stops, learns why,
// and the store takes in a few MiB of it, not the whole file. A refusal that can only come at
// close (truncation) still reaches every client that reports a failed close. docs/customer.md
// lists what each client shows.
#include <catch2/catch.hpp>
#include <filesystem>

#include "service_fixture.hpp"

using namespace dropgate::test;

namespace {

constexpr const char* kReason = "not gzip (bad magic 00 00 00 00)";

// 256 MiB of zeros, sparse on disk: refused at byte 0.
std::filesystem::path zeros(const Service& service) {
    auto file = service.dir() / "zeros.tgz";
    REQUIRE(sh("truncate -s 256M '" + file.string() + "'").exit_code == 0);
    return file;
}

std::uint64_t received(const Service& service, const std::string& path) {
    auto rows = service.query({"bundles", "--status", "rejected", "--json"});
    auto at = rows.out.find("\"path\":\"" + path + "\"");
    REQUIRE(at != std::string::npos);
    auto bytes = rows.out.rfind("\"bytes\":", at);
    REQUIRE(bytes != std::string::npos);
    return std::stoull(rows.out.substr(bytes + 8));
}

std::string ssh_client_options(const Service& service, const std::string& user) {
    return "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes "
           "-o LogLevel=ERROR -i '" +
           service.key(user).string() + "'";
}

}  // namespace

TEST_CASE("OpenSSH sftp and scp stop at the first bad bytes and print the reason") {
    Service service;
    service.start();
    auto file = zeros(service);
    auto put = service.sftp("acme", "put " + file.string() + " zeros.tgz\n");
    CHECK(put.exit_code == 1);
    CHECK_THAT(put.err, Catch::Contains(std::string("dropgate: /zeros.tgz refused: ") + kReason));
    CHECK(received(service, "zeros.tgz") <= (8u << 20));

    auto scp = service.scp_upload("acme", file, "scp.tgz");
    CHECK(scp.exit_code == 1);
    CHECK_THAT(scp.err, Catch::Contains(std::string("refused: ") + kReason));
    CHECK(received(service, "scp.tgz") <= (8u << 20));
    CHECK_FALSE(std::filesystem::exists(service.root() / "bundles/acme/zeros.tgz"));
    CHECK_FALSE(std::filesystem::exists(service.root() / "bundles/acme/scp.tgz"));
}

TEST_CASE(
    "curl -T over SFTP exits non-zero on an early refusal, lftp and paramiko see the reason") {
    Service service;
    service.start();
    auto file = zeros(service);
    const std::string port = std::to_string(service.ssh_port());
    const std::string key = service.key("acme").string();
    auto curl = sh("curl -sS --insecure -u acme: --key '" + key + "' --pubkey '" + key +
                   ".pub' -T '" + file.string() + "' sftp://127.0.0.1:" + port + "/curl.tgz");
    CHECK(curl.exit_code != 0);  // curl ignores a failed CLOSE: fail fast is what tells it
    CHECK(received(service, "curl.tgz") <= (8u << 20));

    auto lftp = sh("lftp -u acme, -e \"set sftp:connect-program 'ssh -a -x " +
                   ssh_client_options(service, "acme") + "'; put '" + file.string() +
                   "' -o lftp.tgz; bye\" sftp://127.0.0.1:" + port);
    CHECK(lftp.exit_code != 0);
    CHECK_THAT(lftp.err, Catch::Contains(kReason));

    auto paramiko = run({"/usr/bin/python3", "-c", R"(
import sys, paramiko
t = paramiko.Transport(("127.0.0.1", int(sys.argv[1])))
t.connect(username="acme", pkey=paramiko.Ed25519Key.from_private_key_file(sys.argv[2]))
try:
    paramiko.SFTPClient.from_transport(t).put(sys.argv[3], "paramiko.tgz")
    print("accepted")
except OSError as e:
    print("refused:", e)
)",
                         port, key, file.string()});
    CHECK(paramiko.out == std::string("refused: /paramiko.tgz refused: ") + kReason + "\n");
    CHECK(received(service, "paramiko.tgz") <= (8u << 20));
    CHECK(service.query({"bundles", "--status", "accepted"}).out.find(".tgz") == std::string::npos);
}

TEST_CASE("a truncated upload is refused at close: sftp exits 1, curl cannot tell") {
    Service service;
    service.start();
    std::string sha = make_bundle(service.dir() / "whole.tgz", 2'000'000);
    auto cut = service.dir() / "cut.tgz";
    REQUIRE(sh("head -c 500000 '" + (service.dir() / "whole.tgz").string() + "' > '" +
               cut.string() + "'")
                .exit_code == 0);
    auto put = service.sftp("acme", "put " + cut.string() + " cut.tgz\n");
    CHECK(put.exit_code == 1);
    CHECK_THAT(put.err, Catch::Contains("refused: truncated: gzip stream ends at byte 500000"));
    const std::string key = service.key("acme").string();
    auto curl = sh("curl -sS --insecure -u acme: --key '" + key + "' --pubkey '" + key +
                   ".pub' -T '" + cut.string() +
                   "' sftp://127.0.0.1:" + std::to_string(service.ssh_port()) + "/curl-cut.tgz");
    CHECK(curl.exit_code == 0);  // documented in docs/customer.md: check with `ls` afterwards
    auto rows = service.query({"bundles", "--status", "rejected"});
    CHECK_THAT(rows.out, Catch::Contains("curl-cut.tgz") && Catch::Contains("truncated"));
}
