// Turns a member's header block and the extended headers before it into the Member the index
// records, and decides how many data bytes follow it in the stream. Refuses what GNU tar or bsdtar
// cannot extract, and what would send the two on different walks through the stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "dropgate/validator/validator.hpp"
#include "header_block.hpp"
#include "pax.hpp"
#include "refusal.hpp"

namespace dropgate::validator::detail {

// What the extended headers since the previous member said, and the context they arrived in.
struct PendingHeaders {
    PaxAttributes pax;  // this member's 'x'/'X' records
    std::optional<std::string> long_name, long_link;
    std::optional<std::uint64_t> first_offset;  // its first extended header, if any
    // libarchive treats the archive as pax (and honours a hard link's size) once it has seen an
    // 'x', 'X', 'g' or 'A' header, until a GNU or v7 member header.
    bool pax_format = false;
    // libarchive refuses sparse records on a member that is not a regular file until the archive
    // has had a regular ('0') or old sparse ('S') member.
    bool sparse_allowed = false;
};

struct BuiltMember {
    Member member;
    std::uint64_t stored = 0;         // data bytes that follow the header block in the stream
    bool sparse_extensions = false;   // old GNU sparse: extension blocks follow the header
    bool sparse_map_in_data = false;  // pax sparse 1.0: the map opens the data
};

// `block_offset`: where header block `b` (read as `h`) starts in the decompressed stream.
std::variant<BuiltMember, Refusal> build_member(const std::uint8_t* b, const HeaderBlock& h,
                                                std::uint64_t block_offset,
                                                const PendingHeaders& pending,
                                                const PaxAttributes& global);

}  // namespace dropgate::validator::detail
