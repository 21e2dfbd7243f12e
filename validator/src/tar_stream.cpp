#include "tar_stream.hpp"

#include <algorithm>
#include <cstring>

#include "member_path.hpp"

namespace dropgate::validator::detail {
namespace {

constexpr std::uint64_t padded(std::uint64_t size) {
    return (size + 511) & ~std::uint64_t(511);
}

bool is_zero_block(const std::uint8_t* b) {
    std::uint64_t any = 0;
    for (std::size_t i = 0; i < TarStream::kBlock; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, b + i, 8);
        any |= word;
    }
    return any == 0;
}

// The header checksum counts the checksum field as eight spaces. Historic writers summed signed
// chars, so both the unsigned and the signed sum are accepted (as GNU tar and libarchive do).
bool checksum_ok(const std::uint8_t* b) {
    auto stored = parse_numeric(b + 148, 8);
    if (!stored) return false;
    std::int64_t unsigned_sum = 8 * ' ', signed_sum = 8 * ' ';
    for (std::size_t i = 0; i < TarStream::kBlock; ++i) {
        if (i >= 148 && i < 156) continue;
        unsigned_sum += b[i];
        signed_sum += static_cast<std::int8_t>(b[i]);
    }
    return *stored == unsigned_sum || *stored == signed_sum;
}

std::string at(std::uint64_t offset) {
    return " at offset " + std::to_string(offset);
}

}  // namespace

TarStream::TarStream(MemberSink* sink, std::uint64_t max_members)
    : sink_(sink), max_members_(max_members) {}

void TarStream::fail(std::string reason, int error) {
    state_ = State::failed;
    refusal_ = Refusal{error, std::move(reason)};
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
                if (fill_ == 0 && size >= kBlock) {
                    // Whole block in the caller's buffer: parse it in place.
                    block_offset_ = offset_;
                    offset_ += kBlock;
                    const std::uint8_t* b = data;
                    data += kBlock;
                    size -= kBlock;
                    block(b);
                } else {
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
                break;
        }
    }
    return state_ != State::failed;
}

void TarStream::start_skip(std::uint64_t bytes, bool member_data) {
    skip_ = bytes;
    skip_is_member_ = member_data;
    state_ = bytes ? State::skip : State::header;
}

void TarStream::block(const std::uint8_t* b) {
    if (state_ == State::sparse_ext) {
        // Old GNU sparse extension block: 21 (offset, size) pairs, then "isextended" at 504.
        if (b[504] == 0) {
            state_ = State::header;
            current_.data_offset = offset_;
            emit();
            start_skip(padded(stored_size_), true);
        }
        return;
    }
    if (is_zero_block(b)) {
        if (prefix_offset_) {
            fail("tar extended header" + at(*prefix_offset_) + " is not followed by a member");
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
    if (!checksum_ok(b)) {
        if (block_offset_ == 0)
            return fail("not a tar archive (tar header checksum error at offset 0)");
        return fail("tar header checksum error" + at(block_offset_));
    }
    auto size = parse_numeric(b + 124, 12);
    if (!size || *size < 0)
        return fail("tar header" + at(block_offset_) + " has an invalid size field");
    char type = static_cast<char>(b[156]);
    switch (type) {
        case 'x':  // pax extended header for the next member
        case 'X':  // Solaris extended header, same records
        case 'g':  // pax global header
        case 'L':  // GNU long name for the next member
        case 'K':  // GNU long link target for the next member
            if (std::uint64_t(*size) > kMaxExtendedHeader)
                return fail("tar extended header" + at(block_offset_) + " is too large (" +
                            std::to_string(*size) + " bytes)");
            // One member's extended headers together (and all global ones) stay within the
            // cap too, so many small headers cannot add up to unbounded memory.
            if ((type == 'g' ? global_bytes_ : pending_bytes_) += std::uint64_t(*size);
                global_bytes_ > kMaxExtendedHeader || pending_bytes_ > kMaxExtendedHeader)
                return fail("tar extended headers" + at(block_offset_) + " are too large (over " +
                            std::to_string(kMaxExtendedHeader) + " bytes)");
            if (type != 'g' && !prefix_offset_) prefix_offset_ = block_offset_;
            collect_type_ = type;
            collect_offset_ = block_offset_;
            collect_left_ = std::uint64_t(*size);
            collect_padding_ = padded(collect_left_) - collect_left_;
            collect_.clear();
            state_ = State::collect;
            if (collect_left_ == 0) collected();
            return;
        case 'A':  // Solaris ACL for the next member: part of its headers, not a member
            if (!prefix_offset_) prefix_offset_ = block_offset_;
            return start_skip(padded(std::uint64_t(*size)), false);
        case 'V':  // GNU volume label: not a member
            return start_skip(padded(std::uint64_t(*size)), false);
        default:
            return member(b, std::uint64_t(*size));
    }
}

void TarStream::collected() {
    std::string_view data = collect_;
    if (collect_type_ == 'L' || collect_type_ == 'K') {
        std::string name(
            parse_string(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
        (collect_type_ == 'L' ? long_name_ : long_link_) = std::move(name);
    } else {
        PaxAttributes attributes;
        if (!parse_pax(data, attributes)) return fail("malformed pax header" + at(collect_offset_));
        (collect_type_ == 'g' ? global_ : pax_).merge(attributes);
    }
    // Give back an unusually large buffer so an idle validator stays small.
    if (collect_.capacity() > 64 * 1024) std::string().swap(collect_);
    start_skip(collect_padding_, false);
}

void TarStream::member(const std::uint8_t* b, std::uint64_t header_size) {
    const bool posix = std::memcmp(b + 257, "ustar\0", 6) == 0;
    const bool gnu = std::memcmp(b + 257, "ustar  \0", 8) == 0;
    char type = static_cast<char>(b[156]);

    std::string path(parse_string(b, 100));
    if (posix) {
        // star puts atime/ctime after a 131-byte prefix and marks that with "tar\0" at 508.
        std::size_t prefix_size = std::memcmp(b + 508, "tar\0", 4) == 0 ? 131 : 155;
        std::string_view prefix = parse_string(b + 345, prefix_size);
        if (!prefix.empty()) path = std::string(prefix) + "/" + path;
    }
    if (long_name_) path = *long_name_;
    if (pax_.path) path = *pax_.path;
    if (pax_.sparse_name) path = *pax_.sparse_name;
    const bool trailing_slash = !path.empty() && path.back() == '/';

    PaxAttributes attributes = global_;
    attributes.merge(pax_);
    Member m;
    m.header_offset = prefix_offset_.value_or(block_offset_);
    m.data_offset = block_offset_ + kBlock;
    m.mode = std::uint32_t(parse_numeric(b + 100, 8).value_or(0)) & 07777;
    m.uid = attributes.uid.value_or(std::uint64_t(parse_numeric(b + 108, 8).value_or(0)));
    m.gid = attributes.gid.value_or(std::uint64_t(parse_numeric(b + 116, 8).value_or(0)));
    m.mtime = attributes.mtime.value_or(parse_numeric(b + 136, 12).value_or(0));
    m.uname = attributes.uname.value_or(std::string(parse_string(b + 265, 32)));
    m.gname = attributes.gname.value_or(std::string(parse_string(b + 297, 32)));
    m.linkname = pax_.linkpath ? *pax_.linkpath
                 : long_link_  ? *long_link_
                               : std::string(parse_string(b + 157, 100));
    std::uint64_t stored = pax_.size.value_or(header_size);
    bool sparse_ext = false;
    switch (type) {
        case '\0':
        case '0':
        case '7':  // contiguous file
            // Pre-POSIX tar marked directories only by the trailing slash.
            m.type = (trailing_slash && (type == '\0' || (!posix && !gnu))) ? '5' : '0';
            break;
        case 'S':  // old GNU sparse file: realsize at 483, "isextended" at 482
            m.type = '0';
            m.size = std::uint64_t(parse_numeric(b + 483, 12).value_or(0));
            sparse_ext = b[482] != 0;
            break;
        case 'D':  // GNU dumpdir: a directory whose data lists its entries
            m.type = '5';
            break;
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
            m.type = type;
            break;
        default:  // POSIX: unknown types are read as regular files
            m.type = '0';
    }
    if (m.type == '5' && type != 'D') stored = 0;  // GNU tar ignores a directory's size field
    if (type != 'S') m.size = m.type == '5' ? 0 : stored;
    if (attributes.sparse_realsize && pax_.sparse_name)
        m.size = *attributes.sparse_realsize;
    else if (pax_.sparse_realsize)
        m.size = *pax_.sparse_realsize;

    if (path.empty()) return fail("tar member" + at(block_offset_) + " has an empty path");
    auto normal = normalise_member_path(path);
    if (!normal) return fail("member path escapes the archive: " + printable(path));
    m.path = std::move(*normal);
    if (m.type == '1') {
        // A hard link is made to a file on disk: its target must stay inside too. Symlink
        // targets are just data (relative "../lib" links are normal) and are not checked.
        auto target = normalise_member_path(m.linkname);
        if (!target || m.linkname.empty())
            return fail("hard link target escapes the archive: " + printable(m.linkname));
        m.linkname = std::move(*target);
    }
    if (++members_ > max_members_)
        return fail("more than max_members " + std::to_string(max_members_) + " members", EFBIG);

    current_ = std::move(m);
    stored_size_ = stored;
    pax_ = PaxAttributes{};
    long_name_.reset();
    long_link_.reset();
    prefix_offset_.reset();
    pending_bytes_ = 0;
    if (sparse_ext) {
        state_ = State::sparse_ext;
        return;
    }
    emit();
    start_skip(padded(stored), true);
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
            if (prefix_offset_) return Refusal{EBADMSG, end + " after an extended header)"};
            return Refusal{EBADMSG, "tar archive truncated (no end-of-archive marker)"};
        case State::skip:
            if (!skip_is_member_) return Refusal{EBADMSG, end + " inside an extended header)"};
            [[fallthrough]];
        case State::sparse_ext:
            return Refusal{EBADMSG, end + " inside member " + printable(current_.path) + ")"};
        default:
            return Refusal{EBADMSG, end + " inside an extended header)"};
    }
}

}  // namespace dropgate::validator::detail
