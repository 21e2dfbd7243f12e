// Bans after failed logins, attacked from outside: real OpenSSH and curl clients on other
// loopback addresses (127.0.0.2 and up; the fixture exempts 127.0.0.1) against the real service.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <thread>

#include "guard_helpers.hpp"

using namespace dropgate::test;

namespace {

const std::string kStrictBans =
    "[security]\nmax_auth_failures = 3\nwindow = \"10m\"\nban_time = \"10m\"\n";

}  // namespace

TEST_CASE("failed logins over SFTP ban the address at both doors until unban lifts it") {
    Service service(Service::Options{"", true, "", kStrictBans});
    service.start();
    const auto stranger = service.dir() / "stranger";
    make_key_pair(stranger, "stranger");
    for (int i = 0; i < 3; ++i) {
        auto wrong = sftp_from(service, "127.0.0.2", "acme", stranger);
        INFO(wrong.err);
        CHECK(wrong.exit_code != 0);
        CHECK_THAT(wrong.err, Catch::Contains("Permission denied"));
    }
    // The right key from the banned address: closed before SSH starts.
    auto refused = sftp_from(service, "127.0.0.2", "acme", service.key("acme"));
    INFO(refused.err << service.log());
    CHECK(refused.exit_code != 0);
    CHECK_THAT(refused.err, !Catch::Contains("Permission denied"));
    CHECK(https_status_from(service, "127.0.0.2", "/api/uploads") == 0);  // no TLS either
    // Everyone else is served.
    CHECK(service.sftp("acme", "ls\n").exit_code == 0);
    CHECK(https_status_from(service, "127.0.0.1", "/api/uploads") == 200);

    auto bans = query_bans(service);
    REQUIRE(bans.size() == 1);
    CHECK(bans[0]["address"] == "127.0.0.2");
    CHECK(bans[0]["door"] == "sftp");
    CHECK(bans[0]["user"] == "acme");
    CHECK(bans[0]["failures"] == 3);
    CHECK(bans[0]["repeats"] == 1);
    CHECK(bans[0]["reason"] == "3 failed logins within 10m");
    CHECK(service.metric("dropgate_bans_total{door=\"sftp\"}") == 1);
    CHECK(service.metric("dropgate_connections_refused_total{door=\"sftp\",kind=\"banned\"}") >= 1);
    CHECK(service.metric("dropgate_connections_refused_total{door=\"http\",kind=\"banned\"}") >= 1);
    CHECK_THAT(service.log(), Catch::Contains("\"event\":\"ban\",\"door\":\"sftp\","
                                              "\"address\":\"127.0.0.2\""));

    auto unban = sh(dropgate_bin() + " unban -c " + service.config_file().string() + " 127.0.0.2");
    CHECK(unban.out == "unbanned 127.0.0.2\n");
    bool back = false;
    for (int i = 0; i < 50 && !back; ++i) {
        back = sftp_from(service, "127.0.0.2", "acme", service.key("acme")).exit_code == 0;
        if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    CHECK(back);
    auto again = sh(dropgate_bin() + " unban -c " + service.config_file().string() + " 127.0.0.2");
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.err, Catch::Contains("127.0.0.2 is not banned"));
}

TEST_CASE("a repeat ban lasts twice as long as the one before it") {
    Service service(Service::Options{
        "", false, "",
        "[security]\nmax_auth_failures = 2\nban_time = \"2s\"\nmax_ban_time = \"1h\"\n"});
    service.start();
    const auto stranger = service.dir() / "stranger";
    make_key_pair(stranger, "stranger");
    for (int round = 1; round <= 2; ++round) {
        // Wait out the previous ban (the gateway lets the address in again), then fail twice.
        bool in = round == 1;
        for (int i = 0; i < 100 && !in; ++i) {
            in = sftp_from(service, "127.0.0.3", "acme", service.key("acme")).exit_code == 0;
            if (!in) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        REQUIRE(in);
        for (int i = 0; i < 2; ++i) sftp_from(service, "127.0.0.3", "acme", stranger);
        auto bans = query_bans(service);
        REQUIRE(bans.size() == 1);
        INFO(bans[0].dump());
        CHECK(bans[0]["repeats"] == round);
        CHECK(seconds_between(bans[0]["banned_at"], bans[0]["banned_until"]) == 2 * round);
    }
}

TEST_CASE("wrong tokens over HTTPS ban the address on its open connection and at the gateway") {
    Service service(Service::Options{"", true, "", kStrictBans});
    service.start();
    // Five requests on one keep-alive connection: three failures, then the ban ends it.
    const std::string url = service.http_url() + "/api/uploads";
    std::string urls;
    for (int i = 0; i < 5; ++i) urls += " -o /dev/null " + url;
    auto five = sh("curl -s --cacert '" + service.http_cert().string() +
                   "' --interface 127.0.0.4 -H 'Authorization: Bearer dg_wrong' -w "
                   "'%{http_code}\\n'" + urls);
    INFO(five.out << service.log());
    CHECK(five.out.starts_with("401\n401\n401\n403\n000\n"));
    // The gateway learns of the ban from the index within a second or so.
    bool refused = false;
    for (int i = 0; i < 50 && !refused; ++i) {
        auto tried = sftp_from(service, "127.0.0.4", "acme", service.key("acme"));
        refused = tried.exit_code != 0;
        if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    CHECK(refused);
    auto bans = query_bans(service);
    REQUIRE(bans.size() == 1);
    CHECK(bans[0]["door"] == "http");
    CHECK(service.metric("dropgate_bans_total{door=\"http\"}") == 1);

    // A restart keeps the ban.
    service.stop();
    service.start();
    CHECK(https_status_from(service, "127.0.0.4", "/api/uploads") == 0);
    CHECK(sftp_from(service, "127.0.0.4", "acme", service.key("acme")).exit_code != 0);
    CHECK(https_status_from(service, "127.0.0.1", "/api/uploads") == 200);
}

TEST_CASE("an allow-listed network is never banned") {
    Service service(Service::Options{
        "", true, "", "[security]\nmax_auth_failures = 2\nallow = [\"127.0.0.5/32\", \"::1\"]\n"});
    service.start();
    const auto stranger = service.dir() / "stranger";
    make_key_pair(stranger, "stranger");
    for (int i = 0; i < 4; ++i)
        CHECK(sftp_from(service, "127.0.0.5", "acme", stranger).exit_code != 0);
    auto wrong = sh("curl -s --cacert '" + service.http_cert().string() +
                    "' --interface 127.0.0.5 -H 'Authorization: Bearer dg_wrong' -o /dev/null -w "
                    "'%{http_code}' " +
                    service.http_url() + "/api/uploads");
    CHECK(wrong.out == "401");
    CHECK(sftp_from(service, "127.0.0.5", "acme", service.key("acme")).exit_code == 0);
    CHECK(query_bans(service).empty());
}

TEST_CASE("fail2ban's filter from packaging finds every failed login of both doors") {
    Service service(Service::Options{"", true, "", "[security]\nmax_auth_failures = 0\n"});
    service.start();
    const auto stranger = service.dir() / "stranger";
    make_key_pair(stranger, "stranger");
    CHECK(sftp_from(service, "127.0.0.6", "acme", stranger).exit_code != 0);
    CHECK(https_status_from(service, "127.0.0.7", "/api/uploads", "dg_wrong") == 401);
    auto login = sh("curl -s --cacert '" + service.http_cert().string() +
                    "' --interface 127.0.0.8 -o /dev/null -w '%{http_code}' -d user=acme -d "
                    "password=nope " +
                    service.http_url() + "/login");
    CHECK(login.out == "401");
    const auto log_file = service.dir() / "serve.log";
    const auto filter = tests_dir().parent_path() / "packaging/fail2ban/filter.d/dropgate.conf";
    auto found = sh("fail2ban-regex --print-all-matched '" + log_file.string() + "' '" +
                    filter.string() + "'");
    INFO(found.out << found.err);
    REQUIRE(found.exit_code == 0);
    CHECK_THAT(found.out, Catch::Contains("Failregex: 3 total"));
    for (const char* host : {"127.0.0.6", "127.0.0.7", "127.0.0.8"})
        CHECK_THAT(found.out, Catch::Contains(std::string("\"remote\":\"") + host + ":"));
    CHECK_THAT(found.out, Catch::Contains("Date template hits"));
}
