// Sparse file maps as GNU tar and bsdtar read them: where the stored data regions go in the
// expanded file. A map either tool cannot read, or one that claims more data than the member
// stores (the tools would read the next header as data), is refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace dropgate::validator::detail {

// The data regions of a sparse map, stored back to back after the header (and a 1.0 map). The
// tools read them differently: GNU tar each region from a block boundary (as it writes them),
// libarchive their bytes but no more than the member stores. Both then reach the next header only
// if the regions hold at least the stored bytes and fit in the stored blocks.
class SparseRegions {
  public:
    void add(std::uint64_t size);
    // Why the regions do not fit `stored` data bytes, or nullopt.
    std::optional<std::string> misfit(std::uint64_t stored) const;

  private:
    std::uint64_t bytes_ = 0, block_bytes_ = 0;  // saturating sums
};

// The old GNU format ('S' members): (offset, numbytes) pairs of 12-byte numeric fields, 4 in the
// header and 21 in each extension block, each block ending with an "isextended" flag.
class OldSparseMap {
  public:
    static constexpr std::size_t kHeaderEntries = 4, kHeaderEntriesAt = 386;
    static constexpr std::size_t kBlockEntries = 21, kExtendedAt = 504;

    // `realsize`: the expanded size (no region may end beyond it).
    explicit OldSparseMap(std::uint64_t realsize) : realsize_(realsize) {}

    // The `count` entries at `entries` of one block whose flag says whether another block
    // follows. False if either tool cannot read them: GNU tar takes an entry whose numbytes field
    // is empty for the end of the map (and reads no extension block after it), libarchive one
    // whose offset field is empty.
    bool add_block(const std::uint8_t* entries, std::size_t count, bool extended);
    const SparseRegions& regions() const { return regions_; }

  private:
    std::uint64_t realsize_;
    SparseRegions regions_;
};

// GNU pax sparse format 1.0: the map opens the member's data as decimal numbers, one per line:
// the number of regions, then each region's offset and size; then padding to a block boundary.
class SparseMap10 {
  public:
    enum class Status { reading, done, bad };

    // `stored`: the member's data bytes (map included).
    explicit SparseMap10(std::uint64_t stored = 0) : stored_(stored) {}

    // The member's next data bytes; returns how many of them belong to the map (all of them
    // while it is still being read).
    std::size_t feed(const std::uint8_t* data, std::size_t size);
    Status status() const { return status_; }
    // Once done: why its regions do not fit the data after the map, or nullopt.
    std::optional<std::string> misfit() const;

  private:
    bool number_read();
    void finish();

    std::uint64_t stored_;
    Status status_ = Status::reading;
    std::uint64_t map_bytes_ = 0;
    std::uint64_t value_ = 0;    // the number being read
    std::size_t digits_ = 0;     // its digits so far
    std::uint64_t numbers_ = 0;  // numbers read so far
    std::uint64_t count_ = 0;    // the first number: how many regions
    std::uint64_t offset_ = 0;   // the region being read
    SparseRegions regions_;
};

}  // namespace dropgate::validator::detail
