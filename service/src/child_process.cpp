#include "child_process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

namespace dropgate::service {

ChildProcess::ChildProcess(std::string name, const std::vector<std::string>& args)
    : name_(std::move(name)) {
    std::vector<std::string> argv{"dropgate"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork " + name_);
    if (pid_ == 0) {
        // A supervisor that dies takes the service down with it, like a crash: the restarted
        // service's start-up then cleans staging and marks interrupted uploads aborted.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        std::vector<char*> raw;
        for (auto& a : argv) raw.push_back(a.data());
        raw.push_back(nullptr);
        execv("/proc/self/exe", raw.data());
        _exit(127);
    }
}

ChildProcess::~ChildProcess() {
    if (!reaped_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

void ChildProcess::record(int wait_status) {
    reaped_ = true;
    if (WIFEXITED(wait_status)) {
        status_ = WEXITSTATUS(wait_status);
        ended_ = "exited with status " + std::to_string(status_);
    } else {
        status_ = 128 + WTERMSIG(wait_status);
        ended_ = "killed by signal " + std::to_string(WTERMSIG(wait_status));
    }
}

bool ChildProcess::running() {
    if (reaped_) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) record(status);
    return !reaped_;
}

void ChildProcess::signal(int signo) {
    if (!reaped_) ::kill(pid_, signo);
}

void ChildProcess::terminate() {
    if (terminated_) return;
    terminated_ = true;
    signal(SIGTERM);
}

bool ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
    terminate();
    if (!wait_for_exit(grace)) {
        signal(SIGKILL);
        wait_for_exit(std::chrono::seconds(10));
    }
    return status_;
}

}  // namespace dropgate::service
