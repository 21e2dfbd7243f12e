// A connection's timeout as one timer instead of one per read: expires_after() only moves a
// time point, and a timer that wakes once a second closes the socket when that point has
// passed. (Beast's tcp_stream arms a timer for every read and write: with TLS that is one per
// 16 KiB record, about 65,000 timer and epoll updates per GiB.)
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>

namespace dropgate::http {

class Deadline {
  public:
    // `stopping`: set when the server stops; a connection then idle between requests is
    // closed at the next tick instead of holding the stop up until its idle timeout.
    Deadline(boost::asio::ip::tcp::socket& socket, const std::atomic<bool>& stopping)
        : state_(std::make_shared<State>(socket, stopping)) {
        arm(state_);
    }
    // A wake-up already queued when the connection ends finds the state detached, never a
    // destroyed object: cancel() cannot take back a handler that is already due.
    ~Deadline() {
        state_->socket = nullptr;
        state_->timer.cancel();
    }
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    void expires_after(std::chrono::steady_clock::duration timeout) {
        state_->deadline = std::chrono::steady_clock::now() + timeout;
    }
    // Between requests (true) or in one (false).
    void set_idle(bool idle) { state_->idle = idle; }
    // The socket was closed because the time ran out (what a failed read then means).
    bool expired() const { return state_->expired; }

  private:
    struct State {
        State(boost::asio::ip::tcp::socket& s, const std::atomic<bool>& stop)
            : socket(&s), timer(s.get_executor()), stopping(stop) {}
        boost::asio::ip::tcp::socket* socket;
        boost::asio::steady_timer timer;
        std::chrono::steady_clock::time_point deadline =
            std::chrono::steady_clock::time_point::max();
        const std::atomic<bool>& stopping;
        bool idle = false;
        bool expired = false;
    };

    static void arm(const std::shared_ptr<State>& state) {
        state->timer.expires_after(std::chrono::seconds(1));
        state->timer.async_wait([state](const boost::system::error_code& error) {
            if (error || !state->socket) return;  // the connection is gone
            const bool stop_idle = state->idle && state->stopping.load();
            if (!stop_idle && std::chrono::steady_clock::now() < state->deadline) return arm(state);
            state->expired = true;
            boost::system::error_code ignored;
            state->socket->close(ignored);  // the pending read or write fails: the coroutine ends
        });
    }

    std::shared_ptr<State> state_;
};

}  // namespace dropgate::http
