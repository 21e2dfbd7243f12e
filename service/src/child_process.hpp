// A child process started from our own binary, owned like a handle: the destructor kills and
// reaps it if nobody has, so no error path leaves a stray store or gateway behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dropgate::service {

class ChildProcess {
  public:
    // Starts /proc/self/exe with `args` (argv[1..]); `name` is used in messages.
    ChildProcess(std::string name, const std::vector<std::string>& args);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    const std::string& name() const { return name_; }
    pid_t pid() const { return pid_; }
    bool running();  // reaps it if it has exited
    // "exited with status 3" / "killed by signal 9"; empty while running.
    const std::string& how_it_ended() const { return ended_; }

    void signal(int signo);
    // Asks it to stop (SIGTERM), once: a part that is already stopping may have put its own
    // SIGTERM handling away, and a second SIGTERM would then kill it mid-exit.
    void terminate();
    // Waits up to `timeout` for the child to exit; returns true if it did.
    bool wait_for_exit(std::chrono::milliseconds timeout);
    // terminate(), wait `grace`, then SIGKILL. Returns the exit status (0 clean).
    int stop(std::chrono::milliseconds grace);
    int exit_status() const { return status_; }

  private:
    void record(int wait_status);

    std::string name_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    bool terminated_ = false;
    int status_ = -1;
    std::string ended_;
};

}  // namespace dropgate::service
