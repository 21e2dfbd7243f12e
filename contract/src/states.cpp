#include "dropgate/contract/states.hpp"

#include <array>
#include <utility>

namespace dropgate::contract {

namespace {

constexpr std::array<std::pair<UploadState, std::string_view>, 5> kNames{{
    {UploadState::uploading, "uploading"},
    {UploadState::partial, "partial"},
    {UploadState::accepted, "accepted"},
    {UploadState::rejected, "rejected"},
    {UploadState::aborted, "aborted"},
}};

}  // namespace

std::string_view to_string(UploadState state) {
    for (auto [value, name] : kNames)
        if (value == state) return name;
    return "aborted";
}

std::vector<std::string> state_names() {
    std::vector<std::string> names;
    for (auto [value, name] : kNames) names.emplace_back(name);
    return names;
}

std::optional<UploadState> parse_state(std::string_view text) {
    for (auto [value, name] : kNames)
        if (name == text) return value;
    return std::nullopt;
}

}  // namespace dropgate::contract
