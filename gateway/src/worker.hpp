// Session workers: the processes that serve connections. Each serves one connection at a time
// and, after a clean session, may be handed the next one by the gateway parent instead of
// exiting (docs/gateway.md, "Process model"). They talk to the parent in control.hpp's messages.
#pragma once

#include <optional>
#include <string>

#include "connection.hpp"
#include "control.hpp"

namespace dropgate::gateway {

// A worker serves at most this many connections, then exits and the parent forks a fresh one.
constexpr int kSessionsPerWorker = 256;

// In a freshly forked worker: serves `first`, then whatever the parent hands over. Never returns.
[[noreturn]] void run_worker(const WorkerSetup& setup, Connection first);

// Worker side: asks for admission; the parent's answer, or Control::none if it is gone.
Control admission(int control_fd, const std::string& user);

// Parent side: hands `socket_fd` (still owned by the caller) to an idle worker.
// Worker side: tells the parent of a failed login by `user` (no answer).
void report_auth_failure(int control_fd, std::string_view user);

bool hand_over(int control_fd, int socket_fd, const std::string& remote);

}  // namespace dropgate::gateway
