// The HTTP front end's request parsing on hostile bytes: Beast's request parser with the
// server's limits (http/src/connection.hpp: 16 KiB of head, no body limit, a buffer_body read
// in pieces), then the front end's own readers of what it holds — the target and its path
// (url_path.hpp), tus upload ids (tus_id.hpp), header values (header_values.hpp: Upload-Length,
// Upload-Offset, Upload-Metadata, Upload-Checksum, Range) and multipart/form-data bodies.
//
// Input: byte 0 unused (room for modes), bytes 1-2 seed how the request is cut into reads; the
// rest is what a client sends on the connection.
//
// Properties: a path relative_path() accepts has only components the store takes and survives
// encode_path() and parse_target(); a decoded tus id encodes back to itself; a decimal header
// value prints back as its number; a Range is inside the file; the multipart events (file
// names and bytes) do not depend on how the body is cut.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.hpp"
#include "header_values.hpp"
#include "multipart.hpp"
#include "tus_id.hpp"
#include "url_path.hpp"

namespace {

namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using dropgate::fuzz::broken;
using dropgate::fuzz::Splitter;

constexpr std::size_t kHeaderLimit = 16 * 1024;  // http/src/connection.hpp's kHeaderLimit

struct Request {
    beast_http::request_parser<beast_http::buffer_body> parser;
    bool head_ok = false;
    std::string body;
};

// Feeds the parser as the connection does: what has arrived is put(); what it did not use yet
// stays for the next read; a full body buffer (need_buffer) is emptied into `body`.
void parse(std::string_view wire, std::uint16_t split_seed, Request& request) {
    auto& parser = request.parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(boost::none);
    char scratch[4096];
    std::string held;
    Splitter splitter(split_seed, 8192);
    auto give_buffer = [&] {
        parser.get().body().data = scratch;
        parser.get().body().size = sizeof scratch;
    };
    auto take_body = [&] {
        request.body.append(scratch, sizeof scratch - parser.get().body().size);
        give_buffer();
    };
    give_buffer();
    while (!wire.empty() && !parser.is_done()) {
        std::size_t n = splitter.next(wire.size());
        held.append(wire.substr(0, n));
        wire.remove_prefix(n);
        for (;;) {
            beast::error_code error;
            std::size_t used = parser.put(boost::asio::buffer(held), error);
            held.erase(0, used);
            if (parser.is_header_done()) request.head_ok = true;
            if (error == beast_http::error::need_buffer) {
                take_body();
                continue;
            }
            take_body();
            if (error == beast_http::error::need_more || (!error && used == 0)) break;
            if (error) return;  // a malformed request: the server answers 400/431 and closes
            if (parser.is_done()) return;
        }
    }
    if (!parser.is_done() && request.head_ok) {
        beast::error_code error;
        parser.put_eof(error);
        take_body();
    }
}

void check_path(std::string_view path) {
    auto rel = dropgate::http::relative_path(path);
    if (!rel) return;
    std::string_view rest = *rel;
    while (true) {
        auto slash = rest.find('/');
        std::string_view part = rest.substr(0, slash);
        if (part.empty() || part.front() == '.' || part.find('\0') != std::string_view::npos)
            broken("relative_path() let a bad component through");
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    auto again = dropgate::http::parse_target("/" + dropgate::http::encode_path(*rel));
    if (!again || again->path != "/" + *rel || !again->query.empty())
        broken("encode_path() and parse_target() do not round-trip");
}

void check_target(std::string_view target) {
    auto parsed = dropgate::http::parse_target(target);
    if (!parsed) return;
    if (parsed->path.find('\0') != std::string::npos) broken("a NUL in a decoded target");
    // Every suffix after a '/' is what some route hands on as its rest.
    for (std::size_t at = 0; at != std::string::npos; at = parsed->path.find('/', at + 1))
        check_path(std::string_view(parsed->path).substr(at + 1));
    for (const char* name : {"customer", "status", "since", "glob"})
        dropgate::http::query_param(parsed->query, name);
    constexpr std::string_view kFiles = "/files/";
    if (parsed->path.starts_with(kFiles)) {
        auto id = dropgate::http::TusId::decode(parsed->path.substr(kFiles.size()));
        if (id) {
            auto again = dropgate::http::TusId::decode(id->encode());
            if (!again || again->upload_id != id->upload_id || again->created != id->created ||
                again->length != id->length || again->path != id->path)
                broken("a tus id does not encode back to itself");
        }
    }
}

std::string_view header(const Request& request, std::string_view name) {
    const auto& fields = request.parser.get();
    auto it = fields.find(beast::string_view(name.data(), name.size()));
    return it == fields.end() ? std::string_view{}
                              : std::string_view(it->value().data(), it->value().size());
}

void check_headers(const Request& request) {
    for (std::string_view name : {"Upload-Length", "Upload-Offset"}) {
        if (auto value = dropgate::http::decimal_value(header(request, name))) {
            if (dropgate::http::decimal_value(std::to_string(*value)) != value)
                broken("a decimal header value does not print back as its number");
        }
    }
    std::string_view metadata = header(request, "Upload-Metadata");
    for (const char* key : {"filename", "name"})
        check_path(dropgate::http::metadata_value(metadata, key));
    if (std::string_view checksum = header(request, "Upload-Checksum"); !checksum.empty())
        dropgate::http::check_checksum(checksum, request.body);
    if (std::string_view range = header(request, "Range"); !range.empty()) {
        for (std::uint64_t size : {std::uint64_t(0), std::uint64_t(1), std::uint64_t(4096),
                                   std::uint64_t(request.body.size()), ~std::uint64_t(0)}) {
            auto span = dropgate::http::parse_range(range, size);
            if (span && (span->first > span->second || span->second >= size))
                broken("a Range outside the file");
        }
    }
}

// The events of a multipart body with the data of one part joined; nullopt if it was refused.
std::optional<std::vector<dropgate::http::MultipartReader::Event>> read_multipart(
    const std::string& boundary, std::string_view body, std::uint16_t split_seed) {
    using Event = dropgate::http::MultipartReader::Event;
    dropgate::http::MultipartReader reader(boundary);
    std::vector<Event> events;
    Splitter splitter(split_seed, 4096);
    try {
        while (!body.empty() && !reader.finished()) {
            std::size_t n = splitter.next(body.size());
            for (auto& event : reader.feed(body.substr(0, n))) {
                if (event.kind == Event::data && !events.empty() &&
                    events.back().kind == Event::data)
                    events.back().text += event.text;
                else
                    events.push_back(std::move(event));
            }
            body.remove_prefix(n);
        }
    } catch (const std::invalid_argument&) {
        return std::nullopt;
    }
    return events;
}

void check_multipart(const Request& request, std::uint16_t split_seed) {
    auto boundary = dropgate::http::multipart_boundary(header(request, "Content-Type"));
    if (!boundary) return;
    auto whole = read_multipart(*boundary, request.body, 0);
    auto pieces = read_multipart(*boundary, request.body, split_seed | 1);
    if (!whole || !pieces) return;  // a part head over the limit is judged on what is held
    if (whole->size() != pieces->size()) broken("multipart events depend on the cut");
    for (std::size_t i = 0; i < whole->size(); ++i)
        if ((*whole)[i].kind != (*pieces)[i].kind || (*whole)[i].text != (*pieces)[i].text)
            broken("multipart events depend on the cut");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dropgate::fuzz::Input input(data, size);
    input.byte();
    const std::uint16_t split_seed = input.u16();
    Request request;
    parse(input.rest_text(), split_seed, request);
    if (!request.head_ok) return 0;
    const auto& target = request.parser.get().target();
    check_target(std::string_view(target.data(), target.size()));
    check_headers(request);
    check_multipart(request, split_seed);
    return 0;
}
