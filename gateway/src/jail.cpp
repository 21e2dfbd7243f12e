#include "jail.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <vector>

namespace dropgate::gateway {

std::string Jail::normalize(std::string_view client_path) {
    std::vector<std::string_view> parts;
    std::size_t pos = 0;
    while (pos <= client_path.size()) {
        std::size_t slash = client_path.find('/', pos);
        if (slash == std::string_view::npos) slash = client_path.size();
        std::string_view part = client_path.substr(pos, slash - pos);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        pos = slash + 1;
    }
    std::string out;
    for (auto part : parts) {
        out += '/';
        out += part;
    }
    return out.empty() ? "/" : out;
}

namespace {

std::string relative(const std::string& path) {
    return path.size() <= 1 ? std::string(".") : path.substr(1);
}

}  // namespace

UniqueFd Jail::open(const std::string& path, int flags, mode_t mode) const {
    Opened opened = try_open(path, flags, mode);
    if (!opened.fd) throw std::system_error(opened.error, std::generic_category(), path);
    return std::move(opened.fd);
}

bool Jail::through_hidden(const std::string& path) const {
    if (!hidden_) return false;
    for (std::size_t at = 1; at < path.size();) {
        std::size_t slash = std::min(path.find('/', at), path.size());
        if (hidden_(std::string_view(path).substr(at, slash - at))) return true;
        at = slash + 1;
    }
    return false;
}

Jail::Opened Jail::try_open(const std::string& path, int flags, mode_t mode) const {
    if (through_hidden(path)) return {UniqueFd(), ENOENT};
    open_how how{};
    how.flags = std::uint64_t(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    for (;;) {
        long fd = ::syscall(SYS_openat2, root_.get(), relative(path).c_str(), &how, sizeof how);
        if (fd >= 0) return {UniqueFd(int(fd)), 0};
        if (errno == EAGAIN || errno == EINTR) continue;  // RESOLVE_IN_ROOT raced a rename
        return {UniqueFd(), errno};
    }
}

Jail::Parent Jail::parent(const std::string& path) const {
    if (path == "/") return {open("/", O_PATH | O_DIRECTORY), "."};
    std::size_t slash = path.rfind('/');
    std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    return {open(dir, O_PATH | O_DIRECTORY), path.substr(slash + 1)};
}

}  // namespace dropgate::gateway
