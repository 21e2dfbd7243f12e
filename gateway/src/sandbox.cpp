#include "sandbox.hpp"

#include <sys/prctl.h>

#include <cerrno>
#include <cstring>

#if DROPGATE_HAVE_SECCOMP
#include <seccomp.h>
#endif

namespace dropgate::gateway {

std::string restrict_session() {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return std::string("no_new_privs: ") + std::strerror(errno);
#if DROPGATE_HAVE_SECCOMP
    // A deny-list, not an allow-list: libssh, OpenSSL, glibc and SQLite (refusal reasons) use a
    // wide, version-dependent set of calls, and a missing entry in an allow-list would break
    // uploads. What is denied here is never needed after login by design.
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
    if (!filter) return "seccomp_init failed";
    static const int denied[] = {
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
    std::string problem;
    for (int call : denied)
        if (seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), call, 0) != 0)
            problem = "seccomp_rule_add failed";
    if (problem.empty() && seccomp_load(filter) != 0) problem = "seccomp_load failed";
    seccomp_release(filter);
    return problem;
#else
    return "";
#endif
}

}  // namespace dropgate::gateway
