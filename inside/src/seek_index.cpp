// Building the seek index: one zlib pass with Z_BLOCK, which stops at every deflate block
// boundary; where enough output has passed since the last point, the compressed position (byte
// and bit) and the last 32 KiB of output become a point (the technique of zlib's examples/zran.c).
#include "dropgate/inside/seek_index.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "zstream.hpp"

namespace dropgate::inside {

namespace {

constexpr std::size_t kInput = 256 << 10;

// The circular output buffer as the 32 KiB (or fewer, near the start) before the current output,
// in order, zlib-compressed.
std::string compressed_window(const unsigned char* ring, unsigned used, std::uint64_t total) {
    std::string linear;
    if (total < kWindow) {
        linear.assign(reinterpret_cast<const char*>(ring), static_cast<std::size_t>(total));
    } else {
        linear.assign(reinterpret_cast<const char*>(ring) + used, kWindow - used);
        linear.append(reinterpret_cast<const char*>(ring), used);
    }
    uLongf size = compressBound(static_cast<uLong>(linear.size()));
    std::string packed(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &size,
                  reinterpret_cast<const Bytef*>(linear.data()), static_cast<uLong>(linear.size()),
                  6) != Z_OK)
        throw SeekIndexError("compressing a window failed");
    packed.resize(size);
    return packed;
}

}  // namespace

const SeekPoint& SeekIndex::point_for(std::uint64_t offset) const {
    if (points.empty()) throw SeekIndexError("empty seek index");
    std::size_t low = 0, high = points.size();
    while (high - low > 1) {  // the last point with out <= offset
        std::size_t middle = (low + high) / 2;
        (points[middle].out <= offset ? low : high) = middle;
    }
    return points[low];
}

SeekIndex build_seek_index(int fd, std::uint64_t spacing, std::stop_token stop, const Pace& pace) {
    SeekIndex index;
    index.spacing = spacing;
    index.points.push_back({0, 0, 0, true});
    Inflater z(31);
    std::vector<unsigned char> input(kInput);
    unsigned char ring[kWindow];
    std::uint64_t file_offset = 0, total_in = 0, total_out = 0, last = 0;
    int ret = Z_OK;
    for (;;) {
        if (z->avail_in == 0) {
            if (pace) pace();
            if (stop.stop_requested()) throw SeekIndexError("stopped");
            ssize_t n = ::pread(fd, input.data(), input.size(), static_cast<off_t>(file_offset));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw SeekIndexError(std::string("read: ") + std::strerror(errno));
            if (n == 0) break;
            file_offset += static_cast<std::uint64_t>(n);
            z->next_in = input.data();
            z->avail_in = static_cast<uInt>(n);
        }
        if (ret == Z_STREAM_END &&
            std::all_of(z->next_in, z->next_in + z->avail_in, [](Bytef c) { return c == 0; })) {
            // Zeros after a member: the padding bsdtar writes to a pipe, if they last to the end.
            total_in += z->avail_in;
            z->avail_in = 0;
            continue;
        }
        if (ret == Z_STREAM_END) {  // another gzip member follows
            if (inflateReset(z.get()) != Z_OK) throw SeekIndexError("inflateReset failed");
            index.points.push_back({total_in, total_out, 0, true});
            last = total_out;
        }
        do {
            if (z->avail_out == 0) {
                z->next_out = ring;
                z->avail_out = kWindow;
            }
            total_in += z->avail_in;
            total_out += z->avail_out;
            ret = inflate(z.get(), Z_BLOCK);
            total_in -= z->avail_in;
            total_out -= z->avail_out;
            if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
                throw SeekIndexError("the data does not inflate at compressed byte " +
                                     std::to_string(total_in));
            if (ret == Z_STREAM_END) break;
            const bool boundary = (z->data_type & 128) && !(z->data_type & 64);
            if (boundary && total_out - last > spacing) {
                SeekPoint point{total_in, total_out, static_cast<std::uint8_t>(z->data_type & 7),
                                false};
                index.add_window(point, compressed_window(ring, kWindow - z->avail_out, total_out));
                index.points.push_back(point);
                last = total_out;
            }
        } while (z->avail_in != 0);
    }
    if (ret != Z_STREAM_END) throw SeekIndexError("the gzip stream is cut short");
    index.compressed_size = total_in;  // padding included
    index.uncompressed_size = total_out;
    return index;
}

}  // namespace dropgate::inside
