// The request loop of one connection, the same over TLS and plain TCP: wait (idle) for the next
// request, read its head within the header timeout, answer it, and close when the connection
// cannot carry another request. Malformed heads are answered 400 (431 for oversized ones) and
// the connection is closed, so nothing after them is ever parsed as a request.
#pragma once

#include <boost/asio/ssl/error.hpp>

#include "connection.hpp"
#include "dropgate/base/log.hpp"
#include "replies.hpp"

namespace dropgate::http {

// After an early answer the client may still be sending its body: read and drop it for a
// moment, so closing does not reset the connection before the client has read the answer.
template <class Stream>
awaitable<void> drain(Stream& stream, Deadline& tcp) {
    constexpr std::size_t kDrainLimit = 64u << 20;
    std::size_t drained = 0;
    char sink[16384];
    tcp.expires_after(std::chrono::seconds(2));
    while (drained < kDrainLimit) {
        auto result = co_await stream.async_read_some(
            boost::asio::buffer(sink), boost::asio::as_tuple(boost::asio::use_awaitable));
        if (std::get<0>(result)) break;
        drained += std::get<1>(result);
    }
}

inline Reply head_error_reply(const boost::system::error_code& error) {
    if (error == beast_http::error::header_limit)
        return text_reply(Status::request_header_fields_too_large, "request header too large");
    return text_reply(Status::bad_request, "bad request: " + error.message());
}

inline bool banned(Context& context, const std::string& remote) {
    auto address = IpAddress::of_remote(remote);
    return address && context.bans.banned_until(*address);
}

template <class Stream>
awaitable<void> serve_requests(Context& context, Stream& stream, Deadline& tcp,
                               const std::string& remote, Timeouts timeouts) {
    beast::flat_buffer buffer;
    for (;;) {
        if (buffer.size() == 0) {
            buffer.shrink_to_fit();  // idle: hold no buffer
            tcp.expires_after(timeouts.idle);
            tcp.set_idle(true);
            const auto waited = co_await wait_readable(stream);
            tcp.set_idle(false);
            if (waited) co_return;  // idle timeout, the server stops
        }
        tcp.expires_after(timeouts.header);
        Connection<Stream> exchange(context, stream, tcp, buffer, remote, timeouts);
        auto result = co_await beast_http::async_read_header(
            stream, buffer, exchange.parser(), boost::asio::as_tuple(boost::asio::use_awaitable));
        const boost::system::error_code error = std::get<0>(result);
        if (tcp.expired() || error == beast_http::error::end_of_stream ||
            error == boost::asio::error::eof || error == boost::asio::error::connection_reset ||
            error.category() == boost::asio::error::get_ssl_category())
            co_return;
        if (error) {
            log::info("http_bad_request", {{"remote", remote}, {"problem", error.message()}});
            const Reply reply = head_error_reply(error);
            co_await exchange.respond(reply);
            // The rest of an oversized head may still be on its way: dropped unparsed, so the
            // close does not reset the connection before the client has read the answer.
            co_await drain(stream, tcp);
            co_return;
        }
        if (banned(context, remote)) {
            // Banned while this connection was open (it failed its logins, or the other door
            // banned its address): it ends here, like a new one would at connect.
            co_await exchange.respond(text_reply(Status::forbidden, "banned"));
            co_return;
        }
        bool failed = false;
        try {
            co_await handle(context, exchange);
        } catch (const boost::system::system_error&) {
            co_return;  // the connection broke: nothing more to say on it
        } catch (const std::exception& e) {
            log::error("http_request_failed", {{"remote", remote},
                                               {"target", std::string(exchange.target())},
                                               {"error", e.what()}});
            failed = true;
        }
        if (failed && !exchange.responded()) {
            const Reply reply = text_reply(Status::internal_server_error, "internal error");
            co_await exchange.respond(reply);
        }
        if (exchange.must_close()) {
            co_await drain(stream, tcp);
            co_return;
        }
    }
}

}  // namespace dropgate::http
