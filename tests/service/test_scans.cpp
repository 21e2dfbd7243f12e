// Scans of the running service as an auditor runs them (issue 18, item 8): Debian's ssh-audit
// against the SFTP gateway, `openssl s_client` against the HTTPS front end. docs/operations.md
// ("Scans") states the results and every warning kept.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "service_fixture.hpp"

using namespace dropgate::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// One handshake with `openssl s_client`: its exit code and everything it printed.
RunResult handshake(const Service& service, const std::string& options) {
    return sh(
        "timeout 20 openssl s_client -connect 127.0.0.1:" + std::to_string(service.http_port()) +
        " -servername localhost " + options + " </dev/null 2>&1");
}

// "ECDHE-RSA-AES128-GCM-SHA256" from s_client's "New, TLSv1.2, Cipher is ..." line, or "".
std::string negotiated(const RunResult& result) {
    for (const auto& line : lines_of(result.out)) {
        auto at = line.find(", Cipher is ");
        if (line.rfind("New, ", 0) == 0 && at != std::string::npos) {
            std::string cipher = line.substr(at + 12);
            return cipher == "(NONE)" ? "" : cipher;
        }
    }
    return "";
}

// Every TLS 1.2 suite this OpenSSL knows (security level 0: the weak ones too).
std::vector<std::string> tls12_suites() {
    auto listed = sh("openssl ciphers -s -tls1_2 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'");
    REQUIRE(listed.exit_code == 0);
    std::vector<std::string> suites;
    std::istringstream in(listed.out);
    for (std::string suite; std::getline(in, suite, ':');) {
        while (!suite.empty() && suite.back() == '\n') suite.pop_back();
        if (suite.rfind("TLS_", 0) != 0) suites.push_back(suite);  // TLS_*: the 1.3 names
    }
    return suites;
}

}  // namespace

TEST_CASE(
    "ssh-audit finds no failure in the gateway and only the warnings docs/operations.md keeps") {
    Service service;
    service.start();
    auto audit =
        run({"ssh-audit", "-b", "-n", "-p", std::to_string(service.ssh_port()), "127.0.0.1"});
    INFO(audit.out << audit.err);
    // It scanned: the banner and the algorithm lists are there.
    REQUIRE_THAT(audit.out, Catch::Contains("(gen) banner: SSH-2.0-dropgate"));
    REQUIRE_THAT(audit.out, Catch::Contains("(kex) curve25519-sha256 "));
    REQUIRE_THAT(audit.out, Catch::Contains("(key) ssh-ed25519 "));
    REQUIRE_THAT(audit.out, Catch::Contains("(enc) "));
    REQUIRE_THAT(audit.out, Catch::Contains("(mac) "));
    // What docs/operations.md ("Scans") keeps, and why: ssh-audit 2.5 (Debian 12) does not know
    // OpenSSH's strict key exchange marker (the Terrapin countermeasure) that libssh announces;
    // the plain SHA-2 MACs are there for libssh2 1.10 (curl's sftp://), which has no ETM MAC.
    const std::set<std::string> kept = {
        "(kex) kex-strict-s-v00@openssh.com -- [warn] unknown algorithm",
        "(mac) hmac-sha2-256 -- [warn] using encrypt-and-MAC mode",
        "(mac) hmac-sha2-512 -- [warn] using encrypt-and-MAC mode",
        "(rec) -hmac-sha2-256-- mac algorithm to remove ",
        "(rec) -hmac-sha2-512-- mac algorithm to remove "};
    for (const auto& line : lines_of(audit.out)) {
        INFO(line);
        CHECK(line.find("[fail]") == std::string::npos);
        // Warnings, and recommendations (algorithms ssh-audit would remove or add).
        if (line.find("[warn]") != std::string::npos || line.rfind("(rec) ", 0) == 0)
            CHECK(kept.count(line) == 1);
    }
}

TEST_CASE("HTTPS refuses TLS 1.0 and 1.1, offers TLS 1.2 only with ECDHE suites, and TLS 1.3") {
    Service::Options options;
    options.http = true;
    Service service(options);
    // An RSA certificate, as most operators have: with it a static-RSA suite (no forward
    // secrecy) could be negotiated at all. The demo's ECDSA one is checked too.
    const bool rsa = GENERATE(true, false);
    if (rsa) {
        auto made = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                         "/CN=localhost", "-days", "2", "-keyout",
                         (service.dir() / "init/keys/http_key.pem").string(), "-out",
                         service.http_cert().string()});
        REQUIRE(made.exit_code == 0);
    }
    service.start();
    INFO((rsa ? "RSA" : "ECDSA") << " certificate");

    for (const char* old : {"-tls1", "-tls1_1"}) {
        // Security level 0: this client would speak them; the server's alert is the refusal.
        auto refused = handshake(service, std::string(old) + " -cipher 'DEFAULT:@SECLEVEL=0'");
        INFO(old << "\n" << refused.out);
        CHECK(refused.exit_code != 0);
        CHECK_THAT(refused.out, Catch::Contains("alert protocol version"));
    }

    auto static_rsa = handshake(service, "-tls1_2 -cipher AES256-GCM-SHA384");
    INFO(static_rsa.out);
    CHECK(static_rsa.exit_code != 0);
    CHECK(negotiated(static_rsa).empty());

    // Every TLS 1.2 suite offered alone: only ECDHE ones are taken, and some are.
    std::vector<std::string> taken;
    for (const auto& suite : tls12_suites()) {
        auto tried = handshake(service, "-tls1_2 -cipher '" + suite + ":@SECLEVEL=0'");
        if (negotiated(tried).empty()) continue;
        taken.push_back(suite);
        INFO(suite);
        CHECK(suite.rfind("ECDHE-", 0) == 0);
        CHECK_THAT(tried.out, Catch::Contains("Protocol  : TLSv1.2"));
    }
    CHECK(taken.size() >= 3);
    const std::string ecdhe_gcm =
        rsa ? "ECDHE-RSA-AES128-GCM-SHA256" : "ECDHE-ECDSA-AES128-GCM-SHA256";
    CHECK(std::find(taken.begin(), taken.end(), ecdhe_gcm) != taken.end());

    auto tls13 = handshake(service, "-tls1_3");
    INFO(tls13.out);
    CHECK(tls13.exit_code == 0);
    CHECK_THAT(tls13.out, Catch::Contains("New, TLSv1.3, Cipher is TLS_"));
}
