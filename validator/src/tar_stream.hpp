// The tar layer of the streaming validator: a push parser over the decompressed stream. It reads
// every header block as GNU tar and bsdtar read it (header_block), follows pax ('x'/'g', Solaris
// 'X'), GNU long names ('L'/'K'), old GNU sparse ('S' + extension blocks), star and Solaris
// variants, skips member data without copying it, and reports each member with its header and data
// offsets (member_builder). It needs the end-of-archive marker (two zero blocks, or one at the very
// end).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "dropgate/validator/validator.hpp"
#include "header_block.hpp"
#include "link_targets.hpp"
#include "member_builder.hpp"
#include "pax.hpp"
#include "refusal.hpp"
#include "sparse_map.hpp"

namespace dropgate::validator::detail {

class TarStream {
  public:
    TarStream(MemberSink* sink, std::uint64_t max_members);

    // Next decompressed bytes. Returns false once the tar layer has refused the stream.
    bool feed(const std::uint8_t* data, std::size_t size);
    const std::optional<Refusal>& refusal() const { return refusal_; }
    // The decompressed stream ended here: a refusal if the archive is incomplete or empty.
    std::optional<Refusal> finish() const;

    std::uint64_t members() const { return members_; }

  private:
    enum class State { header, sparse_ext, collect, sparse_map, skip, ended, failed };

    void assemble_block(const std::uint8_t*& data, std::size_t& size);
    void block(const std::uint8_t* b);
    void header(const std::uint8_t* b);
    void start_collect(const HeaderBlock& h);
    void collected();
    void member(const std::uint8_t* b, const HeaderBlock& h);
    void start_skip(std::uint64_t bytes, bool member_data);
    void start_data();
    void end_old_sparse_map();
    void read_sparse_map(const std::uint8_t*& data, std::size_t& size);
    void emit();
    void fail(std::string reason, int error = EBADMSG);
    void fail(Refusal refusal);

    MemberSink* sink_;
    std::uint64_t max_members_;
    State state_ = State::header;
    std::uint64_t offset_ = 0;        // stream offset of the next byte
    std::uint64_t block_offset_ = 0;  // stream offset of the block being assembled or parsed
    std::uint8_t block_[kBlock] = {};
    std::size_t fill_ = 0;
    std::uint64_t skip_ = 0;       // data + padding bytes left to skip
    bool skip_is_member_ = false;  // skipping member data (not an extended header's padding)
    bool zero_seen_ = false;       // one zero block seen: the end-of-archive marker started
    std::uint64_t members_ = 0;

    // The extended header being collected, and what those before it said about the next member.
    char collect_type_ = 0;
    std::uint64_t collect_left_ = 0;
    std::uint64_t collect_padding_ = 0;
    std::uint64_t collect_offset_ = 0;
    std::string collect_;
    PendingHeaders pending_;
    PaxAttributes global_;
    std::uint64_t pending_bytes_ = 0;  // extended header bytes collected for the next member
    std::uint64_t global_bytes_ = 0;   // global pax header bytes collected so far

    Member current_;                   // the member being skipped (its path names a truncation)
    std::uint64_t stored_size_ = 0;    // bytes of data in the stream for current_
    bool sparse_map_in_data_ = false;  // current_'s data opens with a pax 1.0 sparse map
    OldSparseMap old_sparse_{0};
    SparseMap10 sparse_map_;
    LinkTargets links_;
    std::optional<Refusal> refusal_;
};

}  // namespace dropgate::validator::detail
