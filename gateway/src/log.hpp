// The gateway's events, written through dropgate::log (one JSON object per line on stderr,
// docs/operations.md). A small builder so the hot files need not include nlohmann/json.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace dropgate::gateway {

class LogLine {
  public:
    enum class Level { info, warn, error };
    explicit LogLine(std::string_view event, Level level = Level::info);
    ~LogLine();
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
    void emit();

  private:
    struct Fields;
    std::string event_;
    Level level_;
    std::unique_ptr<Fields> fields_;
};

}  // namespace dropgate::gateway
