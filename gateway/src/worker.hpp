// Session workers: the processes that serve connections. Each serves one connection at a time
// and, after a clean session, may be handed the next one by the gateway parent instead of
// exiting (docs/gateway.md, "Process model"). The parent and a worker talk over a
// SOCK_SEQPACKET pair, one message per packet:
//
//   worker -> parent   'A' user   authenticated: may this user open one more session?
//   parent -> worker   'Y' | 'G' | 'U'   yes | max_sessions reached | max_sessions_per_user reached
//   worker -> parent   'I'        idle: the session ended cleanly, ready for another connection
//   parent -> worker   'C' remote, with the connection's socket attached (SCM_RIGHTS)
//
// The parent closing its end retires a worker: an idle one exits at once, a busy one when its
// session ends.
#pragma once

#include <optional>
#include <string>

#include "connection.hpp"

namespace dropgate::gateway {

// A worker serves at most this many connections, then exits and the parent forks a fresh one.
constexpr int kSessionsPerWorker = 256;

// In a freshly forked worker: serves `first`, then whatever the parent hands over. Never returns.
[[noreturn]] void run_worker(const WorkerSetup& setup, Connection first);

// Worker side: asks for admission; returns 'Y', 'G' or 'U', or 0 if the parent is gone.
char admission(int control_fd, const std::string& user);

// Parent side: hands `socket_fd` (still owned by the caller) to an idle worker.
bool hand_over(int control_fd, int socket_fd, const std::string& remote);

}  // namespace dropgate::gateway
