// The values of the request headers the front end reads itself (Beast splits the head; these
// read what is inside): decimal numbers (Upload-Length, Upload-Offset), one key of tus's
// Upload-Metadata, Upload-Checksum against a body, and a single byte Range. No I/O, so they are
// fuzzed on their own (tests/fuzz/fuzz_http.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dropgate::http {

// "0" … "9999999999999999999": only digits, at most 19 of them (so it fits 64 bits); else nullopt.
std::optional<std::uint64_t> decimal_value(std::string_view text);

// The base64-decoded value of `key` in an Upload-Metadata header ("key base64,key2 base64");
// "" when the key is absent, has no value, or its value is not base64.
std::string metadata_value(std::string_view metadata, std::string_view key);

// Upload-Checksum ("<algorithm> <base64 digest>") against `body`. sha256 is what we advertise;
// sha1 and md5 are what tuspy and older clients send.
enum class Checksum { matches, unsupported_algorithm, mismatch };
Checksum check_checksum(std::string_view header, std::string_view body);

// "bytes=a-b", "bytes=a-", "bytes=-n" against `size`: [first, last]; nullopt if unsatisfiable
// (or several ranges, which are not served).
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_range(std::string_view text,
                                                                   std::uint64_t size);

}  // namespace dropgate::http
