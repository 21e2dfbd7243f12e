#include "header_values.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "dropgate/base/base64.hpp"

namespace dropgate::http {

std::optional<std::uint64_t> decimal_value(std::string_view text) {
    if (text.empty() || text.size() > 19 ||
        text.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    return std::stoull(std::string(text));
}

std::string metadata_value(std::string_view metadata, std::string_view key) {
    while (!metadata.empty()) {
        auto comma = metadata.find(',');
        std::string_view pair = metadata.substr(0, comma);
        metadata = comma == std::string_view::npos ? "" : metadata.substr(comma + 1);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        auto space = pair.find(' ');
        if (pair.substr(0, space) == key && space != std::string_view::npos)
            if (auto value = base64_decode(pair.substr(space + 1)); value && !value->empty())
                return *value;
    }
    return {};
}

Checksum check_checksum(std::string_view header, std::string_view body) {
    auto space = header.find(' ');
    std::string algorithm(header.substr(0, space));
    const EVP_MD* digest = algorithm == "sha256" ? EVP_sha256()
                           : algorithm == "sha1" ? EVP_sha1()
                           : algorithm == "md5"  ? EVP_md5()
                                                 : nullptr;
    if (space == std::string_view::npos || !digest) return Checksum::unsupported_algorithm;
    auto expected = base64_decode(header.substr(space + 1));
    unsigned char actual[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(body.data(), body.size(), actual, &size, digest, nullptr);
    if (expected && expected->size() == size && std::memcmp(expected->data(), actual, size) == 0)
        return Checksum::matches;
    return Checksum::mismatch;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_range(std::string_view text,
                                                                   std::uint64_t size) {
    constexpr std::string_view kUnit = "bytes=";
    if (text.substr(0, kUnit.size()) != kUnit || size == 0) return std::nullopt;
    text.remove_prefix(kUnit.size());
    auto dash = text.find('-');
    if (dash == std::string_view::npos || text.find(',') != std::string_view::npos)
        return std::nullopt;
    auto first = decimal_value(text.substr(0, dash)), last = decimal_value(text.substr(dash + 1));
    if (!first) {  // suffix: the last n bytes
        if (!last || *last == 0) return std::nullopt;
        return std::pair{size - std::min(*last, size), size - 1};
    }
    if (*first >= size || (last && *last < *first)) return std::nullopt;
    return std::pair{*first, std::min(last.value_or(size - 1), size - 1)};
}

}  // namespace dropgate::http
