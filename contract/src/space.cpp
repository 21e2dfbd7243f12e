#include "dropgate/contract/space.hpp"

#include <sys/statvfs.h>

namespace dropgate::contract {

namespace {

std::uint64_t available(const struct statvfs& info) {
    return std::uint64_t(info.f_bavail) * info.f_frsize;
}

}  // namespace

std::optional<std::uint64_t> free_space(int fd) {
    struct statvfs info {};
    if (::fstatvfs(fd, &info) != 0) return std::nullopt;
    return available(info);
}

std::optional<std::uint64_t> free_space(const std::filesystem::path& path) {
    struct statvfs info {};
    if (::statvfs(path.c_str(), &info) != 0) return std::nullopt;
    return available(info);
}

}  // namespace dropgate::contract
