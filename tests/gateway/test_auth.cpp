// Who gets in, and what they may ask for: keys, passwords, refused requests, session limits.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <thread>

#include "gateway_fixture.hpp"

using dropgate::test::GatewayFixture;
using dropgate::test::GatewayOptions;
using dropgate::test::run;

namespace {

// A paramiko session held open until the returned pipe is closed.
struct HeldSession {
    pid_t pid = -1;
    int stdin_fd = -1;
    FILE* out = nullptr;
    HeldSession(const GatewayFixture& gw, const std::string& user) {
        int in[2], outp[2];
        REQUIRE(::pipe(in) == 0);
        REQUIRE(::pipe(outp) == 0);
        pid = ::fork();
        if (pid == 0) {
            ::dup2(in[0], 0);
            ::dup2(outp[1], 1);
            ::close(in[1]);
            ::close(outp[0]);
            std::string script = (dropgate::test::tests_dir() / "gateway/hold_session.py").string();
            ::execl("/usr/bin/python3", "python3", script.c_str(),
                    std::to_string(gw.port()).c_str(), gw.key(user).c_str(), user.c_str(),
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(outp[1]);
        stdin_fd = in[1];
        out = ::fdopen(outp[0], "r");
    }
    std::string first_line() {
        char line[512] = {};
        if (!std::fgets(line, sizeof line, out)) return "";
        return line;
    }
    ~HeldSession() {
        ::close(stdin_fd);
        int status = 0;
        ::waitpid(pid, &status, 0);
        std::fclose(out);
    }
};

}  // namespace

TEST_CASE("a wrong key and an unknown user are refused") {
    GatewayFixture gw;
    auto result = gw.probe({"auth-fails"});
    INFO(result.out << result.err << gw.log());
    CHECK(result.exit_code == 0);
    // And with OpenSSH: the stranger's key does not open acme's account.
    auto sftp = gw.sftp("stranger", "ls\n");
    CHECK(sftp.exit_code != 0);
    CHECK_THAT(sftp.err, Catch::Contains("Permission denied"));
    CHECK_THAT(gw.log(), Catch::Contains("\"event\":\"auth_failure\""));
}

TEST_CASE("a password from the config logs in and a wrong one is refused") {
    GatewayFixture gw;
    auto result = gw.probe({"--password", GatewayFixture::kPassword, "password"});
    INFO(result.out << result.err << gw.log());
    CHECK(result.exit_code == 0);
}

TEST_CASE("shell and exec requests are refused, only the sftp subsystem is served") {
    GatewayFixture gw;
    auto args = gw.ssh_args("ssh", "acme");
    args.insert(args.end(), {"acme@127.0.0.1", "cat /etc/passwd"});
    auto exec = run(args);
    CHECK(exec.exit_code != 0);
    CHECK_THAT(exec.err, Catch::Contains("exec request failed"));
    CHECK(exec.out.empty());

    args = gw.ssh_args("ssh", "acme");
    args.insert(args.end(), {"-T", "acme@127.0.0.1"});
    auto shell = run(args, "id\n");
    CHECK(shell.exit_code != 0);
    CHECK_THAT(shell.err, Catch::Contains("shell request failed"));
}

TEST_CASE("the SSH banner does not reveal the library version") {
    GatewayFixture gw;
    auto banner =
        run({"bash", "-c",
             "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(gw.port()) + "; head -1 <&3"});
    CHECK_THAT(banner.out, Catch::StartsWith("SSH-2.0-dropgate"));
    CHECK_THAT(banner.out, !Catch::Contains("libssh"));
}

TEST_CASE("max_sessions reached: the next client is disconnected with a clear message") {
    GatewayOptions options;
    options.max_sessions = "1";
    GatewayFixture gw(options);
    HeldSession held(gw, "other");
    REQUIRE_THAT(held.first_line(), Catch::StartsWith("ready"));
    auto refused = gw.sftp("acme", "ls\n");
    CHECK(refused.exit_code != 0);
    CHECK_THAT(refused.err, Catch::Contains("too many sessions (max_sessions 1)"));
}

TEST_CASE("max_sessions_per_user reached: that user's next session is refused, others still work") {
    GatewayOptions options;
    options.max_sessions_per_user = "1";
    GatewayFixture gw(options);
    HeldSession held(gw, "acme");
    REQUIRE_THAT(held.first_line(), Catch::StartsWith("ready"));
    auto refused = gw.sftp("acme", "ls\n");
    CHECK(refused.exit_code != 0);
    CHECK_THAT(refused.err,
               Catch::Contains("too many sessions for user acme (max_sessions_per_user 1)"));
    auto other = gw.sftp("other", "ls\n");
    CHECK(other.exit_code == 0);
}

TEST_CASE("an idle session is closed after idle_timeout") {
    GatewayOptions options;
    options.idle_timeout = "2s";
    GatewayFixture gw(options);
    auto result = gw.probe({"idle"});
    INFO(result.out << result.err << gw.log());
    CHECK(result.exit_code == 0);
    CHECK_THAT(gw.log(), Catch::Contains("\"reason\":\"idle timeout\""));
}

TEST_CASE("SIGTERM stops accepting, lets the running session finish, and exits 0") {
    GatewayFixture gw;
    {
        HeldSession held(gw, "acme");
        REQUIRE_THAT(held.first_line(), Catch::StartsWith("ready"));
        ::kill(gw.pid(), SIGTERM);
        // The held session is still served while the gateway drains.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        CHECK(::kill(gw.pid(), 0) == 0);
    }
    CHECK(gw.stop() == 0);
    CHECK_THAT(gw.log(), Catch::Contains("\"event\":\"stopped\""));
}

TEST_CASE("an authenticated session process runs with no_new_privs and a seccomp filter") {
    GatewayFixture gw;
    HeldSession held(gw, "acme");
    REQUIRE_THAT(held.first_line(), Catch::StartsWith("ready"));
    std::string children = dropgate::test::read_file(
        "/proc/" + std::to_string(gw.pid()) + "/task/" + std::to_string(gw.pid()) + "/children");
    INFO("session processes: " << children);
    REQUIRE_FALSE(children.empty());
    std::string status =
        dropgate::test::read_file("/proc/" + children.substr(0, children.find(' ')) + "/status");
    CHECK_THAT(status, Catch::Contains("NoNewPrivs:\t1"));
    CHECK_THAT(status, Catch::Contains("Seccomp:\t2"));
}

TEST_CASE("when the gateway process dies, its session processes end too") {
    GatewayFixture gw;
    HeldSession held(gw, "acme");
    REQUIRE_THAT(held.first_line(), Catch::StartsWith("ready"));
    std::string children = dropgate::test::read_file(
        "/proc/" + std::to_string(gw.pid()) + "/task/" + std::to_string(gw.pid()) + "/children");
    REQUIRE_FALSE(children.empty());
    const int session = std::stoi(children.substr(0, children.find(' ')));
    ::kill(gw.pid(), SIGKILL);
    CHECK(dropgate::test::wait_for_exit(session));
}
