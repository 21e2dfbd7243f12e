#include "attrs.hpp"

#include <ctime>

namespace dropgate::gateway {

void write_attrs(sftp::Writer& out, const struct stat& st) {
    out.u32(sftp::ATTR_SIZE | sftp::ATTR_UIDGID | sftp::ATTR_PERMISSIONS | sftp::ATTR_ACMODTIME);
    out.u64(std::uint64_t(st.st_size));
    out.u32(st.st_uid);
    out.u32(st.st_gid);
    out.u32(st.st_mode);
    out.u32(std::uint32_t(st.st_atim.tv_sec));
    out.u32(std::uint32_t(st.st_mtim.tv_sec));
}

void skip_attrs(sftp::Reader& in) {
    std::uint32_t flags = in.u32();
    if (flags & sftp::ATTR_SIZE) in.u64();
    if (flags & sftp::ATTR_UIDGID) in.u64();
    if (flags & sftp::ATTR_PERMISSIONS) in.u32();
    if (flags & sftp::ATTR_ACMODTIME) in.u64();
    if (flags & sftp::ATTR_EXTENDED) {
        std::uint32_t count = in.u32();
        for (std::uint32_t i = 0; i < count; ++i) {
            in.bytes();
            in.bytes();
        }
    }
}

namespace {

char type_char(mode_t mode) {
    switch (mode & S_IFMT) {
        case S_IFDIR:
            return 'd';
        case S_IFLNK:
            return 'l';
        case S_IFCHR:
            return 'c';
        case S_IFBLK:
            return 'b';
        case S_IFIFO:
            return 'p';
        case S_IFSOCK:
            return 's';
        default:
            return '-';
    }
}

}  // namespace

std::string longname(std::string_view name, const struct stat& st) {
    char mode[11] = {type_char(st.st_mode)};
    const char* rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i) mode[1 + i] = (st.st_mode & (0400 >> i)) ? rwx[i] : '-';
    mode[10] = '\0';

    // Like ls: "Mon dd HH:MM" within six months, "Mon dd  YYYY" otherwise.
    char when[32];
    std::time_t mtime = st.st_mtim.tv_sec;
    std::time_t now = std::time(nullptr);
    struct tm tm {};
    gmtime_r(&mtime, &tm);
    bool recent = mtime <= now && now - mtime < 182 * 24 * 3600;
    std::strftime(when, sizeof when, recent ? "%b %e %H:%M" : "%b %e  %Y", &tm);

    char line[160];
    std::snprintf(line, sizeof line, "%s %4lu %-8u %-8u %12lld %s ", mode,
                  static_cast<unsigned long>(st.st_nlink), st.st_uid, st.st_gid,
                  static_cast<long long>(st.st_size), when);
    return std::string(line) + std::string(name);
}

}  // namespace dropgate::gateway
