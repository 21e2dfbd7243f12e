#include "socket_readahead.hpp"

#include <dlfcn.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace dropgate::gateway::readahead {

namespace {

constexpr std::size_t kCapacity = 128 << 10;

// Only a session worker ever enables the read-ahead, and it is single-threaded: plain statics.
// Every other process (the FUSE store's threads, the supervisor, the gateway parent) only ever
// reads `socket_fd == -1` and is forwarded to libc.
int socket_fd = -1;
std::unique_ptr<char[]> buffer;
std::size_t begin = 0, end = 0;

bool has_data(int fd) {
    return socket_fd >= 0 && fd == socket_fd && begin < end;
}

using RecvFunction = ssize_t (*)(int, void*, size_t, int);
using PollFunction = int (*)(struct pollfd*, nfds_t, int);

// libc's own definition of `name`: the next one in symbol lookup after the executable's.
// Without it (a static build) nothing could be forwarded, so the process stops at once.
void* libc_symbol(const char* name) {
    void* symbol = ::dlsym(RTLD_NEXT, name);
    if (!symbol) {
        static const char message[] = "dropgate: socket read-ahead: libc's recv/poll not found\n";
        [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, message, sizeof message - 1);
        std::abort();
    }
    return symbol;
}

// Resolved by the first call in a process (a thread-safe static) and kept: the gateway's poll
// loop resolves them before its first fork, so session workers inherit them.
RecvFunction libc_recv() {
    static const auto real = reinterpret_cast<RecvFunction>(libc_symbol("recv"));
    return real;
}

PollFunction libc_poll() {
    static const auto real = reinterpret_cast<PollFunction>(libc_symbol("poll"));
    return real;
}

}  // namespace

void enable(int fd) {
    if (!buffer) buffer.reset(new char[kCapacity]);
    socket_fd = fd;
    begin = end = 0;
}

void disable() {
    socket_fd = -1;
    begin = end = 0;
}

bool enabled() {
    return socket_fd >= 0;
}

}  // namespace dropgate::gateway::readahead

namespace ra = dropgate::gateway::readahead;

// The interposed calls. Outside an enabled session worker — and for every other descriptor in
// it — they are a call of libc's own recv and poll with the same arguments: same code, same
// errno, same EINTR and timeout behaviour.
extern "C" ssize_t recv(int fd, void* out, size_t len, int flags) {
    if (!ra::enabled() || fd != ra::socket_fd || flags != 0 || len == 0)
        return ra::libc_recv()(fd, out, len, flags);
    if (ra::begin == ra::end) {
        ssize_t n = ra::libc_recv()(fd, ra::buffer.get(), ra::kCapacity, 0);
        if (n <= 0) return n;
        ra::begin = 0;
        ra::end = std::size_t(n);
    }
    std::size_t n = std::min(len, ra::end - ra::begin);
    std::memcpy(out, ra::buffer.get() + ra::begin, n);
    ra::begin += n;
    return ssize_t(n);
}

// GCC 12 warns that the caller's fds[0].events "may be used uninitialized": it cannot see any
// caller of an exported function, so it cannot know; poll(2)'s contract is that it is set.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
extern "C" int poll(struct pollfd* fds, nfds_t count, int timeout_ms) {
    if (!ra::enabled()) return ra::libc_poll()(fds, count, timeout_ms);
    if (count == 1 && (fds[0].events & POLLIN) && ra::has_data(fds[0].fd)) {
        // libssh polling its socket alone: readable, no syscall. POLLOUT, if asked for, is left
        // for a later poll: pending output waits at most until the read-ahead is consumed.
        fds[0].revents = POLLIN;
        return 1;
    }
    bool buffered = false;
    for (nfds_t i = 0; i < count && !buffered; ++i)
        buffered = (fds[i].events & POLLIN) && ra::has_data(fds[i].fd);
    // With read-ahead data waiting, the kernel is only asked about the others, without waiting.
    int ready = ra::libc_poll()(fds, count, buffered ? 0 : timeout_ms);
    if (!buffered || ready < 0) return ready;
    ready = 0;
    for (nfds_t i = 0; i < count; ++i) {
        if ((fds[i].events & POLLIN) && ra::has_data(fds[i].fd)) fds[i].revents |= POLLIN;
        ready += fds[i].revents != 0;
    }
    return ready;
}
#pragma GCC diagnostic pop
