// One client connection, served in its own forked process: SSH key exchange, authentication,
// the single `sftp` channel, then the SFTP loop. Never returns.
#pragma once

#include <libssh/server.h>

#include <sys/types.h>

#include <string>

#include "auth.hpp"
#include "dropgate/config/config.hpp"

namespace dropgate::gateway {

struct ConnectionSetup {
    const config::Config* config = nullptr;
    const Authenticator* auth = nullptr;
    ssh_bind bind = nullptr;
    int socket_fd = -1;
    int control_fd = -1;  // to the parent: "user\n" -> 'Y' go on, 'G'/'U' a session limit
    std::string remote;   // "ip:port"
    pid_t parent = 0;     // the gateway process: a session ends when it dies
};

[[noreturn]] void serve_connection(const ConnectionSetup& setup);

}  // namespace dropgate::gateway
