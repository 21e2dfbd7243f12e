// One client connection: SSH key exchange, authentication, the single `sftp` channel, then the
// SFTP loop. Runs in a session worker process (worker.hpp), one connection at a time.
#pragma once

#include <libssh/server.h>

#include <sys/types.h>

#include <string>

#include "auth.hpp"
#include "dropgate/config/config.hpp"
#include "sandbox.hpp"

namespace dropgate::gateway {

// What every connection a worker serves shares (set up by the gateway parent before the fork).
struct WorkerSetup {
    const config::Config* config = nullptr;
    const Authenticator* auth = nullptr;
    ssh_bind bind = nullptr;
    const SessionSandbox* sandbox = nullptr;
    int control_fd = -1;  // to the parent (worker.hpp has the protocol)
    pid_t parent = 0;     // the gateway process: its workers end when it dies
};

struct Connection {
    int socket_fd = -1;  // owned: closed when the connection has been served
    std::string remote;  // "ip:port"
};

enum class SessionEnd {
    clean,  // the client closed its channel after an orderly session: the worker may go on
    other   // anything else (failed login, protocol error, timeout, stop): the worker exits
};

// Once per worker process, before its first connection: signal dispositions.
void prepare_session_process();

SessionEnd serve_connection(const WorkerSetup& setup, Connection connection);

// Set by SIGUSR1 (the parent's grace period is over, or the parent died).
bool stop_requested();

}  // namespace dropgate::gateway
