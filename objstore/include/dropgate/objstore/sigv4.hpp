// AWS Signature Version 4 for S3 requests, written on OpenSSL's HMAC-SHA256 rather than
// libcurl 7.88's CURLOPT_AWS_SIGV4: that one signs the query string as given and hashes a
// streamed body as empty (../shared/notes/object-storage.md), so every multipart request would
// need workarounds; this one is ~100 lines and checked against AWS's published example.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dropgate::objstore {

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
};

struct SignedRequest {
    std::string method;  // "PUT"
    std::string host;    // "127.0.0.1:4568" (as sent in Host)
    std::string path;    // already URI-encoded: "/bucket/acme/host%201/logs.tgz"
    // Query parameters, raw (encoded and sorted by the signer): {"partNumber","3"}, {"uploads",""}.
    std::vector<std::pair<std::string, std::string>> query;
    // Headers to sign besides host, x-amz-date and x-amz-content-sha256 (names lower-case).
    std::vector<std::pair<std::string, std::string>> headers;
    std::string payload_sha256;  // hex, or "UNSIGNED-PAYLOAD"
};

// S3's URI encoding: unreserved characters kept, the rest %XX upper-case; '/' kept if asked.
std::string uri_encode(std::string_view text, bool keep_slash);
// The encoded, sorted query string the signature covers (also what goes into the URL).
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query);

// Every header the request must carry, Authorization included, signed for `amz_date`
// ("20130524T000000Z") in `region` for service s3.
std::vector<std::pair<std::string, std::string>> sign(const SignedRequest& request,
                                                      const Credentials& credentials,
                                                      std::string_view region,
                                                      std::string_view amz_date);

// Hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
// "20130524T000000Z" for now.
std::string amz_date_now();

}  // namespace dropgate::objstore
