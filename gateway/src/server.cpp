// The parent process: owns the listening sockets, hands each connection to an idle session
// worker or forks a new one (worker.hpp), counts sessions (in total and per user, learned from
// each worker over its control socket), retires idle workers, reaps them, and on SIGTERM stops
// accepting and waits for running sessions.
// It stays single-threaded and never touches a client's SSH session itself.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "auth.hpp"
#include "connection.hpp"
#include "control.hpp"
#include "dropgate/base/log.hpp"
#include "dropgate/base/metrics.hpp"
#include "dropgate/base/ssh.hpp"
#include "dropgate/base/time.hpp"
#include "dropgate/base/unique_fd.hpp"
#include "dropgate/gateway/gateway.hpp"
#include "dropgate/guard/limits.hpp"
#include "fork_prep.hpp"
#include "gateway_metrics.hpp"
#include "host_key.hpp"
#include "sandbox.hpp"
#include "ssh_algorithms.hpp"
#include "worker.hpp"

namespace dropgate::gateway {

namespace {

constexpr std::chrono::seconds kShutdownGrace{30};
// Idle workers kept for the next connections, and how long one may wait for one.
constexpr std::size_t kMaxIdleWorkers = 16;
constexpr std::chrono::seconds kIdleRetire{60};

int signal_pipe[2] = {-1, -1};
volatile sig_atomic_t stop_requested = 0;

void on_signal(int signo) {
    if (signo == SIGTERM || signo == SIGINT) stop_requested = 1;
    int saved = errno;
    char byte = char(signo);
    [[maybe_unused]] ssize_t n = ::write(signal_pipe[1], &byte, 1);
    errno = saved;
}

UniqueFd listen_on(const config::Endpoint& endpoint) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    int family = endpoint.host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    if (family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(endpoint.port);
        if (::inet_pton(AF_INET6, endpoint.host.c_str(), &a->sin6_addr) != 1)
            throw std::runtime_error("listen " + endpoint.to_string() + ": not an IPv6 address");
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&addr);
        a->sin_family = AF_INET;
        a->sin_port = htons(endpoint.port);
        if (::inet_pton(AF_INET, endpoint.host.c_str(), &a->sin_addr) != 1)
            throw std::runtime_error("listen " + endpoint.to_string() + ": not an IPv4 address");
        len = sizeof *a;
    }
    UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) throw std::system_error(errno, std::generic_category(), "socket");
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd.get(), 1024) != 0)
        throw std::system_error(errno, std::generic_category(), "listen " + endpoint.to_string());
    return fd;
}

std::string peer_of(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "unknown";
    char host[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
        ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        return "[" + std::string(host) + "]:" + std::to_string(ntohs(a->sin6_port));
    }
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(a->sin_port));
}

struct Worker {
    UniqueFd control;  // parent's end of the control socket; closed = retired
    std::string user;  // the user of its current session once authenticated, else empty
    bool idle = false;
    std::chrono::steady_clock::time_point idle_since{};
    std::optional<IpAddress> address;  // of its current connection
    std::string remote;                // of its current connection, "ip:port"
    bool killed_for_ban = false;       // ended by the parent: not a crash
};

class Gateway {
  public:
    explicit Gateway(const config::Config& config)
        : config_(config), auth_(config), bans_(config, guard::Door::sftp) {}
    int run();

  private:
    void prepare();
    void serve();
    void accept_all(int listen_fd);
    void spawn(UniqueFd client);
    std::optional<guard::Refusal> refusal(const std::optional<IpAddress>& address);
    bool reuse_idle_worker(int client_fd, const std::string& remote);
    void count_failure(Worker& worker, const std::string& user);
    void answer(pid_t pid, Worker& worker);
    void retire_idle(std::chrono::steady_clock::time_point now);
    void reap();
    std::size_t sessions_of(const std::string& user) const;

    const config::Config& config_;
    Authenticator auth_;
    guard::BanList bans_;
    SshBind bind_;
    SessionSandbox sandbox_;
    std::vector<UniqueFd> listeners_;
    std::map<pid_t, Worker> children_;
};

int Gateway::run() {
    prepare();
    serve();
    log::info("stopped");
    return 0;
}

// Everything before the first connection, done once here so every session worker inherits it:
// crypto and libssh initialised and warmed up, the host key, the listening sockets, signals.
void Gateway::prepare() {
    // Initialise OpenSSL once here, so each forked session inherits it instead of redoing it.
    OPENSSL_init_crypto(
        OPENSSL_INIT_ADD_ALL_CIPHERS | OPENSSL_INIT_ADD_ALL_DIGESTS | OPENSSL_INIT_LOAD_CONFIG,
        nullptr);
    ssh_init();
    warm_up_for_sessions();
    if (!sandbox_.problem().empty())
        log::warn("sandbox_incomplete", {{"problem", sandbox_.problem()}});
    metrics::init();  // before any fork: session processes share the counters
    std::filesystem::path host_key = ensure_host_key(config_.server.host_key_dir);
    bind_.reset(ssh_bind_new());
    bool no = false;
    ssh_bind_options_set(bind_.get(), SSH_BIND_OPTIONS_PROCESS_CONFIG, &no);
    ssh_bind_options_set(bind_.get(), SSH_BIND_OPTIONS_BANNER, "dropgate");
    if (ssh_bind_options_set(bind_.get(), SSH_BIND_OPTIONS_HOSTKEY, host_key.c_str()) != SSH_OK)
        throw std::runtime_error("host key " + host_key.string() + ": " +
                                 ssh_get_error(bind_.get()));
    restrict_algorithms(bind_.get());
    for (const auto& endpoint : config_.server.listen) listeners_.push_back(listen_on(endpoint));

    if (::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe");
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    for (int signo : {SIGTERM, SIGINT, SIGCHLD}) ::sigaction(signo, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    std::string endpoints;
    for (const auto& e : config_.server.listen)
        endpoints += (endpoints.empty() ? "" : " ") + e.to_string();
    log::info("listening", {{"listen", endpoints}, {"host_key", host_key.string()}});
}

// The poll loop: accept connections, answer workers, reap them; on SIGTERM stop accepting and
// return once every session has ended (or been ended after the grace period).
void Gateway::serve() {
    std::chrono::steady_clock::time_point deadline{};
    for (;;) {
        if (stop_requested && !listeners_.empty()) {
            listeners_.clear();
            deadline = std::chrono::steady_clock::now() + kShutdownGrace;
            log::info("stopping", {{"sessions", std::uint64_t(children_.size())}});
        }
        retire_idle(std::chrono::steady_clock::now());
        if (stop_requested && children_.empty()) break;
        if (stop_requested && std::chrono::steady_clock::now() >= deadline) {
            for (auto& [pid, child] : children_)
                ::kill(pid, SIGUSR1);  // end them; uploads are marked aborted
            deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        }
        std::vector<pollfd> fds;
        fds.push_back({signal_pipe[0], POLLIN, 0});
        for (const auto& fd : listeners_) fds.push_back({fd.get(), POLLIN, 0});
        std::vector<pid_t> order;
        bool any_idle = false;
        for (auto& [pid, child] : children_) {
            fds.push_back({child.control.get(), POLLIN, 0});
            order.push_back(pid);
            any_idle |= child.idle && child.control;
        }
        int wait_ms = stop_requested ? 500 : any_idle ? 5000 : -1;
        if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "poll");
        if (fds[0].revents & POLLIN) {
            char buf[64];
            while (::read(signal_pipe[0], buf, sizeof buf) > 0) {
            }
            reap();
        }
        for (std::size_t i = 0; i < listeners_.size(); ++i)
            if (fds[1 + i].revents & POLLIN) accept_all(listeners_[i].get());
        for (std::size_t i = 0; i < order.size(); ++i) {
            if (!(fds[1 + listeners_.size() + i].revents & (POLLIN | POLLHUP))) continue;
            auto it = children_.find(order[i]);
            if (it != children_.end()) answer(it->first, it->second);
        }
    }
}

void Gateway::accept_all(int listen_fd) {
    for (;;) {
        int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN: drained (or a transient error; poll again)
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        spawn(UniqueFd(fd));
    }
}

// Why a new connection from `address` is closed at once, if it is: a ban, then the limits —
// per address, MaxStartups on those not logged in yet, and max_sessions plus the startups' full
// mark in total.
std::optional<guard::Refusal> Gateway::refusal(const std::optional<IpAddress>& address) {
    using Kind = guard::Refusal::Kind;
    if (address)
        if (auto until = bans_.banned_until(*address))
            return guard::Refusal{Kind::banned, "banned until " + format_timestamp_seconds(*until)};
    std::size_t busy = 0, unauthenticated = 0, from_address = 0;
    for (const auto& [pid, worker] : children_) {
        if (worker.idle) continue;
        ++busy;
        unauthenticated += worker.user.empty();
        from_address += address && worker.address == address;
    }
    const config::Security& security = config_.security;
    if (busy >= config_.server.max_sessions + security.max_startups.full)
        return guard::Refusal{Kind::total, "too many connections (" + std::to_string(busy) + ")"};
    if (!address) return std::nullopt;
    return guard::connection_refusal(security, *address, from_address, unauthenticated);
}

void Gateway::spawn(UniqueFd client) {
    std::string remote = peer_of(client.get());
    const std::optional<IpAddress> address = IpAddress::of_remote(remote);
    if (auto refused = refusal(address)) {
        guard::report_refusal(guard::Door::sftp, *refused, remote);
        return;  // closed as `client` goes out of scope, before a byte of SSH
    }
    if (reuse_idle_worker(client.get(), remote)) return;
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return;
    UniqueFd ours(pair[0]), theirs(pair[1]);
    // The child inherits the socket and bind; it resets the rest (worker.cpp).
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        log::error("fork_failed", {{"error", std::strerror(errno)}});
        return;
    }
    if (pid == 0) {
        ::close(signal_pipe[0]);
        ::close(signal_pipe[1]);
        listeners_.clear();
        for (auto& [other, child] : children_) child.control.reset();
        ours.reset();
        ::fcntl(client.get(), F_SETFL, ::fcntl(client.get(), F_GETFL) & ~O_NONBLOCK);
        WorkerSetup setup{&config_, &auth_, bind_.get(), &sandbox_, theirs.release(), parent};
        run_worker(setup, Connection{client.release(), std::move(remote)});
    }
    gateway_metrics::connection_accepted();
    log::info("connection", {{"remote", remote}, {"pid", std::int64_t(pid)}});
    children_[pid] = Worker{std::move(ours), {}, false, {}, address, remote, false};
}

// The most recently idle worker first: the others age out and are retired.
bool Gateway::reuse_idle_worker(int client_fd, const std::string& remote) {
    for (;;) {
        Worker* best = nullptr;
        pid_t best_pid = 0;
        for (auto& [pid, worker] : children_)
            if (worker.idle && worker.control && (!best || worker.idle_since > best->idle_since)) {
                best = &worker;
                best_pid = pid;
            }
        if (!best) return false;
        // The worker blocks while it serves: the socket goes back to blocking mode.
        ::fcntl(client_fd, F_SETFL, ::fcntl(client_fd, F_GETFL) & ~O_NONBLOCK);
        if (hand_over(best->control.get(), client_fd, remote)) {
            best->idle = false;
            best->remote = remote;
            best->address = IpAddress::of_remote(remote);
            gateway_metrics::connection_accepted();
            log::info("connection", {{"remote", remote}, {"pid", std::int64_t(best_pid)}});
            return true;
        }
        best->control.reset();  // it is gone or going: retire it and try the next one
    }
}

void Gateway::retire_idle(std::chrono::steady_clock::time_point now) {
    std::size_t kept = 0;
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
        Worker& worker = it->second;
        if (!worker.idle || !worker.control) continue;
        if (stop_requested || now - worker.idle_since >= kIdleRetire || ++kept > kMaxIdleWorkers)
            worker.control.reset();  // its next read sees EOF: it exits
    }
}

std::size_t Gateway::sessions_of(const std::string& user) const {
    std::size_t n = 0;
    for (const auto& [pid, child] : children_) n += child.user == user;
    return n;
}

void Gateway::answer(pid_t, Worker& worker) {
    char buf[256];
    ssize_t n = ::recv(worker.control.get(), buf, sizeof buf, 0);
    if (n <= 0) {  // the worker is exiting; reap() removes it (poll skips fd -1)
        worker.control.reset();
        return;
    }
    if (Control(buf[0]) == Control::idle) {  // it waits for another connection
        worker.user.clear();
        worker.idle = true;
        worker.idle_since = std::chrono::steady_clock::now();
        return;
    }
    if (Control(buf[0]) == Control::auth_failure) {
        count_failure(worker, std::string(buf + 1, std::size_t(n - 1)));
        return;
    }
    if (Control(buf[0]) != Control::admit) return;
    std::string user(buf + 1, std::size_t(n - 1));
    std::size_t sessions = 0;
    for (const auto& [pid, other] : children_) sessions += !other.user.empty();
    Control reply = sessions >= config_.server.max_sessions ? Control::too_many_sessions
                    : sessions_of(user) >= config_.server.max_sessions_per_user
                        ? Control::too_many_for_user
                        : Control::admitted;
    if (reply == Control::admitted) worker.user = user;
    std::string message = control_message(reply);
    ::send(worker.control.get(), message.data(), message.size(), MSG_NOSIGNAL);
}

// A failed login from the worker's connection. If it bans the address, every connection from
// there that has not logged in ends now (they hold nothing: no upload starts before login).
void Gateway::count_failure(Worker& worker, const std::string& user) {
    if (!worker.address || !bans_.failure(*worker.address, user)) return;
    for (auto& [pid, other] : children_)
        if (!other.idle && other.user.empty() && other.address == worker.address) {
            other.killed_for_ban = true;
            ::kill(pid, SIGKILL);
        }
}

void Gateway::reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        auto it = children_.find(pid);
        if (it == children_.end()) continue;
        if (WIFSIGNALED(status) && WTERMSIG(status) != SIGALRM && !it->second.killed_for_ban)
            log::error("session_crashed", {{"pid", std::int64_t(pid)},
                                           {"signal", WTERMSIG(status)},
                                           {"user", it->second.user}});
        children_.erase(it);
    }
}

}  // namespace

int run(const config::Config& config) {
    bind_symbols_now();
    Gateway gateway(config);
    return gateway.run();
}

}  // namespace dropgate::gateway
