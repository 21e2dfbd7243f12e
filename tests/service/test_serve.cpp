// The whole service end to end: real `dropgate serve`, real OpenSSH clients, real mounts,
// a real SQLite index. Each test asserts what a customer, a support engineer or an operator sees.
#include <signal.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "service_fixture.hpp"

using namespace dropgate::test;
using namespace std::chrono_literals;

namespace {

std::vector<nlohmann::json> json_lines(const std::string& text) {
    std::vector<nlohmann::json> rows;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
    return rows;
}

const nlohmann::json* find_row(const std::vector<nlohmann::json>& rows, const std::string& path) {
    for (const auto& row : rows)
        if (row.value("path", "") == path) return &row;
    return nullptr;
}

std::string http_get(int port, const std::string& path, int* status = nullptr) {
    auto r =
        sh("curl -s -o - -w '\\n%{http_code}' http://127.0.0.1:" + std::to_string(port) + path);
    auto cut = r.out.rfind('\n');
    if (status) *status = cut == std::string::npos ? 0 : std::atoi(r.out.c_str() + cut + 1);
    return cut == std::string::npos ? r.out : r.out.substr(0, cut);
}

long metric(const std::string& text, const std::string& name) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind(name + " ", 0) == 0) return std::stol(line.substr(name.size() + 1));
    return -1;
}

}  // namespace

TEST_CASE("customer uploads reach support unchanged and invalid ones are refused with a reason") {
    Service service;
    service.start();
    const auto& dir = service.dir();
    std::string good_sha = make_bundle(dir / "good.tgz", 300'000);
    std::string other_sha = make_bundle(dir / "other.tar.gz", 100'000);
    sh("head -c 50000 '" + (dir / "good.tgz").string() + "' > '" + (dir / "cut.tgz").string() +
       "'");
    write_file(dir / "notes.tgz", "these are not the droids\n");

    auto put = service.sftp("acme", "put " + (dir / "good.tgz").string() + " good.tgz\n");
    CHECK(put.exit_code == 0);
    auto cut = service.sftp("acme", "put " + (dir / "cut.tgz").string() + " cut.tgz\n");
    CHECK(cut.exit_code != 0);
    CHECK_THAT(cut.err, Catch::Contains("truncated"));
    auto notes = service.sftp("acme", "put " + (dir / "notes.tgz").string() + " notes.tgz\n");
    CHECK(notes.exit_code != 0);
    CHECK_THAT(notes.err, Catch::Contains("not gzip"));
    auto scp = service.scp_upload("acme", dir / "other.tar.gz", "other.tar.gz");
    CHECK(scp.exit_code == 0);

    // The customer sees exactly the accepted bundles.
    auto listing = service.sftp("acme", "ls -1\n");
    CHECK_THAT(listing.out, Catch::Contains("good.tgz") && Catch::Contains("other.tar.gz"));
    CHECK_THAT(listing.out, !Catch::Contains("cut.tgz") && !Catch::Contains("notes.tgz"));

    // Support over SFTP: every customer's accepted bundles, same bytes.
    std::filesystem::create_directories(dir / "got");
    auto get = service.sftp("help", "get acme/good.tgz " + (dir / "got/good.tgz").string() + "\n");
    REQUIRE(get.exit_code == 0);
    CHECK(sha256_of(dir / "got/good.tgz") == good_sha);

    // Support over the read-only FUSE view.
    std::filesystem::create_directories(dir / "ro");
    auto mount = run({dropgate_bin(), "mount", "-c", service.config_file().string(), "--read-only",
                      (dir / "ro").string()});
    REQUIRE(mount.exit_code == 0);
    CHECK(sha256_of(dir / "ro/acme/good.tgz") == good_sha);
    CHECK(sha256_of(dir / "ro/acme/other.tar.gz") == other_sha);
    CHECK_FALSE(std::filesystem::exists(dir / "ro/acme/cut.tgz"));
    sh("fusermount3 -u '" + (dir / "ro").string() + "'");

    // Support over sshfs with the support role.
    std::filesystem::create_directories(dir / "sshfs");
    auto sshfs =
        sh("sshfs -o ro,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,IdentityFile=" +
           service.key("help").string() + ",port=" + std::to_string(service.ssh_port()) +
           " help@127.0.0.1:/ '" + (dir / "sshfs").string() + "'");
    REQUIRE(sshfs.exit_code == 0);
    CHECK(sha256_of(dir / "sshfs/acme/good.tgz") == good_sha);
    CHECK(sha256_of(dir / "sshfs/acme/other.tar.gz") == other_sha);
    sh("fusermount3 -u '" + (dir / "sshfs").string() + "'");

    // The index: accepted with members, rejected with reasons.
    auto bundles = service.query({"bundles", "--json"});
    REQUIRE(bundles.exit_code == 0);
    auto rows = json_lines(bundles.out);
    const auto* good = find_row(rows, "good.tgz");
    REQUIRE(good);
    CHECK((*good)["status"] == "accepted");
    CHECK((*good)["sha256"] == good_sha);
    const auto* bad = find_row(rows, "cut.tgz");
    REQUIRE(bad);
    CHECK((*bad)["status"] == "rejected");
    CHECK_THAT((*bad)["reason"].get<std::string>(), Catch::Contains("truncated"));
    auto members = service.query({"members", "acme/good.tgz", "--json"});
    REQUIRE(members.exit_code == 0);
    CHECK_THAT(members.out, Catch::Contains("var/log/app.log") && Catch::Contains("core.bin"));

    CHECK(service.stop() == 0);
}

TEST_CASE(
    "kill -9 of serve mid-upload loses nothing: the upload is aborted, earlier bundles intact") {
    Service service;
    service.start();
    const auto& dir = service.dir();
    std::string first_sha = make_bundle(dir / "first.tgz", 100'000);
    REQUIRE(service.sftp("acme", "put " + (dir / "first.tgz").string() + "\n").exit_code == 0);
    make_bundle(dir / "big.tgz", 500u << 20);

    // A slow upload (rate-limited client), killed while data is flowing.
    auto upload = std::thread([&] {
        sh(std::string(
               "sftp -l 80000 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ") +
               "-o BatchMode=yes -i '" + service.key("acme").string() + "' -P " +
               std::to_string(service.ssh_port()) + " -b - acme@127.0.0.1",
           "put " + (dir / "big.tgz").string() + "\n");
    });
    auto staged = [&] {
        std::error_code ec;
        for (const auto& entry :
             std::filesystem::directory_iterator(service.root() / ".staging", ec))
            if (entry.file_size(ec) > (20u << 20)) return true;
        return false;
    };
    auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!staged() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    REQUIRE(staged());
    service.kill9();
    upload.join();

    service.start();
    CHECK_FALSE(std::filesystem::exists(service.mount() / "acme/big.tgz"));
    CHECK_FALSE(std::filesystem::exists(service.root() / "bundles/acme/big.tgz"));
    CHECK(sha256_of(service.mount() / "acme/first.tgz") == first_sha);
    auto rows = json_lines(service.query({"bundles", "--json"}).out);
    const auto* big = find_row(rows, "big.tgz");
    REQUIRE(big);
    CHECK((*big)["status"] == "aborted");
    auto verify = run({dropgate_bin(), "verify", "-c", service.config_file().string()});
    CHECK(verify.exit_code == 0);
    CHECK(service.stop() == 0);
}

TEST_CASE("SIGTERM during an upload lets it finish before the service exits") {
    Service service;
    service.start();
    const auto& dir = service.dir();
    std::string sha = make_bundle(dir / "slow.tgz", 60u << 20);
    RunResult result;
    auto upload = std::thread([&] {
        result = sh(std::string("sftp -l 40000 -o StrictHostKeyChecking=no ") +
                        "-o UserKnownHostsFile=/dev/null -o BatchMode=yes -i '" +
                        service.key("acme").string() + "' -P " +
                        std::to_string(service.ssh_port()) + " -b - acme@127.0.0.1",
                    "put " + (dir / "slow.tgz").string() + "\n");
    });
    std::this_thread::sleep_for(3s);
    int status = service.stop(120s);
    upload.join();
    CHECK(status == 0);
    CHECK(result.exit_code == 0);
    CHECK(sha256_of(service.root() / "bundles/acme/slow.tgz") == sha);
}

TEST_CASE("SIGTERMs repeated while the service stops end every part cleanly") {
    Service service(Service::Options{"", true, "", ""});
    service.start();
    const pid_t serve = service.pid();
    const pid_t http = service.part_pid("http_pid");
    REQUIRE(http > 0);
    // An operator's second `kill`, or a supervisor's, lands while the front end is already
    // finishing: it must not turn a clean stop into a killed part.
    ::kill(serve, SIGTERM);
    for (int i = 0; i < 2000 && ::kill(http, 0) == 0; ++i) {
        ::kill(http, SIGTERM);
        ::kill(serve, SIGTERM);
        std::this_thread::sleep_for(1ms);
    }
    CHECK(service.wait_exit(60s) == 0);
    CHECK_THAT(service.log(),
               Catch::Contains("\"gateway_status\":0,\"store_status\":0,\"http_status\":0"));
}

TEST_CASE(
    "/metrics counters move by the uploads' amounts, --log-level reaches the parts, /healthz "
    "tracks the store") {
    Service service;
    service.start({"--grace-period", "10s", "--log-level", "debug"});
    const auto& dir = service.dir();
    int status = 0;
    CHECK(http_get(service.metrics_port(), "/healthz", &status) == "ok\n");
    CHECK(status == 200);
    std::string before = http_get(service.metrics_port(), "/metrics");

    make_bundle(dir / "ok.tgz", 100'000);
    write_file(dir / "bad.tgz", "plain text\n");
    REQUIRE(service.sftp("acme", "put " + (dir / "ok.tgz").string() + "\n").exit_code == 0);
    REQUIRE(service.sftp("acme", "put " + (dir / "bad.tgz").string() + "\n").exit_code != 0);
    service.sftp("acme", "ls\n");

    std::string after = http_get(service.metrics_port(), "/metrics");
    // serve's --log-level reached the store process: its debug events are in the log.
    CHECK_THAT(service.log(), Catch::Contains("\"event\":\"verdict_timing\""));
    CHECK(metric(after, "dropgate_uploads_total{status=\"accepted\"}") -
              metric(before, "dropgate_uploads_total{status=\"accepted\"}") ==
          1);
    CHECK(metric(after, "dropgate_uploads_total{status=\"rejected\"}") -
              metric(before, "dropgate_uploads_total{status=\"rejected\"}") ==
          1);
    CHECK(metric(after, "dropgate_upload_bytes_total{status=\"accepted\"}") -
              metric(before, "dropgate_upload_bytes_total{status=\"accepted\"}") ==
          static_cast<long>(std::filesystem::file_size(dir / "ok.tgz")));
    CHECK(metric(after, "dropgate_sessions_total") - metric(before, "dropgate_sessions_total") ==
          3);
    // Every byte written once, whether the upload was accepted or refused.
    CHECK(metric(after, "dropgate_bytes_received_total") -
              metric(before, "dropgate_bytes_received_total") ==
          static_cast<long>(std::filesystem::file_size(dir / "ok.tgz") +
                            std::filesystem::file_size(dir / "bad.tgz")));
    CHECK(metric(after, "dropgate_validation_seconds_count") -
              metric(before, "dropgate_validation_seconds_count") ==
          2);

    // An idle session keeps the gateway draining (grace period) after the store dies, so
    // /healthz can be seen reporting the store down before serve exits non-zero.
    auto idle = std::thread([&] {
        sh(std::string(
               "(sleep 8) | sftp -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ") +
           "-o BatchMode=yes -i '" + service.key("acme").string() + "' -P " +
           std::to_string(service.ssh_port()) + " acme@127.0.0.1 >/dev/null 2>&1");
    });
    std::this_thread::sleep_for(1s);
    ::kill(service.part_pid("store_pid"), SIGKILL);
    bool saw_unhealthy = false;
    for (int i = 0; i < 100 && !saw_unhealthy; ++i) {
        std::string body = http_get(service.metrics_port(), "/healthz", &status);
        saw_unhealthy = status == 503 && body.find("store down") != std::string::npos;
        std::this_thread::sleep_for(50ms);
    }
    CHECK(saw_unhealthy);
    CHECK(service.wait_exit(60s) == 1);
    CHECK_THAT(service.log(),
               Catch::Contains("\"service_part_died\"") && Catch::Contains("\"store\""));
    idle.join();
}
