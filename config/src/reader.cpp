#include "reader.hpp"

#include <algorithm>
#include <stdexcept>

namespace dropgate::config::detail {

toml::table parse_toml_file(const std::string& file) {
    try {
        return toml::parse_file(file);
    } catch (const toml::parse_error& e) {
        throw ConfigError(file + ":" + std::to_string(e.source().begin.line) +
                          ": invalid TOML: " + std::string(e.description()));
    }
}

TableReader::TableReader(const std::string& file, std::string prefix, const toml::table* table,
                         std::uint32_t line)
    : file_(file), prefix_(std::move(prefix)), table_(table), line_(line) {}

std::string TableReader::key_name(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

void TableReader::fail_at(std::uint32_t line, std::string_view key,
                          const std::string& message) const {
    std::string where = file_;
    if (line > 0) where += ":" + std::to_string(line);
    throw ConfigError(where + ": " + key_name(key) + ": " + message);
}

std::uint32_t TableReader::line_of(std::string_view key) const {
    if (table_) {
        if (const toml::node* n = table_->get(key)) return n->source().begin.line;
    }
    return line_;
}

void TableReader::fail(std::string_view key, const std::string& message) const {
    fail_at(line_of(key), key, message);
}

void TableReader::type_error(std::string_view key, const char* expected) const {
    const toml::node* n = table_->get(key);
    std::string got{toml::impl::node_type_friendly_names[static_cast<int>(n->type())]};
    fail(key, std::string("expected ") + expected + ", got " + got);
}

const toml::node* TableReader::node(std::string_view key) {
    read_.emplace(key);
    return table_ ? table_->get(key) : nullptr;
}

std::optional<std::string> TableReader::string(std::string_view key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) type_error(key, "a string");
    return n->as_string()->get();
}

std::optional<bool> TableReader::boolean(std::string_view key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) type_error(key, "true or false");
    return n->as_boolean()->get();
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) type_error(key, "an integer");
    std::int64_t value = n->as_integer()->get();
    if (value < min || value > max)
        fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", got " + std::to_string(value));
    return value;
}

std::optional<std::vector<std::string>> TableReader::strings(std::string_view key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    const toml::array* array = n->as_array();
    if (!array) type_error(key, "an array of strings");
    std::vector<std::string> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& item = (*array)[i];
        if (!item.is_string())
            fail_at(item.source().begin.line, std::string(key) + "[" + std::to_string(i) + "]",
                    "expected a string");
        values.push_back(item.as_string()->get());
    }
    return values;
}

std::optional<std::vector<std::string>> TableReader::string_or_strings(std::string_view key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (n->is_string()) return std::vector<std::string>{n->as_string()->get()};
    if (!n->is_array()) type_error(key, "a string or an array of strings");
    return strings(key);
}

std::optional<std::uint64_t> TableReader::size(std::string_view key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    std::uint64_t value = 0;
    if (n->is_integer()) {
        if (n->as_integer()->get() < 0) fail(key, "must not be negative");
        value = static_cast<std::uint64_t>(n->as_integer()->get());
    } else if (n->is_string()) {
        try {
            value = parse_size(n->as_string()->get());
        } catch (const std::invalid_argument& e) {
            fail(key, e.what());
        }
    } else {
        type_error(key, "a size like \"64GiB\"");
    }
    if (value == 0) fail(key, "must be greater than zero");
    return value;
}

std::optional<std::chrono::seconds> TableReader::duration(std::string_view key, bool zero_ok) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    std::chrono::seconds value{0};
    if (n->is_integer()) {
        if (n->as_integer()->get() < 0) fail(key, "must not be negative");
        value = std::chrono::seconds(n->as_integer()->get());
    } else if (n->is_string()) {
        try {
            value = parse_duration(n->as_string()->get());
        } catch (const std::invalid_argument& e) {
            fail(key, e.what());
        }
    } else {
        type_error(key, "a duration like \"30s\", \"15m\" or \"2h\"");
    }
    if (value.count() == 0 && !zero_ok) fail(key, "must be greater than zero");
    return value;
}

std::optional<std::filesystem::path> TableReader::path(std::string_view key,
                                                       const std::filesystem::path& base) {
    auto text = string(key);
    if (!text) return std::nullopt;
    if (text->empty()) fail(key, "must not be empty");
    std::filesystem::path p(*text);
    if (p.is_relative()) p = base / p;
    return p.lexically_normal();
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace

void TableReader::finish() const {
    if (!table_) return;
    for (const auto& [key, value] : *table_) {
        if (read_.count(key.str())) continue;
        std::string message = "unknown key";
        for (const auto& known : read_)
            if (edit_distance(known, key.str()) <= 2)
                message += " (did you mean \"" + known + "\"?)";
        fail_at(key.source().begin.line, key.str(), message);
    }
}

}  // namespace dropgate::config::detail
