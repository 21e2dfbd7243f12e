#include "dropgate/base/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "dropgate/base/time.hpp"

namespace dropgate::log {

namespace {

constexpr const char* kLevelVariable = "DROPGATE_LOG_LEVEL";

spdlog::level::level_enum to_spdlog(Level level);

// spdlog gives us level filtering and a thread-safe sink; the JSON (timestamp included) is
// ours, so the pattern is the bare message.
spdlog::logger& logger() {
    static auto instance = [] {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        auto l = std::make_shared<spdlog::logger>("dropgate", sink);
        l->set_pattern("%v");
        l->set_level(spdlog::level::info);
        // Processes started by `serve --log-level` inherit the level through the environment.
        if (const char* inherited = std::getenv(kLevelVariable)) {
            try {
                l->set_level(to_spdlog(parse_level(inherited)));
            } catch (const std::invalid_argument&) {
            }
        }
        l->flush_on(spdlog::level::trace);
        return l;
    }();
    return *instance;
}

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
        case Level::debug:
            return spdlog::level::debug;
        case Level::info:
            return spdlog::level::info;
        case Level::warn:
            return spdlog::level::warn;
        case Level::error:
            return spdlog::level::err;
    }
    return spdlog::level::info;
}

const char* name_of(Level level) {
    static constexpr const char* names[] = {"debug", "info", "warn", "error"};
    return names[static_cast<int>(level)];
}

}  // namespace

Level parse_level(std::string_view text) {
    for (Level level : {Level::debug, Level::info, Level::warn, Level::error})
        if (text == name_of(level)) return level;
    throw std::invalid_argument("unknown log level \"" + std::string(text) +
                                "\" (use debug, info, warn or error)");
}

void set_level(Level level) {
    logger().set_level(to_spdlog(level));
    setenv(kLevelVariable, name_of(level), 1);
}

bool enabled(Level level) {
    return logger().should_log(to_spdlog(level));
}

void event(Level level, std::string_view name, const nlohmann::ordered_json& fields) {
    if (!enabled(level)) return;
    nlohmann::ordered_json line{{"ts", format_timestamp(std::chrono::system_clock::now())}, {"level", name_of(level)}, {"event", name}};
    if (fields.is_object())
        for (const auto& [key, value] : fields.items()) line[key] = value;
    // Invalid UTF-8 in a client-supplied name must not make logging throw.
    logger().log(to_spdlog(level), "{}",
                 line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace dropgate::log
