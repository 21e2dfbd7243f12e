#include "worker.hpp"

#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "dropgate/base/sanitizers.hpp"

namespace dropgate::gateway {

namespace {

constexpr rlim_t kAddressSpaceLimit = 1ull << 30;  // far above a worker's needs, far below the box

// Page faults dominate a short session's CPU on a virtualised host (each one traps to the
// hypervisor). Grow the heap once and populate it with one madvise call, so the key exchange
// and the first packets reuse ready pages instead of faulting them in one by one.
void prefault_heap() {
    constexpr std::size_t kSize = 640 << 10;
    void* block = ::malloc(kSize);
    if (!block) return;
    auto begin = (reinterpret_cast<std::uintptr_t>(block) + 4095) & ~std::uintptr_t(4095);
    auto end = (reinterpret_cast<std::uintptr_t>(block) + kSize) & ~std::uintptr_t(4095);
#ifdef MADV_POPULATE_WRITE
    ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
    (void)begin, (void)end;
#endif
    ::free(block);
}

bool send_message(int fd, const std::string& message) {
    for (;;) {
        ssize_t n = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL);
        if (n == ssize_t(message.size())) return true;
        if (n < 0 && errno == EINTR) continue;
        return false;
    }
}

// Waits for the parent's next connection. nullopt: retired (the parent closed its end), or a
// stop was requested.
std::optional<Connection> next_connection(int control_fd) {
    char buf[512];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        if (stop_requested()) return std::nullopt;
        n = ::recvmsg(control_fd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    int fd = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    if (n <= 0 || Control(buf[0]) != Control::connection || fd < 0) {
        if (fd >= 0) ::close(fd);
        return std::nullopt;
    }
    return Connection{fd, std::string(buf + 1, std::size_t(n - 1))};
}

}  // namespace

Control admission(int control_fd, const std::string& user) {
    char answer = 0;
    if (!send_message(control_fd, control_message(Control::admit, user))) return Control::none;
    ssize_t n;
    do n = ::recv(control_fd, &answer, 1, 0);
    while (n < 0 && errno == EINTR && !stop_requested());
    return n == 1 ? Control(answer) : Control::none;
}

void report_auth_failure(int control_fd, std::string_view user) {
    send_message(control_fd, control_message(Control::auth_failure, user));
}

bool hand_over(int control_fd, int socket_fd, const std::string& remote) {
    std::string text = control_message(Control::connection, remote);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{text.data(), text.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &socket_fd, sizeof socket_fd);
    ssize_t n;
    do n = ::sendmsg(control_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return n == ssize_t(text.size());
}

void run_worker(const WorkerSetup& setup, Connection first) {
    prepare_session_process();
    // If the gateway dies (kill -9, or its supervisor's death), end the session the same way
    // as after the grace period: uploads in progress are marked aborted, nothing lingers.
    ::prctl(PR_SET_PDEATHSIG, SIGUSR1);
    if (::getppid() != setup.parent) ::raise(SIGUSR1);
    // Keep freed memory for reuse instead of unmapping it and faulting it in again.
    ::mallopt(M_MMAP_THRESHOLD, 4 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 16 << 20);
    prefault_heap();
    struct rlimit limit {
        kAddressSpaceLimit, kAddressSpaceLimit
    };
    // Under ASan the process has already reserved terabytes for the shadow: no bound fits, and
    // with one every later mmap of its allocator fails ("Failed to mmap").
    if (!kAddressSanitizer) ::setrlimit(RLIMIT_AS, &limit);

    std::optional<Connection> connection = std::move(first);
    for (int served = 1; connection; ++served) {
        if (serve_connection(setup, std::move(*connection)) != SessionEnd::clean ||
            served >= kSessionsPerWorker || stop_requested() ||
            !send_message(setup.control_fd, control_message(Control::idle)))
            break;
        connection = next_connection(setup.control_fd);
    }
    ::_exit(0);
}

}  // namespace dropgate::gateway
