// Values of pax records as GNU tar 1.34 reads them (xheader.c). GNU tar reports an error for a
// value it cannot read; libarchive reads what it can of the same value and never fails, so GNU
// tar's reading decides.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dropgate::validator::detail {

// A decimal number (decode_num, decode_signed_num): an optional '-', digits and nothing else
// (no blanks, no '+'), within [min, max].
std::optional<std::int64_t> gnu_decimal(std::string_view text, std::int64_t min, std::int64_t max);
// The same for unsigned values up to `max` (no '-').
std::optional<std::uint64_t> gnu_unsigned(std::string_view text, std::uint64_t max);

// A time (decode_time): an optional '-', at least one digit, seconds within the 64-bit range,
// then an optional '.' and fraction digits; anything after that is ignored ("1e9" is 1). Returns
// whole seconds, rounded down (towards the past, also before 1970).
std::optional<std::int64_t> gnu_time(std::string_view text);

// Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF): what
// libarchive needs to convert a pax name unless the header says hdrcharset=BINARY.
bool is_utf8(std::string_view text);

}  // namespace dropgate::validator::detail
