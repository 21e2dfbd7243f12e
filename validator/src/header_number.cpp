#include "header_number.hpp"

namespace dropgate::validator::detail {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

// isspace() in the C locale, as GNU tar calls it.
bool is_space(std::uint8_t c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

bool is_octal(std::uint8_t c) {
    return c >= '0' && c <= '7';
}

// GNU tar's base-64 alphabet: A-Z a-z 0-9 + /; 64 for any other byte.
unsigned base64_digit(std::uint8_t c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return 64;
}

// The magnitude and sign GNU tar reads, or nullopt on a syntax error or overflow.
struct Magnitude {
    std::uint64_t value = 0;
    bool negative = false;
};

std::optional<Magnitude> read_octal(const std::uint8_t*& p, const std::uint8_t* end) {
    Magnitude m;
    for (;;) {
        m.value += *p++ - '0';
        if (p == end || !is_octal(*p)) break;
        if (m.value >> 61) return std::nullopt;
        m.value <<= 3;
    }
    // GNU tar also reads two's-complement octal of types narrower than the field's digits; no
    // ustar field holds enough digits for that to apply to a 64-bit build's types.
    return m;
}

std::optional<Magnitude> read_base64(const std::uint8_t*& p, const std::uint8_t* end) {
    Magnitude m;
    m.negative = *p++ == '-';
    for (unsigned digit; p != end && (digit = base64_digit(*p)) < 64; ++p) {
        if (m.value >> 58) return std::nullopt;
        m.value = m.value << 6 | digit;
    }
    return m;
}

// Base-256: N >= 0 is stored as 256^size/2 + N, -N as 256^size - N (two's complement), so the
// first byte's top bit is always set and bit 6 is the sign.
std::optional<Magnitude> read_base256(const std::uint8_t*& p, const std::uint8_t* end) {
    const std::uint64_t sign_bit = *p & 0x40;
    const std::uint64_t top_bits = (0 - sign_bit) << (64 - 8 - 6);
    std::uint64_t value = (*p++ & 0x3f) - sign_bit;
    for (;;) {
        value = (value << 8) + *p++;
        if (p == end) break;
        if (((value << 8 >> 8) | top_bits) != value) return std::nullopt;
    }
    Magnitude m;
    m.negative = sign_bit != 0;
    m.value = m.negative ? 0 - value : value;
    return m;
}

}  // namespace

std::optional<std::int64_t> gnu_number(const std::uint8_t* field, std::size_t size,
                                       NumberRange range, bool octal_only) {
    const std::uint8_t* p = field;
    const std::uint8_t* end = field + size;
    if (p < end && *p == 0) ++p;
    for (;; ++p) {
        if (p == end) return std::nullopt;  // "Blanks in header where numeric … value expected"
        if (!is_space(*p)) break;
    }
    std::optional<Magnitude> read = Magnitude{};
    if (is_octal(*p))
        read = read_octal(p, end);
    else if (octal_only)
        ;  // no extension: the value is 0 and the terminator test below decides
    else if (*p == '-' || *p == '+')
        read = read_base64(p, end);
    else if (end - p >= 2 && (*p == 0x80 || *p == 0xff))
        read = read_base256(p, end);
    if (!read) return std::nullopt;
    if (p != end && *p != 0 && !is_space(*p)) return std::nullopt;
    const std::uint64_t min_magnitude = 0 - static_cast<std::uint64_t>(range.min);
    if (read->value > (read->negative ? min_magnitude : range.max)) return std::nullopt;
    return static_cast<std::int64_t>(read->negative ? 0 - read->value : read->value);
}

std::int64_t libarchive_number(const std::uint8_t* field, std::size_t size) {
    const std::uint8_t* p = field;
    if (size > 0 && (*p & 0x80)) {
        // Base-256, sign-extended from bit 6; a value needing more than 64 bits saturates.
        const std::uint8_t extension = (*p & 0x40) ? 0xff : 0x00;
        std::uint8_t c = extension ? (*p | 0x80) : (*p & 0x7f);
        std::uint64_t value = extension ? ~0ull : 0;
        for (; size > 8; --size) {
            if (c != extension) return extension ? kInt64Min : kInt64Max;
            c = *++p;
        }
        if ((c ^ extension) & 0x80) return extension ? kInt64Min : kInt64Max;
        for (; size > 1; --size) {
            value = value << 8 | c;
            c = *++p;
        }
        return static_cast<std::int64_t>(value << 8 | c);
    }
    const std::uint8_t* end = field + size;
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    const bool negative = p < end && *p == '-';
    if (negative) ++p;
    std::int64_t value = 0;
    for (; p < end && is_octal(*p); ++p) {
        const int digit = *p - '0';
        if (negative ? value > -(kInt64Min / 8) || (value == -(kInt64Min / 8) && digit >= 0)
                     : value > kInt64Max / 8 || (value == kInt64Max / 8 && digit >= 7))
            return negative ? kInt64Min : kInt64Max;
        value = value * 8 + digit;
    }
    return negative ? -value : value;
}

bool libarchive_recognises(const std::uint8_t* field, std::size_t size) {
    if (size == 0 || field[0] == 0x00 || field[0] == 0x80 || field[0] == 0xff) return true;
    std::size_t i = 0;
    while (i < size && field[i] == ' ') ++i;
    while (i < size && is_octal(field[i])) ++i;
    for (; i < size; ++i)
        if (field[i] != ' ' && field[i] != 0) return false;
    return true;
}

}  // namespace dropgate::validator::detail
