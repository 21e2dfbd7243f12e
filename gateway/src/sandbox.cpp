#include "sandbox.hpp"

#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "dropgate/base/unique_fd.hpp"

#if DROPGATE_HAVE_SECCOMP
#include <seccomp.h>
#endif

namespace dropgate::gateway {

namespace {

#if DROPGATE_HAVE_SECCOMP
struct FilterFree {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};

// A deny-list, not an allow-list: libssh, OpenSSL, glibc and SQLite (refusal reasons) use a
// wide, version-dependent set of calls, and a missing entry in an allow-list would break
// uploads. What is denied here is never needed after login by design.
constexpr int kDenied[] = {
    SCMP_SYS(execve),
    SCMP_SYS(execveat),
    SCMP_SYS(fork),
    SCMP_SYS(vfork),
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(socket),
    SCMP_SYS(socketpair),
    SCMP_SYS(connect),
    SCMP_SYS(bind),
    SCMP_SYS(listen),
    SCMP_SYS(accept),
    SCMP_SYS(accept4),
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(pivot_root),
    SCMP_SYS(chroot),
    SCMP_SYS(unshare),
    SCMP_SYS(setns),
    SCMP_SYS(setuid),
    SCMP_SYS(setgid),
    SCMP_SYS(setreuid),
    SCMP_SYS(setregid),
    SCMP_SYS(setresuid),
    SCMP_SYS(setresgid),
    SCMP_SYS(setgroups),
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(delete_module),
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),
    SCMP_SYS(keyctl),
    SCMP_SYS(add_key),
    SCMP_SYS(request_key),
    SCMP_SYS(kexec_load),
    SCMP_SYS(reboot),
    SCMP_SYS(io_uring_setup),
    SCMP_SYS(userfaultfd),
    SCMP_SYS(open_by_handle_at),
};

// libseccomp's compiled program, read back from the binary form seccomp_export_bpf writes.
std::vector<sock_filter> compile(std::string& problem) {
    std::unique_ptr<void, FilterFree> filter(seccomp_init(SCMP_ACT_ALLOW));
    if (!filter) {
        problem = "seccomp_init failed";
        return {};
    }
    for (int call : kDenied)
        if (seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(EPERM), call, 0) != 0) {
            problem = "seccomp_rule_add failed";
            return {};
        }
    UniqueFd out(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
    if (!out || seccomp_export_bpf(filter.get(), out.get()) != 0) {
        problem = "seccomp_export_bpf failed";
        return {};
    }
    off_t size = ::lseek(out.get(), 0, SEEK_END);
    std::vector<sock_filter> program(std::size_t(size) / sizeof(sock_filter));
    std::size_t bytes = program.size() * sizeof(sock_filter);
    if (size <= 0 || ::pread(out.get(), program.data(), bytes, 0) != ssize_t(bytes)) {
        problem = "seccomp_export_bpf gave no program";
        return {};
    }
    return program;
}
#endif

}  // namespace

SessionSandbox::SessionSandbox() {
#if DROPGATE_HAVE_SECCOMP
    program_ = compile(problem_);
#else
    problem_ = "built without libseccomp";
#endif
}

std::string SessionSandbox::apply() const {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return std::string("no_new_privs: ") + std::strerror(errno);
    if (program_.empty()) return problem_;
    sock_fprog prog{};
    prog.len = static_cast<unsigned short>(program_.size());
    prog.filter = const_cast<sock_filter*>(program_.data());
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        return std::string("seccomp filter: ") + std::strerror(errno);
    return "";
}

}  // namespace dropgate::gateway
