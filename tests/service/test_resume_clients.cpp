// Resume with real clients (spec §4 "Resume"): a 200 MiB upload into a real `dropgate serve` is
// cut near its middle (the client killed, its TCP connection gone), then resumed the way each
// client resumes; the bundle must be accepted with the original's SHA-256, and only the rest
// may cross the wire again (the store takes at most 55 % of the file the second time).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>
#include <thread>

#include "service_fixture.hpp"

using namespace dropgate::test;
using namespace std::chrono_literals;
namespace stdfs = std::filesystem;

namespace {

// A ~200 MiB bundle (mostly incompressible), made once for every test here.
const stdfs::path& bundle_200m() {
    static TempDir dir;
    static stdfs::path file = [] {
        auto f = dir / "big.tgz";
        make_bundle(f, 400u << 20);
        return f;
    }();
    return file;
}

long metric(const Service& service, const std::string& name) {
    auto r = sh("curl -s http://127.0.0.1:" + std::to_string(service.metrics_port()) + "/metrics");
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind(name + " ", 0) == 0) return std::stol(line.substr(name.size() + 1));
    return -1;
}

std::uint64_t staged_bytes(const Service& service) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& e : stdfs::directory_iterator(service.root() / ".staging", ec))
        total += e.is_regular_file(ec) ? e.file_size(ec) : 0;
    return total;
}

// Runs `command` (bash) until the store has `cut_at` bytes of the upload, then kills it and its
// process group: the client is gone mid-transfer, as when a laptop's link drops.
void cut(const Service& service, const std::string& command, std::uint64_t cut_at) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::setpgid(0, 0);
        ::execl("/bin/bash", "bash", "-c", (command + " > /dev/null 2>&1").c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    bool reached = wait_until([&] { return staged_bytes(service) >= cut_at; }, 60s);
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    REQUIRE(reached);
}

std::string row(const Service& service, const std::string& path) {
    auto r = sh("sqlite3 '" + (service.root() / "index.sqlite3").string() +
                "' \"SELECT status FROM uploads WHERE path = '" + path + "'\"");
    return r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
}

struct Client {
    std::string name, first, resume;  // bash commands; %F the local file, %R the remote name
};

std::string fill(std::string text, const std::string& file, const std::string& remote) {
    for (auto [key, value] : {std::pair{"%F", file}, {"%R", remote}})
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key))
            text.replace(at, 2, value);
    return text;
}

}  // namespace

TEST_CASE(
    "sftp reput, lftp put -c, curl -C - and paramiko resume a cut upload; only the rest "
    "is sent again") {
    Service service;
    service.start();
    const auto& file = bundle_200m();
    const auto size = stdfs::file_size(file);
    const std::string sha = sha256_of(file);
    const std::string port = std::to_string(service.ssh_port());
    const std::string key = service.key("acme").string();
    const std::string ssh =
        "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        "-o BatchMode=yes -o LogLevel=ERROR -i '" +
        key + "'";
    const std::string sftp = "sftp " + ssh + " -P " + port + " -b - acme@127.0.0.1";
    const std::string lftp = "lftp -u acme, -e \"set sftp:connect-program 'ssh -a -x " + ssh +
                             "'; set net:max-retries 1; ";
    const std::string curl =
        "curl -sS --insecure -u acme: --key '" + key + "' --pubkey '" + key + ".pub' ";
    const std::string paramiko =
        "/usr/bin/python3 -c \"import sys, paramiko\n"
        "t = paramiko.Transport(('127.0.0.1', " +
        port +
        "))\n"
        "t.connect(username='acme', pkey=paramiko.Ed25519Key."
        "from_private_key_file('" +
        key +
        "'))\n"
        "s = paramiko.SFTPClient.from_transport(t)\n";
    const std::vector<Client> clients = {
        {"sftp", sftp + " <<< 'put %F %R'", sftp + " <<< 'reput %F %R'"},
        {"lftp", lftp + "put %F -o %R; bye\" sftp://127.0.0.1:" + port,
         lftp + "put -c %F -o %R; bye\" sftp://127.0.0.1:" + port},
        {"curl", curl + "-T %F sftp://127.0.0.1:" + port + "/%R",
         curl + "-C - -T %F sftp://127.0.0.1:" + port + "/%R"},
        {"paramiko-a", paramiko + "s.put('%F', '%R')\"",
         paramiko + "local = open('%F', 'rb'); remote = s.open('%R', 'a')\n"
                    "local.seek(s.stat('%R').st_size)\n"
                    "while (chunk := local.read(1 << 20)): remote.write(chunk)\n"
                    "remote.close()\""},
        {"paramiko-r+", paramiko + "s.put('%F', '%R')\"",
         paramiko + "local = open('%F', 'rb'); remote = s.open('%R', 'r+')\n"
                    "at = s.stat('%R').st_size; local.seek(at); remote.seek(at)\n"
                    "while (chunk := local.read(1 << 20)): remote.write(chunk)\n"
                    "remote.close()\""},
    };
    for (const auto& client : clients) {
        const std::string remote = client.name + ".tgz";
        INFO(client.name << "\n"
                         << service.log().substr(std::max<std::size_t>(service.log().size(), 6000) -
                                                 6000));
        cut(service, fill(client.first, file.string(), remote), size / 2);
        REQUIRE(wait_until([&] { return row(service, remote) == "partial"; }, 30s));
        const long before = metric(service, "dropgate_bytes_received_total");
        auto resumed = run({"bash", "-c", fill(client.resume, file.string(), remote)});
        INFO(resumed.out << resumed.err);
        CHECK(resumed.exit_code == 0);
        CHECK(row(service, remote) == "accepted");
        CHECK(sha256_of(service.root() / "bundles/acme" / remote) == sha);
        const long again = metric(service, "dropgate_bytes_received_total") - before;
        CHECK(again <= long(size) * 55 / 100);
        CHECK(again > 0);
    }
    CHECK(staged_bytes(service) == 0);
}

TEST_CASE(
    "kill -9 of dropgate serve mid-upload: after a restart the upload resumes and is "
    "accepted") {
    Service service;
    service.start();
    const auto& file = bundle_200m();
    const std::string sha = sha256_of(file);
    const std::string key = service.key("acme").string();
    std::string sftp =
        "sftp -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        "-o BatchMode=yes -o LogLevel=ERROR -i '" +
        key + "' -P " + std::to_string(service.ssh_port()) + " -b - acme@127.0.0.1";
    pid_t client = ::fork();
    REQUIRE(client >= 0);
    if (client == 0) {
        ::execl("/bin/bash", "bash", "-c",
                (sftp + " <<< 'put " + file.string() + " crash.tgz' > /dev/null 2>&1").c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    REQUIRE(wait_until([&] { return staged_bytes(service) >= (120u << 20); }, 60s));
    service.kill9();
    ::waitpid(client, nullptr, 0);  // its connection died with the service
    service.start();
    CHECK(row(service, "crash.tgz") == "partial");
    auto listed = service.sftp("acme", "ls -l\n");
    CHECK_THAT(listed.out, Catch::Contains("--w-------") && Catch::Contains("crash.tgz"));
    auto resumed = service.sftp("acme", "reput " + file.string() + " crash.tgz\n");
    INFO(resumed.out << resumed.err << service.log());
    CHECK(resumed.exit_code == 0);
    CHECK(row(service, "crash.tgz") == "accepted");
    CHECK(sha256_of(service.root() / "bundles/acme/crash.tgz") == sha);
}

TEST_CASE(
    "a partial is its owner's: support and other customers never see it; a wrong offset "
    "is refused with the offset to use") {
    Service service;
    service.start();
    std::string sha = make_bundle(service.dir() / "b.tgz", 40u << 20);
    const auto file = service.dir() / "b.tgz";
    const std::string key = service.key("acme").string();
    cut(service,
        "sftp -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -i '" +
            key + "' -P " + std::to_string(service.ssh_port()) + " -b - acme@127.0.0.1 <<< 'put " +
            file.string() + " wip.tgz'",
        stdfs::file_size(file) / 3);
    REQUIRE(wait_until([&] { return row(service, "wip.tgz") == "partial"; }, 30s));
    CHECK_THAT(service.sftp("acme", "ls -l\n").out, Catch::Contains("wip.tgz"));
    auto support = service.sftp("help", "ls -l /acme\n");
    CHECK(support.exit_code == 0);
    CHECK(support.out.find(" wip.tgz") == std::string::npos);  // its listing, not the command
    auto by_name = service.sftp("help", "ls -l /acme/wip.tgz\n");
    CHECK_THAT(by_name.err, Catch::Contains("not found"));
    auto other = service.sftp("other", "ls -l\nls -l /acme/wip.tgz\n");
    CHECK(other.out.find(" wip.tgz") == std::string::npos);
    CHECK(service.query({"bundles", "--status", "accepted"}).out.find("wip.tgz") ==
          std::string::npos);
    CHECK_THAT(service.query({"bundles", "--status", "partial"}).out, Catch::Contains("wip.tgz"));

    // paramiko writes at byte 0 of the partial: refused with the offset it must use (paramiko
    // ignores a failed CLOSE, so the reason is read from the channel's stderr, where OpenSSH's
    // sftp would print it), and the partial is as it was.
    auto misplaced = run({"/usr/bin/python3", "-c", R"py(
import sys, time, paramiko
t = paramiko.Transport(("127.0.0.1", int(sys.argv[1])))
t.connect(username="acme", pkey=paramiko.Ed25519Key.from_private_key_file(sys.argv[2]))
s = paramiko.SFTPClient.from_transport(t)
f = s.open("wip.tgz", "r+")
f.write(b"x" * 1000)
f.close()
chan = s.get_channel()
deadline = time.time() + 10
while not chan.recv_stderr_ready() and time.time() < deadline:
    time.sleep(0.05)
print(chan.recv_stderr(4096).decode() if chan.recv_stderr_ready() else "(nothing on stderr)")
)py",
                          std::to_string(service.ssh_port()), key});
    CHECK_THAT(misplaced.out, Catch::Contains("/wip.tgz refused: an interrupted upload continues "
                                              "at byte"));
    CHECK(row(service, "wip.tgz") == "partial");
    CHECK(service.sftp("acme", "reput " + file.string() + " wip.tgz\n").exit_code == 0);
    CHECK(sha256_of(service.root() / "bundles/acme/wip.tgz") == sha);
}
