// A regular member's bytes at any offset, through the seek index. A sparse member (old GNU 'S',
// or pax GNU.sparse 0.0, 0.1 or 1.0) stores only its data regions, each from a block boundary
// as GNU tar writes and reads them; its holes read as zeros.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dropgate/inside/seek_index.hpp"

namespace dropgate::inside {

class MemberData {
  public:
    // The member whose headers start at `header_offset` and whose data starts at `data_offset`
    // of the uncompressed stream; `size` is its logical size. Reads its sparse map, if it has
    // one, through `reader` (throws SeekIndexError for one that cannot be read).
    MemberData(SeekReader& reader, std::uint64_t header_offset, std::uint64_t data_offset,
               std::uint64_t size);

    // Up to out.size() bytes at `offset` of the member (fewer only at its end).
    std::size_t read(std::uint64_t offset, std::span<char> out);
    bool sparse() const { return sparse_; }
    std::uint64_t size() const { return size_; }

    struct Region {
        std::uint64_t offset = 0, size = 0;  // where in the member
        std::uint64_t stored_at = 0;         // where its bytes are in the tar stream
    };
    const std::vector<Region>& regions() const { return regions_; }

  private:
    SeekReader& reader_;
    std::uint64_t size_;
    bool sparse_ = false;
    std::vector<Region> regions_;  // one region for a contiguous member
};

}  // namespace dropgate::inside
