// One JSON object per line on stderr (spec §7): {"ts":..., "event":..., fields...}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dropgate::gateway {

class LogLine {
  public:
    explicit LogLine(std::string_view event);
    LogLine& add(std::string_view key, std::string_view value);
    LogLine& add(std::string_view key, const char* value) {
        return add(key, std::string_view(value));
    }
    LogLine& add(std::string_view key, const std::string& value) {
        return add(key, std::string_view(value));
    }
    LogLine& add(std::string_view key, std::int64_t value);
    LogLine& add(std::string_view key, std::uint64_t value) {
        return add(key, std::int64_t(value));
    }
    LogLine& add(std::string_view key, int value) { return add(key, std::int64_t(value)); }
    LogLine& add(std::string_view key, double value);
    // Writes the line with one write(2), so lines from concurrent sessions never interleave.
    void emit();

  private:
    std::string text_;
};

std::string json_escape(std::string_view text);

}  // namespace dropgate::gateway
