// One 512-byte tar header block read as GNU tar and bsdtar read it: the checksum, the first
// block's format test, and the numeric fields each type of header makes those tools read. A block
// either tool cannot read is refused; the string fields are read by the member builder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "refusal.hpp"

namespace dropgate::validator::detail {

inline constexpr std::size_t kBlock = 512;

enum class Magic {
    posix,  // "ustar\0" at 257: ustar, pax, star (GNU tar then reads the name prefix)
    gnu,    // "ustar  \0": GNU and old GNU format
    v7      // anything else: pre-POSIX tar
};

struct HeaderBlock {
    char type = '0';
    Magic magic = Magic::v7;
    // The size field as both tools read it. Hard links: as bsdtar reads it (GNU tar ignores it).
    std::uint64_t size = 0;
    std::uint32_t mode = 0;  // permission bits only (07777)
    std::uint64_t uid = 0, gid = 0;
    std::int64_t mtime = 0;
};

// True for the typeflags of extended headers, which describe the next member ('x', 'g', 'X' pax,
// 'L'/'K' GNU long name and link): neither tool reads their mode, owner or time.
bool is_extended_header(char type);

// `offset`: where the block starts in the decompressed stream; the block at 0 must also pass
// bsdtar's format test. Blocks of zeros are the caller's business (end of archive).
std::variant<HeaderBlock, Refusal> read_header_block(const std::uint8_t* block,
                                                     std::uint64_t offset);

// A NUL-terminated string field of at most `size` bytes.
std::string_view string_field(const std::uint8_t* field, std::size_t size);

}  // namespace dropgate::validator::detail
