#include "dropgate/base/time.hpp"

#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <string>

namespace dropgate {

using namespace std::chrono;

std::string format_timestamp(system_clock::time_point when) {
    auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count();
    std::int64_t seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;  // floor for pre-1970
    int millis = static_cast<int>(ms - seconds * 1000);
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[96];  // room for any int the compiler imagines in each field
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return buffer;
}

std::string format_timestamp_seconds(system_clock::time_point when) {
    std::string text = format_timestamp(when);  // "YYYY-MM-DDTHH:MM:SS.mmmZ"
    return text.substr(0, text.size() - 5) + "Z";
}

namespace {

bool digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
    if (pos + count > text.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

// "YYYY-MM-DD" then optionally [T ]"HH:MM" [":SS" [".mmm"]] ["Z"]; nullopt-like false if not.
bool parse_iso(std::string_view text, system_clock::time_point& out) {
    std::tm tm{};
    int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
    if (!digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
        !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day))
        return false;
    std::size_t pos = 10;
    if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
        if (!digits(text, pos + 1, 2, hour) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
            !digits(text, pos + 4, 2, minute))
            return false;
        pos += 6;
        if (pos < text.size() && text[pos] == ':') {
            if (!digits(text, pos + 1, 2, second)) return false;
            pos += 3;
            if (pos < text.size() && text[pos] == '.') {
                std::size_t start = ++pos;
                while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
                std::string fraction(text.substr(start, pos - start));
                if (fraction.empty()) return false;
                fraction.resize(3, '0');
                millis = std::stoi(fraction);
            }
        }
    }
    if (pos < text.size() && text[pos] == 'Z') ++pos;
    if (pos != text.size()) return false;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return false;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    out = system_clock::from_time_t(timegm(&tm)) + milliseconds(millis);
    return true;
}

}  // namespace

system_clock::time_point parse_timestamp(std::string_view text) {
    system_clock::time_point when;
    if (!parse_iso(text, when))
        throw std::invalid_argument("not a timestamp: \"" + std::string(text) + "\"");
    return when;
}

system_clock::time_point parse_since(std::string_view text, system_clock::time_point now) {
    system_clock::time_point when;
    if (parse_iso(text, when)) return when;
    // Relative: digits then one unit.
    std::size_t pos = 0;
    std::uint64_t amount = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && amount < 1'000'000'000)
        amount = amount * 10 + static_cast<std::uint64_t>(text[pos++] - '0');
    if (pos > 0 && pos + 1 == text.size()) {
        std::int64_t unit = 0;
        switch (text[pos]) {
            case 's':
                unit = 1;
                break;
            case 'm':
                unit = 60;
                break;
            case 'h':
                unit = 3600;
                break;
            case 'd':
                unit = 86400;
                break;
            case 'w':
                unit = 7 * 86400;
                break;
        }
        if (unit) return now - seconds(static_cast<std::int64_t>(amount) * unit);
    }
    throw std::invalid_argument("--since \"" + std::string(text) +
                                "\": expected a duration like 24h or 7d, or a UTC date/time "
                                "like 2026-11-23 or 2026-11-23T10:00:00Z");
}

std::string format_duration(std::chrono::seconds duration) {
    auto s = duration.count();
    if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
    if (s % 60 == 0) return std::to_string(s / 60) + "m";
    return std::to_string(s) + "s";
}

}  // namespace dropgate
