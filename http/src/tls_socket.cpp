#include "tls_socket.hpp"

#include <openssl/err.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <new>

namespace dropgate::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Before each SSL call: what failure() reads afterwards must be that call's.
void clear_errors() {
    ERR_clear_error();
    errno = 0;
}

}  // namespace

TlsSocket::TlsSocket(tcp::socket socket, SSL_CTX* context)
    : socket_(std::move(socket)), ssl_(SSL_new(context)) {
    if (!ssl_) throw std::bad_alloc();
    socket_.non_blocking(true);
    // The descriptor stays the socket's: the BIO does not close it (BIO_NOCLOSE).
    if (SSL_set_fd(ssl_.get(), static_cast<int>(socket_.native_handle())) != 1)
        throw std::bad_alloc();
}

awaitable<boost::system::error_code> TlsSocket::handshake() {
    for (;;) {
        if (!socket_.is_open()) co_return asio::error::bad_descriptor;
        clear_errors();
        const int result = SSL_accept(ssl_.get());
        if (result == 1) co_return boost::system::error_code{};
        const Attempt stopped = failure(result);
        if (stopped.want == Want::nothing)
            co_return stopped.error ? stopped.error : asio::error::eof;
        auto waited = co_await socket_.async_wait(
            stopped.want == Want::read ? tcp::socket::wait_read : tcp::socket::wait_write,
            asio::as_tuple(asio::use_awaitable));
        if (std::get<0>(waited)) co_return std::get<0>(waited);
    }
}

void TlsSocket::shutdown() {
    if (!socket_.is_open()) return;  // closed by the deadline: the descriptor is not ours now
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
}

bool TlsSocket::pending() const {
    return SSL_has_pending(ssl_.get()) == 1;
}

void TlsSocket::body_reads(bool on) {
    SSL_set_default_read_buffer_len(ssl_.get(), on ? kBodyReadBuffer : 0);  // 0: OpenSSL's
}

TlsSocket::Attempt TlsSocket::read_once(asio::mutable_buffer buffer) {
    return until_blocked(static_cast<char*>(buffer.data()), buffer.size(), SSL_read_ex);
}

TlsSocket::Attempt TlsSocket::write_once(asio::const_buffer buffer) {
    // A record per SSL_write_ex (SSL_MODE_ENABLE_PARTIAL_WRITE): as many as the socket takes.
    return until_blocked(static_cast<const char*>(buffer.data()), buffer.size(), SSL_write_ex);
}

// First checks that the socket is still open: once the deadline closed it, its descriptor
// number may already belong to another connection.
template <class Byte, class Call>
TlsSocket::Attempt TlsSocket::until_blocked(Byte* data, std::size_t size, Call call) {
    if (!socket_.is_open()) return Attempt{0, asio::error::bad_descriptor};
    std::size_t total = 0;
    while (total < size) {
        std::size_t done = 0;
        clear_errors();
        if (call(ssl_.get(), data + total, size - total, &done) == 1) {
            total += done;
            continue;
        }
        const Attempt stopped = failure(0);
        if (total == 0) return stopped;
        ERR_clear_error();  // an error comes back on the next call; first, what was done
        break;
    }
    return Attempt{total};
}

TlsSocket::Attempt TlsSocket::failure(int result) {
    const int saved_errno = errno;
    switch (SSL_get_error(ssl_.get(), result)) {
        case SSL_ERROR_WANT_READ:
            return Attempt{0, {}, Want::read};
        case SSL_ERROR_WANT_WRITE:
            return Attempt{0, {}, Want::write};
        case SSL_ERROR_ZERO_RETURN:  // close_notify
            return Attempt{0, asio::error::eof};
        case SSL_ERROR_SYSCALL:  // the socket's own error, or an end without close_notify
            return Attempt{0, saved_errno ? boost::system::error_code(
                                                saved_errno, boost::system::system_category())
                                          : asio::error::eof};
        default:
            break;
    }
    const unsigned long code = ERR_get_error();
    if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return Attempt{0, asio::error::eof};  // the client went away without close_notify
    return Attempt{
        0, boost::system::error_code(static_cast<int>(code), asio::error::get_ssl_category())};
}

}  // namespace dropgate::http
