// [replicate] and [retention] (spec §12): the object storage target, its credentials, the rate
// timetable, and when local copies go. Credentials come from a file or the environment and are
// kept out of every log and of `dropgate check`.
#include "replicate.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace dropgate::config {

namespace {

using detail::TableReader;

// "40Mbit/s", "5MB/s", "512KiB/s", "off" -> bytes per second (0: no cap).
std::uint64_t parse_one_rate(std::string_view text) {
    if (text == "off") return 0;
    static constexpr std::pair<std::string_view, double> units[] = {
        {"bit/s", 1.0 / 8}, {"kbit/s", 1e3 / 8},  {"Mbit/s", 1e6 / 8},    {"Gbit/s", 1e9 / 8},
        {"B/s", 1},         {"KB/s", 1e3},        {"MB/s", 1e6},          {"GB/s", 1e9},
        {"KiB/s", 1024.0},  {"MiB/s", 1048576.0}, {"GiB/s", 1073741824.0}};
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data() || value <= 0)
        throw std::invalid_argument(
            "expected a rate like \"40Mbit/s\", \"5MB/s\" or \"off\", got \"" + std::string(text) +
            "\"");
    std::string_view unit(end, text.data() + text.size() - end);
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    for (auto [name, factor] : units)
        if (unit == name)
            return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(value * factor));
    throw std::invalid_argument(
        "unknown rate unit \"" + std::string(unit) +
        "\" (use bit/s, kbit/s, Mbit/s, Gbit/s, B/s, KB/s, MB/s, KiB/s, MiB/s)");
}

// "08:00" -> minutes since midnight.
int parse_clock(std::string_view text) {
    int hours = -1, minutes = -1;
    if (text.size() == 5 && text[2] == ':') {
        std::from_chars(text.data(), text.data() + 2, hours);
        std::from_chars(text.data() + 3, text.data() + 5, minutes);
    }
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59)
        throw std::invalid_argument("expected a time of day like \"08:00\", got \"" +
                                    std::string(text) + "\"");
    return hours * 60 + minutes;
}

Replicate::RateStep parse_step(std::string_view token) {
    auto comma = token.find(',');
    if (comma == std::string_view::npos) return {0, parse_one_rate(token)};
    return {parse_clock(token.substr(0, comma)), parse_one_rate(token.substr(comma + 1))};
}

// The access key pair from a TOML file of its own (mode 0600 or stricter), or the environment.
void read_credentials(Replicate& replicate, TableReader& reader,
                      const std::filesystem::path& base) {
    replicate.credentials_file = reader.path("credentials_file", base);
    if (!replicate.credentials_file) {
        const char* id = std::getenv("AWS_ACCESS_KEY_ID");
        const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
        if (!id || !*id || !secret || !*secret)
            reader.fail("credentials_file",
                        "missing, and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not both set");
        replicate.access_key_id = id;
        replicate.secret_access_key = secret;
        return;
    }
    const std::string file = replicate.credentials_file->string();
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) reader.fail("credentials_file", "cannot read " + file);
    if (st.st_mode & 0077)
        reader.fail("credentials_file", file + " is readable by others (chmod 600 it)");
    toml::table table = detail::parse_toml_file(file);
    TableReader keys(file, "", &table, 1);
    auto id = keys.string("access_key_id");
    auto secret = keys.string("secret_access_key");
    if (!id || id->empty()) keys.fail("access_key_id", "missing");
    if (!secret || secret->empty()) keys.fail("secret_access_key", "missing");
    keys.finish();
    replicate.access_key_id = *id;
    replicate.secret_access_key = *secret;
}

}  // namespace

std::vector<Replicate::RateStep> parse_rate(std::string_view text) {
    std::vector<Replicate::RateStep> steps;
    while (!text.empty()) {
        auto space = text.find(' ');
        std::string_view token = text.substr(0, space);
        if (!token.empty()) steps.push_back(parse_step(token));
        text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
    }
    if (steps.empty()) throw std::invalid_argument("expected a rate like \"40Mbit/s\" or \"off\"");
    std::sort(steps.begin(), steps.end(), [](auto& a, auto& b) { return a.minute < b.minute; });
    for (std::size_t i = 1; i < steps.size(); ++i)
        if (steps[i].minute == steps[i - 1].minute)
            throw std::invalid_argument("two rates for the same time of day");
    if (steps.size() == 1 && steps[0].bytes_per_second == 0) steps.clear();
    return steps;
}

std::uint64_t Replicate::bytes_per_second_at(int minute_of_day) const {
    if (rate.empty()) return 0;
    // Before the first step of the day, the last one of the day before is in force.
    std::uint64_t current = rate.back().bytes_per_second;
    for (const auto& step : rate)
        if (step.minute <= minute_of_day) current = step.bytes_per_second;
    return current;
}

namespace detail {

std::optional<Replicate> read_replicate(const toml::table* table, const std::string& file,
                                        const std::filesystem::path& base) {
    if (!table) return std::nullopt;
    TableReader reader(file, "replicate", table, table->source().begin.line);
    Replicate replicate;
    auto endpoint = reader.string("endpoint");
    if (!endpoint || !(endpoint->starts_with("http://") || endpoint->starts_with("https://")))
        reader.fail("endpoint", "missing or not an http:// or https:// URL");
    while (endpoint->size() > 8 && endpoint->back() == '/') endpoint->pop_back();
    replicate.endpoint = *endpoint;
    auto bucket = reader.string("bucket");
    if (!bucket || bucket->size() < 3 || bucket->size() > 63 ||
        bucket->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos)
        reader.fail("bucket", "missing or not a bucket name (3-63 of a-z 0-9 . -)");
    replicate.bucket = *bucket;
    replicate.region = reader.string("region").value_or(replicate.region);
    replicate.prefix = reader.string("prefix").value_or("");
    if (replicate.prefix.starts_with("/")) reader.fail("prefix", "must not start with '/'");
    read_credentials(replicate, reader, base);
    if (auto rate = reader.string("rate")) {
        try {
            replicate.rate = parse_rate(*rate);
        } catch (const std::invalid_argument& e) {
            reader.fail("rate", e.what());
        }
        replicate.rate_text = *rate;
    }
    replicate.concurrency =
        static_cast<std::uint32_t>(reader.integer("concurrency", 1, 64).value_or(4));
    replicate.part_size = reader.size("part_size").value_or(replicate.part_size);
    if (replicate.part_size < (8ull << 20) || replicate.part_size > (5ull << 30))
        reader.fail("part_size", "must be between 8MiB and 5GiB");
    reader.finish();
    return replicate;
}

Retention read_retention(const toml::table* table, const std::string& file, bool replicating) {
    Retention retention;
    if (!table) return retention;
    TableReader reader(file, "retention", table, table->source().begin.line);
    if (!replicating)
        reader.fail("keep_local",
                    "[retention] needs [replicate]: local copies only go once "
                    "they are safely stored remotely");
    retention.keep_local = reader.duration("keep_local", /*zero_ok=*/true);  // 0: once confirmed
    retention.delete_after = reader.duration("delete_after");
    retention.cache_size = reader.size("cache_size").value_or(retention.cache_size);
    if (retention.cache_size < (16ull << 20)) reader.fail("cache_size", "must be at least 16MiB");
    if (retention.delete_after && retention.keep_local &&
        *retention.delete_after < *retention.keep_local)
        reader.fail("delete_after", "is shorter than keep_local");
    reader.finish();
    return retention;
}

}  // namespace detail

}  // namespace dropgate::config
