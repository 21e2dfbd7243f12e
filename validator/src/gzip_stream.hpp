// The gzip layer of the streaming validator: parses every member header itself, inflates the
// deflate data with ISA-L (which also checks CRC-32 and ISIZE), loops over concatenated members
// and refuses anything after the last one. Output goes to an InflateSink in chunks of up to
// kOutputBuffer bytes, so the layer above never sees a per-byte call.
#pragma once

#include <isa-l/igzip_lib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "refusal.hpp"

namespace dropgate::validator::detail {

class InflateSink {
  public:
    virtual ~InflateSink() = default;
    // Decompressed bytes, in order. Returns false to stop (the sink has refused the upload).
    virtual bool consume(const std::uint8_t* data, std::size_t size) = 0;
};

class GzipStream {
  public:
    static constexpr std::size_t kOutputBuffer = 128 * 1024;
    static constexpr std::size_t kPrefix = 512;  // first bytes kept for "looks like …" hints

    GzipStream();
    ~GzipStream();
    GzipStream(const GzipStream&) = delete;
    GzipStream& operator=(const GzipStream&) = delete;

    // ISA-L is given each member's deflate data in pieces of this size, counted from the
    // member's start, whatever the feed() calls: where it notices corrupt data depends on how
    // its input is cut (its fast path can emit a few hundred bytes decoded past a bad distance
    // in the call that reports it), and a verdict must not depend on how the network cut the
    // upload. Headers and trailing bytes are judged as they come.
#ifdef DROPGATE_INFLATE_CHUNK  // the fuzz build: pieces small enough for its inputs
    static constexpr std::size_t kInflateChunk = DROPGATE_INFLATE_CHUNK;
#else
    static constexpr std::size_t kInflateChunk = 64 * 1024;
#endif

    // Next compressed bytes. Returns false once the gzip layer has refused the input or the
    // sink asked to stop; further calls then do nothing. Up to kInflateChunk bytes of deflate
    // data wait for the next call, or for flush().
    bool feed(const std::uint8_t* data, std::size_t size, InflateSink& sink);
    // The input ended: inflates what is still waiting. Returns false as feed() does.
    bool flush(InflateSink& sink);

    // The gzip layer's refusal, if it has one (the bad-magic hint uses every byte seen so far).
    std::optional<Refusal> refusal() const;
    // The input ended here: a refusal if it stopped inside a member (or was empty).
    std::optional<Refusal> finish() const;

    std::uint64_t members() const { return members_; }  // members started (complete or not)
    // Compressed bytes consumed so far, including the call in progress (for the ratio limit).
    std::uint64_t consumed() const { return consumed_; }

  private:
    enum class Phase {
        magic1,
        magic2,
        fixed,
        extra_len,
        extra,
        name,
        comment,
        header_crc,
        body,
        between,
        padding,  // zero bytes after the last member (see kMaxZeroPadding)
        failed
    };

    bool run(const std::uint8_t* data, std::size_t size, InflateSink& sink);
    bool take_body(const std::uint8_t*& data, std::size_t& size, InflateSink& sink);
    bool inflate_waiting(InflateSink& sink);
    std::size_t parse_header(const std::uint8_t* data, std::size_t size);
    const std::uint8_t* header_step(const std::uint8_t* p, const std::uint8_t* end);
    void fixed_byte(std::uint8_t byte);
    void bad_magic();
    void next_optional_field(Phase after);
    void header_crc_byte(std::uint8_t byte);
    void start_body();
    bool inflate(const std::uint8_t*& data, std::size_t& size, InflateSink& sink);
    void check_trailer();
    void fail(std::string reason);
    void remember_tail(const std::uint8_t* data, std::size_t size);

    Phase phase_ = Phase::magic1;
    std::unique_ptr<inflate_state> state_;
    std::unique_ptr<std::uint8_t[]> out_;
    std::uint64_t members_ = 0;
    std::uint64_t consumed_ = 0;
    std::uint64_t padding_ = 0;     // zero bytes seen after the last member
    std::uint64_t member_out_ = 0;  // decompressed bytes of the current member (ISIZE is mod 2^32)
    std::uint8_t fixed_[10] = {};   // ID1 ID2 CM FLG MTIME(4) XFL OS
    std::size_t fixed_fill_ = 0;
    std::uint32_t counter_ = 0;     // bytes left of FEXTRA / FHCRC, or bytes read of XLEN
    std::uint32_t header_crc_ = 0;  // CRC-32 of the header so far (for FHCRC)
    std::uint16_t stored_header_crc_ = 0;
    std::uint8_t tail_[8] = {};  // the last 8 compressed bytes ISA-L consumed (the trailer)
    std::unique_ptr<std::uint8_t[]> waiting_;  // the current kInflateChunk piece, when copied
    std::size_t waiting_fill_ = 0;
    std::uint8_t prefix_[kPrefix] = {};
    std::size_t prefix_fill_ = 0;
    bool bad_magic_ = false;
    std::optional<Refusal> refusal_;
};

// "not gzip (bad magic 50 4b 03 04: looks like zip)" for the first bytes of a non-gzip upload.
std::string bad_magic_reason(const std::uint8_t* prefix, std::size_t size);

}  // namespace dropgate::validator::detail
