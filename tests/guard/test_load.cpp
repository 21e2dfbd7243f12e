// Load held on this machine (spec §14): 1,000 authenticated SFTP sessions uploading slowly at
// once, and 10,000 idle HTTPS keep-alive connections, each in bounded memory, while a new
// client still gets in. Real clients: asyncssh, Python's ssl, OpenSSH, curl.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <thread>

#include "dropgate/base/sanitizers.hpp"
#include "guard_helpers.hpp"

using namespace dropgate::test;

namespace {

bool wait_for_file(const std::filesystem::path& file, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (std::filesystem::exists(file)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
}

std::vector<int> children_of(int pid) {
    auto listed = sh("ps --ppid " + std::to_string(pid) + " -o pid=");
    std::vector<int> pids;
    std::istringstream in(listed.out);
    for (int child; in >> child;) pids.push_back(child);
    return pids;
}

// Pss of a process in KiB, from smaps_rollup (shared pages split among their users).
std::uint64_t pss_kib(int pid) {
    auto line = sh("awk '/^Pss:/ { print $2 }' /proc/" + std::to_string(pid) + "/smaps_rollup");
    return std::strtoull(line.out.c_str(), nullptr, 10);
}

// Waits (a generous while: no timing is asserted) until a client script printed `word` in `out`.
bool printed(const std::filesystem::path& out, const std::string& word) {
    return wait_until(
        [&] {
            return std::filesystem::exists(out) && read_file(out).find(word) != std::string::npos;
        },
        std::chrono::minutes(10));
}

std::uint64_t rss_kib(int pid) {
    auto line = sh("awk '/^VmRSS:/ { print $2 }' /proc/" + std::to_string(pid) + "/status");
    return std::strtoull(line.out.c_str(), nullptr, 10);
}

}  // namespace

TEST_CASE(
    "a thousand SFTP sessions uploading slowly are held at once and a new client still gets in") {
    constexpr int kSessions = 1000;
    if (dropgate::kAddressSanitizer) {
        // A thousand sanitized processes, each with ASan's quarantine and shadow, would measure
        // ASan, not dropgate (and may not fit the machine): the normal build holds this load.
        WARN("sanitize build: the thousand-session load is not run");
        return;
    }
    Service service(Service::Options{
        "", false, "max_sessions = 1100\nmax_sessions_per_user = 1000\n",
        "[security]\nallow = [\"127.0.0.1/32\"]\nmax_startups = \"100:30:300\"\n"});
    service.start();
    REQUIRE(service.sftp("acme", "mkdir load\n").exit_code == 0);
    const auto bundle = service.dir() / "b.tgz";
    make_bundle(bundle, 256 << 10);
    const auto state = service.dir() / "load";
    std::filesystem::create_directories(state);
    sh("/usr/bin/python3 '" + (tests_dir() / "guard/many_sessions.py").string() + "' " +
       std::to_string(service.ssh_port()) + " acme '" + service.key("acme").string() + "' '" +
       bundle.string() + "' " + std::to_string(kSessions) + " '" + state.string() + "' > '" +
       (state / "log").string() + "' 2>&1 &");
    REQUIRE(wait_for_file(state / "held", std::chrono::seconds(600)));
    INFO(read_file(state / "held"));

    const int gateway = service.part_pid("gateway_pid");
    const auto workers = children_of(gateway);
    CHECK(workers.size() >= std::size_t(kSessions));
    CHECK(service.metric("dropgate_active_sessions") == std::uint64_t(kSessions));
    std::uint64_t pss = 0;
    for (int pid : workers) pss += pss_kib(pid);
    const std::uint64_t per_session = pss / std::max<std::size_t>(workers.size(), 1);
    WARN("held " << workers.size() << " session processes, Pss " << per_session
                 << " KiB per session, store RSS " << rss_kib(service.part_pid("store_pid"))
                 << " KiB");
    CHECK(per_session <= 4096);  // docs/gateway.md: a session's bound
    // Someone else logs in and works meanwhile.
    auto other = service.sftp("other", "ls\n");
    INFO(other.err);
    CHECK(other.exit_code == 0);

    write_file(state / "go", "");
    REQUIRE(wait_for_file(state / "done", std::chrono::seconds(600)));
    auto done = nlohmann::json::parse(read_file(state / "done"));
    INFO(done.dump() << read_file(state / "log"));
    CHECK(done["ok"] == kSessions);
    auto accepted = service.query({"bundles", "--status", "accepted", "--json"});
    CHECK(std::count(accepted.out.begin(), accepted.out.end(), '\n') == kSessions);
}

TEST_CASE(
    "ten thousand idle HTTPS keep-alive connections are held in bounded memory and it still "
    "answers") {
    constexpr int kConnections = 10000;
    if (dropgate::kAddressSanitizer) {
        WARN("sanitize build: the ten-thousand-connection load is not run");  // as above
        return;
    }
    Service service(Service::Options{
        "", true, "", "[security]\nallow = [\"127.0.0.1/32\"]\nmax_startups = \"1000:30:2000\"\n"});
    service.start();
    const int http = service.part_pid("http_pid");
    const std::uint64_t before = rss_kib(http);
    const auto out = service.dir() / "idle.out";
    // In a session of their own, so the pipe's two ends go together at the end.
    auto started = sh("setsid sh -c \"sleep 600 2>/dev/null | /usr/bin/python3 '" +
                      (tests_dir().parent_path() / "bench/idle_clients.py").string() + "' " +
                      std::to_string(service.http_port()) + " '" + service.http_cert().string() +
                      "' " + service.token("acme") + " " + std::to_string(kConnections) + " > '" +
                      out.string() + "' 2>&1\" < /dev/null > /dev/null 2>&1 & echo $!");
    const int clients = std::atoi(started.out.c_str());
    const bool ready = printed(out, "ready");
    INFO(read_file(out));
    REQUIRE(ready);
    CHECK(read_file(out).find("ready " + std::to_string(kConnections)) != std::string::npos);
    const std::uint64_t per_connection = (rss_kib(http) - before) * 1024 / kConnections;
    WARN("10,000 idle TLS connections: " << per_connection << " bytes each");
    CHECK(service.metric("dropgate_http_connections") >= std::uint64_t(kConnections));
    CHECK(per_connection <= 64 * 1024);  // issue 15's target; bench/http.sh measures ~19 KiB
    // A new client is served, over HTTPS and SFTP.
    CHECK(https_status_from(service, "127.0.0.1", "/api/uploads") == 200);
    CHECK(service.sftp("acme", "ls\n").exit_code == 0);
    sh("kill -- -" + std::to_string(clients));
}

TEST_CASE(
    "connections that stop inside a TLS record hold bounded memory and are cut after "
    "login_grace_time") {
    constexpr int kConnections = 2000;
    Service service(Service::Options{
        "", true, "login_grace_time = \"3s\"",
        "[security]\nallow = [\"127.0.0.1/32\"]\nmax_startups = \"1000:30:2000\"\n"});
    service.start();
    const int http = service.part_pid("http_pid");
    const std::uint64_t before = rss_kib(http);
    const auto out = service.dir() / "half.out", release = service.dir() / "release";
    sh("/usr/bin/python3 '" + (tests_dir() / "http/half_records.py").string() + "' " +
       std::to_string(service.http_port()) + " '" + service.http_cert().string() + "' " +
       std::to_string(kConnections) + " '" + release.string() + "' > '" + out.string() +
       "' 2>&1 < /dev/null &");
    const bool ready = printed(out, "ready");
    INFO(read_file(out));
    REQUIRE(ready);
    REQUIRE(read_file(out).find("ready " + std::to_string(kConnections)) != std::string::npos);
    // Each holds half a record in OpenSSL's buffer (one record's size, not the 256 KiB a body
    // gets) until its head times out.
    const std::uint64_t per_connection = (rss_kib(http) - before) * 1024 / kConnections;
    WARN(kConnections << " connections inside a record: " << per_connection << " bytes each");
    if (!dropgate::kAddressSanitizer) CHECK(per_connection <= 64 * 1024);
    CHECK(https_status_from(service, "127.0.0.1", "/api/uploads") == 200);
    // login_grace_time bounds a request's head: they are all closed (no timing asserted here,
    // only that it happens).
    wait_until([&] { return service.metric("dropgate_http_connections") == 0; },
               std::chrono::minutes(1));
    CHECK(service.metric("dropgate_http_connections") == 0);
    write_file(release, "");
    printed(out, "closed");
    const std::string said = read_file(out);
    INFO(said);
    CHECK(said.find("closed " + std::to_string(kConnections)) != std::string::npos);
}
