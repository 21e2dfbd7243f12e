// The tree a tar extraction of one bundle would leave (spec §13 "<bundle>.d/"), built from the
// index's member rows in archive order: a path present twice is what its later member made it
// (and counts its occurrences), a hard link is the file it names, a directory missing from the
// archive exists because a member lies below it. Devices, fifos and members whose path would
// leave the tree are not shown. Compact (about 80 bytes per member plus the names), so a
// million-member bundle's tree stays in tens of MiB.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/validator/validator.hpp"

namespace dropgate::inside {

class BundleTree {
  public:
    enum class Type : std::uint8_t { directory, file, symlink };
    static constexpr std::uint32_t kRoot = 0;

    struct Node {
        std::uint32_t parent = kRoot;
        std::uint32_t name_at = 0, name_size = 0;     // in the name pool
        std::uint32_t link_at = 0, link_size = 0;     // a symlink's target, in the name pool
        std::uint32_t first_child = 0, children = 0;  // a directory's entries, in child order
        std::uint32_t occurrences = 0;  // archive members of this path (0: an implied directory)
        Type type = Type::directory;
        std::uint32_t mode = 0755;  // permission bits as the archive gives them
        std::int64_t mtime = 0;
        std::uint64_t size = 0;           // a file's logical size (expanded, for a sparse one)
        std::uint64_t header_offset = 0;  // a file's data member: where its headers start
        std::uint64_t data_offset = 0;    // and its data, in the uncompressed tar stream
    };

    // `each_member` hands every member in archive order to the builder it is given.
    // `implied_mtime`: the time shown by directories the archive does not list.
    BundleTree(const std::function<void(const std::function<void(const validator::Member&)>&)>&
                   each_member,
               std::int64_t implied_mtime);

    const Node& node(std::uint32_t id) const { return nodes_[id]; }
    std::string_view name(std::uint32_t id) const;
    std::string_view link_target(std::uint32_t id) const;
    // The entry `name` of directory `dir`.
    std::optional<std::uint32_t> child(std::uint32_t dir, std::string_view name) const;
    // The i-th entry of directory `dir` (by name).
    std::uint32_t child_at(std::uint32_t dir, std::uint32_t i) const {
        return child_ids_[nodes_[dir].first_child + i];
    }
    // The node at a '/'-separated path from the root ("" is the root), without following
    // symlinks.
    std::optional<std::uint32_t> find(std::string_view path) const;
    std::string path_of(std::uint32_t id) const;
    std::size_t size() const { return nodes_.size(); }
    std::size_t memory_bytes() const;

  private:
    class Builder;
    std::uint32_t add_name(std::string_view name);

    std::vector<Node> nodes_;
    std::vector<std::uint32_t> child_ids_;
    std::string pool_;
};

}  // namespace dropgate::inside
