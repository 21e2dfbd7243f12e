#include "dropgate/base/base64.hpp"

namespace dropgate {

namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes, bool url) {
    const char* alphabet = url ? kUrl : kStandard;
    std::string out;
    unsigned held = 0, bits = 0;
    for (unsigned char byte : bytes) {
        held = (held << 8) | byte;
        bits += 8;
        while (bits >= 6) out += alphabet[(held >> (bits -= 6)) & 63];
    }
    if (bits > 0) out += alphabet[(held << (6 - bits)) & 63];
    if (!url)
        while (out.size() % 4) out += '=';
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    std::string out;
    unsigned held = 0, bits = 0;
    for (char c : text) {
        int value = sextet(c);
        if (value < 0) return std::nullopt;
        held = (held << 6) | static_cast<unsigned>(value);
        bits += 6;
        if (bits >= 8) out += static_cast<char>((held >> (bits -= 8)) & 0xff);
    }
    return out;
}

}  // namespace dropgate
