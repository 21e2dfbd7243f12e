// SigV4: canonical request -> string to sign -> signature with the derived key
// (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
#include "dropgate/objstore/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>

#include "dropgate/base/ids.hpp"
#include "dropgate/validator/sha256.hpp"

namespace dropgate::objstore {

namespace {

std::string hmac(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
    return std::string(reinterpret_cast<char*>(out), size);
}

std::string trim(std::string_view value) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return std::string(value);
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    validator::Sha256 hash;
    hash.update({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
    return hash.hex_digest();
}

std::string amz_date_now() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[20];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
    return text;
}

std::string uri_encode(std::string_view text, bool keep_slash) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
    std::vector<std::pair<std::string, std::string>> encoded;
    for (const auto& [key, value] : query)
        encoded.emplace_back(uri_encode(key, false), uri_encode(value, false));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [key, value] : encoded) out += (out.empty() ? "" : "&") + key + "=" + value;
    return out;
}

std::vector<std::pair<std::string, std::string>> sign(const SignedRequest& request,
                                                      const Credentials& credentials,
                                                      std::string_view region,
                                                      std::string_view amz_date) {
    std::vector<std::pair<std::string, std::string>> headers = request.headers;
    headers.emplace_back("host", request.host);
    headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
    headers.emplace_back("x-amz-date", std::string(amz_date));
    for (auto& [name, value] : headers) value = trim(value);
    std::sort(headers.begin(), headers.end());

    std::string canonical_headers, signed_headers;
    for (const auto& [name, value] : headers) {
        canonical_headers += name + ":" + value + "\n";
        signed_headers += (signed_headers.empty() ? "" : ";") + name;
    }
    const std::string canonical_request =
        request.method + "\n" + request.path + "\n" + canonical_query(request.query) + "\n" +
        canonical_headers + "\n" + signed_headers + "\n" + request.payload_sha256;
    const std::string date(amz_date.substr(0, 8));
    const std::string scope = date + "/" + std::string(region) + "/s3/aws4_request";
    const std::string to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope + "\n" +
                                sha256_hex(canonical_request);
    std::string key = hmac("AWS4" + credentials.secret_access_key, date);
    key = hmac(key, region);
    key = hmac(key, "s3");
    key = hmac(key, "aws4_request");
    const std::string signature = hmac(key, to_sign);
    headers.emplace_back(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
            ", SignedHeaders=" + signed_headers + ", Signature=" +
            to_hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size()));
    return headers;
}

}  // namespace dropgate::objstore
