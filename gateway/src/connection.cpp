#include "connection.hpp"

#include <fcntl.h>
#include <libssh/callbacks.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "dropgate/base/log.hpp"
#include "gateway_metrics.hpp"
#include "jail.hpp"
#include "sandbox.hpp"
#include "sftp_server.hpp"
#include "socket_readahead.hpp"
#include "worker.hpp"

namespace dropgate::gateway {

namespace {

constexpr int kMaxAuthTries = 6;

struct State {
    const WorkerSetup* setup = nullptr;
    const Connection* connection = nullptr;
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
    if (failed) gateway_metrics::auth_failure();
    log::event(
        failed ? log::Level::warn : log::Level::info, event,
        {{"user", user ? user : ""}, {"method", method}, {"remote", st->connection->remote}});
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
    log::info("request_refused", {{"request", std::string("subsystem ") + subsystem},
                                  {"remote", st->connection->remote}});
    return 1;
}

int on_exec(ssh_session, ssh_channel, const char*, void* userdata) {
    log::info("request_refused",
              {{"request", "exec"}, {"remote", state_of(userdata)->connection->remote}});
    return 1;
}

int on_shell(ssh_session, ssh_channel, void* userdata) {
    log::info("request_refused",
              {{"request", "shell"}, {"remote", state_of(userdata)->connection->remote}});
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
// the kernel answers with a reset and the client loses the message. So the session keeps its
// own copy of the socket: FIN after libssh is done, then read until the client closes (or 2 s).
void linger_close(int socket_copy) {
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
}

void disconnect(ssh_session session, const std::string& message, int socket_copy) {
    if (!message.empty()) ssh_session_set_disconnect_message(session, message.c_str());
    ssh_disconnect(session);
    ssh_free(session);
    linger_close(socket_copy);
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

volatile sig_atomic_t stop_flag = 0;
volatile sig_atomic_t current_socket = -1;
void on_stop(int) {  // the parent's grace period is over: end the session (uploads get "aborted")
    stop_flag = 1;
    if (current_socket >= 0) ::shutdown(current_socket, SHUT_RDWR);
}

// Asks the parent whether this user may open one more session; "" if yes, else why not.
std::string parent_refusal(int control_fd, const config::Config& config, const std::string& user) {
    Control answer = admission(control_fd, user);
    if (answer == Control::none) return "the gateway is shutting down";
    if (answer == Control::too_many_sessions)
        return "too many sessions (max_sessions " + std::to_string(config.server.max_sessions) +
               ")";
    if (answer == Control::too_many_for_user)
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

bool stop_requested() {
    return stop_flag;
}

void prepare_session_process() {
    ::signal(SIGTERM, SIG_IGN);  // the parent decides when a session must stop (SIGUSR1)
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGCHLD, SIG_DFL);
    struct sigaction sa {};
    sa.sa_handler = on_stop;  // no SA_RESTART: an idle worker's wait returns at once
    ::sigaction(SIGUSR1, &sa, nullptr);
}

SessionEnd serve_connection(const WorkerSetup& setup, Connection connection) {
    const config::Config& config = *setup.config;
    current_socket = connection.socket_fd;
    if (stop_flag) ::shutdown(connection.socket_fd, SHUT_RDWR);
    ::alarm(unsigned(config.server.login_grace_time.count()));  // SIGALRM ends a slow login

    int socket_copy = ::dup(connection.socket_fd);
    readahead::enable(connection.socket_fd);
    ssh_session session = ssh_new();
    // ssh_free closes the socket libssh was given; socket_copy is closed by linger_close.
    if (!session || ssh_bind_accept_fd(setup.bind, session, connection.socket_fd) != SSH_OK) {
        if (session) ssh_free(session);
        ::close(connection.socket_fd);
        ::close(socket_copy);
        readahead::disable();
        return SessionEnd::other;
    }
    auto end = [&](SessionEnd how) {  // the socket is closed by now; forget it
        readahead::disable();
        ::alarm(0);
        current_socket = -1;
        return how;
    };
    long timeout = long(config.server.login_grace_time.count());
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);

    State st;
    st.setup = &setup;
    st.connection = &connection;
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
        log::warn("kex_failed", {{"remote", connection.remote}, {"error", ssh_get_error(session)}});
        ssh_free(session);
        ::close(socket_copy);
        return end(SessionEnd::other);
    }
    std::string client_version = ssh_get_clientbanner(session) ? ssh_get_clientbanner(session) : "";

    ssh_event event = ssh_event_new();
    ssh_event_add_session(event, session);
    bool logged_in = false, gone = false;
    while (!gone && !logged_in) {
        if (ssh_event_dopoll(event, 1000) == SSH_ERROR ||
            (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR)))
            gone = true;
        else if (st.failures >= kMaxAuthTries && !st.user)
            break;
        else
            logged_in = st.user && st.channel && st.sftp;
    }
    ssh_event_remove_session(event, session);
    ssh_event_free(event);
    if (!logged_in) {
        if (gone) {
            ssh_free(session);
            ::close(socket_copy);
        } else {
            disconnect(session, "too many authentication failures", socket_copy);
        }
        return end(SessionEnd::other);
    }
    ::alarm(0);

    const config::User& user = *st.user;
    if (std::string why = parent_refusal(setup.control_fd, config, user.name); !why.empty()) {
        log::info("connection_refused",
                  {{"user", user.name}, {"remote", connection.remote}, {"reason", why}});
        ssh_channel_write_stderr(st.channel, (why + "\n").data(), std::uint32_t(why.size() + 1));
        disconnect(session, why, socket_copy);
        return end(SessionEnd::other);
    }
    // From here on the process can never gain privileges; the filter stays for its lifetime
    // (it is the same for every session, so a reused worker installs it once).
    static bool sandboxed = false;
    if (!sandboxed) {
        sandboxed = true;
        if (std::string problem = setup.sandbox->apply(); !problem.empty())
            log::warn("sandbox_incomplete", {{"problem", problem}});
    }
    timeout = 0;  // blocking channel writes wait for the client's window instead of giving up
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);

    log::info("session_start", {{"user", user.name},
                                {"role", std::string(config::to_string(user.role))},
                                {"remote", connection.remote},
                                {"client", client_version}});
    gateway_metrics::session_opened();
    std::string why;
    try {
        ChannelTransport transport(st.channel);
        SftpContext context{&config, user.name, user.role, connection.remote, client_version};
        SftpServer server(transport, std::move(context), Jail(open_root(config, user)));
        why = server.run();
    } catch (const std::exception& e) {
        why = std::string("session error: ") + e.what();
    }
    gateway_metrics::session_closed();
    log::info("session_end", {{"user", user.name}, {"remote", connection.remote}, {"reason", why}});
    ssh_channel_request_send_exit_status(st.channel, 0);  // ssh/scp report -1 without it
    ssh_channel_send_eof(st.channel);
    ssh_channel_close(st.channel);
    if (why != "client closed the channel" || stop_flag) {
        disconnect(session, why, socket_copy);
        return end(SessionEnd::other);
    }
    // Let the client close the connection first, so it does not report "closed by remote host".
    ssh_event done = ssh_event_new();
    ssh_event_add_session(done, session);
    for (int i = 0; i < 20 && !(ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR)); ++i)
        if (ssh_event_dopoll(done, 100) == SSH_ERROR) break;
    ssh_event_remove_session(done, session);
    ssh_event_free(done);
    ssh_free(session);
    ::close(socket_copy);
    return end(SessionEnd::clean);
}

}  // namespace dropgate::gateway
