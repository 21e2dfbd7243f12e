// A member of a bundle's view (spec §13) over HTTPS, for support: the store's `<bundle>.d/` tree
// read through the mount, resolved beneath it without following any symlink (a member that is a
// symlink, or a path through one, is simply not there).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>

#include "handlers.hpp"
#include "replies.hpp"
#include "store_upload.hpp"

namespace dropgate::http {

namespace {

UniqueFd open_beneath(const std::filesystem::path& root, const std::string& rel) {
    UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return {};
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, dir.get(), rel.c_str(), &how, sizeof how);
    return UniqueFd(fd < 0 ? -1 : static_cast<int>(fd));
}

}  // namespace

bool in_view(const contract::NamePolicy& names, const std::string& path) {
    for (std::size_t at = 0; at < path.size();) {
        std::size_t slash = std::min(path.find('/', at), path.size());
        if (slash < path.size() &&
            names.viewed_bundle(std::string_view(path).substr(at, slash - at)))
            return true;
        at = slash + 1;
    }
    return false;
}

awaitable<Reply> download_member(Call& call, const std::string& customer, const std::string& path) {
    struct Opened {
        UniqueFd fd;
        std::uint64_t size = 0;
        std::optional<BundleFacts> facts;
    };
    auto opened = co_await on_files(call.context, [&] {
        Opened result;
        const std::size_t view_end = path.find(std::string(contract::kViewSuffix) + "/");
        result.facts = bundle_facts(call.context.config, customer, path.substr(0, view_end));
        struct stat st {};
        if (!result.facts) return result;
        result.fd = open_beneath(call.context.config.store.mount, customer + "/" + path);
        if (result.fd && (::fstat(result.fd.get(), &st) != 0 || !S_ISREG(st.st_mode)))
            result.fd.reset();
        result.size = static_cast<std::uint64_t>(st.st_size);
        return result;
    });
    if (!opened.facts || !opened.fd) co_return text_reply(Status::not_found, "no such member");
    // Bundles never change, so a member is its bundle's SHA-256 and its path.
    const std::string etag = "\"" + opened.facts->sha256 + "/" + encode_path(path) + "\"";
    Reply head{Status::ok, {}, {}, "application/octet-stream"};
    head.header("ETag", etag).header("Accept-Ranges", "bytes");
    head.header("Content-Disposition",
                "attachment; filename=\"" + std::filesystem::path(path).filename().string() + "\"");
    co_return co_await send_ranged(call, head, opened.fd, opened.size, etag);
}

}  // namespace dropgate::http
