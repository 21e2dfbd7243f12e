#include "dropgate/base/sizes.hpp"

#include <cstdio>

namespace dropgate {

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

}  // namespace dropgate
