// One connection's requests, one after another (HTTP/1.1 keep-alive), over TLS or plain TCP:
// Beast's parser with a buffer_body, so a body is read in pieces straight into the caller's
// buffer and never held whole. An idle connection holds only its socket and its TLS state: no
// buffer.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "context.hpp"
#include "deadline.hpp"
#include "exchange.hpp"
#include "routes.hpp"
#include "tls_socket.hpp"

namespace dropgate::http {

namespace beast = boost::beast;

struct Timeouts {
    std::chrono::seconds header;  // a request's head must arrive within this (login_grace_time)
    std::chrono::seconds idle;    // between requests, and between pieces of a body
};

inline constexpr std::size_t kHeaderLimit = 16 * 1024;  // over it: 431

// Waits until the connection has bytes for a request, without a buffer: an idle keep-alive
// connection holds none.
inline awaitable<boost::system::error_code> wait_readable(boost::asio::ip::tcp::socket& socket) {
    auto waited = co_await socket.async_wait(boost::asio::ip::tcp::socket::wait_read,
                                             boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return std::get<0>(waited);
}
inline awaitable<boost::system::error_code> wait_readable(TlsSocket& stream) {
    if (stream.pending()) co_return boost::system::error_code{};
    co_return co_await wait_readable(stream.socket());
}

inline void body_reads(boost::asio::ip::tcp::socket&, bool) {}  // plain: reads are 1 MiB anyway
inline void body_reads(TlsSocket& stream, bool on) {
    stream.body_reads(on);
}

template <class Stream>
class Connection final : public Exchange {
  public:
    Connection(Context& context, Stream& stream, Deadline& tcp, beast::flat_buffer& buffer,
               const std::string& remote, Timeouts timeouts)
        : context_(context),
          stream_(stream),
          tcp_(tcp),
          buffer_(buffer),
          remote_(remote),
          timeouts_(timeouts) {
        parser_.header_limit(kHeaderLimit);
        parser_.body_limit(boost::none);  // the store enforces max_bundle_size
    }

    beast_http::request_parser<beast_http::buffer_body>& parser() { return parser_; }
    bool responded() const override { return responded_; }
    // The connection cannot carry another request (the body was not read to its end, or the
    // client asked to close).
    bool must_close() const { return close_; }

    Verb method() const override { return parser_.get().method(); }
    std::string_view target() const override { return view(parser_.get().target()); }
    std::string_view header(std::string_view name) const override {
        auto it = parser_.get().find(beast::string_view(name.data(), name.size()));
        return it == parser_.get().end() ? std::string_view{} : view(it->value());
    }
    bool has_header(std::string_view name) const override {
        return parser_.get().find(beast::string_view(name.data(), name.size())) !=
               parser_.get().end();
    }
    std::optional<std::uint64_t> content_length() const override {
        auto length = parser_.content_length();
        return length ? std::optional<std::uint64_t>(*length) : std::nullopt;
    }
    const std::string& remote() const override { return remote_; }
    bool body_done() const override {
        if (auto length = parser_.content_length(); length && !parser_.chunked())
            return taken_ == *length;
        return parser_.is_done();
    }

    awaitable<std::size_t> read_body(char* data, std::size_t size) override {
        if (body_done()) co_return 0;
        if (!continued_ && beast::iequals(header("Expect"), "100-continue")) {
            continued_ = true;
            beast_http::response<beast_http::empty_body> proceed{Status::continue_, 11};
            co_await beast_http::async_write(stream_, proceed, boost::asio::use_awaitable);
        }
        continued_ = true;
        if (auto length = parser_.content_length(); length && !parser_.chunked()) {
            // A body of known length is read straight into the caller's buffer, as large as
            // the socket has: no copy through the parser's buffer, few reads per MiB.
            const std::size_t want =
                static_cast<std::size_t>(std::min<std::uint64_t>(size, *length - taken_));
            body_reads(stream_, *length - taken_ > TlsSocket::kBodyReadBuffer);
            std::size_t got = 0;
            if (buffer_.size() > 0) {  // what arrived with the head
                got = boost::asio::buffer_copy(boost::asio::buffer(data, want), buffer_.data());
                buffer_.consume(got);
            } else {
                tcp_.expires_after(timeouts_.idle);
                got = co_await stream_.async_read_some(boost::asio::buffer(data, want),
                                                       boost::asio::use_awaitable);
            }
            taken_ += got;
            if (taken_ == *length) body_reads(stream_, false);
            co_return got;
        }
        parser_.get().body().data = data;
        parser_.get().body().size = size;
        tcp_.expires_after(timeouts_.idle);
        auto result = co_await beast_http::async_read(
            stream_, buffer_, parser_, boost::asio::as_tuple(boost::asio::use_awaitable));
        boost::system::error_code error = std::get<0>(result);
        if (error == beast_http::error::need_buffer) error = {};
        if (error) throw boost::system::system_error(error);
        co_return size - parser_.get().body().size;
    }

    awaitable<void> respond(const Reply& reply) override {
        beast_http::response<beast_http::string_body> response{reply.status, 11};
        decorate(response, reply);
        if (method() != Verb::head) response.body() = reply.body;  // HEAD: headers only
        response.prepare_payload();
        co_await beast_http::async_write(stream_, response, boost::asio::use_awaitable);
    }

    awaitable<void> respond_file(const Reply& head, const UniqueFd& file, std::uint64_t offset,
                                 std::uint64_t length) override {
        beast_http::response<beast_http::buffer_body> response{head.status, 11};
        decorate(response, head);
        response.content_length(length);
        response.body().data = nullptr;
        response.body().more = true;
        beast_http::response_serializer<beast_http::buffer_body> serializer{response};
        co_await beast_http::async_write_header(stream_, serializer, boost::asio::use_awaitable);
        constexpr std::size_t kPiece = 256 * 1024;
        auto piece = std::make_unique<char[]>(kPiece);
        while (length > 0) {
            const std::size_t want =
                static_cast<std::size_t>(std::min<std::uint64_t>(length, kPiece));
            ssize_t got = co_await on_files(context_, [&] {
                return ::pread(file.get(), piece.get(), want, static_cast<off_t>(offset));
            });
            if (got <= 0) throw boost::system::system_error(boost::asio::error::broken_pipe);
            response.body().data = piece.get();
            response.body().size = static_cast<std::size_t>(got);
            response.body().more = static_cast<std::uint64_t>(got) < length;
            offset += static_cast<std::uint64_t>(got);
            length -= static_cast<std::uint64_t>(got);
            tcp_.expires_after(timeouts_.idle);
            auto result = co_await beast_http::async_write(
                stream_, serializer, boost::asio::as_tuple(boost::asio::use_awaitable));
            const boost::system::error_code error = std::get<0>(result);
            if (error && error != beast_http::error::need_buffer)
                throw boost::system::system_error(error);
        }
    }

  private:
    static std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

    template <class Response>
    void decorate(Response& response, const Reply& reply) {
        responded_ = true;
        if (static_cast<unsigned>(reply.status) == 460) response.reason("Checksum Mismatch");
        response.set(beast_http::field::server, "dropgate");
        if (!reply.content_type.empty())
            response.set(beast_http::field::content_type, reply.content_type);
        for (const auto& [name, value] : reply.headers) response.insert(name, value);
        if (has_header("Origin")) {
            response.set(beast_http::field::access_control_allow_origin, "*");
            response.set(beast_http::field::access_control_expose_headers, kCorsExpose);
        }
        response.set("X-Content-Type-Options", "nosniff");
        // A head that did not parse (400, 431) always closes: its body and keep-alive are
        // unknown, and Beast's parser must not be asked about them (content_length() asserts).
        close_ = close_ || !parser_.is_header_done() || !body_done() || !parser_.get().keep_alive();
        response.keep_alive(!close_);
    }

    Context& context_;
    Stream& stream_;
    Deadline& tcp_;
    beast::flat_buffer& buffer_;
    const std::string& remote_;
    Timeouts timeouts_;
    beast_http::request_parser<beast_http::buffer_body> parser_;
    std::uint64_t taken_ = 0;  // body bytes read, for a body of known length
    bool continued_ = false;
    bool responded_ = false;
    bool close_ = false;
};

}  // namespace dropgate::http
