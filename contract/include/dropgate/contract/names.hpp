// The one name policy (spec §10): which names the store takes, through every door. A name
// accepted over SFTP is accepted through the mount, over HTTP and by `dropgate validate`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/config/config.hpp"

namespace dropgate::contract {

enum class NameKind {
    bundle,     // matches store.accept: judged at close and published under this name
    temporary,  // ends in a store.temp_suffixes entry: judged at close, held until renamed
    refused,    // anything else: the store does not take it (EACCES at create)
};

// One path component anyone may create in the store (directory or file): not empty, at most
// 255 bytes, no '/', no NUL, and no leading '.' (so never "." or "..", and nothing hidden).
bool is_valid_component(std::string_view name);

class NamePolicy {
  public:
    explicit NamePolicy(const config::Store& store)
        : accept_(store.accept), temp_(store.temp_suffixes) {}

    // How the store treats an upload named `name` (one component, no directory).
    // Upload-then-rename clients add their own decorations before the suffix (rclone:
    // "x.tgz.3f2a.partial"), so a temporary name only needs the suffix; the rename that
    // publishes it must then name a bundle.
    NameKind classify(std::string_view name) const;
    bool is_bundle(std::string_view name) const { return classify(name) == NameKind::bundle; }
    // The refusal reason for a name classify() refuses, e.g.
    // "not an accepted bundle name: x.zip (accepted: *.tgz, *.tar.gz)".
    std::string refusal(std::string_view name) const;
    // "*.tgz, *.tar.gz"
    std::string accepted_patterns() const;
    // The bundle whose view (spec §13) a name is: "x.tgz" for "x.tgz.d". Such names are
    // reserved: no directory or upload may take one, so a view never hides a real entry.
    std::optional<std::string_view> viewed_bundle(std::string_view name) const;

  private:
    std::vector<std::string> accept_;
    std::vector<std::string> temp_;
};

// What a bundle's view adds to its name: `<bundle>.d/` holds its members (spec §13).
inline constexpr std::string_view kViewSuffix = ".d";

// The last component of a '/'-separated path ("" for "" or a trailing '/').
std::string_view base_name(std::string_view path);

}  // namespace dropgate::contract
