// What libssh calls back while a client logs in (connection.cpp drives the phases): the password
// and public-key checks, the one session channel, and the `sftp` subsystem on it. Every other
// channel request (exec, shell, pty, another subsystem) is refused and logged.
#pragma once

#include <libssh/callbacks.h>
#include <libssh/server.h>

#include "connection.hpp"

namespace dropgate::gateway {

// The login's progress, filled in by the callbacks. It must outlive the ssh_session it is
// installed on: libssh keeps pointers to the callback structs, it does not copy them.
struct Login {
    const WorkerSetup* setup = nullptr;
    const Connection* connection = nullptr;
    const config::User* user = nullptr;  // set only once a password matched or a signature verified
    int failures = 0;                    // for MaxAuthTries: every refused password or key
    int rejected_keys = 0;          // keys offered that are not the user's (agents offer several)
    std::string last_user;          // the user name of the last rejected key
    ssh_channel channel = nullptr;  // the one session channel (freed with the session)
    bool sftp = false;              // the sftp subsystem was accepted on it
    ssh_server_callbacks_struct server_callbacks{};
    ssh_channel_callbacks_struct channel_callbacks{};

    bool complete() const { return user && channel && sftp; }
};

// A connection that ends without logging in after offering keys that were not the user's: one
// auth failure (logged, counted, reported to the parent for bans).
void failed_key_login(const Login& login);

// Registers the callbacks and the advertised auth methods on `session`, before its key exchange.
void install_login_callbacks(Login& login, ssh_session session);

}  // namespace dropgate::gateway
