// What a session process gives up once its user is authenticated (spec §7).
#pragma once

#include <string>

namespace dropgate::gateway {

// no_new_privs, then (with libseccomp) a filter that makes the calls a compromised session
// would need to do harm fail with EPERM: exec, fork/clone, new sockets and connections,
// ptrace, mounts, namespaces, uid changes, module and BPF loading. Returns "" or what failed
// (the session continues either way; the caller logs it).
std::string restrict_session();

}  // namespace dropgate::gateway
