// Turning a request target into a path inside a customer's directory. Every component is
// percent-decoded first and then judged by the store's own rule (contract::is_valid_component),
// so "..", "%2e%2e", "//", a leading "/" after the prefix, NUL and hidden names never reach
// the mount.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dropgate::http {

struct Target {
    std::string path;   // decoded, without the query: "/upload/host1/logs.tgz"
    std::string query;  // raw, without '?'
};

// Splits and percent-decodes a request target; nullopt if it is not an origin-form target or
// holds a bad escape or a NUL.
std::optional<Target> parse_target(std::string_view target);

// "host1/logs.tgz" when every '/'-separated component of `path` is one the store takes;
// nullopt for an empty path, an empty component ("a//b", a leading '/'), "." / "..", a name
// starting with '.', or one over 255 bytes.
std::optional<std::string> relative_path(std::string_view path);

// Percent-decodes one query parameter's value ("" when absent).
std::string query_param(std::string_view query, std::string_view name);

// Percent-encodes a path for a URL (keeps '/', unreserved characters).
std::string encode_path(std::string_view path);

}  // namespace dropgate::http
