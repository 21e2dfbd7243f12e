// socket_readahead.cpp defines recv and poll for the whole binary, and so for this test process
// too. Outside an enabled session worker they must be libc's recv and poll exactly (the FUSE
// store and the supervisor run the same binary); on the socket a worker registers they read
// ahead and serve small reads from memory.
#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "dropgate/base/unique_fd.hpp"
#include "socket_readahead.hpp"

namespace readahead = dropgate::gateway::readahead;
using dropgate::UniqueFd;

namespace {

using PollFunction = int (*)(pollfd*, nfds_t, int);
using RecvFunction = ssize_t (*)(int, void*, size_t, int);

// What a call returned: its result, errno when it failed, and the revents it set.
struct Outcome {
    long result = 0;
    int error = 0;
    std::vector<short> revents;
    bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    os << "result " << o.result << " errno " << o.error << " revents";
    for (short r : o.revents) os << ' ' << std::hex << r << std::dec;
    return os;
}

struct SocketPair {
    SocketPair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        ours.reset(fds[0]);
        peer.reset(fds[1]);
    }
    void send(const std::string& data) const {
        REQUIRE(::write(peer.get(), data.data(), data.size()) == ssize_t(data.size()));
    }
    int queued() const {  // bytes the kernel still holds for `ours`
        int n = -1;
        REQUIRE(::ioctl(ours.get(), FIONREAD, &n) == 0);
        return n;
    }
    UniqueFd ours, peer;
};

Outcome poll_with(PollFunction fn, std::vector<pollfd> fds, int timeout_ms) {
    errno = 0;
    Outcome o;
    o.result = fn(fds.data(), fds.size(), timeout_ms);
    o.error = o.result < 0 ? errno : 0;
    for (const auto& p : fds) o.revents.push_back(p.revents);
    return o;
}

std::pair<Outcome, std::string> recv_with(RecvFunction fn, int fd, std::size_t len, int flags) {
    std::string buf(len, '\0');
    errno = 0;
    Outcome o;
    o.result = fn(fd, buf.data(), len, flags);
    o.error = o.result < 0 ? errno : 0;
    buf.resize(o.result > 0 ? std::size_t(o.result) : 0);
    return {o, buf};
}

PollFunction libc_poll() {
    return reinterpret_cast<PollFunction>(::dlsym(RTLD_NEXT, "poll"));
}
RecvFunction libc_recv() {
    return reinterpret_cast<RecvFunction>(::dlsym(RTLD_NEXT, "recv"));
}

void on_alarm(int) {}

// SIGALRM in 20 ms with a handler and no SA_RESTART: the next blocking call is interrupted.
class AlarmSoon {
  public:
    AlarmSoon() {
        struct sigaction sa {};
        sa.sa_handler = on_alarm;
        ::sigaction(SIGALRM, &sa, &saved_);
        itimerval soon{{0, 0}, {0, 20000}};
        ::setitimer(ITIMER_REAL, &soon, nullptr);
    }
    ~AlarmSoon() {
        itimerval off{};
        ::setitimer(ITIMER_REAL, &off, nullptr);
        ::sigaction(SIGALRM, &saved_, nullptr);
    }

  private:
    struct sigaction saved_ {};
};

// The read-ahead on `fd` for one scope, as a session worker has it for one session.
class Registered {
  public:
    explicit Registered(int fd) { readahead::enable(fd); }
    ~Registered() { readahead::disable(); }
};

}  // namespace

TEST_CASE("read-ahead: this process has the interposed recv and poll, not yet enabled") {
    // Without this the tests below would compare libc with itself.
    CHECK(::dlsym(RTLD_DEFAULT, "poll") != reinterpret_cast<void*>(libc_poll()));
    CHECK(::dlsym(RTLD_DEFAULT, "recv") != reinterpret_cast<void*>(libc_recv()));
    REQUIRE(libc_poll());
    REQUIRE(libc_recv());
    CHECK_FALSE(readahead::enabled());
}

TEST_CASE("read-ahead: with no socket registered, poll behaves exactly as libc's") {
    REQUIRE_FALSE(readahead::enabled());
    SocketPair a, b;
    for (PollFunction fn : {PollFunction(&::poll), libc_poll()}) {
        INFO((fn == libc_poll() ? "libc's poll" : "the interposed poll"));
        // Nothing to read: a zero timeout, and a short one that runs out.
        CHECK(poll_with(fn, {{a.ours.get(), POLLIN, 0}}, 0) == Outcome{0, 0, {0}});
        CHECK(poll_with(fn, {{a.ours.get(), POLLIN, 0}}, 30) == Outcome{0, 0, {0}});
        // A signal interrupts a blocking poll: EINTR (the 10 s are a deadline, not a wait).
        {
            AlarmSoon alarm;
            CHECK(poll_with(fn, {{a.ours.get(), POLLIN, 0}}, 10000) == Outcome{-1, EINTR, {0}});
        }
        // Data, and writability reported together; a descriptor that is not open; fd -1 skipped.
        a.send("x");
        CHECK(poll_with(fn, {{a.ours.get(), POLLIN | POLLOUT, 0}}, 0) ==
              Outcome{1, 0, {POLLIN | POLLOUT}});
        char sink;
        REQUIRE(::read(a.ours.get(), &sink, 1) == 1);
        int closed = ::dup(b.ours.get());
        ::close(closed);
        CHECK(poll_with(fn, {{closed, POLLIN, 0}, {-1, POLLIN, 0}, {b.ours.get(), POLLOUT, 0}},
                        0) == Outcome{2, 0, {POLLNVAL, 0, POLLOUT}});
        CHECK(poll_with(fn, {}, 0) == Outcome{0, 0, {}});
    }
    // The peer gone: both report the same hang-up.
    a.peer.reset();
    CHECK(poll_with(&::poll, {{a.ours.get(), POLLIN, 0}}, 0) ==
          poll_with(libc_poll(), {{a.ours.get(), POLLIN, 0}}, 0));
}

TEST_CASE("read-ahead: with no socket registered, recv behaves exactly as libc's") {
    REQUIRE_FALSE(readahead::enabled());
    SocketPair s;
    for (RecvFunction fn : {RecvFunction(&::recv), libc_recv()}) {
        INFO((fn == libc_recv() ? "libc's recv" : "the interposed recv"));
        CHECK(recv_with(fn, s.ours.get(), 10, MSG_DONTWAIT).first == Outcome{-1, EAGAIN, {}});
        s.send("hello");
        auto peeked = recv_with(fn, s.ours.get(), 10, MSG_PEEK | MSG_DONTWAIT);
        CHECK(peeked.first == Outcome{5, 0, {}});
        CHECK(peeked.second == "hello");
        CHECK(s.queued() == 5);  // a peek leaves it all there
        auto some = recv_with(fn, s.ours.get(), 2, 0);
        CHECK(some.second == "he");
        CHECK(s.queued() == 3);  // and a plain recv takes only what it asked for: no read-ahead
        CHECK(recv_with(fn, s.ours.get(), 0, 0).first == Outcome{0, 0, {}});
        CHECK(recv_with(fn, s.ours.get(), 10, 0).second == "llo");
        CHECK(recv_with(fn, -1, 10, 0).first == Outcome{-1, EBADF, {}});
        int pipe_fds[2];
        REQUIRE(::pipe(pipe_fds) == 0);
        CHECK(recv_with(fn, pipe_fds[0], 10, MSG_DONTWAIT).first == Outcome{-1, ENOTSOCK, {}});
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
    }
    s.peer.reset();
    CHECK(recv_with(&::recv, s.ours.get(), 10, 0).first == Outcome{0, 0, {}});  // end of stream
}

TEST_CASE("read-ahead: on the registered socket small recvs are served from one large read") {
    SocketPair s, other;
    std::string data(100 * 1024, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = char(i * 31 % 251);
    s.send(data);
    other.send("kernel");
    auto registered = std::make_unique<Registered>(s.ours.get());
    CHECK(readahead::enabled());

    auto first = recv_with(&::recv, s.ours.get(), 4096, 0);  // what libssh asks for
    CHECK(first.second == data.substr(0, 4096));
    CHECK(s.queued() == 0);  // the rest was read ahead: the kernel holds nothing more
    // Readable without the kernel: alone, and beside another descriptor.
    CHECK(poll_with(&::poll, {{s.ours.get(), POLLIN, 0}}, 0) == Outcome{1, 0, {POLLIN}});
    CHECK(poll_with(&::poll, {{other.peer.get(), POLLIN, 0}, {s.ours.get(), POLLIN, 0}}, 0) ==
          Outcome{1, 0, {0, POLLIN}});
    // Flags and other descriptors go to the kernel.
    CHECK(recv_with(&::recv, s.ours.get(), 10, MSG_PEEK | MSG_DONTWAIT).first ==
          Outcome{-1, EAGAIN, {}});
    CHECK(recv_with(&::recv, other.ours.get(), 3, 0).second == "ker");
    CHECK(other.queued() == 3);

    std::string rest;
    while (rest.size() < data.size() - 4096) {
        auto more = recv_with(&::recv, s.ours.get(), 4096, 0);
        REQUIRE(more.first.result > 0);
        rest += more.second;
    }
    CHECK(rest == data.substr(4096));
    CHECK(poll_with(&::poll, {{s.ours.get(), POLLIN, 0}}, 0) == Outcome{0, 0, {0}});  // drained

    registered.reset();  // the session is over: libc's again
    CHECK_FALSE(readahead::enabled());
    s.send("after");
    CHECK(recv_with(&::recv, s.ours.get(), 1, 0).second == "a");
    CHECK(s.queued() == 4);
}
