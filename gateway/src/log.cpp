#include "log.hpp"

#include "dropgate/log.hpp"

namespace dropgate::gateway {

struct LogLine::Fields {
    nlohmann::ordered_json json = nlohmann::ordered_json::object();
};

LogLine::LogLine(std::string_view event, Level level)
    : event_(event), level_(level), fields_(std::make_unique<Fields>()) {}

LogLine::~LogLine() = default;

LogLine& LogLine::add(std::string_view key, std::string_view value) {
    fields_->json[std::string(key)] = std::string(value);  // invalid UTF-8 is replaced at dump
    return *this;
}

LogLine& LogLine::add(std::string_view key, std::int64_t value) {
    fields_->json[std::string(key)] = value;
    return *this;
}

void LogLine::emit() {
    auto level = level_ == Level::error  ? log::Level::error
                 : level_ == Level::warn ? log::Level::warn
                                         : log::Level::info;
    log::event(level, event_, fields_->json);
}

}  // namespace dropgate::gateway
