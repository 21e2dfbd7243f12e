// The validator's helpers around a StreamValidator: local files, name checks, size wording.
#include <cstdio>

#include "dropgate/indexer/validator.hpp"
#include "file_chunks.hpp"

namespace dropgate::indexer {

Verdict validate_file(const std::filesystem::path& file, const Limits& limits, MemberSink* sink) {
    StreamValidator validator(limits, sink);
    detail::read_chunks(file, [&](std::span<const std::uint8_t> chunk) { validator.feed(chunk); });
    return validator.finish();
}

std::optional<std::string> check_name(std::string_view name,
                                      const std::vector<std::string>& accept) {
    if (config::matches_any(name, accept)) return std::nullopt;
    std::string reason = "name does not match accepted patterns ";
    for (std::size_t i = 0; i < accept.size(); ++i) reason += (i ? ", " : "") + accept[i];
    return reason;
}

std::optional<std::string> check_name(std::string_view name, const config::Store& store) {
    for (const auto& suffix : store.temp_suffixes) {
        if (name.size() > suffix.size() && name.ends_with(suffix)) {
            name.remove_suffix(suffix.size());
            break;
        }
    }
    return check_name(name, store.accept);
}

std::string human_size(std::uint64_t bytes) {
    static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
    int unit = 0;
    std::uint64_t scale = 1024;
    while (unit + 1 < 6 && bytes / scale >= 1024) {
        scale <<= 10;
        ++unit;
    }
    if (bytes % scale == 0) return std::to_string(bytes / scale) + " " + kUnits[unit];
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", static_cast<double>(bytes) / double(scale),
                  kUnits[unit]);
    return text;
}

}  // namespace dropgate::indexer
