// The members a hard link may point at. GNU tar and bsdtar make a hard link with link(2) to a file
// extracted before it, so a link to itself, to a directory or to a path no earlier member had
// fails to extract. Paths are remembered as 64-bit hashes in a table of bounded size: once it is
// full, a target not found is given the benefit of the doubt (never a false refusal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dropgate/validator/validator.hpp"

namespace dropgate::validator::detail {

class LinkTargets {
  public:
    // At most this many slots (8 bytes each): 256 KiB, about 24,000 members remembered.
    static constexpr std::size_t kMaxSlots = std::size_t(1) << 15;

    // Why hard link `m` (paths normalised) cannot be made, or nullopt. Then remembers `m`.
    std::optional<std::string> add(const Member& m);

  private:
    // A slot holds a path hash with its lowest bit replaced by "is a directory"; 0 is empty.
    std::uint64_t* find(std::uint64_t key);
    void insert(std::uint64_t key, bool directory);
    void grow();

    std::vector<std::uint64_t> slots_;
    std::size_t used_ = 0;
    bool full_ = false;  // members went unremembered: "not found" proves nothing
};

}  // namespace dropgate::validator::detail
