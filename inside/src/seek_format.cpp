// The seek index's encoding: "DGSEEK2\n", then little-endian u64 spacing, compressed size,
// uncompressed size and point count; per point u64 in, u64 out, u8 bits, u8 member_start and
// u32 window size; then every window, in point order. The table comes first so that a reader
// loads it alone (a 1 GiB bundle: ~30 KiB of table beside ~17 MB of windows) and reads a
// window only when it restarts at that point. A file of another version fails to parse and is
// rebuilt by its caller.
#include "dropgate/inside/seek_index.hpp"

namespace dropgate::inside {

namespace {

constexpr std::string_view kMagic = "DGSEEK2\n";
constexpr std::size_t kHeader = kMagic.size() + 32;
constexpr std::size_t kEntry = 22;

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
};

// The header and point table at the start of `bytes`; returns the windows' total size.
std::uint64_t parse_table(std::string_view bytes, SeekIndex& index) {
    if (!bytes.starts_with(kMagic)) throw SeekIndexError("not a dropgate seek index");
    Cursor cursor{bytes.substr(kMagic.size())};
    index.spacing = cursor.take<std::uint64_t>();
    index.compressed_size = cursor.take<std::uint64_t>();
    index.uncompressed_size = cursor.take<std::uint64_t>();
    const auto count = cursor.take<std::uint64_t>();
    if (count == 0 || count > cursor.bytes.size() / kEntry)
        throw SeekIndexError("bad seek point count");
    std::uint64_t windows = 0;
    index.points.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        SeekPoint point;
        point.in = cursor.take<std::uint64_t>();
        point.out = cursor.take<std::uint64_t>();
        point.bits = cursor.take<std::uint8_t>();
        point.member_start = cursor.take<std::uint8_t>() != 0;
        point.window_size = cursor.take<std::uint32_t>();
        point.window_at = windows;
        windows += point.window_size;
        if (point.bits > 7 || (i > 0 && point.out < index.points.back().out) ||
            point.member_start != (point.window_size == 0))
            throw SeekIndexError("bad seek point " + std::to_string(i));
        index.points.push_back(point);
    }
    return windows;
}

std::size_t read_fully(int fd, char* out, std::size_t size, std::uint64_t offset) {
    return SeekReader::pread_of(fd)(offset, {out, size});
}

}  // namespace

void SeekIndex::add_window(SeekPoint& point, std::string_view packed) {
    point.window_at = windows_.size();
    point.window_size = static_cast<std::uint32_t>(packed.size());
    windows_ += packed;
    windows_size_ = windows_.size();
}

std::string SeekIndex::window(const SeekPoint& point) const {
    if (point.window_at + point.window_size > windows_size_)
        throw SeekIndexError("a seek point's window lies outside the index");
    if (!file_) return windows_.substr(point.window_at, point.window_size);
    std::string packed(point.window_size, '\0');
    if (read_fully(file_->get(), packed.data(), packed.size(), windows_base_ + point.window_at) !=
        packed.size())
        throw SeekIndexError("the seek index is cut short");
    return packed;
}

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
        put(out, point.window_size);
    }
    for (const auto& point : points) out += window(point);
    return out;
}

SeekIndex SeekIndex::parse(std::string_view bytes) {
    SeekIndex index;
    const std::uint64_t windows = parse_table(bytes, index);
    const std::uint64_t table = kHeader + kEntry * index.points.size();
    if (bytes.size() != table + windows) throw SeekIndexError("seek index has the wrong size");
    index.windows_ = std::string(bytes.substr(table));
    index.windows_size_ = windows;
    return index;
}

SeekIndex SeekIndex::load(UniqueFd owned) {
    const int file = owned.get();
    std::string head(kHeader, '\0');
    if (read_fully(file, head.data(), head.size(), 0) != head.size())
        throw SeekIndexError("seek index is cut short");
    const auto count = Cursor{std::string_view(head).substr(kHeader - 8)}.take<std::uint64_t>();
    const off_t size = ::lseek(file, 0, SEEK_END);
    if (size < 0 || count == 0 || count > static_cast<std::uint64_t>(size) / kEntry)
        throw SeekIndexError("bad seek point count");
    head.resize(kHeader + kEntry * count);
    if (read_fully(file, head.data() + kHeader, kEntry * count, kHeader) != kEntry * count)
        throw SeekIndexError("seek index is cut short");
    SeekIndex index;
    const std::uint64_t windows = parse_table(head, index);
    if (static_cast<std::uint64_t>(size) != head.size() + windows)
        throw SeekIndexError("seek index has the wrong size");
    index.file_ = std::make_shared<const UniqueFd>(std::move(owned));
    index.windows_base_ = head.size();
    index.windows_size_ = windows;
    return index;
}

std::uint64_t SeekIndex::encoded_size() const {
    return kHeader + kEntry * points.size() + windows_size_;
}

std::uint64_t SeekIndex::resident_bytes() const {
    return sizeof(*this) + points.capacity() * sizeof(SeekPoint) + windows_.capacity();
}

}  // namespace dropgate::inside
