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
// Seek indexes of accepted bundles (spec §13), one file per bundle content: <sha256>.seek.
inline constexpr std::string_view kSeekDir = ".seek";
// Blocks of replicated bundles read back from object storage (spec §12 read-through).
inline constexpr std::string_view kRemoteCacheDir = ".remote-cache";

// A bundle whose local copy retention removed stays in bundles/ as a stub: a sparse file of the
// bundle's size with the sticky bit set (meaningless on a regular file, so never set otherwise);
// its bytes are read from the object the replicas row names. The mount shows it as any bundle.
inline constexpr unsigned kStubMode = 01444;
inline bool is_stub(unsigned st_mode) {
    return (st_mode & 01000) != 0;
}

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
    std::filesystem::path remote_cache() const { return root_ / kRemoteCacheDir; }
    // root/.seek/<sha256>.seek
    std::filesystem::path seek_index(std::string_view sha256) const {
        return root_ / kSeekDir / (std::string(sha256) + ".seek");
    }
    // root/.staging/<upload-id>
    std::filesystem::path staged(std::string_view upload_id) const { return staging() / upload_id; }

  private:
    std::filesystem::path root_;
};

}  // namespace dropgate::contract
