// Talking to the real `dropgate http` with real clients: curl (over TLS, trusting the
// certificate `dropgate init` made) and, for raw bytes on the wire, Python's ssl module.
#pragma once

#include <string>
#include <vector>

#include "service_fixture.hpp"

namespace dropgate::test {

struct HttpResult {
    int status = 0;       // 0: no HTTP answer at all
    std::string headers;  // the raw header block(s), "HTTP/1.1 201 Created\r\n..."
    std::string body;
    std::string stats;  // what curl's -w printed after the status ("size_upload" etc.)
    // A header's value in the last header block ("" if absent), case-insensitive name.
    std::string header(const std::string& name) const;
};

// curl -sS --cacert <init cert> `args` against service.http_url() + `path`. With `user`, sends
// that user's token as Authorization: Bearer.
HttpResult curl(const Service& service, const std::string& path,
                const std::vector<std::string>& args, const std::string& user = "acme");

// Sends `request` (raw bytes) over TLS and returns what came back until the server closed or
// `timeout_s` passed, and how long that took.
struct RawResult {
    std::string response;
    double seconds = 0;
};
RawResult raw_tls(const Service& service, const std::string& request, double timeout_s = 10);

}  // namespace dropgate::test
