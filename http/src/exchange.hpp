// One request and its response, as the handlers see them: the request head, its body read in
// pieces (never whole), and the ways to answer. connection.cpp implements it over TLS or plain
// TCP; the handlers do not know which.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dropgate/base/unique_fd.hpp"

namespace dropgate::http {

namespace beast_http = boost::beast::http;
using boost::asio::awaitable;
using Status = beast_http::status;
using Verb = beast_http::verb;

struct Reply {
    Status status = Status::ok;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string content_type = "application/json";

    Reply& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

// A reply whose body is a reason line a person reads (the same line the SFTP client gets).
inline Reply text_reply(Status status, std::string reason) {
    Reply reply{status, {}, std::move(reason), "text/plain; charset=utf-8"};
    if (!reply.body.empty() && reply.body.back() != '\n') reply.body += '\n';
    return reply;
}

// What a handler returns when it has sent its reply itself (a streamed download).
inline Reply already_sent() {
    return Reply{Status::unknown, {}, {}, {}};
}

class Exchange {
  public:
    virtual ~Exchange() = default;

    virtual Verb method() const = 0;
    virtual std::string_view target() const = 0;  // as sent: "/upload/a%20b.tgz?x=1"
    // A request header's value ("" when absent).
    virtual std::string_view header(std::string_view name) const = 0;
    virtual bool has_header(std::string_view name) const = 0;
    // The declared body size (Content-Length), when there is one.
    virtual std::optional<std::uint64_t> content_length() const = 0;
    virtual const std::string& remote() const = 0;  // "203.0.113.7:50122"

    // Reads the next piece of the body into `buffer` (up to `size` bytes); 0 at its end. The
    // first call answers `Expect: 100-continue`. Throws boost::system::system_error on a broken
    // connection or a malformed body.
    virtual awaitable<std::size_t> read_body(char* buffer, std::size_t size) = 0;
    virtual bool body_done() const = 0;
    virtual bool responded() const = 0;

    // Sends the reply. A reply before the whole body was read closes the connection after it
    // (the rest of the body is never parsed as a request).
    // (Coroutine parameters are references throughout: GCC 12 destroys a by-value parameter
    // made from a temporary twice, PR 99576.)
    virtual awaitable<void> respond(const Reply& reply) = 0;
    // Sends `length` bytes of `file` from `offset` as the body of `head`, read on the file pool.
    virtual awaitable<void> respond_file(const Reply& head, const UniqueFd& file,
                                         std::uint64_t offset, std::uint64_t length) = 0;
};

}  // namespace dropgate::http
