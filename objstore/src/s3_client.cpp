// Each S3 operation is one Request (method, key, query, body) run through perform(), which signs
// it, sends it on the thread's reused curl handle and turns any failure into an S3Error.
#include "dropgate/objstore/s3_client.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include "curl_handle.hpp"
#include "dropgate/objstore/rate_limiter.hpp"
#include "s3_errors.hpp"

namespace dropgate::objstore {

namespace {

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::size_t kMaxResponseBody = 1 << 20;
constexpr std::size_t kSendChunk = 256 << 10;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string unquote(std::string text) {
    text.erase(std::remove(text.begin(), text.end(), '"'), text.end());
    return text;
}

}  // namespace

// curl_global_init is not thread-safe and curl_easy_init calls it when nobody has: once, here.
struct S3Client::Curl {
    static CURL* init() {
        static std::once_flag once;
        std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
        return curl_easy_init();
    }
    CurlHandle handle{init()};
};

struct S3Client::Request {
    std::string method = "GET";
    std::string key;
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers;  // signed, names lower-case
    std::string_view body;
    std::string body_sha256 = std::string(kEmptySha256);
    std::span<char> sink;  // GET: the bytes go here instead of `response`

    // Filled by perform():
    long status = 0;
    std::map<std::string, std::string> response_headers;  // names lower-case
    std::string response;
    std::size_t sent = 0, received = 0;
    S3Client* client = nullptr;
};

namespace {

std::size_t read_body(char* buffer, std::size_t size, std::size_t count, void* data) {
    auto* request = static_cast<S3Client::Request*>(data);
    std::size_t chunk = std::min({size * count, request->body.size() - request->sent, kSendChunk});
    request->client->pace(chunk);
    std::memcpy(buffer, request->body.data() + request->sent, chunk);
    request->sent += chunk;
    return chunk;
}

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* request = static_cast<S3Client::Request*>(user);
    std::size_t n = size * count;
    if (!request->sink.empty() && request->status >= 200 && request->status < 300) {
        std::size_t take = std::min(request->sink.size() - request->received, n);
        std::memcpy(request->sink.data() + request->received, data, take);
        request->received += take;
        return take < n ? 0 : n;  // more than asked for: stop (perform() treats it as done)
    }
    if (request->response.size() + n > kMaxResponseBody) return 0;
    request->response.append(data, n);
    return n;
}

std::size_t write_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* request = static_cast<S3Client::Request*>(user);
    std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        request->response_headers.clear();
        auto space = line.find(' ');
        if (space != std::string_view::npos) request->status = std::atol(line.data() + space + 1);
        return size * count;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return size * count;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
        value.remove_suffix(1);
    request->response_headers[lower(std::string(line.substr(0, colon)))] = std::string(value);
    return size * count;
}

int progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* stop = static_cast<const std::atomic<bool>*>(user);
    return stop && stop->load() ? 1 : 0;
}

}  // namespace

std::string_view to_string(S3Error::Kind kind) {
    switch (kind) {
        case S3Error::Kind::transient:
            return "transient";
        case S3Error::Kind::permanent:
            return "permanent";
        default:
            return "integrity";
    }
}

S3Client::S3Client(const config::Replicate& replicate, RateLimiter* limiter,
                   const std::atomic<bool>* stop)
    : replicate_(replicate),
      limiter_(limiter),
      stop_(stop),
      credentials_{replicate.access_key_id, replicate.secret_access_key},
      curl_(std::make_unique<Curl>()) {
    if (!curl_->handle) throw std::runtime_error("curl_easy_init failed");
    const std::string& url = replicate.endpoint;
    auto scheme_end = url.find("://") + 3;
    auto path_start = url.find('/', scheme_end);
    host_ = url.substr(scheme_end, path_start - scheme_end);
    scheme_host_ = url.substr(0, path_start == std::string::npos ? url.size() : path_start);
    if (path_start != std::string::npos) base_path_ = url.substr(path_start);
}

S3Client::~S3Client() = default;

void S3Client::pace(std::size_t bytes) {
    if (limiter_) limiter_->acquire(bytes);
    if (on_sent) on_sent(bytes);
}

std::string S3Client::key_for(std::string_view customer, std::string_view path) const {
    return replicate_.prefix + std::string(customer) + "/" + std::string(path);
}

void S3Client::perform(Request& request) {
    request.client = this;
    SignedRequest to_sign{
        request.method,
        host_,
        base_path_ + "/" + replicate_.bucket + "/" + uri_encode(request.key, true),
        request.query,
        request.headers,
        request.body_sha256};
    CurlHeaders headers;
    for (const auto& [name, value] : sign(to_sign, credentials_, replicate_.region, amz_date_now()))
        if (name != "host") headers.add(name + ": " + value);
    headers.add("Expect:");  // no 100-continue round trip before every part
    std::string url = scheme_host_ + to_sign.path;
    if (!request.query.empty()) url += "?" + canonical_query(request.query);

    CURL* curl = curl_->handle.get();
    curl_easy_reset(curl);  // keeps the connection cache
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 120L);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, write_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &request);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &request);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, stop_);
    curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, static_cast<long>(kSendChunk));
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, static_cast<long>(kSendChunk));  // large GETs
    if (request.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT" || request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(curl, CURLOPT_READDATA, &request);
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    } else if (request.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
        if (request.status >= 200 && request.status < 300 && code == CURLE_WRITE_ERROR)
            return;  // a GET that filled its buffer: the rest was not wanted
        throw transport_error(code, request.method + " " + request.key);
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &request.status);
    if (request.status < 200 || request.status >= 300)
        throw status_error(request.status, request.response, request.method + " " + request.key);
}

std::optional<ObjectInfo> S3Client::head(const std::string& key) {
    Request request;
    request.method = "HEAD";
    request.key = key;
    try {
        perform(request);
    } catch (const S3Error& e) {
        if (e.status == 404) return std::nullopt;
        throw;
    }
    ObjectInfo info;
    info.size = std::stoull(request.response_headers["content-length"]);
    info.etag = unquote(request.response_headers["etag"]);
    info.sha256 = request.response_headers["x-amz-meta-sha256"];
    return info;
}

std::string S3Client::put_body(Request& request, std::string_view body,
                               const std::string& body_sha256) {
    request.method = "PUT";
    request.body = body;
    request.body_sha256 = body_sha256;
    perform(request);
    return unquote(request.response_headers["etag"]);
}

std::string S3Client::put(const std::string& key, std::string_view body,
                          const std::string& body_sha256, const std::string& bundle_sha256) {
    Request request;
    request.key = key;
    request.headers = {{"x-amz-meta-sha256", bundle_sha256}};
    return put_body(request, body, body_sha256);
}

std::string S3Client::create_multipart(const std::string& key, const std::string& bundle_sha256) {
    Request request;
    request.method = "POST";
    request.key = key;
    request.query = {{"uploads", ""}};
    request.headers = {{"x-amz-meta-sha256", bundle_sha256}};
    perform(request);
    std::string id = xml_element(request.response, "UploadId");
    if (id.empty())
        throw S3Error(S3Error::Kind::transient, request.status, "NoUploadId",
                      "CreateMultipartUpload " + key + ": no UploadId in the answer");
    return id;
}

std::string S3Client::upload_part(const std::string& key, const std::string& upload_id, int part,
                                  std::string_view body, const std::string& body_sha256) {
    Request request;
    request.key = key;
    request.query = {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}};
    return put_body(request, body, body_sha256);
}

std::string S3Client::complete(const std::string& key, const std::string& upload_id,
                               const std::vector<std::string>& etags) {
    std::string xml = "<CompleteMultipartUpload>";
    for (std::size_t i = 0; i < etags.size(); ++i)
        xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>\"" + etags[i] +
               "\"</ETag></Part>";
    xml += "</CompleteMultipartUpload>";
    const std::string sha = sha256_hex(xml);
    Request request;
    request.method = "POST";
    request.key = key;
    request.query = {{"uploadId", upload_id}};
    request.body = xml;
    request.body_sha256 = sha;
    perform(request);
    // CompleteMultipartUpload may answer 200 with an error in the body.
    if (!xml_element(request.response, "Code").empty())
        throw status_error(500, request.response, "CompleteMultipartUpload " + key);
    return unquote(xml_element(request.response, "ETag"));
}

void S3Client::abort(const std::string& key, const std::string& upload_id) {
    Request request;
    request.method = "DELETE";
    request.key = key;
    request.query = {{"uploadId", upload_id}};
    try {
        perform(request);
    } catch (const S3Error& e) {
        if (e.status < 400 || e.status >= 500) throw;  // 4xx: gone already, or not supported
    }
}

std::size_t S3Client::get(const std::string& key, std::uint64_t offset, std::span<char> out) {
    if (out.empty()) return 0;
    Request request;
    request.key = key;
    request.headers = {{"range", "bytes=" + std::to_string(offset) + "-" +
                                     std::to_string(offset + out.size() - 1)}};
    request.sink = out;
    perform(request);
    return request.received;
}

void S3Client::remove(const std::string& key) {
    Request request;
    request.method = "DELETE";
    request.key = key;
    perform(request);
}

}  // namespace dropgate::objstore
