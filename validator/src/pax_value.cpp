#include "pax_value.hpp"

#include <limits>

namespace dropgate::validator::detail {
namespace {

constexpr std::uint64_t kInt64MinMagnitude = std::uint64_t(1) << 63;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Leading digits of `text` as a number; nullopt if there are none or they overflow 64 bits.
std::optional<std::uint64_t> leading_digits(std::string_view text, std::size_t& used) {
    std::uint64_t value = 0;
    used = 0;
    for (; used < text.size() && is_digit(text[used]); ++used) {
        const unsigned digit = static_cast<unsigned>(text[used] - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    if (used == 0) return std::nullopt;
    return value;
}

// An optional '-' and the digits after it, as a signed 64-bit value; nullopt if out of range.
std::optional<std::int64_t> leading_signed(std::string_view text, std::size_t& used) {
    const bool negative = !text.empty() && text[0] == '-';
    auto magnitude = leading_digits(text.substr(negative), used);
    used += negative;
    if (!magnitude) return std::nullopt;
    if (negative) {
        if (*magnitude > kInt64MinMagnitude) return std::nullopt;
        return static_cast<std::int64_t>(0 - *magnitude);
    }
    if (*magnitude > std::uint64_t(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(*magnitude);
}

}  // namespace

std::optional<std::int64_t> gnu_decimal(std::string_view text, std::int64_t min, std::int64_t max) {
    std::size_t used = 0;
    auto value = leading_signed(text, used);
    if (!value || used != text.size() || *value < min || *value > max) return std::nullopt;
    return value;
}

std::optional<std::uint64_t> gnu_unsigned(std::string_view text, std::uint64_t max) {
    std::size_t used = 0;
    auto value = leading_digits(text, used);
    if (!value || used != text.size() || *value > max) return std::nullopt;
    return value;
}

std::optional<std::int64_t> gnu_time(std::string_view text) {
    std::size_t used = 0;
    auto seconds = leading_signed(text, used);
    if (!seconds) return std::nullopt;
    bool fraction = false;
    if (used < text.size() && text[used] == '.')
        for (++used; used < text.size() && is_digit(text[used]); ++used)
            fraction |= text[used] != '0';
    if (text[0] == '-' && fraction) {
        if (*seconds == std::numeric_limits<std::int64_t>::min()) return std::nullopt;
        return *seconds - 1;
    }
    return seconds;
}

bool is_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
        const unsigned lead = byte(i);
        std::size_t length;
        std::uint32_t code, min;
        if (lead < 0x80) {
            ++i;
            continue;
        } else if ((lead & 0xe0) == 0xc0) {
            length = 2, code = lead & 0x1f, min = 0x80;
        } else if ((lead & 0xf0) == 0xe0) {
            length = 3, code = lead & 0x0f, min = 0x800;
        } else if ((lead & 0xf8) == 0xf0) {
            length = 4, code = lead & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (text.size() - i < length) return false;
        for (std::size_t k = 1; k < length; ++k) {
            if ((byte(i + k) & 0xc0) != 0x80) return false;
            code = code << 6 | (byte(i + k) & 0x3f);
        }
        if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
        i += length;
    }
    return true;
}

}  // namespace dropgate::validator::detail
