#include "tar_stream.hpp"

#include <algorithm>
#include <cstring>
#include <variant>

#include "member_path.hpp"

namespace dropgate::validator::detail {
namespace {

constexpr std::uint64_t padded(std::uint64_t size) {
    return (size + 511) & ~std::uint64_t(511);
}

bool is_zero_block(const std::uint8_t* b) {
    std::uint64_t any = 0;
    for (std::size_t i = 0; i < kBlock; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, b + i, 8);
        any |= word;
    }
    return any == 0;
}

std::string at(std::uint64_t offset) {
    return " at offset " + std::to_string(offset);
}

}  // namespace

TarStream::TarStream(MemberSink* sink, std::uint64_t max_members)
    : sink_(sink), max_members_(max_members) {}

void TarStream::fail(std::string reason, int error) {
    fail(Refusal{error, std::move(reason)});
}

void TarStream::fail(Refusal refusal) {
    state_ = State::failed;
    refusal_ = std::move(refusal);
}

bool TarStream::feed(const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
        switch (state_) {
            case State::failed:
                return false;
            case State::ended:
                // After the end-of-archive marker tar pads to its record size with zeros; like
                // GNU tar, dropgate ignores whatever is there.
                offset_ += size;
                return true;
            case State::skip: {
                std::size_t n = std::size_t(std::min<std::uint64_t>(skip_, size));
                data += n;
                size -= n;
                offset_ += n;
                skip_ -= n;
                if (skip_ == 0) {
                    state_ = State::header;
                    skip_is_member_ = false;
                }
                break;
            }
            case State::sparse_map:
                read_sparse_map(data, size);
                break;
            case State::collect: {
                std::size_t n = std::size_t(std::min<std::uint64_t>(collect_left_, size));
                collect_.append(reinterpret_cast<const char*>(data), n);
                data += n;
                size -= n;
                offset_ += n;
                collect_left_ -= n;
                if (collect_left_ == 0) collected();
                break;
            }
            case State::header:
            case State::sparse_ext:
                assemble_block(data, size);
                break;
        }
    }
    return state_ != State::failed;
}

// Takes the next header block from `data`: in place when the caller's buffer holds all of it,
// else copied together in block_.
void TarStream::assemble_block(const std::uint8_t*& data, std::size_t& size) {
    if (fill_ == 0 && size >= kBlock) {
        block_offset_ = offset_;
        offset_ += kBlock;
        const std::uint8_t* b = data;
        data += kBlock;
        size -= kBlock;
        block(b);
        return;
    }
    if (fill_ == 0) block_offset_ = offset_;
    std::size_t n = std::min(kBlock - fill_, size);
    std::memcpy(block_ + fill_, data, n);
    fill_ += n;
    data += n;
    size -= n;
    offset_ += n;
    if (fill_ == kBlock) {
        fill_ = 0;
        block(block_);
    }
}

void TarStream::start_skip(std::uint64_t bytes, bool member_data) {
    skip_ = bytes;
    skip_is_member_ = member_data;
    state_ = bytes ? State::skip : State::header;
}

// The member's data: emitted, then skipped (a pax 1.0 sparse map at its start is read first).
void TarStream::start_data() {
    emit();
    start_skip(padded(stored_size_), true);
    if (sparse_map_in_data_) {
        sparse_map_ = SparseMap10(stored_size_);
        state_ = State::sparse_map;
    }
}

void TarStream::read_sparse_map(const std::uint8_t*& data, std::size_t& size) {
    const std::size_t used =
        sparse_map_.feed(data, std::size_t(std::min<std::uint64_t>(skip_, size)));
    data += used;
    size -= used;
    offset_ += used;
    skip_ -= used;
    if (sparse_map_.status() == SparseMap10::Status::bad ||
        (sparse_map_.status() == SparseMap10::Status::reading && skip_ == 0))
        return fail("tar member " + printable(current_.path) + " has an invalid sparse map");
    if (sparse_map_.status() != SparseMap10::Status::done) return;
    if (auto misfit = sparse_map_.misfit())
        return fail("tar member " + printable(current_.path) + " has " + *misfit);
    start_skip(skip_, true);
}

void TarStream::block(const std::uint8_t* b) {
    if (state_ == State::sparse_ext) {
        // Old GNU sparse extension block: 21 (offset, size) pairs, then "isextended" at 504.
        const bool extended = b[OldSparseMap::kExtendedAt] != 0;
        if (!old_sparse_.add_block(b, OldSparseMap::kBlockEntries, extended))
            return fail("tar header" + at(block_offset_) + " has an invalid sparse map");
        if (!extended) {
            state_ = State::header;
            current_.data_offset = offset_;
            end_old_sparse_map();
        }
        return;
    }
    if (is_zero_block(b)) {
        if (pending_.first_offset) {
            fail("tar extended header" + at(*pending_.first_offset) +
                 " is not followed by a member");
        } else if (zero_seen_) {
            state_ = State::ended;
        } else {
            zero_seen_ = true;
        }
        return;
    }
    if (zero_seen_) {
        // A lone zero block followed by data: GNU tar stops at the zero block (with a warning)
        // and so does dropgate; what follows is not part of the archive.
        state_ = State::ended;
        return;
    }
    header(b);
}

void TarStream::header(const std::uint8_t* b) {
    auto read = read_header_block(b, block_offset_);
    if (auto* refusal = std::get_if<Refusal>(&read)) return fail(std::move(*refusal));
    const HeaderBlock& h = std::get<HeaderBlock>(read);
    if (is_extended_header(h.type)) return start_collect(h);
    switch (h.type) {
        case 'A':  // Solaris ACL for the next member: part of its headers, not a member
            pending_.pax_format = true;
            if (!pending_.first_offset) pending_.first_offset = block_offset_;
            return start_skip(padded(h.size), false);
        case 'V':  // GNU volume label: not a member. GNU tar skips its data, libarchive does not.
            if (h.size > 0) return fail("tar volume label" + at(block_offset_) + " has data");
            return;
        default:
            return member(b, h);
    }
}

void TarStream::start_collect(const HeaderBlock& h) {
    if (h.size > kMaxExtendedHeader)
        return fail("tar extended header" + at(block_offset_) + " is too large (" +
                    std::to_string(h.size) + " bytes)");
    // One member's extended headers together (and all global ones) stay within the cap too, so
    // many small headers cannot add up to unbounded memory.
    if ((h.type == 'g' ? global_bytes_ : pending_bytes_) += h.size;
        global_bytes_ > kMaxExtendedHeader || pending_bytes_ > kMaxExtendedHeader)
        return fail("tar extended headers" + at(block_offset_) + " are too large (over " +
                    std::to_string(kMaxExtendedHeader) + " bytes)");
    if (h.type != 'L' && h.type != 'K') pending_.pax_format = true;
    if (h.type != 'g' && !pending_.first_offset) pending_.first_offset = block_offset_;
    collect_type_ = h.type;
    collect_offset_ = block_offset_;
    collect_left_ = h.size;
    collect_padding_ = padded(collect_left_) - collect_left_;
    collect_.clear();
    state_ = State::collect;
    if (collect_left_ == 0) collected();
}

void TarStream::collected() {
    const auto* data = reinterpret_cast<const std::uint8_t*>(collect_.data());
    if (collect_type_ == 'L' || collect_type_ == 'K') {
        (collect_type_ == 'L' ? pending_.long_name : pending_.long_link) =
            std::string(string_field(data, collect_.size()));
    } else {
        const bool global = collect_type_ == 'g';
        PaxAttributes attributes;
        auto problem =
            parse_pax(collect_, global ? PaxScope::global : PaxScope::member, attributes);
        if (problem)
            return fail("malformed pax header" + at(collect_offset_) +
                        (problem->empty() ? "" : " (" + *problem + ")"));
        (global ? global_ : pending_.pax).merge(attributes);
    }
    // Give back an unusually large buffer so an idle validator stays small.
    if (collect_.capacity() > 64 * 1024) std::string().swap(collect_);
    start_skip(collect_padding_, false);
}

void TarStream::member(const std::uint8_t* b, const HeaderBlock& h) {
    auto built = build_member(b, h, block_offset_, pending_, global_);
    if (auto* refusal = std::get_if<Refusal>(&built)) return fail(std::move(*refusal));
    BuiltMember& member = std::get<BuiltMember>(built);
    if (auto problem = links_.add(member.member)) return fail(std::move(*problem));
    if (++members_ > max_members_)
        return fail("more than max_members " + std::to_string(max_members_) + " members", EFBIG);

    current_ = std::move(member.member);
    stored_size_ = member.stored;
    sparse_map_in_data_ = member.sparse_map_in_data;
    // libarchive's notion of a pax archive survives ustar members; GNU and v7 headers end it.
    PendingHeaders next;
    next.pax_format = pending_.pax_format && h.magic == Magic::posix;
    next.sparse_allowed = pending_.sparse_allowed || h.type == '0' || h.type == 'S';
    pending_ = std::move(next);
    pending_bytes_ = 0;
    if (h.type == 'S' && h.magic == Magic::gnu) {
        old_sparse_ = OldSparseMap(current_.size);
        if (!old_sparse_.add_block(b + OldSparseMap::kHeaderEntriesAt, OldSparseMap::kHeaderEntries,
                                   member.sparse_extensions))
            return fail("tar header" + at(block_offset_) + " has an invalid sparse map");
        if (member.sparse_extensions) {
            state_ = State::sparse_ext;
            return;
        }
        return end_old_sparse_map();
    }
    start_data();
}

void TarStream::end_old_sparse_map() {
    if (auto misfit = old_sparse_.regions().misfit(stored_size_))
        return fail("tar member " + printable(current_.path) + " has " + *misfit);
    start_data();
}

void TarStream::emit() {
    if (sink_) sink_->add(current_);
}

std::optional<Refusal> TarStream::finish() const {
    if (state_ == State::failed) return refusal_;
    if (state_ == State::ended || zero_seen_ || offset_ == 0) {
        if (members_ == 0) return Refusal{EBADMSG, "archive has no members"};
        return std::nullopt;
    }
    std::string end = "tar archive truncated (stream ends" + at(offset_);
    switch (state_) {
        case State::header:
            if (fill_ > 0 && block_offset_ == 0)
                return Refusal{EBADMSG, "not a tar archive (decompressed stream is only " +
                                            std::to_string(offset_) + " bytes)"};
            if (fill_ > 0) return Refusal{EBADMSG, end + " inside a header block)"};
            if (pending_.first_offset) return Refusal{EBADMSG, end + " after an extended header)"};
            return Refusal{EBADMSG, "tar archive truncated (no end-of-archive marker)"};
        case State::skip:
            if (!skip_is_member_) return Refusal{EBADMSG, end + " inside an extended header)"};
            [[fallthrough]];
        case State::sparse_map:
        case State::sparse_ext:
            return Refusal{EBADMSG, end + " inside member " + printable(current_.path) + ")"};
        default:
            return Refusal{EBADMSG, end + " inside an extended header)"};
    }
}

}  // namespace dropgate::validator::detail
