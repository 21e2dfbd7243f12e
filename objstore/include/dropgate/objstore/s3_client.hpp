// A small, blocking S3 API client: the requests replication, retention and read-through need,
// each signed with SigV4 (sigv4.hpp) and sent on one reused libcurl handle (one client per
// thread). Failures are S3Error with a kind the worker acts on.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/config/config.hpp"
#include "dropgate/objstore/sigv4.hpp"

namespace dropgate::objstore {

class RateLimiter;

class S3Error : public std::runtime_error {
  public:
    // transient: retry soon (network, 5xx, 429); permanent: needs an operator (403, no such
    // bucket, a request the server will never take); integrity: the bytes did not match.
    enum class Kind { transient, permanent, integrity };
    S3Error(Kind kind, long status, std::string code, const std::string& message)
        : std::runtime_error(message), kind(kind), status(status), code(std::move(code)) {}
    Kind kind;
    long status;       // HTTP status, 0 for a transport failure
    std::string code;  // S3's <Code>, or curl's error name
};
std::string_view to_string(S3Error::Kind kind);

struct ObjectInfo {
    std::uint64_t size = 0;
    std::string etag;    // as the server sent it, quotes removed
    std::string sha256;  // x-amz-meta-sha256: the bundle's SHA-256 we stored
};

class S3Client {
  public:
    // `limiter` paces every byte sent (null: no cap); `stop`, when set, aborts a transfer.
    S3Client(const config::Replicate& replicate, RateLimiter* limiter,
             const std::atomic<bool>* stop = nullptr);
    ~S3Client();
    S3Client(const S3Client&) = delete;
    S3Client& operator=(const S3Client&) = delete;

    // The object key of a bundle: prefix + customer + "/" + path.
    std::string key_for(std::string_view customer, std::string_view path) const;

    std::optional<ObjectInfo> head(const std::string& key);
    // PutObject of `body` (hashed by the caller: `body_sha256`), with the bundle's SHA-256 as
    // metadata. Returns the ETag.
    std::string put(const std::string& key, std::string_view body, const std::string& body_sha256,
                    const std::string& bundle_sha256);
    std::string create_multipart(const std::string& key, const std::string& bundle_sha256);
    std::string upload_part(const std::string& key, const std::string& upload_id, int part,
                            std::string_view body, const std::string& body_sha256);
    // Completes with the parts' ETags in order (part 1 first). Returns the object's ETag.
    std::string complete(const std::string& key, const std::string& upload_id,
                         const std::vector<std::string>& etags);
    // Best effort: servers without AbortMultipartUpload answer 4xx, which is not an error here.
    void abort(const std::string& key, const std::string& upload_id);
    // Reads [offset, offset + out.size()) of the object into `out`; returns the bytes read.
    std::size_t get(const std::string& key, std::uint64_t offset, std::span<char> out);
    void remove(const std::string& key);

    // Called with each chunk of body bytes handed to the network (for the sent-bytes metric).
    std::function<void(std::size_t)> on_sent;

    struct Request;  // one request's inputs and outputs (s3_client.cpp)
    // Takes `bytes` from the rate limiter and counts them sent (the body reader calls it).
    void pace(std::size_t bytes);

  private:
    void perform(Request& request);
    // PUTs `body` with its hash as the request's payload hash; returns the ETag.
    std::string put_body(Request& request, std::string_view body, const std::string& body_sha256);

    const config::Replicate& replicate_;
    RateLimiter* limiter_;
    const std::atomic<bool>* stop_;
    Credentials credentials_;
    std::string scheme_host_;  // "http://127.0.0.1:4568"
    std::string host_;         // "127.0.0.1:4568"
    std::string base_path_;    // "" or "/path" from the endpoint URL
    struct Curl;
    std::unique_ptr<Curl> curl_;
};

}  // namespace dropgate::objstore
