// The backing layout under store.root (spec §4): root/bundles/<customer>/<path> holds accepted
// bundles, root/.staging/<upload-id> the uploads in progress. Both on one filesystem, so
// publishing is a rename. Nothing else in dropgate spells these names.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace dropgate::contract {

inline constexpr std::string_view kBundlesDir = "bundles";
inline constexpr std::string_view kStagingDir = ".staging";

class Layout {
  public:
    explicit Layout(std::filesystem::path root) : root_(std::move(root)) {}

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path bundles() const { return root_ / kBundlesDir; }
    std::filesystem::path staging() const { return root_ / kStagingDir; }
    // root/bundles/<customer>/<path>
    std::filesystem::path bundle(std::string_view customer, std::string_view path) const {
        return bundles() / customer / path;
    }
    // root/.staging/<upload-id>
    std::filesystem::path staged(std::string_view upload_id) const {
        return staging() / upload_id;
    }

  private:
    std::filesystem::path root_;
};

}  // namespace dropgate::contract
