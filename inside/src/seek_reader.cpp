// Reading through the seek index: restart at the nearest point (a member header, or a block
// boundary primed with its bits and window), inflate and drop up to the wanted offset, then
// inflate into the caller's buffer; a raw stream that ends skips the member's 8-byte trailer and
// goes on with the next member's header.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "dropgate/inside/seek_index.hpp"
#include "zstream.hpp"

namespace dropgate::inside {

namespace {

constexpr std::size_t kInput = 64 << 10;
constexpr std::size_t kDiscard = 64 << 10;
constexpr std::uint64_t kGzipTrailer = 8;

std::string expanded_window(const std::string& packed) {
    std::string window(kWindow, '\0');
    uLongf size = kWindow;
    if (uncompress(reinterpret_cast<Bytef*>(window.data()), &size,
                   reinterpret_cast<const Bytef*>(packed.data()),
                   static_cast<uLong>(packed.size())) != Z_OK)
        throw SeekIndexError("a seek point's window does not decompress");
    window.resize(size);
    return window;
}

class PointStream {
  public:
    PointStream(const SeekReader::ReadAt& source, const SeekIndex& index, const SeekPoint& point)
        : source_(source),
          position_(point.in),
          inflater_(point.member_start ? 31 : -15),
          raw_(!point.member_start) {
        if (point.member_start) return;
        if (point.bits) {
            char byte = 0;
            if (source_(point.in - 1, {&byte, 1}) != 1)
                throw SeekIndexError("cannot read the byte before a seek point");
            inflatePrime(inflater_.get(), point.bits,
                         static_cast<unsigned char>(byte) >> (8 - point.bits));
        }
        const std::string window = expanded_window(index.window(point));
        inflateSetDictionary(inflater_.get(), reinterpret_cast<const Bytef*>(window.data()),
                             static_cast<uInt>(window.size()));
    }

    // Inflates up to `size` bytes into `out`; 0 at the end of the file.
    std::size_t inflate_into(char* out, std::size_t size) {
        z_stream* z = inflater_.get();
        z->next_out = reinterpret_cast<Bytef*>(out);
        z->avail_out = static_cast<uInt>(size);
        while (z->avail_out > 0) {
            if (z->avail_in == 0 && !refill()) break;
            if (skip_ > 0) {  // the trailer of a raw-inflated member
                uInt n = static_cast<uInt>(std::min<std::uint64_t>(skip_, z->avail_in));
                z->next_in += n;
                z->avail_in -= n;
                skip_ -= n;
                if (skip_ > 0) continue;
                if (inflateReset2(z, 31) != Z_OK) throw SeekIndexError("inflateReset2 failed");
                raw_ = false;
                continue;
            }
            int ret = inflate(z, Z_NO_FLUSH);
            if (ret == Z_STREAM_END) {
                if (raw_)
                    skip_ = kGzipTrailer;
                else if (inflateReset(z) != Z_OK)
                    throw SeekIndexError("inflateReset failed");
                continue;
            }
            if (ret != Z_OK && ret != Z_BUF_ERROR)
                throw SeekIndexError("the bundle does not inflate from its seek point");
        }
        return size - z->avail_out;
    }

  private:
    bool refill() {
        std::size_t n = source_(position_, {input_.data(), input_.size()});
        if (n == 0) return false;
        position_ += n;
        inflater_->next_in = reinterpret_cast<Bytef*>(input_.data());
        inflater_->avail_in = static_cast<uInt>(n);
        return true;
    }

    const SeekReader::ReadAt& source_;
    std::uint64_t position_;
    Inflater inflater_;
    bool raw_;
    std::uint64_t skip_ = 0;
    std::vector<char> input_ = std::vector<char>(kInput);
};

}  // namespace

struct SeekReader::Stream : PointStream {
    using PointStream::PointStream;
};

SeekReader::ReadAt SeekReader::pread_of(int fd) {
    return [fd](std::uint64_t offset, std::span<char> out) -> std::size_t {
        std::size_t done = 0;
        while (done < out.size()) {
            ssize_t n = ::pread(fd, out.data() + done, out.size() - done,
                                static_cast<off_t>(offset + done));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw SeekIndexError(std::string("read: ") + std::strerror(errno));
            if (n == 0) break;
            done += static_cast<std::size_t>(n);
        }
        return done;
    };
}

SeekReader::SeekReader(int fd, const SeekIndex& index) : SeekReader(pread_of(fd), index) {}

SeekReader::SeekReader(ReadAt source, const SeekIndex& index)
    : source_(std::move(source)), index_(index) {}

std::size_t SeekReader::read(std::uint64_t offset, std::span<char> out) {
    try {
        return read_at(offset, out);
    } catch (...) {
        stream_.reset();  // never go on from a stream that failed
        throw;
    }
}

std::size_t SeekReader::read_at(std::uint64_t offset, std::span<char> out) {
    if (offset >= index_.uncompressed_size || out.empty()) return 0;
    // Never inflate past the last member: what may follow it (zero padding) is not gzip.
    out = out.first(static_cast<std::size_t>(
        std::min<std::uint64_t>(out.size(), index_.uncompressed_size - offset)));
    const SeekPoint& point = index_.point_for(offset);
    // Going on from the last read beats restarting unless a point lies between.
    if (!stream_ || position_ > offset || point.out > position_) {
        stream_ = std::make_shared<Stream>(source_, index_, point);
        position_ = point.out;
    }
    PointStream& stream = *stream_;
    std::vector<char> discard(kDiscard);
    for (std::uint64_t skip = offset - position_; skip > 0;) {
        std::size_t n = stream.inflate_into(
            discard.data(), static_cast<std::size_t>(std::min<std::uint64_t>(skip, kDiscard)));
        if (n == 0) return 0;
        skip -= n;
        inflated_ += n;
        position_ += n;
    }
    std::size_t done = 0;
    while (done < out.size()) {
        std::size_t n = stream.inflate_into(out.data() + done, out.size() - done);
        if (n == 0) break;
        done += n;
    }
    inflated_ += done;
    position_ += done;
    return done;
}

}  // namespace dropgate::inside
