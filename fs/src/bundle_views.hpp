// The views of bundles (spec §13 `<bundle>.d/`) the mount has been asked about: each one's
// member tree, built from the index on first use, and its seek index, loaded on the first open
// of a member. The most recently used are kept within a memory budget; inodes the kernel still
// holds keep theirs alive.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/index/index.hpp"
#include "dropgate/inside/bundle_tree.hpp"
#include "dropgate/inside/member_data.hpp"
#include "dropgate/inside/seek_index.hpp"
#include "remote_bundles.hpp"

namespace dropgate::fs {

struct Inode;

struct BundleView {
    BundleView(std::string bundle, index::UploadRecord row, inside::BundleTree tree)
        : bundle(std::move(bundle)), row(std::move(row)), tree(std::move(tree)) {}

    std::string bundle;  // "customer/path"
    index::UploadRecord row;
    inside::BundleTree tree;
    // The inodes handed to the kernel for this view's nodes (under StoreFs::table_mutex_).
    std::unordered_map<std::uint32_t, Inode*> inodes;

    std::mutex seek_mutex;
    std::shared_ptr<const inside::SeekIndex> seek;  // loaded by the first open
};

// One open member: its own reader (a stream positioned where the last read ended) and the last
// bytes it produced, so the kernel's read-ahead arriving slightly out of order on several FUSE
// threads is served from memory instead of inflating again from a seek point.
class MemberFile {
  public:
    MemberFile(std::shared_ptr<BundleView> view, std::shared_ptr<const inside::SeekIndex> seek,
               UniqueFd fd, inside::SeekReader::ReadAt source,
               const inside::BundleTree::Node& node);
    std::size_t read(std::uint64_t offset, std::span<char> out);

  private:
    std::mutex mutex_;
    std::shared_ptr<BundleView> view_;
    std::shared_ptr<const inside::SeekIndex> seek_;
    UniqueFd fd_;
    inside::SeekReader reader_;
    inside::MemberData data_;
    std::string recent_;  // the member's bytes [recent_at_, recent_at_ + size)
    std::uint64_t recent_at_ = 0;
};

class BundleViews {
  public:
    BundleViews(const config::Config& config, RemoteBundles* remote);

    // The view of the accepted bundle `bundle` ("customer/path"); null if it has no row.
    // Throws on index errors.
    std::shared_ptr<BundleView> get(const std::string& bundle);
    // Opens member `node` of `view` for reading; throws with the reason.
    std::unique_ptr<MemberFile> open(const std::shared_ptr<BundleView>& view, std::uint32_t node);

  private:
    std::shared_ptr<const inside::SeekIndex> seek_of(BundleView& view, int fd);
    void trim();

    const config::Config& config_;
    RemoteBundles* remote_;
    std::mutex mutex_;
    std::optional<index::Index> index_;  // its own read-only connection, opened on first use
    std::list<std::shared_ptr<BundleView>> recent_;  // most recently used first
    std::size_t bytes_ = 0;
};

}  // namespace dropgate::fs
