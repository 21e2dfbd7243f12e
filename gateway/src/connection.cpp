#include "connection.hpp"

#include <fcntl.h>
#include <libssh/callbacks.h>
#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "dropgate/metrics.hpp"
#include "jail.hpp"
#include "log.hpp"
#include "sandbox.hpp"
#include "sftp_server.hpp"

namespace dropgate::gateway {

namespace {

constexpr int kMaxAuthTries = 6;
constexpr rlim_t kAddressSpaceLimit = 1ull << 30;  // far above a session's needs, far below the box

struct State {
    const ConnectionSetup* setup = nullptr;
    ssh_session session = nullptr;
    const config::User* user = nullptr;  // set only once a password matched or a signature verified
    int failures = 0;
    ssh_channel channel = nullptr;
    bool sftp = false;
    ssh_channel_callbacks_struct channel_callbacks{};
};

State* state_of(void* userdata) {
    return static_cast<State*>(userdata);
}

void auth_log(State* st, const char* event, const char* user, const char* method) {
    bool failed = std::strcmp(event, "auth_failure") == 0;
    if (failed) metrics::auth_failure();
    LogLine(event, failed ? LogLine::Level::warn : LogLine::Level::info)
        .add("user", user ? user : "")
        .add("method", method)
        .add("remote", st->setup->remote)
        .emit();
}

int on_password(ssh_session, const char* user, const char* password, void* userdata) {
    State* st = state_of(userdata);
    if (const config::User* found = st->setup->auth->by_password(user ? user : "", password)) {
        st->user = found;
        auth_log(st, "auth_success", user, "password");
        return SSH_AUTH_SUCCESS;
    }
    ++st->failures;
    auth_log(st, "auth_failure", user, "password");
    return SSH_AUTH_DENIED;
}

// Called twice per key: a probe (STATE_NONE) and, after libssh verified the signature,
// STATE_VALID. Only the second one grants access.
int on_pubkey(ssh_session, const char* user, ssh_key pubkey, char signature_state, void* userdata) {
    State* st = state_of(userdata);
    const config::User* found = st->setup->auth->by_key(user ? user : "", pubkey);
    if (!found) {
        ++st->failures;
        auth_log(st, "auth_failure", user, "publickey");
        return SSH_AUTH_DENIED;
    }
    if (signature_state == SSH_PUBLICKEY_STATE_NONE) return SSH_AUTH_SUCCESS;
    if (signature_state != SSH_PUBLICKEY_STATE_VALID) return SSH_AUTH_DENIED;
    st->user = found;
    auth_log(st, "auth_success", user, "publickey");
    return SSH_AUTH_SUCCESS;
}

int on_subsystem(ssh_session, ssh_channel, const char* subsystem, void* userdata) {
    State* st = state_of(userdata);
    if (std::strcmp(subsystem, "sftp") == 0 && !st->sftp) {
        st->sftp = true;
        return 0;
    }
    LogLine("request_refused")
        .add("request", std::string("subsystem ") + subsystem)
        .add("remote", st->setup->remote)
        .emit();
    return 1;
}

int on_exec(ssh_session, ssh_channel, const char*, void* userdata) {
    LogLine("request_refused")
        .add("request", "exec")
        .add("remote", state_of(userdata)->setup->remote)
        .emit();
    return 1;
}

int on_shell(ssh_session, ssh_channel, void* userdata) {
    LogLine("request_refused")
        .add("request", "shell")
        .add("remote", state_of(userdata)->setup->remote)
        .emit();
    return 1;
}

int on_pty(ssh_session, ssh_channel, const char*, int, int, int, int, void*) {
    return -1;
}

ssh_channel on_channel_open(ssh_session session, void* userdata) {
    State* st = state_of(userdata);
    if (!st->user || st->channel) return nullptr;  // one session channel, after auth only
    st->channel = ssh_channel_new(session);
    if (!st->channel) return nullptr;
    st->channel_callbacks.userdata = st;
    st->channel_callbacks.channel_subsystem_request_function = on_subsystem;
    st->channel_callbacks.channel_exec_request_function = on_exec;
    st->channel_callbacks.channel_shell_request_function = on_shell;
    st->channel_callbacks.channel_pty_request_function = on_pty;
    ssh_callbacks_init(&st->channel_callbacks);
    ssh_set_channel_callbacks(st->channel, &st->channel_callbacks);
    return st->channel;
}

// libssh closes the socket right after DISCONNECT; with the client's next packet still unread,
// the kernel answers with a reset and the client loses the message. So the child keeps its own
// copy of the socket: FIN after libssh is done, then read until the client closes (or 2 s).
int socket_copy = -1;
void linger_close() {
    if (socket_copy < 0) return;
    ::shutdown(socket_copy, SHUT_WR);
    struct timeval tv {
        2, 0
    };
    ::setsockopt(socket_copy, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char sink[4096];
    while (::read(socket_copy, sink, sizeof sink) > 0) {
    }
    ::close(socket_copy);
    socket_copy = -1;
}

[[noreturn]] void disconnect(ssh_session session, const std::string& message) {
    if (!message.empty()) ssh_session_set_disconnect_message(session, message.c_str());
    ssh_disconnect(session);
    ssh_free(session);
    linger_close();
    ::_exit(0);
}

// The SSH channel as the SFTP codec's byte stream.
class ChannelTransport : public Transport {
  public:
    explicit ChannelTransport(ssh_channel channel) : channel_(channel) {}
    long read(void* buf, std::size_t cap, int timeout_ms) override {
        int n = ssh_channel_read_timeout(channel_, buf, std::uint32_t(cap), 0, timeout_ms);
        if (n > 0) return n;
        if (n < 0 || ssh_channel_is_eof(channel_) || !ssh_channel_is_open(channel_)) return -1;
        return 0;
    }
    long read_ready(void* buf, std::size_t cap) override {
        int n = ssh_channel_read_nonblocking(channel_, buf, std::uint32_t(cap), 0);
        return n > 0 ? n : 0;
    }
    bool write(const void* data, std::size_t len) override {
        return ssh_channel_write(channel_, data, std::uint32_t(len)) == int(len);
    }
    void write_stderr(std::string_view line) override {
        ssh_channel_write_stderr(channel_, line.data(), std::uint32_t(line.size()));
    }

  private:
    ssh_channel channel_;
};

// Page faults dominate a short session's CPU on a virtualised host (each one traps to the
// hypervisor). Grow the heap once and populate it with one madvise call, so the key exchange
// and the first packets reuse ready pages instead of faulting them in one by one.
void prefault_heap() {
    constexpr std::size_t kSize = 640 << 10;
    void* block = ::malloc(kSize);
    if (!block) return;
    auto begin = (reinterpret_cast<std::uintptr_t>(block) + 4095) & ~std::uintptr_t(4095);
    auto end = (reinterpret_cast<std::uintptr_t>(block) + kSize) & ~std::uintptr_t(4095);
#ifdef MADV_POPULATE_WRITE
    ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
    (void)begin, (void)end;
#endif
    ::free(block);
}

int shutdown_fd = -1;
void on_stop(int) {  // the parent's grace period is over: end the session (uploads get "aborted")
    if (shutdown_fd >= 0) ::shutdown(shutdown_fd, SHUT_RDWR);
}

// Asks the parent whether this user may open one more session; "" if yes, else why not.
std::string parent_refusal(int control_fd, const config::Config& config, const std::string& user) {
    std::string line = user + "\n";
    char answer = 0;
    if (::write(control_fd, line.data(), line.size()) != ssize_t(line.size()) ||
        ::read(control_fd, &answer, 1) != 1)
        return "the gateway is shutting down";
    if (answer == 'G')
        return "too many sessions (max_sessions " + std::to_string(config.server.max_sessions) +
               ")";
    if (answer == 'U')
        return "too many sessions for user " + user + " (max_sessions_per_user " +
               std::to_string(config.server.max_sessions_per_user) + ")";
    return "";
}

UniqueFd open_root(const config::Config& config, const config::User& user) {
    std::filesystem::path root = config.store.mount;
    if (user.role == config::Role::customer) {
        root /= user.name;
        ::mkdir(root.c_str(), 0755);  // a plain directory store; the FUSE store has it already
    }
    int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), root.string());
    return UniqueFd(fd);
}

}  // namespace

void serve_connection(const ConnectionSetup& setup) {
    const config::Config& config = *setup.config;
    ::signal(SIGTERM, SIG_IGN);  // the parent decides when a session must stop (SIGUSR1)
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGCHLD, SIG_DFL);
    shutdown_fd = setup.socket_fd;
    ::signal(SIGUSR1, on_stop);
    // If the gateway dies (kill -9, or its supervisor's death), end this session the same way
    // as after the grace period: uploads in progress are marked aborted, nothing lingers.
    ::prctl(PR_SET_PDEATHSIG, SIGUSR1);
    if (::getppid() != setup.parent) on_stop(SIGUSR1);
    // Keep freed memory for reuse instead of unmapping it and faulting it in again.
    ::mallopt(M_MMAP_THRESHOLD, 4 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 16 << 20);
    prefault_heap();
    struct rlimit limit {
        kAddressSpaceLimit, kAddressSpaceLimit
    };
    ::setrlimit(RLIMIT_AS, &limit);
    ::alarm(unsigned(config.server.login_grace_time.count()));  // SIGALRM ends a slow login

    socket_copy = ::dup(setup.socket_fd);
    ssh_session session = ssh_new();
    if (!session || ssh_bind_accept_fd(setup.bind, session, setup.socket_fd) != SSH_OK) ::_exit(1);
    long timeout = long(config.server.login_grace_time.count());
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);

    State st;
    st.setup = &setup;
    st.session = session;
    ssh_server_callbacks_struct callbacks{};
    callbacks.userdata = &st;
    callbacks.auth_pubkey_function = on_pubkey;
    if (setup.auth->any_password()) callbacks.auth_password_function = on_password;
    callbacks.channel_open_request_session_function = on_channel_open;
    ssh_callbacks_init(&callbacks);
    ssh_set_server_callbacks(session, &callbacks);
    ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY |
                                      (setup.auth->any_password() ? SSH_AUTH_METHOD_PASSWORD : 0));

    if (ssh_handle_key_exchange(session) != SSH_OK) {
        LogLine("kex_failed", LogLine::Level::warn)
            .add("remote", setup.remote)
            .add("error", ssh_get_error(session))
            .emit();
        ssh_free(session);
        ::_exit(0);
    }
    std::string client_version = ssh_get_clientbanner(session) ? ssh_get_clientbanner(session) : "";

    ssh_event event = ssh_event_new();
    ssh_event_add_session(event, session);
    while (!(st.user && st.channel && st.sftp)) {
        if (ssh_event_dopoll(event, 1000) == SSH_ERROR) ::_exit(0);
        if (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) ::_exit(0);
        if (st.failures >= kMaxAuthTries && !st.user)
            disconnect(session, "too many authentication failures");
    }
    ssh_event_remove_session(event, session);
    ssh_event_free(event);
    ::alarm(0);

    const config::User& user = *st.user;
    if (std::string why = parent_refusal(setup.control_fd, config, user.name); !why.empty()) {
        LogLine("connection_refused")
            .add("user", user.name)
            .add("remote", setup.remote)
            .add("reason", why)
            .emit();
        ssh_channel_write_stderr(st.channel, (why + "\n").data(), std::uint32_t(why.size() + 1));
        disconnect(session, why);
    }
    // From here on the process serves one authenticated user: it can never gain privileges.
    if (std::string problem = restrict_session(); !problem.empty())
        LogLine("sandbox_incomplete", LogLine::Level::warn).add("problem", problem).emit();
    timeout = 0;  // blocking channel writes wait for the client's window instead of giving up
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);

    LogLine("session_start")
        .add("user", user.name)
        .add("role", std::string(config::to_string(user.role)))
        .add("remote", setup.remote)
        .add("client", client_version)
        .emit();
    metrics::session_opened();
    std::string why;
    try {
        ChannelTransport transport(st.channel);
        SftpContext context{&config, user.name, user.role, setup.remote, client_version};
        SftpServer server(transport, std::move(context), Jail(open_root(config, user)));
        why = server.run();
    } catch (const std::exception& e) {
        why = std::string("session error: ") + e.what();
    }
    metrics::session_closed();
    LogLine("session_end")
        .add("user", user.name)
        .add("remote", setup.remote)
        .add("reason", why)
        .emit();
    ssh_channel_request_send_exit_status(st.channel, 0);  // ssh/scp report -1 without it
    ssh_channel_send_eof(st.channel);
    ssh_channel_close(st.channel);
    if (why == "client closed the channel") {
        // Let the client close the connection first, so it does not report "closed by remote host".
        ssh_event done = ssh_event_new();
        ssh_event_add_session(done, session);
        for (int i = 0; i < 20 && !(ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR)); ++i)
            if (ssh_event_dopoll(done, 100) == SSH_ERROR) break;
        ssh_event_remove_session(done, session);
        ssh_event_free(done);
        ssh_free(session);
        ::_exit(0);
    }
    disconnect(session, why);
}

}  // namespace dropgate::gateway
