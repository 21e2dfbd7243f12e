#include "tus_id.hpp"

#include <charconv>

#include "dropgate/base/base64.hpp"

namespace dropgate::http {

namespace {

template <class Int>
bool parse_int(std::string_view text, Int& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

}  // namespace

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
