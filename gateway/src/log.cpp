#include "log.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace dropgate::gateway {

std::string json_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (unsigned char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += char(c);
                }
        }
    }
    out += '"';
    return out;
}

LogLine::LogLine(std::string_view event) {
    auto now = std::chrono::system_clock::now();
    std::time_t secs = std::chrono::system_clock::to_time_t(now);
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    struct tm tm {};
    gmtime_r(&secs, &tm);
    char ts[96];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(millis));
    text_ = std::string("{\"ts\":\"") + ts +
            "\",\"part\":\"gateway\",\"pid\":" + std::to_string(::getpid()) +
            ",\"event\":" + json_escape(event);
}

LogLine& LogLine::add(std::string_view key, std::string_view value) {
    text_ += ',' + json_escape(key) + ':' + json_escape(value);
    return *this;
}

LogLine& LogLine::add(std::string_view key, std::int64_t value) {
    text_ += ',' + json_escape(key) + ':' + std::to_string(value);
    return *this;
}

LogLine& LogLine::add(std::string_view key, double value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", value);
    text_ += ',' + json_escape(key) + ':' + buf;
    return *this;
}

void LogLine::emit() {
    text_ += "}\n";
    std::size_t done = 0;
    while (done < text_.size()) {
        ssize_t n = ::write(STDERR_FILENO, text_.data() + done, text_.size() - done);
        if (n <= 0) return;
        done += std::size_t(n);
    }
}

}  // namespace dropgate::gateway
