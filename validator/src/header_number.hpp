// The numeric fields of a tar header block as the two reference readers read them: GNU tar 1.34
// (list.c from_header) and libarchive 3.6, behind bsdtar (tar_atol and the format bid). dropgate
// accepts a field only where both can read it, and a value that steers the walk (the size) only
// where both read the same value. What each accepts was measured: docs/validation.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

namespace dropgate::validator::detail {

// The values GNU tar accepts in a field: the range of the C type it reads the field into.
struct NumberRange {
    std::int64_t min;
    std::uint64_t max;
};
inline constexpr NumberRange kModeRange{std::numeric_limits<std::int64_t>::min(),
                                        std::numeric_limits<std::uint64_t>::max()};
inline constexpr NumberRange kIdRange{0, std::numeric_limits<std::uint32_t>::max()};  // uid_t
inline constexpr NumberRange kTimeRange{std::numeric_limits<std::int64_t>::min(),
                                        std::numeric_limits<std::int64_t>::max()};
inline constexpr NumberRange kSizeRange{0, std::numeric_limits<std::int64_t>::max()};  // off_t
inline constexpr NumberRange kDeviceRange{std::numeric_limits<std::int32_t>::min(),
                                          std::numeric_limits<std::int32_t>::max()};  // major_t
inline constexpr NumberRange kChecksumRange{0, std::numeric_limits<std::int32_t>::max()};

// GNU tar's reading: one leading NUL skipped (written by a tar whose previous field overflowed),
// then white space; then octal digits, GNU base-64 after '+' or '-' (tar 1.13.6-1.13.11), or
// base-256 after a 0x80 (positive) or 0xff (negative) byte, as GNU tar and star write values that
// do not fit in octal; ended by NUL, white space or the field's end. An all-NUL field reads as 0.
// nullopt where GNU tar reports an error (an all-blank field, another byte, out of `range`).
// `octal_only` (the checksum) allows octal only. Values above INT64_MAX (mode fields only) wrap.
std::optional<std::int64_t> gnu_number(const std::uint8_t* field, std::size_t size,
                                       NumberRange range, bool octal_only = false);

// libarchive's reading: base-256 if the first byte has its top bit set, else octal after spaces
// and tabs with an optional '-', up to the first other byte (a leading NUL reads as 0). Never
// fails; it saturates at INT64_MAX / INT64_MIN.
std::int64_t libarchive_number(const std::uint8_t* field, std::size_t size);

// libarchive's test of a numeric field of the first header block of a stream, without which
// bsdtar says "Unrecognized archive format": a first byte of 0x00, 0x80 or 0xff, or spaces, octal
// digits and then only spaces and NULs.
bool libarchive_recognises(const std::uint8_t* field, std::size_t size);

}  // namespace dropgate::validator::detail
