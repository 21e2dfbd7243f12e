#include "gateway_fixture.hpp"

#include <arpa/inet.h>
#include <crypt.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>

namespace dropgate::test {

namespace {

bool can_connect(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(std::uint16_t(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

std::string password_hash(const std::string& password) {
    crypt_data data{};
    const char* salt = crypt_gensalt_rn("$6$", 0, nullptr, 0, data.setting, sizeof data.setting);
    return crypt_r(password.c_str(), salt, &data);
}

}  // namespace

GatewayFixture::GatewayFixture(GatewayOptions options) : with_store_(options.with_store) {
    std::filesystem::create_directories(dir_ / "keys");
    std::filesystem::create_directories(store() / "acme");
    std::filesystem::create_directories(store() / "other");
    for (const char* user : {"acme", "other", "support", "stranger"})
        make_key_pair(key(user), user);
    std::mt19937 rng(std::random_device{}());
    for (int attempt = 0; attempt < 20; ++attempt) {
        port_ = 20000 + int(rng() % 40000);
        if (can_connect(port_)) continue;
        if (start(options)) return;
    }
    throw std::runtime_error("could not start the gateway on a free port: " + log());
}

bool GatewayFixture::start(const GatewayOptions& options) {
    std::string listen = "\"127.0.0.1:" + std::to_string(port_) + "\"";
    if (options.also_ipv6) listen += ", \"[::1]:" + std::to_string(port_) + "\"";
    std::string config =
        "[server]\nlisten = [" + listen +
        "]\nhost_key_dir = \"hostkeys\"\nmax_sessions = " + options.max_sessions +
        "\nmax_sessions_per_user = " + options.max_sessions_per_user + "\nlogin_grace_time = \"" +
        options.login_grace_time + "\"\nidle_timeout = \"" + options.idle_timeout +
        "\"\n\n[store]\nroot = \"data\"\nmount = \"store\"\n\n[index]\n"
        "database = \"data/index.sqlite3\"\n\n"
        // Tests fail logins on purpose from 127.0.0.1: the ban tests use other addresses.
        "[security]\nallow = [\"127.0.0.1/32\"]\n\n"
        "[[user]]\nname = \"acme\"\nrole = \"customer\"\nauthorized_keys = \"keys/acme.pub\"\n"
        "password = \"" +
        password_hash(kPassword) +
        "\"\n\n"
        "[[user]]\nname = \"other\"\nrole = \"customer\"\nauthorized_keys = \"keys/other.pub\"\n\n"
        "[[user]]\nname = \"support\"\nrole = \"support\"\nauthorized_keys = "
        "\"keys/support.pub\"\n";
    write_file(dir_ / "dropgate.toml", config);
    pid_ = ::fork();
    if (pid_ == 0) {
        int log_fd = ::open((dir_ / "gateway.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(log_fd, STDERR_FILENO);
        ::setpgid(0, 0);
        ::execl(dropgate_bin().c_str(), "dropgate", with_store_ ? "serve" : "gateway", "-c",
                (dir_ / "dropgate.toml").c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    for (int i = 0; i < 600; ++i) {  // wait until it listens, or notice that it died
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
        if (can_connect(port_)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

int GatewayFixture::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 400; ++i) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
}

GatewayFixture::~GatewayFixture() {
    if (with_store_) {  // a clean stop unmounts the store; a lazy unmount covers the rest
        stop();
        run({"fusermount3", "-u", "-z", store().string()});
    }
    if (pid_ > 0) {
        ::kill(-pid_, SIGKILL);  // the whole group: the parent and every session process
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

std::string GatewayFixture::log() const {
    std::error_code ec;
    if (!std::filesystem::exists(dir_ / "gateway.log", ec)) return "";
    return read_file(dir_ / "gateway.log");
}

std::vector<std::string> GatewayFixture::ssh_args(const std::string& tool,
                                                  const std::string& user) const {
    std::vector<std::string> args{tool,
                                  "-o",
                                  "StrictHostKeyChecking=no",
                                  "-o",
                                  "UserKnownHostsFile=/dev/null",
                                  "-o",
                                  "BatchMode=yes",
                                  "-o",
                                  "LogLevel=ERROR",
                                  "-o",
                                  "IdentitiesOnly=yes",
                                  "-i",
                                  key(user).string()};
    args.push_back(tool == "ssh" ? "-p" : "-P");
    args.push_back(std::to_string(port_));
    return args;
}

RunResult GatewayFixture::sftp(const std::string& user, const std::string& batch) const {
    return sftp_to(user, "127.0.0.1", batch);
}

RunResult GatewayFixture::sftp_to(const std::string& user, const std::string& host,
                                  const std::string& batch) const {
    auto args = ssh_args("sftp", user);
    args.insert(args.end(), {"-b", "-", user + "@" + host});
    return run(args, batch);
}

RunResult GatewayFixture::probe(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{
        "/usr/bin/python3", (tests_dir() / "gateway/sftp_probe.py").string(),
        "--port",           std::to_string(port_),
        "--keys",           (dir_ / "keys").string(),
        "--store",          store().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

}  // namespace dropgate::test
