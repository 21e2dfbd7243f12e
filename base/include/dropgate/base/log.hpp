// Structured logs: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-23T10:00:00.123Z","level":"info","event":"upload_accepted","customer":"acme",...}
// Every part logs through here so operators get one format to parse (docs/operations.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace dropgate::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// "debug", "info", "warn", "error"; throws std::invalid_argument otherwise.
Level parse_level(std::string_view text);
// Sets the level for this process and the processes it starts (DROPGATE_LOG_LEVEL).
void set_level(Level level);
bool enabled(Level level);

// Writes one line: ts, level, event, then `fields` (an object) in order. Thread-safe; one
// write(2) per line, so lines from forked session processes never interleave.
void event(Level level, std::string_view name, const nlohmann::ordered_json& fields = {});

inline void debug(std::string_view name, const nlohmann::ordered_json& fields = {}) {
    event(Level::debug, name, fields);
}
inline void info(std::string_view name, const nlohmann::ordered_json& fields = {}) {
    event(Level::info, name, fields);
}
inline void warn(std::string_view name, const nlohmann::ordered_json& fields = {}) {
    event(Level::warn, name, fields);
}
inline void error(std::string_view name, const nlohmann::ordered_json& fields = {}) {
    event(Level::error, name, fields);
}

}  // namespace dropgate::log
