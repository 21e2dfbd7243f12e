// The tar layer of the streaming validator: a push parser over the decompressed stream. It
// verifies every header checksum, follows pax ('x'/'g', Solaris 'X'), GNU long names ('L'/'K'),
// old GNU sparse ('S' + extension blocks), star and Solaris variants, skips member data without
// copying it, and reports each member with its header and data offsets. It needs the
// end-of-archive marker (two zero blocks, or one at the very end).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "dropgate/validator/validator.hpp"
#include "pax.hpp"
#include "refusal.hpp"

namespace dropgate::validator::detail {

class TarStream {
  public:
    static constexpr std::size_t kBlock = 512;

    TarStream(MemberSink* sink, std::uint64_t max_members);

    // Next decompressed bytes. Returns false once the tar layer has refused the stream.
    bool feed(const std::uint8_t* data, std::size_t size);
    const std::optional<Refusal>& refusal() const { return refusal_; }
    // The decompressed stream ended here: a refusal if the archive is incomplete or empty.
    std::optional<Refusal> finish() const;

    std::uint64_t members() const { return members_; }

  private:
    enum class State { header, sparse_ext, collect, skip, ended, failed };

    void block(const std::uint8_t* b);
    void header(const std::uint8_t* b);
    void member(const std::uint8_t* b, std::uint64_t header_size);
    void start_skip(std::uint64_t bytes, bool member_data);
    void collected();
    void emit();
    void fail(std::string reason, int error = EBADMSG);

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

    // Extended headers collected for the next member.
    char collect_type_ = 0;
    std::uint64_t collect_left_ = 0;
    std::uint64_t collect_padding_ = 0;
    std::uint64_t collect_offset_ = 0;
    std::string collect_;
    std::optional<std::uint64_t> prefix_offset_;  // first extended header of the pending member
    PaxAttributes pax_, global_;
    std::uint64_t pending_bytes_ = 0;  // extended header bytes collected for the next member
    std::uint64_t global_bytes_ = 0;   // global pax header bytes collected so far
    std::optional<std::string> long_name_, long_link_;

    Member current_;                 // the member being skipped (its path names a truncation)
    std::uint64_t stored_size_ = 0;  // bytes of data in the stream for current_
    std::optional<Refusal> refusal_;
};

}  // namespace dropgate::validator::detail
