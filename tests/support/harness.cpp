#include "harness.hpp"

#include <functional>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace dropgate::test {

TempDir::TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "dropgate-test-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

namespace {

bool bindable(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return free;
}

}  // namespace

int free_port() {
    // Below the kernel's ephemeral range (32768-60999): a port from bind(0) could be handed
    // again to another bind(0) (one service got the same port for SSH and metrics) or to a
    // client's outgoing connection before the service under test listens on it.
    static std::mutex mutex;
    static std::set<int> given;
    static std::minstd_rand random(static_cast<unsigned>(getpid()) * 7919u +
                                   static_cast<unsigned>(time(nullptr)));
    std::lock_guard lock(mutex);
    for (int attempt = 0; attempt < 10'000; ++attempt) {
        const int port = 20000 + static_cast<int>(random() % 12000);
        if (!given.contains(port) && bindable(port)) {
            given.insert(port);
            return port;
        }
    }
    throw std::runtime_error("no free loopback port in 20000-31999");
}

RunResult run(const std::vector<std::string>& argv, const std::string& input) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        throw std::system_error(errno, std::generic_category(), "pipe");
    pid_t pid = fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    signal(SIGPIPE, SIG_IGN);
    RunResult result;
    size_t written = 0;
    if (input.empty()) {
        close(in[1]);
        in[1] = -1;
    }
    pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
    int open_outputs = 2;
    char buf[65536];
    while (open_outputs > 0 || fds[2].fd >= 0) {
        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t n = read(fds[i].fd, buf, sizeof buf);
                if (n <= 0) {
                    close(fds[i].fd);
                    fds[i].fd = -1;
                    --open_outputs;
                } else {
                    (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
                }
            }
        }
        if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(fds[2].fd, input.data() + written, input.size() - written);
            if (n > 0) written += static_cast<size_t>(n);
            if (n <= 0 || written == input.size()) {
                close(fds[2].fd);
                fds[2].fd = -1;
            }
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

RunResult sh(const std::string& command, const std::string& input) {
    return run({"/bin/sh", "-c", command}, input);
}

std::string dropgate_bin() {
    return DROPGATE_BIN;
}
std::filesystem::path tests_dir() {
    return DROPGATE_TESTS;
}

void write_file(const std::filesystem::path& file, const std::string& content) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::string make_key_pair(const std::filesystem::path& private_key, const std::string& comment) {
    auto made = run(
        {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", private_key.string()});
    if (made.exit_code != 0) throw std::runtime_error("ssh-keygen: " + made.err);
    std::string line = read_file(private_key.string() + ".pub");
    while (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
}

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

bool wait_for_exit(int pid, std::chrono::milliseconds timeout) {
    return wait_until(
        [pid] {
            std::ifstream status("/proc/" + std::to_string(pid) + "/status");
            std::string line;
            while (std::getline(status, line))
                if (line.rfind("State:", 0) == 0) return line.find('Z') != std::string::npos;
            return true;
        },
        timeout);
}

}  // namespace dropgate::test
