// What a session process gives up once its user is authenticated (spec §7).
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

namespace dropgate::gateway {

// no_new_privs, then (with libseccomp) a filter that makes the calls a compromised session
// would need to do harm fail with EPERM: exec, fork/clone, new sockets and connections,
// ptrace, mounts, namespaces, uid changes, module and BPF loading.
//
// The filter is compiled once, in the gateway parent (libseccomp's compiler is the costly
// part: building it in each session was ~7% of a short session's CPU); each session only hands
// the finished BPF program to the kernel.
class SessionSandbox {
  public:
    // Compiles the filter; `problem()` says why there is none (the sessions still run).
    SessionSandbox();

    // In the session process: returns "" or what failed (the session continues either way; the
    // caller logs it).
    std::string apply() const;

    const std::string& problem() const { return problem_; }

  private:
    std::vector<sock_filter> program_;
    std::string problem_;
};

}  // namespace dropgate::gateway
