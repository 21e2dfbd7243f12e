#include "tus_id.hpp"

#include <charconv>

namespace dropgate::http {

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

template <class Int>
bool parse_int(std::string_view text, Int& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
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

std::string TusId::encode() const {
    return upload_id + "." + std::to_string(created) + "." + std::to_string(length) + "." +
           base64_encode(path, true);
}

std::optional<TusId> TusId::decode(std::string_view text) {
    TusId id;
    std::string_view parts[4];
    for (int i = 0; i < 3; ++i) {
        auto dot = text.find('.');
        if (dot == std::string_view::npos) return std::nullopt;
        parts[i] = text.substr(0, dot);
        text.remove_prefix(dot + 1);
    }
    parts[3] = text;
    if (parts[0].size() != 32 ||
        parts[0].find_first_not_of("0123456789abcdef") != std::string_view::npos)
        return std::nullopt;
    id.upload_id = std::string(parts[0]);
    if (!parse_int(parts[1], id.created) || !parse_int(parts[2], id.length)) return std::nullopt;
    auto path = base64_decode(parts[3]);
    if (!path) return std::nullopt;
    id.path = *path;
    return id;
}

}  // namespace dropgate::http
