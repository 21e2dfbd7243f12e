// Timestamps as the index stores them: TEXT "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds),
// which sorts and compares correctly as text, so sqlite3 users can read and compare them.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace dropgate {

std::string format_timestamp(std::chrono::system_clock::time_point when);
// The same to whole seconds, "2026-11-23T10:00:00Z" (the bundles' uploaded_at attribute).
std::string format_timestamp_seconds(std::chrono::system_clock::time_point when);
// A duration as the config writes it: "2h", "10m", "90s" (the largest unit that divides it).
std::string format_duration(std::chrono::seconds duration);
// Parses the stored form back. Throws std::invalid_argument on anything else.
std::chrono::system_clock::time_point parse_timestamp(std::string_view text);
// `--since` values: a relative duration back from `now` ("90s", "30m", "24h", "7d", "2w"), or an
// ISO date/time in UTC ("2026-11-23", "2026-11-23T10:00", "2026-11-23 10:00:00",
// "2026-11-23T10:00:00.250Z"). Throws std::invalid_argument naming the value.
std::chrono::system_clock::time_point parse_since(std::string_view text,
                                                  std::chrono::system_clock::time_point now);

}  // namespace dropgate
