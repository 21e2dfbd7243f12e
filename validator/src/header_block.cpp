#include "header_block.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "header_number.hpp"

namespace dropgate::validator::detail {
namespace {

constexpr std::size_t kChecksumAt = 148, kChecksumSize = 8;

std::string at(std::uint64_t offset) {
    return " at offset " + std::to_string(offset);
}

Refusal invalid_field(std::uint64_t offset, const char* field) {
    return {EBADMSG, "tar header" + at(offset) + " has an invalid " + field + " field"};
}

// Both tools compare the stored checksum with the sum of the block's bytes, the checksum field
// counted as eight spaces, summed as unsigned or (historic BSD and Sun writers) signed bytes. They
// read the stored value differently: GNU tar as a number field (octal only), libarchive only if
// the field holds nothing but spaces, NULs and octal digits.
bool checksum_ok(const std::uint8_t* b) {
    std::int64_t unsigned_sum = kChecksumSize * ' ', signed_sum = kChecksumSize * ' ';
    for (std::size_t i = 0; i < kBlock; ++i) {
        if (i >= kChecksumAt && i < kChecksumAt + kChecksumSize) continue;
        unsigned_sum += b[i];
        signed_sum += static_cast<std::int8_t>(b[i]);
    }
    auto matches = [&](std::int64_t stored) {
        return stored == unsigned_sum || stored == signed_sum;
    };
    auto gnu = gnu_number(b + kChecksumAt, kChecksumSize, kChecksumRange, true);
    if (!gnu || !matches(*gnu)) return false;
    for (std::size_t i = kChecksumAt; i < kChecksumAt + kChecksumSize; ++i)
        if (b[i] != ' ' && b[i] != 0 && (b[i] < '0' || b[i] > '7')) return false;
    return matches(libarchive_number(b + kChecksumAt, kChecksumSize));
}

// bsdtar takes a stream for tar only if its first block (when not zeros) has a valid checksum, a
// typeflag that is NUL, a digit or an ASCII letter, and numeric fields it recognises.
std::optional<Refusal> first_block_problem(const std::uint8_t* b) {
    const std::uint8_t type = b[156];
    const bool type_ok = type == 0 || (type >= '0' && type <= '9') ||
                         (type >= 'A' && type <= 'Z') || (type >= 'a' && type <= 'z');
    if (!type_ok) return Refusal{EBADMSG, "tar header" + at(0) + " has an invalid type flag"};
    static constexpr struct {
        std::size_t offset, size;
        const char* name;
    } kFields[] = {{100, 8, "mode"},  {108, 8, "uid"},      {116, 8, "gid"},     {136, 12, "mtime"},
                   {124, 12, "size"}, {329, 8, "devmajor"}, {337, 8, "devminor"}};
    for (const auto& f : kFields)
        if (!libarchive_recognises(b + f.offset, f.size)) return invalid_field(0, f.name);
    return std::nullopt;
}

// The size field. GNU tar gives a hard link no data and does not read its size; libarchive reads
// every size and gives up on a negative or overflowing one. Elsewhere both must read one value.
std::optional<std::uint64_t> size_field(const std::uint8_t* b, char type) {
    const std::int64_t bsd = libarchive_number(b + 124, 12);
    if (bsd < 0 || bsd == std::numeric_limits<std::int64_t>::max()) return std::nullopt;
    if (type != '1') {
        auto gnu = gnu_number(b + 124, 12, kSizeRange);
        if (!gnu || *gnu != bsd) return std::nullopt;
    }
    return static_cast<std::uint64_t>(bsd);
}

// An owner id. GNU tar reads it (and reports an error if it cannot) where the header gives no
// owner name, or one unknown on the extracting machine; dropgate refuses an unreadable id only
// where there is no name, so a bundle extracts wherever its owner names exist. Otherwise the id
// is what libarchive reads.
std::optional<std::uint64_t> owner_id(const std::uint8_t* b, std::size_t id_at, std::size_t name_at,
                                      Magic magic) {
    if (auto id = gnu_number(b + id_at, 8, kIdRange)) return static_cast<std::uint64_t>(*id);
    if (magic == Magic::v7 || b[name_at] == 0) return std::nullopt;
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, libarchive_number(b + id_at, 8)));
}

// The fields GNU tar decodes for every member header (not for extended headers): it reports an
// error for any it cannot read. Device numbers are read only for devices.
std::optional<Refusal> read_member_fields(const std::uint8_t* b, std::uint64_t offset,
                                          HeaderBlock& h) {
    auto mode = gnu_number(b + 100, 8, kModeRange);
    if (!mode) return invalid_field(offset, "mode");
    auto uid = owner_id(b, 108, 265, h.magic);
    if (!uid) return invalid_field(offset, "uid");
    auto gid = owner_id(b, 116, 297, h.magic);
    if (!gid) return invalid_field(offset, "gid");
    auto mtime = gnu_number(b + 136, 12, kTimeRange);
    if (!mtime) return invalid_field(offset, "mtime");
    if ((h.type == '3' || h.type == '4') && h.magic != Magic::v7) {
        if (!gnu_number(b + 329, 8, kDeviceRange)) return invalid_field(offset, "devmajor");
        if (!gnu_number(b + 337, 8, kDeviceRange)) return invalid_field(offset, "devminor");
    }
    h.mode = static_cast<std::uint32_t>(*mode) & 07777;
    h.uid = *uid;
    h.gid = *gid;
    h.mtime = *mtime;
    return std::nullopt;
}

}  // namespace

bool is_extended_header(char type) {
    return type == 'x' || type == 'g' || type == 'X' || type == 'L' || type == 'K';
}

std::variant<HeaderBlock, Refusal> read_header_block(const std::uint8_t* b, std::uint64_t offset) {
    if (!checksum_ok(b)) {
        if (offset == 0)
            return Refusal{EBADMSG, "not a tar archive (tar header checksum error" + at(0) + ")"};
        return Refusal{EBADMSG, "tar header checksum error" + at(offset)};
    }
    if (offset == 0)
        if (auto problem = first_block_problem(b)) return *problem;
    HeaderBlock h;
    h.type = static_cast<char>(b[156]);
    h.magic = std::memcmp(b + 257, "ustar\0", 6) == 0     ? Magic::posix
              : std::memcmp(b + 257, "ustar  \0", 8) == 0 ? Magic::gnu
                                                          : Magic::v7;
    auto size = size_field(b, h.type);
    if (!size) return invalid_field(offset, "size");
    h.size = *size;
    if (!is_extended_header(h.type))
        if (auto problem = read_member_fields(b, offset, h)) return *problem;
    return h;
}

std::string_view string_field(const std::uint8_t* field, std::size_t size) {
    const void* nul = std::memchr(field, 0, size);
    std::size_t length = nul ? std::size_t(static_cast<const std::uint8_t*>(nul) - field) : size;
    return {reinterpret_cast<const char*>(field), length};
}

}  // namespace dropgate::validator::detail
