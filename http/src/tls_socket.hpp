// TLS on the connection's own descriptor: OpenSSL reads and writes the socket itself
// (SSL_set_fd, non-blocking), and an operation that cannot go on waits for the socket in Asio's
// reactor, then tries again. Beast's HTTP reads and writes take it like any stream.
//
// Why not boost::asio::ssl::stream: its engine passes every byte through a BIO pair and
// buffers of its own — four of ~17 KiB per connection, kept while the connection is idle (72 KiB
// per idle keep-alive connection here) — and receives one record per read. Here an idle
// connection holds the SSL object and its keys only (OpenSSL frees its buffers while they are
// empty: SSL_MODE_RELEASE_BUFFERS), and a body is received with read-ahead straight into
// OpenSSL's buffer and decrypted into the caller's (docs/http.md, "Event loop and TLS").
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "exchange.hpp"

namespace dropgate::http {

class TlsSocket {
  public:
    using executor_type = boost::asio::ip::tcp::socket::executor_type;

    // Takes the accepted socket; `context` holds the certificate and the policy (tls_context).
    TlsSocket(boost::asio::ip::tcp::socket socket, SSL_CTX* context);

    executor_type get_executor() { return socket_.get_executor(); }
    boost::asio::ip::tcp::socket& socket() { return socket_; }

    // The server side of the handshake: an error for a client that did not complete it.
    awaitable<boost::system::error_code> handshake();
    // Sends close_notify, without waiting for the client's.
    void shutdown();
    // Bytes wait inside OpenSSL: a read would not need the socket.
    bool pending() const;
    // While a large body arrives, OpenSSL's read buffer (allocated while bytes wait in it,
    // freed when empty) is kBodyReadBuffer, so one receive takes ~16 records; otherwise one
    // record's size, which is what a connection holding half a record keeps.
    static constexpr std::size_t kBodyReadBuffer = 256 * 1024;
    void body_reads(bool on);

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return start<ReadTry>(ReadTry{first_of(buffers)}, std::forward<Token>(token));
    }
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return start<WriteTry>(WriteTry::of(buffers), std::forward<Token>(token));
    }

  private:
    enum class Want { nothing, read, write };
    struct Attempt {
        std::size_t bytes = 0;
        boost::system::error_code error{};
        Want want = Want::nothing;
    };
    struct ReadTry {
        boost::asio::mutable_buffer buffer;
        Attempt operator()(TlsSocket& tls) const { return tls.read_once(buffer); }
    };
    // Small pieces of a sequence (Beast's header fields, a short body) are gathered into one
    // write — one record, one send — rather than a record each.
    struct WriteTry {
        static constexpr std::size_t kGather = 16 * 1024;
        boost::asio::const_buffer buffer;
        std::vector<char> gathered;  // on the heap: its bytes stay put when the operation moves
        template <class ConstBuffers>
        static WriteTry of(const ConstBuffers& buffers) {
            WriteTry attempt{first_of(buffers), {}};
            if (attempt.buffer.size() >= kGather ||
                boost::asio::buffer_size(buffers) == attempt.buffer.size())
                return attempt;
            attempt.gathered.resize(std::min(boost::asio::buffer_size(buffers), kGather));
            boost::asio::buffer_copy(boost::asio::buffer(attempt.gathered), buffers);
            attempt.buffer = boost::asio::buffer(attempt.gathered);
            return attempt;
        }
        Attempt operator()(TlsSocket& tls) const { return tls.write_once(buffer); }
    };

    // One read or write: tried at once; when OpenSSL needs the socket, it waits for it and
    // tries again. A result known at once is delivered through the executor, never from inside
    // the call that started the operation (Asio's rule, which Beast's operations rely on).
    template <class Try>
    struct Operation {
        Operation(TlsSocket& socket, Try what) : tls(socket), attempt(std::move(what)) {}
        TlsSocket& tls;
        Try attempt;
        bool started = false;
        std::optional<Attempt> ready;

        template <class Self>
        void operator()(Self& self, boost::system::error_code waited = {}) {
            if (ready) return self.complete(ready->error, ready->bytes);
            if (waited) return self.complete(waited, 0);  // the socket closed under the wait
            Attempt now = attempt(tls);
            const bool first = !std::exchange(started, true);
            if (now.want == Want::nothing) {
                if (!first) return self.complete(now.error, now.bytes);
                ready = now;
                return boost::asio::post(tls.socket_.get_executor(), std::move(self));
            }
            tls.socket_.async_wait(now.want == Want::read
                                       ? boost::asio::ip::tcp::socket::wait_read
                                       : boost::asio::ip::tcp::socket::wait_write,
                                   std::move(self));
        }
    };

    template <class Try, class Token>
    auto start(Try attempt, Token&& token) {
        return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            Operation<Try>{*this, std::move(attempt)}, token, socket_);
    }

    template <class Buffers>
    static auto first_of(const Buffers& buffers) {
        using Buffer = std::decay_t<decltype(*boost::asio::buffer_sequence_begin(buffers))>;
        const auto end = boost::asio::buffer_sequence_end(buffers);
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != end; ++it)
            if (Buffer buffer(*it); buffer.size() > 0) return buffer;
        return Buffer{};
    }

    // As many bytes as can be read (written) without waiting, up to the buffer's size.
    Attempt read_once(boost::asio::mutable_buffer buffer);
    Attempt write_once(boost::asio::const_buffer buffer);
    // Calls `call` (SSL_read_ex, SSL_write_ex) on the rest of data[0, size) until it is all
    // done or OpenSSL needs the socket.
    template <class Byte, class Call>
    Attempt until_blocked(Byte* data, std::size_t size, Call call);
    // What a failed SSL call (its result) wants, or the error it ended with.
    Attempt failure(int result);

    struct SslFree {
        void operator()(SSL* ssl) const { SSL_free(ssl); }
    };
    boost::asio::ip::tcp::socket socket_;
    std::unique_ptr<SSL, SslFree> ssl_;
};

}  // namespace dropgate::http
