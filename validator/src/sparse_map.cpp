#include "sparse_map.hpp"

#include <limits>

#include "header_number.hpp"

namespace dropgate::validator::detail {
namespace {

constexpr std::uint64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kEntrySize = 24, kFieldSize = 12;
// GNU tar reads each number of a 1.0 map into a 21-byte buffer: at most 19 digits and the newline.
constexpr std::size_t kMaxDigits = 19;
// libarchive reads the number of regions into an int.
constexpr std::uint64_t kMaxRegions = std::numeric_limits<std::int32_t>::max();

constexpr std::uint64_t padded(std::uint64_t size) {
    return size > kInt64Max ? size : (size + 511) & ~std::uint64_t(511);
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
    return a > std::numeric_limits<std::uint64_t>::max() - b
               ? std::numeric_limits<std::uint64_t>::max()
               : a + b;
}

}  // namespace

void SparseRegions::add(std::uint64_t size) {
    bytes_ = saturating_add(bytes_, size);
    block_bytes_ = saturating_add(block_bytes_, padded(size));
}

std::optional<std::string> SparseRegions::misfit(std::uint64_t stored) const {
    if (bytes_ < stored)
        return "a sparse map smaller than its data (ambiguous: bsdtar would read the rest of the "
               "data as headers, GNU tar would not)";
    if (block_bytes_ > padded(stored))
        return "a sparse map larger than its data (ambiguous: GNU tar would read on into the "
               "next header, bsdtar would not)";
    return std::nullopt;
}

bool OldSparseMap::add_block(const std::uint8_t* entries, std::size_t count, bool extended) {
    bool ended = false;
    for (std::size_t i = 0; i < count && !ended; ++i) {
        const std::uint8_t* offset = entries + i * kEntrySize;
        const std::uint8_t* numbytes = offset + kFieldSize;
        if ((numbytes[0] != 0) != (offset[0] != 0)) return false;
        if (numbytes[0] == 0) {
            ended = true;
            break;
        }
        auto at = gnu_number(offset, kFieldSize, kSizeRange);
        auto size = gnu_number(numbytes, kFieldSize, kSizeRange);
        if (!at || !size || *at != libarchive_number(offset, kFieldSize) ||
            *size != libarchive_number(numbytes, kFieldSize))
            return false;
        const auto region_at = static_cast<std::uint64_t>(*at);
        const auto region_size = static_cast<std::uint64_t>(*size);
        if (region_size > realsize_ || region_at > realsize_ - region_size) return false;
        regions_.add(region_size);
    }
    // After the end of the map GNU tar reads no extension block; libarchive follows the flag.
    return !(ended && extended);
}

std::size_t SparseMap10::feed(const std::uint8_t* data, std::size_t size) {
    std::size_t i = 0;
    for (; i < size && status_ == Status::reading; ++i) {
        const std::uint8_t c = data[i];
        if (++map_bytes_ > stored_) {
            status_ = Status::bad;
        } else if (c == '\n') {
            if (!number_read()) status_ = Status::bad;
        } else if (c < '0' || c > '9' || ++digits_ > kMaxDigits) {
            status_ = Status::bad;
        } else {
            value_ = value_ * 10 + (c - '0');
        }
    }
    return i;
}

bool SparseMap10::number_read() {
    if (digits_ == 0) return false;
    const std::uint64_t value = value_;
    value_ = 0;
    digits_ = 0;
    if (numbers_ == 0) {
        if (value > kMaxRegions) return false;
        count_ = value;
    } else if (numbers_ % 2 == 1) {
        if (value > kInt64Max) return false;
        offset_ = value;
    } else {
        if (value > kInt64Max || offset_ > kInt64Max - value) return false;
        regions_.add(value);
    }
    if (++numbers_ == 1 + 2 * count_) finish();
    return true;
}

// The map is padded to a block boundary (within the member); the regions' data follows.
void SparseMap10::finish() {
    status_ = padded(map_bytes_) <= stored_ ? Status::done : Status::bad;
}

std::optional<std::string> SparseMap10::misfit() const {
    return regions_.misfit(stored_ - padded(map_bytes_));
}

}  // namespace dropgate::validator::detail
