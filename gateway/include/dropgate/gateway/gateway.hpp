// The SFTP gateway (spec §5): listens on every server.listen endpoint, forks one process per
// connection, authenticates with libssh and serves dropgate's own SFTP v3 codec over the
// channel into store.mount. Details and the reasons behind them: docs/gateway.md.
#pragma once

#include "dropgate/config/config.hpp"

namespace dropgate::gateway {

// Runs in the foreground until SIGTERM/SIGINT, then stops accepting, lets running sessions
// finish (up to a grace period) and returns 0. Throws std::runtime_error (with the endpoint or
// path) if it cannot start: host key, listening sockets, user keys.
int run(const config::Config& config);

}  // namespace dropgate::gateway
