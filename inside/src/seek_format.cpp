// The seek index's encoding: "DGSEEK1\n", then little-endian u64 spacing, compressed size,
// uncompressed size and point count; per point u64 in, u64 out, u8 bits, u8 member_start,
// u32 window length and the compressed window.
#include <cstring>

#include "dropgate/inside/seek_index.hpp"

namespace dropgate::inside {

namespace {

constexpr std::string_view kMagic = "DGSEEK1\n";

template <class T>
void put(std::string& out, T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
        out += static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xff);
}

struct Cursor {
    std::string_view bytes;
    template <class T>
    T take() {
        if (bytes.size() < sizeof(T)) throw SeekIndexError("seek index is cut short");
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i)
            value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
        bytes.remove_prefix(sizeof(T));
        return static_cast<T>(value);
    }
    std::string take_bytes(std::size_t size) {
        if (bytes.size() < size) throw SeekIndexError("seek index is cut short");
        std::string out(bytes.substr(0, size));
        bytes.remove_prefix(size);
        return out;
    }
};

}  // namespace

std::string SeekIndex::serialize() const {
    std::string out(kMagic);
    put(out, spacing);
    put(out, compressed_size);
    put(out, uncompressed_size);
    put(out, static_cast<std::uint64_t>(points.size()));
    for (const auto& point : points) {
        put(out, point.in);
        put(out, point.out);
        put(out, point.bits);
        put(out, static_cast<std::uint8_t>(point.member_start));
        put(out, static_cast<std::uint32_t>(point.window.size()));
        out += point.window;
    }
    return out;
}

SeekIndex SeekIndex::parse(std::string_view bytes) {
    if (!bytes.starts_with(kMagic)) throw SeekIndexError("not a dropgate seek index");
    Cursor cursor{bytes.substr(kMagic.size())};
    SeekIndex index;
    index.spacing = cursor.take<std::uint64_t>();
    index.compressed_size = cursor.take<std::uint64_t>();
    index.uncompressed_size = cursor.take<std::uint64_t>();
    auto count = cursor.take<std::uint64_t>();
    if (count == 0 || count > cursor.bytes.size()) throw SeekIndexError("bad seek point count");
    for (std::uint64_t i = 0; i < count; ++i) {
        SeekPoint point;
        point.in = cursor.take<std::uint64_t>();
        point.out = cursor.take<std::uint64_t>();
        point.bits = cursor.take<std::uint8_t>();
        point.member_start = cursor.take<std::uint8_t>() != 0;
        point.window = cursor.take_bytes(cursor.take<std::uint32_t>());
        if (point.bits > 7 || (i > 0 && point.out < index.points.back().out))
            throw SeekIndexError("bad seek point " + std::to_string(i));
        index.points.push_back(std::move(point));
    }
    return index;
}

std::uint64_t SeekIndex::encoded_size() const {
    std::uint64_t size = kMagic.size() + 32;
    for (const auto& point : points) size += 22 + point.window.size();
    return size;
}

}  // namespace dropgate::inside
