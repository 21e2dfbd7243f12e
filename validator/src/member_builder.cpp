#include "member_builder.hpp"

#include <cstring>

#include "header_number.hpp"
#include "member_path.hpp"

namespace dropgate::validator::detail {
namespace {

std::string at(std::uint64_t offset) {
    return " at offset " + std::to_string(offset);
}

// The member's path: the header's name (with the ustar prefix), replaced by a GNU long name, a pax
// path, and for pax sparse files GNU.sparse.name, in that order of precedence.
std::string member_path(const std::uint8_t* b, const HeaderBlock& h,
                        const PendingHeaders& pending) {
    if (pending.pax.sparse_name) return *pending.pax.sparse_name;
    if (pending.pax.path) return *pending.pax.path;
    if (pending.long_name) return *pending.long_name;
    std::string path(string_field(b, 100));
    if (h.magic == Magic::posix) {
        // star puts atime/ctime after a 131-byte prefix and marks that with "tar\0" at 508.
        std::size_t prefix_size = std::memcmp(b + 508, "tar\0", 4) == 0 ? 131 : 155;
        std::string_view prefix = string_field(b + 345, prefix_size);
        if (!prefix.empty()) path = std::string(prefix) + "/" + path;
    }
    return path;
}

// The member's type as the index records it, its size, and the data bytes that follow it. Types
// '1' to '6' have no data when either tool extracts them, whatever the size field says, so a size
// that one of them would honour (a pax size; a hard link's size in what libarchive takes for a pax
// archive; the size of a symlink, device or FIFO when GNU tar lists the archive) would make them
// read different blocks as the next header.
std::optional<Refusal> classify(const std::uint8_t* b, const HeaderBlock& h, std::uint64_t offset,
                                const PendingHeaders& pending, bool trailing_slash,
                                BuiltMember& out) {
    Member& m = out.member;
    out.stored = pending.pax.size.value_or(h.size);
    switch (h.type) {
        case '\0':
        case '0':
        case '7':  // contiguous file
            // Pre-POSIX tar marked directories only by the trailing slash.
            m.type = (trailing_slash && (h.type == '\0' || h.magic == Magic::v7)) ? '5' : '0';
            break;
        case 'S': {  // old GNU sparse file: realsize at 483, "isextended" at 482
            // Only with the GNU magic; in other headers both tools read 'S' as a regular file.
            if (h.magic != Magic::gnu) {
                m.type = '0';
                break;
            }
            auto realsize = gnu_number(b + 483, 12, kSizeRange);
            if (!realsize)
                return Refusal{EBADMSG,
                               "tar header" + at(offset) + " has an invalid realsize field"};
            m.type = '0';
            m.size = static_cast<std::uint64_t>(*realsize);
            out.sparse_extensions = b[482] != 0;
            return std::nullopt;
        }
        case 'D':  // GNU dumpdir: a directory whose data lists its entries
            m.type = '5';
            break;
        case 'M':  // GNU multi-volume: GNU tar refuses to extract a continued file
            return Refusal{EBADMSG,
                           "tar member" + at(offset) + " continues a file from another volume"};
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
            m.type = h.type;
            if (pending.pax.size.value_or(0) > 0 ||
                (h.type == '1' && h.size > 0 && h.magic == Magic::posix && pending.pax_format))
                return Refusal{EBADMSG,
                               "tar member" + at(offset) + " has data although its type has none"};
            if (h.type != '1' && h.type != '5' && h.size > 0)
                return Refusal{EBADMSG, "tar member" + at(offset) +
                                            " has a size but no data (ambiguous: GNU tar lists it "
                                            "with data, extracts it without)"};
            out.stored = 0;
            break;
        default:  // POSIX: unknown types are read as regular files
            m.type = '0';
    }
    m.size = m.type == '5' ? 0 : out.stored;
    if (pending.pax.sparse_realsize) m.size = *pending.pax.sparse_realsize;
    return std::nullopt;
}

// Normalises the member's path and its link target: nothing may escape the archive, a hard link
// (made to a file on disk) must name one inside it, and no link may have an empty target (GNU tar
// cannot make it). Symlink targets are data otherwise (relative "../lib" links are normal).
std::optional<Refusal> check_paths(const std::string& path, std::uint64_t offset, Member& m) {
    if (path.empty()) return Refusal{EBADMSG, "tar member" + at(offset) + " has an empty path"};
    auto normal = normalise_member_path(path);
    if (!normal) return Refusal{EBADMSG, "member path escapes the archive: " + printable(path)};
    m.path = std::move(*normal);
    if ((m.type == '1' || m.type == '2') && m.linkname.empty())
        return Refusal{EBADMSG, std::string(m.type == '1' ? "hard" : "symbolic") + " link " +
                                    printable(m.path) + " has an empty target"};
    if (m.type == '1') {
        auto target = normalise_member_path(m.linkname);
        if (!target)
            return Refusal{EBADMSG,
                           "hard link target escapes the archive: " + printable(m.linkname)};
        m.linkname = std::move(*target);
    }
    return std::nullopt;
}

}  // namespace

std::variant<BuiltMember, Refusal> build_member(const std::uint8_t* b, const HeaderBlock& h,
                                                std::uint64_t block_offset,
                                                const PendingHeaders& pending,
                                                const PaxAttributes& global) {
    const std::string path = member_path(b, h, pending);
    PaxAttributes attributes = global;
    attributes.merge(pending.pax);

    BuiltMember out;
    Member& m = out.member;
    m.header_offset = pending.first_offset.value_or(block_offset);
    m.data_offset = block_offset + kBlock;
    m.mode = h.mode;
    m.uid = attributes.uid.value_or(h.uid);
    m.gid = attributes.gid.value_or(h.gid);
    m.mtime = attributes.mtime.value_or(h.mtime);
    m.uname = attributes.uname.value_or(std::string(string_field(b + 265, 32)));
    m.gname = attributes.gname.value_or(std::string(string_field(b + 297, 32)));
    m.linkname = pending.pax.linkpath ? *pending.pax.linkpath
                 : pending.long_link  ? *pending.long_link
                                      : std::string(string_field(b + 157, 100));
    const bool trailing_slash = !path.empty() && path.back() == '/';
    if (pending.pax.sparse_records && !pending.sparse_allowed && h.type != '0' && h.type != 'S')
        return Refusal{EBADMSG, "tar member" + at(block_offset) +
                                    " has sparse records but is not a regular file"};
    out.sparse_map_in_data = pending.pax.sparse_map_in_data;
    if (auto problem = classify(b, h, block_offset, pending, trailing_slash, out)) return *problem;
    if (auto problem = check_paths(path, block_offset, m)) return *problem;
    if (pending.pax.sparse_regions && !out.sparse_map_in_data)
        if (auto misfit = pending.pax.sparse_regions->misfit(out.stored))
            return Refusal{EBADMSG, "tar member " + printable(m.path) + " has " + *misfit};
    return out;
}

}  // namespace dropgate::validator::detail
