// Session workers (gateway/src/worker.hpp): one connection at a time per process, reused only
// after a clean session, never carrying anything from one user's session into the next.
#include <signal.h>

#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "gateway_fixture.hpp"

using dropgate::test::GatewayFixture;
using dropgate::test::GatewayOptions;
using dropgate::test::TempDir;
using dropgate::test::wait_for_exit;
using dropgate::test::write_file;

namespace {

// The worker pid of every connection that got as far as an SSH session, in order (from the
// gateway's "connection" and "session_start" events; the fixture's readiness probe has neither).
std::vector<int> connection_pids(const std::string& log, bool sessions_only = true) {
    static const std::regex connection(
        R"re("event":"connection","remote":"([^"]+)","pid":(\d+))re");
    static const std::regex session(R"re("event":"session_start"[^\n]*"remote":"([^"]+)")re");
    std::set<std::string> with_session;
    for (std::sregex_iterator it(log.begin(), log.end(), session), end; it != end; ++it)
        with_session.insert((*it)[1]);
    std::vector<int> pids;
    for (std::sregex_iterator it(log.begin(), log.end(), connection), end; it != end; ++it)
        if (!sessions_only || with_session.count((*it)[1])) pids.push_back(std::stoi((*it)[2]));
    return pids;
}

}  // namespace

TEST_CASE("a worker is reused after a clean session, and the next user sees only their own tree") {
    GatewayFixture gw;
    TempDir local;
    write_file(local / "acme-secret.tgz", "first user's bundle");
    auto put = gw.sftp("acme", "put " + (local / "acme-secret.tgz").string() + "\n");
    REQUIRE(put.exit_code == 0);
    write_file(local / "other-own.tgz", "second user's bundle");
    auto listed =
        gw.sftp("other", "put " + (local / "other-own.tgz").string() + "\nls -la /\nls -la /..\n");
    auto leak =
        gw.sftp("other", "get /../acme/acme-secret.tgz " + (local / "leak").string() + "\n");
    auto pids = connection_pids(gw.log());
    INFO(listed.out << leak.err << gw.log());
    REQUIRE(listed.exit_code == 0);
    REQUIRE(pids.size() == 3);
    CHECK(pids[0] == pids[1]);  // the same process served the connections, one after the other
    CHECK(pids[1] == pids[2]);
    CHECK(listed.out.find("other-own.tgz\n") != std::string::npos);
    CHECK(listed.out.find("acme-secret.tgz\n") == std::string::npos);
    CHECK(leak.exit_code != 0);  // /../acme is /acme inside other's root: not there
    CHECK_FALSE(std::filesystem::exists(local / "leak"));
    // Its session state started afresh: acme, back on the same worker, still has its file.
    auto again = gw.sftp("acme", "ls /\n");
    CHECK_THAT(again.out, Catch::Contains("acme-secret.tgz"));
}

TEST_CASE(
    "a session that breaks the protocol ends its worker, the next connection gets a new one") {
    GatewayFixture gw;
    REQUIRE(gw.sftp("acme", "ls /\n").exit_code == 0);
    auto probe = gw.probe({"oversized"});  // two broken sessions, then a good one
    INFO(probe.out << probe.err << gw.log());
    REQUIRE(probe.exit_code == 0);
    auto pids = connection_pids(gw.log(), false);
    pids.erase(pids.begin());  // the fixture's readiness probe
    REQUIRE(pids.size() == 4);
    CHECK(pids[1] == pids[0]);  // the first broken session came to the idle worker...
    CHECK(pids[2] != pids[1]);  // ...which ended with it: a fresh process for the next
    CHECK(pids[3] != pids[2]);
    CHECK(wait_for_exit(pids[0]));
    CHECK(wait_for_exit(pids[2]));
    CHECK(gw.log().find("session_crashed") == std::string::npos);
}

TEST_CASE("idle workers are not sessions: max_sessions 1 serves one client after another") {
    GatewayOptions options;
    options.max_sessions = "1";
    options.max_sessions_per_user = "1";
    GatewayFixture gw(options);
    for (const char* user : {"acme", "acme", "other", "acme"}) {
        auto result = gw.sftp(user, "ls /\n");
        INFO(user << ": " << result.err << gw.log());
        CHECK(result.exit_code == 0);
    }
    auto pids = connection_pids(gw.log());
    CHECK(std::set<int>(pids.begin(), pids.end()).size() == 1);  // one worker served them all
}

TEST_CASE("SIGTERM retires idle workers at once and the gateway exits 0") {
    GatewayFixture gw;
    REQUIRE(gw.sftp("acme", "ls /\n").exit_code == 0);
    auto pids = connection_pids(gw.log());
    REQUIRE(pids.size() == 1);
    REQUIRE_FALSE(wait_for_exit(pids[0], std::chrono::milliseconds(0)));  // idle, waiting
    CHECK(gw.stop() == 0);
    CHECK(wait_for_exit(pids[0]));
}
