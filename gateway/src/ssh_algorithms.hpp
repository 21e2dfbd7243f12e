// The SSH algorithms the gateway offers: only those ssh-audit does not fail, and every one a
// supported client needs (docs/gateway.md, "Algorithms").
#pragma once

#include <libssh/server.h>

namespace dropgate::gateway {

// Restricts key exchange, ciphers, MACs and host-key algorithms of every session accepted on
// `bind` (sessions copy them at accept). Throws std::runtime_error naming the option libssh
// refused.
void restrict_algorithms(ssh_bind bind);

}  // namespace dropgate::gateway
