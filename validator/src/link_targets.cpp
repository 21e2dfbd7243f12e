#include "link_targets.hpp"

#include <functional>
#include <string_view>

#include "member_path.hpp"

namespace dropgate::validator::detail {
namespace {

constexpr std::uint64_t kDirectoryBit = 1;
constexpr std::size_t kFirstSlots = 64;

std::uint64_t key_of(const std::string& path) {
    std::uint64_t key = std::hash<std::string_view>{}(path) & ~kDirectoryBit;
    return key == 0 ? 2 : key;  // 0 marks an empty slot
}

}  // namespace

std::uint64_t* LinkTargets::find(std::uint64_t key) {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = key & mask;; i = (i + 1) & mask) {
        if (slots_[i] == 0) return nullptr;
        if ((slots_[i] & ~kDirectoryBit) == key) return &slots_[i];
    }
}

void LinkTargets::grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? kFirstSlots : old.size() * 2, 0);
    used_ = 0;
    for (std::uint64_t slot : old)
        if (slot) insert(slot & ~kDirectoryBit, slot & kDirectoryBit);
}

void LinkTargets::insert(std::uint64_t key, bool directory) {
    if (std::uint64_t* slot = find(key)) {
        *slot = key | (directory ? kDirectoryBit : 0);  // a later member replaces the path
        return;
    }
    if ((used_ + 1) * 4 > slots_.size() * 3) {
        if (slots_.size() >= kMaxSlots) {
            full_ = true;
            return;
        }
        grow();
    }
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = key & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = key | (directory ? kDirectoryBit : 0);
    ++used_;
}

std::optional<std::string> LinkTargets::add(const Member& m) {
    if (m.type == '1') {
        if (m.linkname == m.path)
            return "hard link target is the link itself: " + printable(m.path);
        const std::uint64_t* target = find(key_of(m.linkname));
        if (target && (*target & kDirectoryBit))
            return "hard link target is a directory: " + printable(m.linkname);
        if (!target && !full_)
            return "hard link target is not an earlier member: " + printable(m.linkname);
    }
    insert(key_of(m.path), m.type == '5');
    return std::nullopt;
}

}  // namespace dropgate::validator::detail
