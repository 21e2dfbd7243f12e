#include "handles.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "sftp_wire.hpp"

namespace dropgate::gateway {

namespace {

std::size_t live_buffers = 0;  // coalescing buffers alive in this session process

int pwrite_all(int fd, const char* data, std::size_t len, std::uint64_t offset) {
    while (len > 0) {
        ssize_t n = ::pwrite(fd, data, len, off_t(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return EIO;
        data += n;
        len -= std::size_t(n);
        offset += std::uint64_t(n);
    }
    return 0;
}

}  // namespace

void OpenFile::write(std::uint64_t offset, std::string_view data) {
    if (deferred_errno) return;  // the upload already failed; the error is reported next
    if (data.empty()) return;    // nothing to write (and no buffer yet to copy nothing into)
    bytes_written += data.size();
    if (pending_len > 0 && offset != pending_offset + pending_len) flush();
    if (pending_len + data.size() > pending_capacity && pending_capacity < kCoalesce &&
        pending_len + data.size() <= kCoalesce)
        grow();
    if (pending_len + data.size() > pending_capacity) flush();
    if (data.size() > pending_capacity) {  // too large to coalesce, or no buffer to be had
        if (int err = pwrite_all(fd.get(), data.data(), data.size(), offset)) deferred_errno = err;
        return;
    }
    if (pending_len == 0) pending_offset = offset;
    std::memcpy(pending.get() + pending_len, data.data(), data.size());
    pending_len += data.size();
}

void OpenFile::grow() {
    if (!pending && live_buffers >= kMaxCoalescingBuffers)
        return;  // bounded memory: beyond a few concurrent uploads per session, write through
    std::size_t capacity = pending ? kCoalesce : kCoalesceStart;
    std::unique_ptr<char[]> bigger(new (std::nothrow) char[capacity]);
    if (!bigger) return;  // no memory for coalescing: write through
    if (pending_len > 0) std::memcpy(bigger.get(), pending.get(), pending_len);
    if (!pending) ++live_buffers;
    pending = std::move(bigger);
    pending_capacity = capacity;
}

OpenFile::~OpenFile() {
    if (pending) --live_buffers;
}

void OpenFile::flush() {
    if (pending_len == 0) return;
    if (!deferred_errno)
        deferred_errno = pwrite_all(fd.get(), pending.get(), pending_len, pending_offset);
    pending_len = 0;
}

int OpenFile::take_error() {
    flush();
    return deferred_errno;
}

std::optional<std::string> HandleTable::add(std::unique_ptr<OpenFile> file) {
    if (used_ >= sftp::kMaxHandles) return std::nullopt;
    std::uint32_t index = 0;
    while (index < slots_.size() && slots_[index].file) ++index;
    if (index == slots_.size()) slots_.emplace_back();
    Slot& slot = slots_[index];
    slot.file = std::move(file);
    ++slot.generation;
    ++used_;
    std::string handle(8, '\0');
    for (int i = 0; i < 4; ++i) {
        handle[i] = char(index >> (24 - 8 * i));
        handle[4 + i] = char(slot.generation >> (24 - 8 * i));
    }
    return handle;
}

std::optional<std::uint32_t> HandleTable::slot_of(std::string_view handle) const {
    if (handle.size() != 8) return std::nullopt;
    std::uint32_t index = 0, generation = 0;
    for (int i = 0; i < 4; ++i) {
        index = index << 8 | std::uint8_t(handle[i]);
        generation = generation << 8 | std::uint8_t(handle[4 + i]);
    }
    if (index >= slots_.size() || !slots_[index].file || slots_[index].generation != generation)
        return std::nullopt;
    return index;
}

OpenFile* HandleTable::find(std::string_view handle) const {
    auto index = slot_of(handle);
    return index ? slots_[*index].file.get() : nullptr;
}

std::unique_ptr<OpenFile> HandleTable::remove(std::string_view handle) {
    auto index = slot_of(handle);
    if (!index) return nullptr;
    --used_;
    return std::move(slots_[*index].file);
}

std::vector<std::unique_ptr<OpenFile>> HandleTable::drain() {
    std::vector<std::unique_ptr<OpenFile>> out;
    for (auto& slot : slots_)
        if (slot.file) out.push_back(std::move(slot.file));
    used_ = 0;
    return out;
}

}  // namespace dropgate::gateway
