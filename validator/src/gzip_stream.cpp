#include "gzip_stream.hpp"

#include <isa-l/crc.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

namespace dropgate::validator::detail {
namespace {

constexpr std::uint8_t kId1 = 0x1f, kId2 = 0x8b, kDeflate = 8;
constexpr std::uint8_t kFhcrc = 0x02, kFextra = 0x04, kFname = 0x08, kFcomment = 0x10;
constexpr std::uint8_t kReservedFlags = 0xe0;
// bsdtar (macOS's tar) writing to a pipe pads its gzip output with zeros to a whole 10240-byte
// tar record. That padding is accepted; anything else after the last member is not: the zeros
// must be fewer than one record and end the upload on a 512-byte block boundary.
constexpr std::uint64_t kMaxZeroPadding = 10240;
constexpr std::uint64_t kPaddingBlock = 512;

std::uint32_t load_le32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
           std::uint32_t(p[3]) << 24;
}

}  // namespace

GzipStream::GzipStream()
    : state_(std::make_unique<inflate_state>()), out_(new std::uint8_t[kOutputBuffer]) {
    isal_inflate_init(state_.get());
}

GzipStream::~GzipStream() = default;

void GzipStream::fail(std::string reason) {
    phase_ = Phase::failed;
    refusal_ = Refusal{EBADMSG, std::move(reason)};
}

std::optional<Refusal> GzipStream::refusal() const {
    if (bad_magic_) return Refusal{EBADMSG, bad_magic_reason(prefix_, prefix_fill_)};
    return refusal_;
}

std::optional<Refusal> GzipStream::finish() const {
    if (phase_ == Phase::failed) return refusal();
    if (phase_ == Phase::between) return std::nullopt;
    if (phase_ == Phase::padding)
        return consumed_ % kPaddingBlock == 0
                   ? std::nullopt
                   : std::optional<Refusal>(Refusal{EBADMSG, "trailing data after gzip stream"});
    if (phase_ == Phase::magic1 && members_ == 0) return Refusal{EBADMSG, "empty file"};
    // Ended inside a member: its header, deflate data or 8-byte trailer.
    return Refusal{EBADMSG, "truncated: gzip stream ends at byte " + std::to_string(consumed_)};
}

bool GzipStream::feed(const std::uint8_t* data, std::size_t size, InflateSink& sink) {
    if (size == 0) return phase_ != Phase::failed;  // an empty span's data may be null
    if (prefix_fill_ < kPrefix) {
        std::size_t n = std::min(size, kPrefix - prefix_fill_);
        std::memcpy(prefix_ + prefix_fill_, data, n);
        prefix_fill_ += n;
    }
    return run(data, size, sink);
}

bool GzipStream::flush(InflateSink& sink) {
    // Each round ends a member inside the piece (what follows may wait again) or takes it all.
    while (phase_ == Phase::body && waiting_fill_ > 0)
        if (!inflate_waiting(sink)) break;
    return phase_ != Phase::failed;
}

// A stretch of the stream through the header parser and ISA-L.
bool GzipStream::run(const std::uint8_t* data, std::size_t size, InflateSink& sink) {
    while (size > 0) {
        switch (phase_) {
            case Phase::failed:
                return false;
            case Phase::body:
                if (!take_body(data, size, sink)) return false;
                break;
            case Phase::padding: {
                const std::uint8_t* nonzero =
                    std::find_if(data, data + size, [](std::uint8_t b) { return b != 0; });
                std::size_t zeros = static_cast<std::size_t>(nonzero - data);
                padding_ += zeros;
                consumed_ += zeros;
                if (zeros < size || padding_ >= kMaxZeroPadding) {
                    fail("trailing data after gzip stream");
                    return false;
                }
                return true;
            }
            case Phase::between:
                // Only another member, or record padding, may follow.
                if (data[0] == 0) {
                    phase_ = Phase::padding;
                    break;
                }
                if (data[0] != kId1) {
                    fail("trailing data after gzip stream");
                    return false;
                }
                phase_ = Phase::magic1;
                [[fallthrough]];
            default: {
                std::size_t n = parse_header(data, size);
                data += n;
                size -= n;
                consumed_ += n;
                if (phase_ == Phase::failed) return false;
            }
        }
    }
    return phase_ != Phase::failed;
}

// A member's deflate data goes to ISA-L in kInflateChunk pieces counted from its first byte,
// however feed() was called: a piece the caller's bytes hold whole is inflated from them, the
// rest waits in waiting_ until its piece is complete (or the input ends: flush()).
bool GzipStream::take_body(const std::uint8_t*& data, std::size_t& size, InflateSink& sink) {
    if (waiting_fill_ == 0 && size >= kInflateChunk) {
        std::size_t left = kInflateChunk;
        const bool ok = inflate(data, left, sink);
        size -= kInflateChunk - left;  // `left`: what follows the member's end, if it ended
        return ok;
    }
    if (!waiting_) waiting_ = std::make_unique<std::uint8_t[]>(kInflateChunk);
    const std::size_t n = std::min(size, kInflateChunk - waiting_fill_);
    std::memcpy(waiting_.get() + waiting_fill_, data, n);
    waiting_fill_ += n;
    data += n;
    size -= n;
    return waiting_fill_ < kInflateChunk || inflate_waiting(sink);
}

bool GzipStream::inflate_waiting(InflateSink& sink) {
    const std::uint8_t* piece = waiting_.get();
    std::size_t left = std::exchange(waiting_fill_, 0);
    if (!inflate(piece, left, sink)) return false;
    if (left == 0) return true;
    // The member ended inside the piece: what follows it is parsed like new input.
    const std::vector<std::uint8_t> rest(piece, piece + left);
    return run(rest.data(), rest.size(), sink);
}

// Parses as much of a member header as `data` holds; returns the bytes consumed. Every header
// byte before the FHCRC field goes into the header's CRC-32.
std::size_t GzipStream::parse_header(const std::uint8_t* data, std::size_t size) {
    const std::uint8_t* p = data;
    const std::uint8_t* end = data + size;
    while (p < end && phase_ != Phase::body && phase_ != Phase::failed) {
        const Phase phase = phase_;
        const std::uint8_t* from = p;
        p = header_step(p, end);
        if (phase != Phase::header_crc && phase_ != Phase::failed)
            header_crc_ = crc32_gzip_refl(header_crc_, from, std::size_t(p - from));
    }
    if (phase_ == Phase::body) start_body();
    return std::size_t(p - data);
}

// Consumes bytes of the header field the current phase is in; returns where it stopped.
const std::uint8_t* GzipStream::header_step(const std::uint8_t* p, const std::uint8_t* end) {
    switch (phase_) {
        case Phase::magic1:
        case Phase::magic2:
        case Phase::fixed:
            fixed_byte(*p);
            return p + 1;
        case Phase::extra_len:
            if (counter_ == 0) {
                counter_ = 0x10000u | *p;  // marker bit: low byte read
            } else {
                counter_ = (counter_ & 0xff) | std::uint32_t(*p) << 8;
                if (counter_ == 0)
                    next_optional_field(Phase::extra);
                else
                    phase_ = Phase::extra;
            }
            return p + 1;
        case Phase::extra: {
            std::size_t n = std::min<std::size_t>(counter_, std::size_t(end - p));
            counter_ -= std::uint32_t(n);
            if (counter_ == 0) next_optional_field(Phase::extra);
            return p + n;
        }
        case Phase::name:
        case Phase::comment: {
            // Zero-terminated strings.
            const void* nul = std::memchr(p, 0, std::size_t(end - p));
            if (!nul) return end;
            next_optional_field(phase_);
            return static_cast<const std::uint8_t*>(nul) + 1;
        }
        case Phase::header_crc:
            header_crc_byte(*p);
            return p + 1;
        default:
            return end;  // not in a header
    }
}

// The ten fixed bytes: ID1 ID2 CM FLG MTIME(4) XFL OS.
void GzipStream::fixed_byte(std::uint8_t byte) {
    fixed_[fixed_fill_++] = byte;
    if (fixed_fill_ == 1 && byte != kId1) return bad_magic();
    if (fixed_fill_ == 2 && byte != kId2) return bad_magic();
    if (fixed_fill_ == 3 && byte != kDeflate)
        return fail("unsupported gzip compression method " + std::to_string(byte) + " in member " +
                    std::to_string(members_ + 1));
    if (fixed_fill_ == 4 && (byte & kReservedFlags))
        return fail("gzip header of member " + std::to_string(members_ + 1) +
                    " has reserved flags set");
    if (fixed_fill_ < 3) phase_ = fixed_fill_ == 1 ? Phase::magic2 : Phase::fixed;
    if (fixed_fill_ == sizeof fixed_) next_optional_field(Phase::fixed);
}

// Not gzip: the first member's bad magic gets a "looks like …" hint from the first bytes; after
// a complete member it is trailing data.
void GzipStream::bad_magic() {
    if (members_ > 0) return fail("trailing data after gzip stream");
    bad_magic_ = true;
    phase_ = Phase::failed;
}

// Moves to the first optional field (FEXTRA, FNAME, FCOMMENT, FHCRC, in that order) present after
// `after`, or to the deflate data.
void GzipStream::next_optional_field(Phase after) {
    const std::uint8_t flags = fixed_[3];
    if (after < Phase::extra_len && (flags & kFextra)) {
        phase_ = Phase::extra_len;
        counter_ = 0;
    } else if (after < Phase::name && (flags & kFname)) {
        phase_ = Phase::name;
    } else if (after < Phase::comment && (flags & kFcomment)) {
        phase_ = Phase::comment;
    } else if (after < Phase::header_crc && (flags & kFhcrc)) {
        phase_ = Phase::header_crc;
        counter_ = 0;
    } else {
        phase_ = Phase::body;
    }
}

// FHCRC: the low 16 bits of the CRC-32 of the header bytes before it, little-endian.
void GzipStream::header_crc_byte(std::uint8_t byte) {
    stored_header_crc_ |= std::uint16_t(byte) << (8 * counter_);
    if (++counter_ < 2) return;
    if (stored_header_crc_ != (header_crc_ & 0xffff))
        return fail("gzip header CRC mismatch in member " + std::to_string(members_ + 1));
    phase_ = Phase::body;
}

void GzipStream::start_body() {
    ++members_;
    member_out_ = 0;
    isal_inflate_reset(state_.get());
    // Raw deflate; ISA-L computes the CRC-32 of the output and checks it and ISIZE against the
    // trailer that follows, consuming exactly the 8 trailer bytes.
    state_->crc_flag = ISAL_GZIP_NO_HDR_VER;
}

void GzipStream::remember_tail(const std::uint8_t* data, std::size_t size) {
    if (size >= sizeof tail_) {
        std::memcpy(tail_, data + size - sizeof tail_, sizeof tail_);
    } else {
        std::memmove(tail_, tail_ + size, sizeof tail_ - size);
        std::memcpy(tail_ + sizeof tail_ - size, data, size);
    }
}

// ISA-L reports one "incorrect checksum" for both trailer fields; the trailer is the last 8
// bytes it consumed, so compare them to tell a CRC mismatch from a length mismatch.
void GzipStream::check_trailer() {
    std::string member = std::to_string(members_);
    if (load_le32(tail_) != state_->crc) {
        fail("gzip CRC mismatch in member " + member);
    } else if (load_le32(tail_ + 4) != std::uint32_t(member_out_)) {
        fail("gzip length mismatch in member " + member);
    } else {
        fail("gzip trailer mismatch in member " + member);
    }
}

bool GzipStream::inflate(const std::uint8_t*& data, std::size_t& size, InflateSink& sink) {
    inflate_state& st = *state_;
    // ISA-L counts input in 32 bits; feed it at most 1 GiB per call.
    std::uint32_t chunk = std::uint32_t(std::min<std::size_t>(size, 1u << 30));
    st.next_in = const_cast<std::uint8_t*>(data);
    st.avail_in = chunk;
    for (;;) {
        st.next_out = out_.get();
        st.avail_out = kOutputBuffer;
        int ret = isal_inflate(&st);
        // On corrupt input ISA-L can hand back more read-ahead bytes than it was given (avail_in
        // above chunk, even wrapped below zero): count at most what it had, or the tail and the
        // position would be taken from bytes past the caller's buffer.
        std::size_t used = st.avail_in <= chunk ? chunk - st.avail_in : chunk;
        remember_tail(data, used);
        data += used;
        size -= used;
        consumed_ += used;
        chunk = st.avail_in;
        std::size_t produced = kOutputBuffer - st.avail_out;
        member_out_ += produced;
        if (produced > 0 && !sink.consume(out_.get(), produced)) {
            phase_ = Phase::failed;  // the sink holds the reason
            return false;
        }
        if (ret == ISAL_INCORRECT_CHECKSUM) {
            check_trailer();
            return false;
        }
        if (ret < 0) {
            // No byte position: where ISA-L notices depends on how its input was split.
            fail("corrupt deflate data in gzip member " + std::to_string(members_));
            return false;
        }
        if (st.block_state == ISAL_BLOCK_FINISH) {
            phase_ = Phase::between;
            fixed_fill_ = 0;
            header_crc_ = 0;
            stored_header_crc_ = 0;
            return true;
        }
        // Done when all input is taken and the output buffer was not filled (nothing pending).
        if (st.avail_in == 0 && produced < kOutputBuffer) return true;
        if (used == 0 && produced == 0) {
            // ISA-L always makes progress on valid input; never spin on input it will not take.
            fail("corrupt deflate data in gzip member " + std::to_string(members_));
            return false;
        }
    }
}

std::string bad_magic_reason(const std::uint8_t* prefix, std::size_t size) {
    static const char* const kHex = "0123456789abcdef";
    std::string magic;
    for (std::size_t i = 0; i < std::min<std::size_t>(size, 4); ++i) {
        if (i) magic += ' ';
        magic += kHex[prefix[i] >> 4];
        magic += kHex[prefix[i] & 15];
    }
    auto starts = [&](std::initializer_list<std::uint8_t> bytes) {
        return size >= bytes.size() && std::equal(bytes.begin(), bytes.end(), prefix);
    };
    const char* hint = nullptr;
    if (starts({0x50, 0x4b, 0x03, 0x04}) || starts({0x50, 0x4b, 0x05, 0x06}) ||
        starts({0x50, 0x4b, 0x07, 0x08}))
        hint = "looks like zip";
    else if (size >= 263 && std::memcmp(prefix + 257, "ustar", 5) == 0)
        hint = "looks like an uncompressed tar";
    else if (starts({'B', 'Z', 'h'}))
        hint = "looks like bzip2";
    else if (starts({0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}))
        hint = "looks like xz";
    else if (starts({0x28, 0xb5, 0x2f, 0xfd}))
        hint = "looks like zstd";
    else if (starts({0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c}))
        hint = "looks like 7z";
    else if (starts({'R', 'a', 'r', '!', 0x1a, 0x07}))
        hint = "looks like rar";
    else if (starts({0x04, 0x22, 0x4d, 0x18}))
        hint = "looks like lz4";
    else if (starts({0x1f, 0x9d}))
        hint = "looks like compress (.Z)";
    else if (std::all_of(prefix, prefix + size, [](std::uint8_t c) {
                 return c >= 0x20 ? c != 0x7f : (c == '\t' || c == '\n' || c == '\r' || c == '\f');
             }))
        hint = "looks like text";
    std::string reason = "not gzip (bad magic " + magic;
    if (hint) reason += std::string(": ") + hint;
    return reason + ")";
}

}  // namespace dropgate::validator::detail
