// The HTTPS front end (spec §11): `PUT /upload/<path>`, tus 1.0 at /files/, the customer's and
// support's read API, over TLS (or plain HTTP when [http] plain = true), into store.mount.
// Details and the reasons behind them: docs/http.md.
#pragma once

#include "dropgate/config/config.hpp"

namespace dropgate::http {

// Runs in the foreground until SIGTERM/SIGINT, then stops accepting, lets running requests
// finish (up to a grace period) and returns 0. Throws std::runtime_error (naming the endpoint
// or file) if it cannot start: no [http] section, certificate, key, listening sockets.
int run(const config::Config& config);

}  // namespace dropgate::http
