// The seek index of a .tgz (spec §13): points from which inflation can restart, so any byte of
// the uncompressed tar stream is reached by inflating at most `spacing` bytes plus one deflate
// block, instead of everything before it. A point is either the start of a gzip member (inflate
// from its header) or a deflate block boundary inside one: the compressed byte and bit there,
// the uncompressed offset, and the 32 KiB of output before it (the window), kept compressed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "dropgate/base/unique_fd.hpp"

namespace dropgate::inside {

class SeekIndexError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct SeekPoint {
    std::uint64_t in = 0;           // compressed offset: the first byte with bits of the next block
    std::uint64_t out = 0;          // uncompressed offset of the point
    std::uint8_t bits = 0;          // bits of byte `in - 1` that belong to the next block (0–7)
    bool member_start = false;      // a gzip member starts at `in`: no window, inflate its header
    std::uint64_t window_at = 0;    // where its window starts among the index's windows
    std::uint32_t window_size = 0;  // zlib-compressed 32 KiB (or less, near the start); 0: none
};

struct SeekIndex {
    static constexpr std::uint64_t kDefaultSpacing = 2ull << 20;
    std::uint64_t spacing = kDefaultSpacing;
    std::uint64_t compressed_size = 0;
    std::uint64_t uncompressed_size = 0;
    std::vector<SeekPoint> points;  // by `out`, the first at 0

    // The point to restart from for uncompressed `offset`: the last one at or before it.
    const SeekPoint& point_for(std::uint64_t offset) const;
    // The compressed window of `point` (empty for a member start). Thread-safe.
    std::string window(const SeekPoint& point) const;
    // Appends a window for the next point built (sets its window_at and window_size).
    void add_window(SeekPoint& point, std::string_view packed);

    // A versioned little-endian encoding ("DGSEEK2": the point table, then all windows), and
    // back (throws SeekIndexError).
    std::string serialize() const;
    static SeekIndex parse(std::string_view bytes);
    // Reads only the point table of the encoding in `file`; each window is read from it when
    // its point is used, so opening the index of a big bundle costs a few KiB, not megabytes.
    static SeekIndex load(UniqueFd file);
    std::uint64_t encoded_size() const;
    std::uint64_t resident_bytes() const;  // what this object holds in memory

  private:
    std::string windows_;                   // built or parsed: every window, in memory
    std::shared_ptr<const UniqueFd> file_;  // loaded: the file they are read from
    std::uint64_t windows_base_ = 0;        // their offset in that file
    std::uint64_t windows_size_ = 0;
};

// One pass over the gzip file open at `fd` (every member of a multi-member file): a point at
// each member start and, inside a member, at the first block boundary after every `spacing`
// bytes of output. Throws SeekIndexError for data that does not inflate, or when `stop` is
// requested.
// `pace`, if set, is called before each read of the file: a background caller waits there
// while the machine has better things to do.
using Pace = std::function<void()>;
SeekIndex build_seek_index(int fd, std::uint64_t spacing = SeekIndex::kDefaultSpacing,
                           std::stop_token stop = {}, const Pace& pace = {});

// Reads uncompressed bytes of the file at `fd` through its index. A read that starts where the
// last one ended goes on inflating; any other restarts at the nearest point. Not thread-safe:
// one per reader.
class SeekReader {
  public:
    // Where the compressed bytes come from: up to out.size() bytes at `offset`, 0 at the end;
    // throws on error. A backing file, or object storage for a bundle only a stub is left of.
    using ReadAt = std::function<std::size_t(std::uint64_t offset, std::span<char> out)>;
    SeekReader(int fd, const SeekIndex& index);
    SeekReader(ReadAt source, const SeekIndex& index);
    SeekReader(const SeekReader&) = delete;  // its stream refers to source_
    SeekReader& operator=(const SeekReader&) = delete;
    // Up to out.size() bytes at uncompressed `offset` (fewer only at the end); the bytes
    // inflated to get there are counted in inflated().
    std::size_t read(std::uint64_t offset, std::span<char> out);
    std::uint64_t inflated() const { return inflated_; }

    // Reads of a file descriptor with pread (all of `out` unless the file ends first).
    static ReadAt pread_of(int fd);

  private:
    struct Stream;
    std::size_t read_at(std::uint64_t offset, std::span<char> out);
    ReadAt source_;
    const SeekIndex& index_;
    std::uint64_t inflated_ = 0;
    std::shared_ptr<Stream> stream_;  // positioned at position_
    std::uint64_t position_ = 0;
};

}  // namespace dropgate::inside
