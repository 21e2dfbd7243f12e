#include "s3_errors.hpp"

namespace dropgate::objstore {

std::string xml_element(const std::string& xml, const std::string& name) {
    auto open = xml.find("<" + name + ">");
    if (open == std::string::npos) return "";
    open += name.size() + 2;
    auto close = xml.find("</" + name + ">", open);
    return close == std::string::npos ? "" : xml.substr(open, close - open);
}

S3Error transport_error(CURLcode code, const std::string& what) {
    return S3Error(S3Error::Kind::transient, 0, curl_easy_strerror(code),
                   what + ": " + curl_easy_strerror(code));
}

S3Error status_error(long status, const std::string& body, const std::string& what) {
    std::string code = xml_element(body, "Code");
    std::string message = xml_element(body, "Message");
    if (code.empty()) code = "HTTP" + std::to_string(status);
    // 5xx, throttling and timeouts pass; 403 (credentials, policy), a missing bucket and any
    // other request the server refuses will fail the same way until someone changes something.
    const bool transient = status >= 500 || status == 429 || status == 408 || status == 409 ||
                           code == "RequestTimeout" || code == "SlowDown" ||
                           code == "InternalError" || code == "NoSuchUpload";
    return S3Error(transient ? S3Error::Kind::transient : S3Error::Kind::permanent, status, code,
                   what + ": " + std::to_string(status) + " " + code +
                       (message.empty() ? "" : " (" + message + ")"));
}

}  // namespace dropgate::objstore
