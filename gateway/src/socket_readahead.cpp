#include "socket_readahead.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <cstddef>
#include <cstring>
#include <memory>

namespace dropgate::gateway::readahead {

namespace {

constexpr std::size_t kCapacity = 128 << 10;

// A session worker is single-threaded: plain statics.
int socket_fd = -1;
std::unique_ptr<char[]> buffer;
std::size_t begin = 0, end = 0;

bool has_data(int fd) {
    return fd == socket_fd && begin < end;
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

}  // namespace dropgate::gateway::readahead

namespace ra = dropgate::gateway::readahead;

// The interposed calls. Both must behave exactly like libc's for every other descriptor.
extern "C" ssize_t recv(int fd, void* out, size_t len, int flags) {
    if (fd != ra::socket_fd || flags != 0 || len == 0)
        return ::recvfrom(fd, out, len, flags, nullptr, nullptr);
    if (ra::begin == ra::end) {
        ssize_t n = ::recvfrom(fd, ra::buffer.get(), ra::kCapacity, 0, nullptr, nullptr);
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
    if (count == 1 && (fds[0].events & POLLIN) && ra::has_data(fds[0].fd)) {
        // libssh polling its socket alone: readable, no syscall. POLLOUT, if asked for, is left
        // for a later poll: pending output waits at most until the read-ahead is consumed.
        fds[0].revents = POLLIN;
        return 1;
    }
    bool buffered = false;
    for (nfds_t i = 0; i < count && !buffered; ++i)
        buffered = (fds[i].events & POLLIN) && ra::has_data(fds[i].fd);
    timespec zero{0, 0}, wait{timeout_ms / 1000, long(timeout_ms % 1000) * 1000000L};
    const timespec* limit = buffered ? &zero : timeout_ms < 0 ? nullptr : &wait;
    int ready = ::ppoll(fds, count, limit, nullptr);
    if (!buffered || ready < 0) return ready;
    ready = 0;
    for (nfds_t i = 0; i < count; ++i) {
        if ((fds[i].events & POLLIN) && ra::has_data(fds[i].fd)) fds[i].revents |= POLLIN;
        ready += fds[i].revents != 0;
    }
    return ready;
}
#pragma GCC diagnostic pop
