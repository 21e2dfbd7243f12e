#include "member_path.hpp"

namespace dropgate::validator::detail {

std::optional<std::string> normalise_member_path(std::string_view path) {
    if (!path.empty() && path[0] == '/') return std::nullopt;
    std::string out;
    out.reserve(path.size());
    while (!path.empty()) {
        std::size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (part.empty() || part == ".") continue;
        if (part == "..") return std::nullopt;
        if (!out.empty()) out += '/';
        out += part;
    }
    if (out.empty()) out = ".";
    return out;
}

std::string printable(std::string_view path) {
    std::string out(path);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

}  // namespace dropgate::validator::detail
