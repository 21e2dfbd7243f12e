// Members of one accepted bundle, read without extracting it: the index's member rows say where
// each member's data is in the tar stream, the seek index gets there (spec §13).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/index/index.hpp"
#include "dropgate/inside/seek_index.hpp"

namespace dropgate::inside {

class MemberError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class BundleMembers {
  public:
    // Opens the bundle's bytes (its backing file, or through the store mount when only a stub
    // of it is left) and its seek index (built now if missing).
    BundleMembers(const config::Config& config, index::Index& index,
                  const index::UploadRecord& bundle);

    // Every member, in archive order (a path present twice appears twice).
    const std::vector<validator::Member>& members() const { return members_; }
    // The member a tar extraction leaves at `path`: the last one of that path; a hard link
    // resolves to the file it names. Throws MemberError for a missing path or for what has no
    // bytes to read (a directory, a symlink, a device).
    const validator::Member& file(const std::string& path) const;
    // Streams a regular member's bytes to `sink` in chunks (a sparse member's holes as zeros).
    void read(const validator::Member& member,
              const std::function<void(std::span<const char>)>& sink);
    const SeekIndex& seek_index() const { return seek_; }

  private:
    std::string name_;
    UniqueFd fd_;
    SeekIndex seek_;
    std::vector<validator::Member> members_;
    std::optional<SeekReader> reader_;
};

}  // namespace dropgate::inside
