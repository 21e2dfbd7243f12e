#include "proc.hpp"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <initializer_list>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dropgate/base/dir.hpp"

namespace dropgate::fs {

namespace {

constexpr unsigned long kPfExiting = 0x00000004;  // include/linux/sched.h

// Fields of /proc/<pid>/stat after the command name, which may itself contain spaces and ')'.
std::vector<std::string> stat_fields(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> fields;
    auto close = text.rfind(')');
    if (close == std::string::npos) return fields;
    std::istringstream rest(text.substr(close + 1));
    std::string field;
    while (rest >> field) fields.push_back(field);
    return fields;  // fields[0] is field 3 (state)
}

// Several "Key:\tvalue" lines of /proc/<pid>/status in one read (values left empty if absent).
void status_values(pid_t pid, std::initializer_list<std::pair<const char*, std::string*>> wanted) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        for (const auto& [key, value] : wanted) {
            std::string_view name(key);
            if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':') {
                auto start = line.find_first_not_of(" \t", name.size() + 1);
                *value = start == std::string::npos ? std::string() : line.substr(start);
            }
        }
}

std::string status_value(pid_t pid, const char* key) {
    std::string value;
    status_values(pid, {{key, &value}});
    return value;
}

bool has_sigkill(const std::string& mask_hex) {
    if (mask_hex.empty()) return false;
    unsigned long long mask = std::stoull(mask_hex, nullptr, 16);
    return mask & (1ull << (SIGKILL - 1));
}

}  // namespace

pid_t thread_group_of(pid_t pid) {
    if (pid <= 0) return pid;
    auto tgid = status_value(pid, "Tgid");
    try {
        return tgid.empty() ? pid : static_cast<pid_t>(std::stol(tgid));
    } catch (const std::exception&) {
        return pid;
    }
}

bool exiting_on_signal(pid_t pid) {
    if (pid <= 0) return false;
    try {
        auto fields = stat_fields(pid);
        if (fields.size() >= 50) {
            unsigned long flags = std::stoul(fields[6]);  // field 9
            long exit_code = std::stol(fields[49]);       // field 52
            if ((flags & kPfExiting) && (exit_code & 0x7f) != 0) return true;
        }
        std::string thread_pending, shared_pending;
        status_values(pid, {{"SigPnd", &thread_pending}, {"ShdPnd", &shared_pending}});
        return has_sigkill(thread_pending) || has_sigkill(shared_pending);
    } catch (const std::exception&) {
        return false;
    }
}

bool holds_open(pid_t pid, const std::string& path) {
    if (pid <= 0) return false;
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    Dir fds(::opendir(dir.c_str()));
    if (!fds) return false;
    char target[PATH_MAX];
    while (dirent* entry = ::readdir(fds.get())) {
        if (entry->d_name[0] == '.') continue;
        // readlink of the magic link prints the dentry's path: no request reaches FUSE.
        ssize_t n = ::readlinkat(::dirfd(fds.get()), entry->d_name, target, sizeof target);
        if (n == ssize_t(path.size()) && path.compare(0, path.size(), target, std::size_t(n)) == 0)
            return true;
    }
    return false;
}

bool process_alive(pid_t pid) {
    if (pid <= 0) return false;
    auto fields = stat_fields(pid);
    return !fields.empty() && fields[0] != "Z" && fields[0] != "X";
}

}  // namespace dropgate::fs
