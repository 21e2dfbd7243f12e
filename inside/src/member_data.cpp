// Sparse maps read back from a member's headers (and, for format 1.0, its data), the way GNU tar
// reads them at extraction; the validator has already refused every map either tool could not
// read, so what is parsed here is known to be well formed.
#include "dropgate/inside/member_data.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace dropgate::inside {

namespace {

constexpr std::uint64_t kBlock = 512;

std::uint64_t padded(std::uint64_t n) {
    return (n + kBlock - 1) / kBlock * kBlock;
}

// A tar numeric field: octal digits (space or NUL ended), or GNU base-256.
std::uint64_t number(const char* field, std::size_t size) {
    const auto* b = reinterpret_cast<const unsigned char*>(field);
    std::uint64_t value = 0;
    if (b[0] & 0x80) {
        for (std::size_t i = 1; i < size; ++i) value = value << 8 | b[i];
        return value;
    }
    for (std::size_t i = 0; i < size; ++i) {
        if (b[i] == ' ' && value == 0) continue;
        if (b[i] < '0' || b[i] > '7') break;
        value = value * 8 + (b[i] - '0');
    }
    return value;
}

std::uint64_t decimal(std::string_view text) {
    std::uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

struct PaxSparse {
    bool seen = false;
    std::uint64_t major = 0;
    std::vector<std::uint64_t> numbers;  // offset, size, offset, size… (0.0 and 0.1)
};

// The GNU.sparse records of one pax extended header's data.
void read_pax(std::string_view data, PaxSparse& sparse) {
    while (!data.empty()) {
        std::size_t space = data.find(' ');
        std::uint64_t length = decimal(data.substr(0, space));
        if (space == std::string_view::npos || length <= space + 1 || length > data.size()) return;
        std::string_view record = data.substr(space + 1, length - space - 2);  // no '\n'
        data.remove_prefix(length);
        std::size_t equals = record.find('=');
        std::string_view key = record.substr(0, equals), value = record.substr(equals + 1);
        if (!key.starts_with("GNU.sparse.")) continue;
        sparse.seen = true;
        if (key == "GNU.sparse.major") sparse.major = decimal(value);
        if (key == "GNU.sparse.offset" || key == "GNU.sparse.numbytes")
            sparse.numbers.push_back(decimal(value));
        if (key == "GNU.sparse.map") {
            sparse.numbers.clear();
            for (std::size_t at = 0; at <= value.size();) {
                std::size_t comma = std::min(value.find(',', at), value.size());
                sparse.numbers.push_back(decimal(value.substr(at, comma - at)));
                at = comma + 1;
            }
        }
    }
}

// Regions from (offset, size) pairs stored back to back from `stored_at`, each from a block.
std::vector<MemberData::Region> regions_of(const std::vector<std::uint64_t>& numbers,
                                           std::uint64_t stored_at) {
    std::vector<MemberData::Region> regions;
    for (std::size_t i = 0; i + 1 < numbers.size(); i += 2) {
        regions.push_back({numbers[i], numbers[i + 1], stored_at});
        stored_at += padded(numbers[i + 1]);
    }
    return regions;
}

std::string read_exactly(SeekReader& reader, std::uint64_t offset, std::uint64_t size) {
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (reader.read(offset, {bytes.data(), bytes.size()}) != bytes.size())
        throw SeekIndexError("a member's headers are cut short");
    return bytes;
}

// Format 1.0: decimal numbers, one per line, at the start of the data: the count of regions,
// then each one's offset and size; padded to a block.
std::vector<MemberData::Region> map_in_data(SeekReader& reader, std::uint64_t data_offset) {
    std::vector<std::uint64_t> numbers;
    std::string text;
    std::uint64_t count = 0;
    for (std::uint64_t block = 0;; ++block) {
        text += read_exactly(reader, data_offset + block * kBlock, kBlock);
        numbers.clear();
        std::size_t at = 0;
        for (std::size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
            numbers.push_back(decimal(std::string_view(text).substr(at, nl - at)));
        if (!numbers.empty()) count = numbers[0];
        if (!numbers.empty() && numbers.size() >= 1 + 2 * count) {
            numbers.erase(numbers.begin());
            numbers.resize(2 * count);
            return regions_of(numbers, data_offset + (block + 1) * kBlock);
        }
        if (block > (count * 42) / kBlock + 2) throw SeekIndexError("a sparse map does not end");
    }
}

// Old GNU 'S' header: 4 entries at 386, "isextended" at 482, then extension blocks of 21
// entries with the flag at 504.
std::vector<std::uint64_t> old_gnu_map(const std::string& head, std::size_t at) {
    std::vector<std::uint64_t> numbers;
    auto entries = [&](std::size_t from, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            const char* entry = head.data() + from + i * 24;
            if (entry[0] == '\0') return;
            numbers.push_back(number(entry, 12));
            numbers.push_back(number(entry + 12, 12));
        }
    };
    entries(at + 386, 4);
    bool extended = head[at + 482] != 0;
    for (std::size_t block = at + kBlock; extended && block + kBlock <= head.size();
         block += kBlock) {
        entries(block, 21);
        extended = head[block + 504] != 0;
    }
    return numbers;
}

}  // namespace

MemberData::MemberData(SeekReader& reader, std::uint64_t header_offset, std::uint64_t data_offset,
                       std::uint64_t size)
    : reader_(reader), size_(size) {
    const std::string head = read_exactly(reader, header_offset, data_offset - header_offset);
    PaxSparse pax;
    for (std::size_t at = 0; at + kBlock <= head.size();) {
        const char type = head[at + 156];
        const std::uint64_t data = number(head.data() + at + 124, 12);
        if (type == 'x') read_pax(std::string_view(head).substr(at + kBlock, data), pax);
        if (type == 'S' && head.compare(at + 257, 8, "ustar  \0", 8) == 0) {
            sparse_ = true;
            regions_ = regions_of(old_gnu_map(head, at), data_offset);
            return;
        }
        if (type != 'x' && type != 'g' && type != 'L' && type != 'K') break;  // the main header
        at += kBlock + padded(data);
    }
    if (pax.seen && pax.major == 1) {
        sparse_ = true;
        regions_ = map_in_data(reader, data_offset);
    } else if (pax.seen && !pax.numbers.empty()) {
        sparse_ = true;
        regions_ = regions_of(pax.numbers, data_offset);
    } else {
        regions_.push_back({0, size, data_offset});
    }
}

std::size_t MemberData::read(std::uint64_t offset, std::span<char> out) {
    if (offset >= size_) return 0;
    const std::size_t total =
        static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_ - offset));
    std::size_t done = 0;
    auto region = std::upper_bound(regions_.begin(), regions_.end(), offset,
                                   [](std::uint64_t at, const Region& r) { return at < r.offset; });
    if (region != regions_.begin()) --region;
    while (done < total) {
        const std::uint64_t at = offset + done;
        while (region != regions_.end() && region->offset + region->size <= at) ++region;
        const std::uint64_t hole_end = region == regions_.end() ? size_ : region->offset;
        if (at < hole_end) {  // a hole: zeros up to the next region
            std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(total - done, hole_end - at));
            std::memset(out.data() + done, 0, n);
            done += n;
            continue;
        }
        std::size_t want = static_cast<std::size_t>(
            std::min<std::uint64_t>(total - done, region->offset + region->size - at));
        std::size_t got =
            reader_.read(region->stored_at + (at - region->offset), {out.data() + done, want});
        if (got == 0) throw SeekIndexError("a member's data is cut short");
        done += got;
    }
    return done;
}

}  // namespace dropgate::inside
