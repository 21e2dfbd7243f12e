// One connection, phase by phase: accept and key exchange, the authentication loop, admission
// by the parent, the SFTP session, the orderly close. Each phase is one function below;
// serve_connection reads as their sequence.
#include "connection.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>

#include "channel_transport.hpp"
#include "dropgate/base/log.hpp"
#include "dropgate/base/ssh.hpp"
#include "dropgate/base/unique_fd.hpp"
#include "dropgate/contract/names.hpp"
#include "gateway_metrics.hpp"
#include "jail.hpp"
#include "login_callbacks.hpp"
#include "sandbox.hpp"
#include "sftp_server.hpp"
#include "socket_readahead.hpp"
#include "worker.hpp"

namespace dropgate::gateway {

namespace {

constexpr int kMaxAuthTries = 6;

volatile sig_atomic_t stop_flag = 0;
volatile sig_atomic_t current_socket = -1;
void on_stop(int) {  // the parent's grace period is over: end the session (uploads get "aborted")
    stop_flag = 1;
    if (current_socket >= 0) ::shutdown(current_socket, SHUT_RDWR);
}

// What serve_connection sets up for one connection and undoes on every way out: the socket a
// stop shuts down, the login alarm (SIGALRM ends a slow login), the read-ahead on the socket.
class ConnectionScope {
  public:
    ConnectionScope(int socket_fd, std::chrono::seconds login_grace_time) {
        current_socket = socket_fd;
        if (stop_flag) ::shutdown(socket_fd, SHUT_RDWR);
        ::alarm(unsigned(login_grace_time.count()));
        readahead::enable(socket_fd);
    }
    ~ConnectionScope() {  // the socket is closed by now; forget it
        readahead::disable();
        ::alarm(0);
        current_socket = -1;
    }
    ConnectionScope(const ConnectionScope&) = delete;
    ConnectionScope& operator=(const ConnectionScope&) = delete;
};

// libssh closes the socket right after DISCONNECT; with the client's next packet still unread,
// the kernel answers with a reset and the client loses the message. So the session keeps its
// own copy of the socket: FIN after libssh is done, then read until the client closes (or 2 s).
void linger_close(UniqueFd socket_copy) {
    if (!socket_copy) return;
    ::shutdown(socket_copy.get(), SHUT_WR);
    struct timeval tv {
        2, 0
    };
    ::setsockopt(socket_copy.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char sink[4096];
    while (::read(socket_copy.get(), sink, sizeof sink) > 0) {
    }
}

void disconnect(SshSession session, const std::string& message, UniqueFd socket_copy) {
    if (!message.empty()) ssh_session_set_disconnect_message(session.get(), message.c_str());
    ssh_disconnect(session.get());
    session.reset();
    linger_close(std::move(socket_copy));
}

// Hands the socket to libssh and runs the key exchange under login_grace_time. nullptr if that
// failed (the socket is closed then); otherwise the session owns the socket.
SshSession accept_and_exchange_keys(Login& login, int socket_fd) {
    const WorkerSetup& setup = *login.setup;
    SshSession session(ssh_new());
    if (!session || ssh_bind_accept_fd(setup.bind, session.get(), socket_fd) != SSH_OK) {
        session.reset();
        ::close(socket_fd);
        return nullptr;
    }
    long timeout = long(setup.config->server.login_grace_time.count());
    ssh_options_set(session.get(), SSH_OPTIONS_TIMEOUT, &timeout);
    install_login_callbacks(login, session.get());
    if (ssh_handle_key_exchange(session.get()) != SSH_OK) {
        log::warn("kex_failed",
                  {{"remote", login.connection->remote}, {"error", ssh_get_error(session.get())}});
        return nullptr;
    }
    return session;
}

enum class LoginEnd { logged_in, gone, too_many_failures };

// Runs libssh's events until the client is authenticated and has its sftp channel, gives up, or
// leaves (libssh has no MaxAuthTries: the callbacks count failures).
LoginEnd authenticate(Login& login, ssh_session session) {
    SshEvent event(ssh_event_new());
    ssh_event_add_session(event.get(), session);
    LoginEnd end = LoginEnd::gone;
    for (;;) {
        if (ssh_event_dopoll(event.get(), 1000) == SSH_ERROR ||
            (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
            end = LoginEnd::gone;
            break;
        }
        if (login.failures >= kMaxAuthTries && !login.user) {
            end = LoginEnd::too_many_failures;
            break;
        }
        if (login.complete()) {
            end = LoginEnd::logged_in;
            break;
        }
    }
    // Before the blocking SFTP loop: otherwise its reads would poll the event's whole context.
    ssh_event_remove_session(event.get(), session);
    return end;
}

// Asks the parent whether this user may open one more session; "" if yes, else why not.
std::string admission_refusal(const WorkerSetup& setup, const std::string& user) {
    const config::Server& server = setup.config->server;
    Control answer = admission(setup.control_fd, user);
    if (answer == Control::none) return "the gateway is shutting down";
    if (answer == Control::too_many_sessions)
        return "too many sessions (max_sessions " + std::to_string(server.max_sessions) + ")";
    if (answer == Control::too_many_for_user)
        return "too many sessions for user " + user + " (max_sessions_per_user " +
               std::to_string(server.max_sessions_per_user) + ")";
    return "";
}

// From here on the process can never gain privileges; the filter stays for its lifetime (it is
// the same for every session, so a reused worker installs it once).
void enter_sandbox(const SessionSandbox& sandbox) {
    static bool sandboxed = false;
    if (sandboxed) return;
    sandboxed = true;
    if (std::string problem = sandbox.apply(); !problem.empty())
        log::warn("sandbox_incomplete", {{"problem", problem}});
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

// The SFTP session on the login's channel, until it ends; returns why it ended.
std::string run_sftp(const Login& login, ssh_session session, const std::string& client_version) {
    const config::Config& config = *login.setup->config;
    const config::User& user = *login.user;
    const std::string& remote = login.connection->remote;
    long timeout = 0;  // blocking channel writes wait for the client's window instead of giving up
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);
    log::info("session_start", {{"user", user.name},
                                {"role", std::string(config::to_string(user.role))},
                                {"remote", remote},
                                {"client", client_version}});
    gateway_metrics::session_opened();
    std::string why;
    try {
        ChannelTransport transport(login.channel);
        SftpContext context{&config, user.name, user.role, remote, client_version};
        // The bundle views (<bundle>.d/) are the support role's: a customer's tree has none.
        Jail::Hidden hidden;
        if (user.role == config::Role::customer)
            hidden = [names = contract::NamePolicy(config.store)](std::string_view name) {
                return names.viewed_bundle(name).has_value();
            };
        SftpServer server(transport, std::move(context), Jail(open_root(config, user), hidden));
        why = server.run();
    } catch (const std::exception& e) {
        why = std::string("session error: ") + e.what();
    }
    gateway_metrics::session_closed();
    log::info("session_end", {{"user", user.name}, {"remote", remote}, {"reason", why}});
    return why;
}

// Ends the channel the way OpenSSH's clients expect. After an orderly session (the client
// closed its channel) the client closes the connection first, so it does not report "closed by
// remote host", and the worker may serve another one; anything else is a disconnect.
SessionEnd close_session(SshSession session, ssh_channel channel, const std::string& why,
                         UniqueFd socket_copy) {
    ssh_channel_request_send_exit_status(channel, 0);  // ssh/scp report -1 without it
    ssh_channel_send_eof(channel);
    ssh_channel_close(channel);
    if (why != kClientClosed || stop_flag) {
        disconnect(std::move(session), why, std::move(socket_copy));
        return SessionEnd::other;
    }
    SshEvent done(ssh_event_new());
    ssh_event_add_session(done.get(), session.get());
    for (int i = 0; i < 20 && !(ssh_get_status(session.get()) & (SSH_CLOSED | SSH_CLOSED_ERROR));
         ++i)
        if (ssh_event_dopoll(done.get(), 100) == SSH_ERROR) break;
    ssh_event_remove_session(done.get(), session.get());
    return SessionEnd::clean;
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

// Declaration order is release order, backwards: the session (which closes the socket libssh
// was given), then the socket copy, then the login its callbacks point into, then the scope.
SessionEnd serve_connection(const WorkerSetup& setup, Connection connection) {
    ConnectionScope scope(connection.socket_fd, setup.config->server.login_grace_time);
    Login login;
    login.setup = &setup;
    login.connection = &connection;
    UniqueFd socket_copy(::dup(connection.socket_fd));  // for the orderly close (linger_close)
    SshSession session = accept_and_exchange_keys(login, connection.socket_fd);
    if (!session) return SessionEnd::other;
    const char* banner = ssh_get_clientbanner(session.get());
    const std::string client_version = banner ? banner : "";

    const LoginEnd login_end = authenticate(login, session.get());
    if (login_end != LoginEnd::logged_in) failed_key_login(login);
    switch (login_end) {
        case LoginEnd::gone:
            return SessionEnd::other;
        case LoginEnd::too_many_failures:
            disconnect(std::move(session), "too many authentication failures",
                       std::move(socket_copy));
            return SessionEnd::other;
        case LoginEnd::logged_in:
            break;
    }
    ::alarm(0);

    if (std::string why = admission_refusal(setup, login.user->name); !why.empty()) {
        log::info("connection_refused",
                  {{"user", login.user->name}, {"remote", connection.remote}, {"reason", why}});
        ssh_channel_write_stderr(login.channel, (why + "\n").data(), std::uint32_t(why.size() + 1));
        disconnect(std::move(session), why, std::move(socket_copy));
        return SessionEnd::other;
    }
    enter_sandbox(*setup.sandbox);
    std::string why = run_sftp(login, session.get(), client_version);
    return close_session(std::move(session), login.channel, why, std::move(socket_copy));
}

}  // namespace dropgate::gateway
