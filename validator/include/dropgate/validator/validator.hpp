// Streaming .tgz validator: push the upload's bytes in order with feed(), get the
// verdict from finish(). One pass computes SHA-256, inflates and CRC/ISIZE-checks every
// gzip member, walks the tar stream to its end-of-archive marker and reports each member.
// Memory per validator is bounded by a constant, whatever the input: the ISA-L inflate state
// (~85 KiB, including its 32 KiB history), a 128 KiB output buffer, one 512-byte tar block, the
// first 512 bytes of the upload (for format hints), a table of member path hashes for hard-link
// checks (8 bytes a slot, at most 256 KiB), and extended-header text (pax records, GNU long names)
// capped at kMaxExtendedHeader per member plus kMaxExtendedHeader of global pax headers, held at
// most twice while parsed: ~220 KiB for ordinary bundles, under 5.5 MiB for the most hostile
// input. Anything that would need more is refused as invalid.
// Rules, choices and every refusal reason: docs/validation.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/config/config.hpp"
#include "dropgate/validator/sha256.hpp"

namespace dropgate::validator {

struct Limits {
    std::uint64_t max_bundle_size = 64ull << 30;
    std::uint64_t max_uncompressed_size = 1ull << 40;
    std::uint64_t max_compression_ratio = 200;
    std::uint64_t max_members = 1'000'000;
    // The compression ratio is judged continuously, so a bomb stops early: the upload is refused
    // once its output exceeds max_compression_ratio x the compressed bytes consumed so far plus
    // this allowance. Real bundles hold stretches that compress ~1000:1 (an empty tar, a
    // zero-filled image or core file stored without --sparse); the allowance lets one of up to
    // ~1.2 GiB through on its own, and each compressed byte of other content buys
    // max_compression_ratio more. Measurements: docs/validation.md.
    std::uint64_t ratio_grace_bytes = 1ull << 30;

    static Limits from(const config::Store& store);
};

// The biggest pax extended header or GNU long name/link the validator buffers; a bigger one is
// refused as invalid (real ones are a few hundred bytes).
inline constexpr std::uint64_t kMaxExtendedHeader = 1ull << 20;

// One tar member as the index records it. Offsets are in the decompressed tar stream.
struct Member {
    std::string path;  // normalised, relative, no leading "./"
    char type = '0';   // tar typeflag: '0' file, '1' hardlink, '2' symlink, '3' char, '4' block,
                       // '5' directory, '6' fifo ('S' sparse files are reported as '0')
    std::uint64_t size = 0;  // logical size (expanded size for sparse files)
    std::uint32_t mode = 0;  // permission bits only (07777)
    std::int64_t mtime = 0;  // seconds since the epoch
    std::uint64_t uid = 0, gid = 0;
    std::string uname, gname, linkname;
    std::uint64_t header_offset =
        0;  // offset of the member's first header block (incl. pax/GNU prefix headers)
    std::uint64_t data_offset = 0;  // offset of its data
};

// Receives members as they are parsed (only meaningful if the final verdict is accepted).
class MemberSink {
  public:
    virtual ~MemberSink() = default;
    virtual void add(const Member& member) = 0;
};

struct Verdict {
    bool accepted = false;
    int error = 0;       // 0 if accepted; EBADMSG invalid content, EFBIG a limit exceeded
    std::string reason;  // empty if accepted; else the spec §4 wording, e.g. "gzip CRC mismatch in
                         // member 2"
    std::string sha256;  // lowercase hex of every byte fed
    std::uint64_t bytes = 0;  // compressed bytes fed
    std::uint64_t gzip_members = 0;
    std::uint64_t uncompressed_bytes = 0;
    std::uint64_t member_count = 0;
};

class StreamValidator {
  public:
    explicit StreamValidator(Limits limits, MemberSink* sink = nullptr);
    ~StreamValidator();
    StreamValidator(const StreamValidator&) = delete;
    StreamValidator& operator=(const StreamValidator&) = delete;

    // Next bytes of the upload, in order. Returns false once a refusal is certain; later feeds
    // still count bytes and hash but do no other work, so a bomb stops costing CPU early.
    bool feed(std::span<const std::uint8_t> bytes);
    bool failed() const;
    std::uint64_t bytes_fed() const;

    // Hands over the SHA-256 of the bytes fed so far. Later feeds are not hashed: the caller
    // hashes the same bytes in the same order itself (the store does it on a second core, as
    // inflate alone keeps one busy) and passes the digest to finish(). Call at most once.
    Sha256 detach_hash();

    // The verdict for everything fed so far, treated as the complete upload. Call once.
    // `sha256_hex`: the digest after detach_hash() (ignored otherwise).
    Verdict finish(std::string sha256_hex = {});

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Reads a local file through a StreamValidator (used by `dropgate validate` and `verify`).
// Throws std::system_error naming the file if it cannot be opened or read.
Verdict validate_file(const std::filesystem::path& file, const Limits& limits,
                      MemberSink* sink = nullptr);

}  // namespace dropgate::validator
