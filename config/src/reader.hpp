// A typed, position-aware reader over one TOML table. Every error it raises names the file,
// the line and the dotted key ("dropgate.toml:14: user[1].role: ..."), and finish() rejects
// keys nobody asked for, so a typo never passes silently.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dropgate/config/config.hpp"

namespace dropgate::config::detail {

// Parses a TOML file; a syntax error becomes ConfigError "FILE:LINE: invalid TOML: …".
toml::table parse_toml_file(const std::string& file);

class TableReader {
  public:
    // `table` may be null (section absent): every get then returns nullopt.
    TableReader(const std::string& file, std::string prefix, const toml::table* table,
                std::uint32_t line);

    // The key's dotted name, e.g. "store.max_members" or "user[1].role".
    std::string key_name(std::string_view key) const;
    // Throws ConfigError "FILE:LINE: KEY: message", LINE from the key's value if present.
    [[noreturn]] void fail(std::string_view key, const std::string& message) const;
    [[noreturn]] void fail_at(std::uint32_t line, std::string_view key,
                              const std::string& message) const;

    std::optional<std::string> string(std::string_view key);
    std::optional<bool> boolean(std::string_view key);
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
    std::optional<std::vector<std::string>> strings(std::string_view key);
    // A string or an array of strings.
    std::optional<std::vector<std::string>> string_or_strings(std::string_view key);
    std::optional<std::uint64_t> size(std::string_view key);  // "64GiB" or bytes
    // "15m" or seconds; 0 only if `zero_ok`.
    std::optional<std::chrono::seconds> duration(std::string_view key, bool zero_ok = false);
    // A path, resolved against `base` when relative.
    std::optional<std::filesystem::path> path(std::string_view key,
                                              const std::filesystem::path& base);

    std::uint32_t line_of(std::string_view key) const;
    std::uint32_t line() const { return line_; }
    const std::string& file() const { return file_; }

    // Rejects every key that was not read.
    void finish() const;

  private:
    const toml::node* node(std::string_view key);
    [[noreturn]] void type_error(std::string_view key, const char* expected) const;

    std::string file_;
    std::string prefix_;
    const toml::table* table_;
    std::uint32_t line_;
    std::set<std::string, std::less<>> read_;
};

}  // namespace dropgate::config::detail
