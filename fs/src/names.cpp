#include "names.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <system_error>

namespace dropgate::fs {

NameKind classify_name(std::string_view name, const config::Store& store) {
    if (!is_valid_component(name)) return NameKind::refused;
    if (config::matches_any(name, store.accept)) return NameKind::bundle;
    for (const auto& suffix : store.temp_suffixes) {
        // Clients add their own decorations before the suffix (rclone: "x.tgz.3f2a.partial"),
        // so only the suffix is required here; the rename target must then be a bundle name.
        if (!suffix.empty() && name.size() > suffix.size() && name.ends_with(suffix))
            return NameKind::temporary;
    }
    return NameKind::refused;
}

bool is_valid_component(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.front() == '.') return false;
    for (char c : name)
        if (c == '/' || c == '\0') return false;
    return true;
}

std::string base_name_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string new_upload_id() {
    std::uint8_t bytes[16];
    std::size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "getrandom");
        }
        got += static_cast<std::size_t>(n);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    for (auto b : bytes) {
        id += kHex[b >> 4];
        id += kHex[b & 15];
    }
    return id;
}

std::string utc_timestamp(std::int64_t seconds) {
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

}  // namespace dropgate::fs
