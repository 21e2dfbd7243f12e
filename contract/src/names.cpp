#include "dropgate/contract/names.hpp"

#include <fnmatch.h>

namespace dropgate::contract {

namespace {

// fnmatch without FNM_PATHNAME: a pattern's '*' may match dots too ("*.tgz" takes "a.b.tgz").
bool matches_any(std::string_view name, const std::vector<std::string>& patterns) {
    std::string subject(name);
    for (const auto& pattern : patterns)
        if (fnmatch(pattern.c_str(), subject.c_str(), 0) == 0) return true;
    return false;
}

}  // namespace

bool is_valid_component(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.front() == '.') return false;
    return name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

NameKind NamePolicy::classify(std::string_view name) const {
    if (!is_valid_component(name) || viewed_bundle(name)) return NameKind::refused;
    if (matches_any(name, accept_)) return NameKind::bundle;
    for (const auto& suffix : temp_)
        if (!suffix.empty() && name.size() > suffix.size() && name.ends_with(suffix))
            return NameKind::temporary;
    return NameKind::refused;
}

std::string NamePolicy::accepted_patterns() const {
    std::string text;
    for (const auto& pattern : accept_) text += (text.empty() ? "" : ", ") + pattern;
    return text;
}

std::optional<std::string_view> NamePolicy::viewed_bundle(std::string_view name) const {
    if (!name.ends_with(kViewSuffix)) return std::nullopt;
    std::string_view bundle = name.substr(0, name.size() - kViewSuffix.size());
    if (!is_valid_component(bundle) || !matches_any(bundle, accept_)) return std::nullopt;
    return bundle;
}

std::string NamePolicy::refusal(std::string_view name) const {
    std::string shown(name);
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    if (auto bundle = viewed_bundle(name))
        return "reserved name: " + shown + " is where the members of " + std::string(*bundle) +
               " are shown";
    return "not an accepted bundle name: " + shown + " (accepted: " + accepted_patterns() + ")";
}

std::string_view base_name(std::string_view path) {
    std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace dropgate::contract
