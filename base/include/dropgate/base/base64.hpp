// Base64 (RFC 4648): the standard alphabet with padding, and the URL-safe one without (tokens,
// tus upload ids). One encoder for every part.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dropgate {

std::string base64_encode(std::string_view bytes, bool url_safe = false);
// Accepts either alphabet, with or without padding; nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace dropgate
