#include "service_fixture.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace dropgate::test {

namespace {

const char* kSshOptions =
    "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes "
    "-o LogLevel=ERROR";

// The last `count` lines of `text`.
std::string tail_of(const std::string& text, std::size_t count) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::string tail;
    for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
        tail += lines[i] + "\n";
    return tail;
}

}  // namespace

std::string sha256_of(const std::filesystem::path& file) {
    auto r = run({"sha256sum", file.string()});
    REQUIRE(r.exit_code == 0);
    return r.out.substr(0, 64);
}

std::string make_bundle(const std::filesystem::path& file, std::size_t bytes) {
    std::ostringstream script;
    script << "set -e; src=$(mktemp -d); mkdir -p $src/var/log; "
           << "for i in $(seq 1 200); do echo \"2026-11-23T10:00:$i host$i app[$i]: request id=$i "
              "status=ok\"; done > $src/var/log/app.log; "
           << "head -c " << bytes / 2 << " /dev/urandom > $src/core.bin; "
           << "yes 'log line with some repetition' | head -c " << bytes
           << " > $src/var/log/big.log; "
           << "tar -C $src -cf - . | gzip -1 > '" << file.string() << "'; rm -rf $src";
    auto r = sh(script.str());
    REQUIRE(r.exit_code == 0);
    return sha256_of(file);
}

Service::Service(const std::string& extra_store_config)
    : Service(Options{extra_store_config, false, "", ""}) {}

Service::Service(const Options& options) {
    ssh_port_ = free_port();
    metrics_port_ = free_port();
    std::filesystem::create_directories(dir_ / "keys");
    std::string http_section;
    std::map<std::string, std::string> token_lines;
    if (options.http) {
        http_port_ = free_port();
        // The certificate `dropgate init` makes for its demo: the one a new user gets.
        REQUIRE(run({dropgate_bin(), "init", (dir_ / "init").string()}).exit_code == 0);
        http_section = "[http]\nlisten = [\"127.0.0.1:" + std::to_string(http_port_) +
                       "\"]\ntls_cert = \"init/keys/http_cert.pem\"\n"
                       "tls_key = \"init/keys/http_key.pem\"\n";
        for (const char* user : {"acme", "help", "other"}) {
            auto made = run({dropgate_bin(), "token", user});
            REQUIRE(made.exit_code == 0);
            write_file(dir_ / "keys" / (std::string(user) + ".token"), made.out);
            auto start = made.err.find("tokens = ");
            REQUIRE(start != std::string::npos);
            token_lines[user] = made.err.substr(start, made.err.find('\n', start) - start) + "\n";
        }
    }
    for (const char* user : {"acme", "help", "other"}) make_key_pair(dir_ / "keys" / user, user);
    auto user = [&](const char* name, const char* role) {
        return std::string("[[user]]\nname = \"") + name + "\"\nrole = \"" + role +
               "\"\nauthorized_keys = \"keys/" + name + ".pub\"\n" + token_lines[name];
    };
    // Tests fail logins on purpose from 127.0.0.1 and open thousands of connections from it: the
    // ban and limit tests use other loopback addresses, or their own [security].
    const std::string security = options.extra_sections.find("[security]") == std::string::npos
                                     ? "\n[security]\nallow = [\"127.0.0.1/32\"]\n"
                                     : "";
    write_file(config_file(),
               "[server]\nlisten = [\"127.0.0.1:" + std::to_string(ssh_port_) +
                   "\"]\nidle_timeout = \"5m\"\n" + options.extra_server_config +
                   "\n[store]\nroot = \"data\"\nmount = \"store\"\n" + options.extra_store_config +
                   "\n[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics_port_) + "\"\n" +
                   http_section + options.extra_sections + security + "\n" +
                   user("acme", "customer") + user("help", "support") + user("other", "customer"));
}

// `name` may carry labels: dropgate_bans_total{door="sftp"}.
std::uint64_t Service::metric(const std::string& name) const {
    std::string awk_string;
    for (char c : name) awk_string += c == '"' ? std::string("\\\"") : std::string(1, c);
    auto text = sh("curl -s http://127.0.0.1:" + std::to_string(metrics_port_) +
                   "/metrics | awk '$1 == \"" + awk_string + "\" { print $2 }'");
    REQUIRE(text.exit_code == 0);
    REQUIRE_FALSE(text.out.empty());
    return std::stoull(text.out);
}

std::string Service::token(const std::string& user) const {
    std::string text = read_file(dir_ / "keys" / (user + ".token"));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

Service::~Service() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    // A killed store leaves a dead mount behind; never leave it for the next test.
    sh("fusermount3 -u -z '" + mount().string() + "' 2>/dev/null; umount -l '" + mount().string() +
       "' 2>/dev/null; true");
}

void Service::start(const std::vector<std::string>& extra_args) {
    REQUIRE(pid_ < 0);
    // After a kill -9 the old mount is dead (ENOTCONN) until the store detaches it at start-up.
    std::error_code dead_mount;
    std::filesystem::create_directories(mount(), dead_mount);
    const std::size_t earlier_log = log().size();  // a restart must wait for its own ready line
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
        int log = open((dir_ / "serve.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(log, 2);
        dup2(log, 1);
        std::vector<std::string> argv = launcher_;
        argv.insert(argv.end(), {dropgate_bin(), "serve", "-c", config_file().string()});
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        std::vector<char*> raw;
        for (auto& a : argv) raw.push_back(a.data());
        raw.push_back(nullptr);
        execvp(raw[0], raw.data());
        _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (log().find("\"service_ready\"", earlier_log) == std::string::npos) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            FAIL("dropgate serve exited during start-up:\n" << log());
        }
        if (std::chrono::steady_clock::now() > deadline) FAIL("serve not ready:\n" << log());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

int Service::wait_exit(std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
}

int Service::stop(std::chrono::seconds timeout) {
    if (pid_ < 0) return -1;
    ::kill(pid_, SIGTERM);
    const int status = wait_exit(timeout);
    // A failed stop's reason is in the service's log, which goes with the test's directory:
    // show its end where ctest shows a failing test's output.
    if (status != 0)
        std::cerr << "dropgate serve's log, after a stop that returned " << status << ":\n"
                  << tail_of(log(), 40) << std::flush;
    return status;
}

void Service::kill9() {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

pid_t Service::part_pid(const std::string& key) const {
    std::istringstream lines(log());
    pid_t pid = -1;  // from the latest start
    for (std::string line; std::getline(lines, line);)
        if (line.find("\"service_ready\"") != std::string::npos)
            pid = nlohmann::json::parse(line).at(key).get<pid_t>();
    return pid;
}

RunResult Service::sftp(const std::string& user, const std::string& batch) const {
    return sftp_with(user, key(user), batch, "");
}

RunResult Service::sftp_with(const std::string& user, const std::filesystem::path& key,
                             const std::string& batch, const std::string& options) const {
    return sh(std::string("sftp ") + kSshOptions + " " + options + " -i '" + key.string() +
                  "' -P " + std::to_string(ssh_port_) + " -b - " + user + "@127.0.0.1",
              batch);
}

RunResult Service::scp_upload(const std::string& user, const std::filesystem::path& file,
                              const std::string& remote) const {
    return sh(std::string("scp ") + kSshOptions + " -i '" + key(user).string() + "' -P " +
              std::to_string(ssh_port_) + " '" + file.string() + "' " + user +
              "@127.0.0.1:" + remote);
}

RunResult Service::query(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{dropgate_bin(), "query", "-c", config_file().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

std::string Service::log() const {
    std::error_code ec;
    if (!std::filesystem::exists(dir_ / "serve.log", ec)) return {};
    return read_file(dir_ / "serve.log");
}

}  // namespace dropgate::test
