// MemberSpool: members go to an unlinked temporary file in a compact binary form, through a
// 64 KiB buffer, so memory stays bounded however many members a bundle has.
// Record: type byte, then LEB128 varints (size, mode, zigzag mtime, uid, gid, header_offset,
// data_offset) and five length-prefixed strings (path, uname, gname, linkname).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/index/index.hpp"

namespace dropgate::index {

namespace {

constexpr std::size_t kBufferSize = 64 * 1024;

void put_varint(std::vector<std::uint8_t>& out, std::uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(value | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(value));
}

void put_string(std::vector<std::uint8_t>& out, const std::string& text) {
    put_varint(out, text.size());
    out.insert(out.end(), text.begin(), text.end());
}

// Decodes from [pos, end); returns false (pos unspecified) if the record is incomplete.
struct Reader {
    const std::uint8_t* pos;
    const std::uint8_t* end;

    bool varint(std::uint64_t& value) {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos == end) return false;
            std::uint8_t byte = *pos++;
            value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) return true;
        }
        throw std::runtime_error("member spool: corrupt varint");
    }
    bool string(std::string& text) {
        std::uint64_t size;
        if (!varint(size) || static_cast<std::uint64_t>(end - pos) < size) return false;
        text.assign(reinterpret_cast<const char*>(pos), size);
        pos += size;
        return true;
    }
    bool member(Member& m) {
        if (pos == end) return false;
        m.type = static_cast<char>(*pos++);
        std::uint64_t mode, mtime;
        if (!varint(m.size) || !varint(mode) || !varint(mtime) || !varint(m.uid) ||
            !varint(m.gid) || !varint(m.header_offset) || !varint(m.data_offset))
            return false;
        m.mode = static_cast<std::uint32_t>(mode);
        m.mtime = static_cast<std::int64_t>(mtime >> 1) ^ -static_cast<std::int64_t>(mtime & 1);
        return string(m.path) && string(m.uname) && string(m.gname) && string(m.linkname);
    }
};

UniqueFd open_spool_file(const std::filesystem::path& directory) {
    int fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EOPNOTSUPP && errno != EISDIR)
        throw std::system_error(errno, std::generic_category(),
                                "member spool: O_TMPFILE in " + directory.string());
    // Filesystems without O_TMPFILE: a named file, unlinked at once.
    std::string name = (directory / "member-spool-XXXXXX").string();
    fd = mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "member spool: mkstemp " + name);
    ::unlink(name.c_str());
    return UniqueFd(fd);
}

}  // namespace

struct MemberSpool::Impl {
    UniqueFd fd;
    std::vector<std::uint8_t> buffer;
    std::uint64_t written = 0;  // bytes already in the file
    std::uint64_t count = 0;

    void flush() {
        std::size_t done = 0;
        while (done < buffer.size()) {
            ssize_t n = ::pwrite(fd.get(), buffer.data() + done, buffer.size() - done,
                                 static_cast<off_t>(written + done));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0)
                throw std::system_error(errno, std::generic_category(), "member spool: write");
            done += static_cast<std::size_t>(n);
        }
        written += done;
        buffer.clear();
    }
};

MemberSpool::MemberSpool(const std::filesystem::path& directory) : impl_(std::make_unique<Impl>()) {
    impl_->fd = open_spool_file(directory);
    impl_->buffer.reserve(kBufferSize + 1024);
}

MemberSpool::~MemberSpool() = default;

void MemberSpool::add(const Member& member) {
    auto& out = impl_->buffer;
    out.push_back(static_cast<std::uint8_t>(member.type));
    put_varint(out, member.size);
    put_varint(out, member.mode);
    put_varint(out, (static_cast<std::uint64_t>(member.mtime) << 1) ^
                        static_cast<std::uint64_t>(member.mtime >> 63));
    put_varint(out, member.uid);
    put_varint(out, member.gid);
    put_varint(out, member.header_offset);
    put_varint(out, member.data_offset);
    put_string(out, member.path);
    put_string(out, member.uname);
    put_string(out, member.gname);
    put_string(out, member.linkname);
    ++impl_->count;
    if (out.size() >= kBufferSize) impl_->flush();
}

std::uint64_t MemberSpool::count() const {
    return impl_->count;
}

void MemberSpool::replay(const std::function<void(const Member&)>& fn) const {
    impl_->flush();  // the file then holds everything added so far
    std::vector<std::uint8_t> chunk(kBufferSize);
    std::size_t filled = 0;
    std::uint64_t offset = 0;
    std::uint64_t remaining = impl_->count;
    Member member;
    while (remaining > 0) {
        if (filled == chunk.size()) chunk.resize(chunk.size() * 2);  // one record > buffer
        ssize_t n = ::pread(impl_->fd.get(), chunk.data() + filled, chunk.size() - filled,
                            static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::system_error(errno, std::generic_category(), "member spool: read");
        if (n == 0) throw std::runtime_error("member spool: file ends before its last member");
        offset += static_cast<std::uint64_t>(n);
        filled += static_cast<std::size_t>(n);
        Reader reader{chunk.data(), chunk.data() + filled};
        const std::uint8_t* record = reader.pos;
        while (remaining > 0 && reader.member(member)) {
            fn(member);
            --remaining;
            record = reader.pos;
        }
        std::size_t used = static_cast<std::size_t>(record - chunk.data());
        std::memmove(chunk.data(), record, filled - used);
        filled -= used;
    }
}

}  // namespace dropgate::index
