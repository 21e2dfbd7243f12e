#include "login_callbacks.hpp"

#include <cstring>
#include <string>

#include "dropgate/base/log.hpp"
#include "gateway_metrics.hpp"
#include "worker.hpp"

namespace dropgate::gateway {

namespace {

Login* login_of(void* userdata) {
    return static_cast<Login*>(userdata);
}

void auth_log(const Login* login, const char* event, const char* user, const char* method) {
    bool failed = std::strcmp(event, "auth_failure") == 0;
    if (failed) gateway_metrics::auth_failure();
    log::event(
        failed ? log::Level::warn : log::Level::info, event,
        {{"door", "sftp"}, {"remote", login->connection->remote}, {"user", user ? user : ""},
         {"method", method}});
}

int on_password(ssh_session, const char* user, const char* password, void* userdata) {
    Login* login = login_of(userdata);
    if (const config::User* found = login->setup->auth->by_password(user ? user : "", password)) {
        login->user = found;
        auth_log(login, "auth_success", user, "password");
        return SSH_AUTH_SUCCESS;
    }
    ++login->failures;
    auth_log(login, "auth_failure", user, "password");
    report_auth_failure(login->setup->control_fd, user ? user : "");
    return SSH_AUTH_DENIED;
}

// Called twice per key: a probe (STATE_NONE) and, after libssh verified the signature,
// STATE_VALID. Only the second one grants access.
int on_pubkey(ssh_session, const char* user, ssh_key pubkey, char signature_state, void* userdata) {
    Login* login = login_of(userdata);
    const config::User* found = login->setup->auth->by_key(user ? user : "", pubkey);
    if (!found) {
        // Not a failure by itself: agents offer every key they hold. A connection that ends
        // without logging in after this is one (failed_key_login).
        ++login->failures;
        ++login->rejected_keys;
        login->last_user = user ? user : "";
        log::debug("key_rejected",
                   {{"user", login->last_user}, {"remote", login->connection->remote}});
        return SSH_AUTH_DENIED;
    }
    if (signature_state == SSH_PUBLICKEY_STATE_NONE) return SSH_AUTH_SUCCESS;
    if (signature_state != SSH_PUBLICKEY_STATE_VALID) return SSH_AUTH_DENIED;
    login->user = found;
    auth_log(login, "auth_success", user, "publickey");
    return SSH_AUTH_SUCCESS;
}

void refused(const Login* login, const std::string& request) {
    log::info("request_refused", {{"request", request}, {"remote", login->connection->remote}});
}

int on_subsystem(ssh_session, ssh_channel, const char* subsystem, void* userdata) {
    Login* login = login_of(userdata);
    if (std::strcmp(subsystem, "sftp") == 0 && !login->sftp) {
        login->sftp = true;
        return 0;
    }
    refused(login, std::string("subsystem ") + subsystem);
    return 1;
}

int on_exec(ssh_session, ssh_channel, const char*, void* userdata) {
    refused(login_of(userdata), "exec");
    return 1;
}

int on_shell(ssh_session, ssh_channel, void* userdata) {
    refused(login_of(userdata), "shell");
    return 1;
}

int on_pty(ssh_session, ssh_channel, const char*, int, int, int, int, void*) {
    return -1;
}

ssh_channel on_channel_open(ssh_session session, void* userdata) {
    Login* login = login_of(userdata);
    if (!login->user || login->channel) return nullptr;  // one session channel, after auth only
    login->channel = ssh_channel_new(session);
    if (!login->channel) return nullptr;
    auto& callbacks = login->channel_callbacks;
    callbacks.userdata = login;
    callbacks.channel_subsystem_request_function = on_subsystem;
    callbacks.channel_exec_request_function = on_exec;
    callbacks.channel_shell_request_function = on_shell;
    callbacks.channel_pty_request_function = on_pty;
    ssh_callbacks_init(&callbacks);
    ssh_set_channel_callbacks(login->channel, &callbacks);
    return login->channel;
}

}  // namespace

void failed_key_login(const Login& login) {
    if (login.user || login.rejected_keys == 0) return;
    auth_log(&login, "auth_failure", login.last_user.c_str(), "publickey");
    report_auth_failure(login.setup->control_fd, login.last_user);
}

void install_login_callbacks(Login& login, ssh_session session) {
    bool passwords = login.setup->auth->any_password();
    auto& callbacks = login.server_callbacks;
    callbacks.userdata = &login;
    callbacks.auth_pubkey_function = on_pubkey;
    // Registered only when some user has a password: libssh runs any registered auth callback,
    // whatever methods are advertised.
    if (passwords) callbacks.auth_password_function = on_password;
    callbacks.channel_open_request_session_function = on_channel_open;
    ssh_callbacks_init(&callbacks);
    ssh_set_server_callbacks(session, &callbacks);
    ssh_set_auth_methods(session,
                         SSH_AUTH_METHOD_PUBLICKEY | (passwords ? SSH_AUTH_METHOD_PASSWORD : 0));
}

}  // namespace dropgate::gateway
