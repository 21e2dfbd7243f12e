#include "dropgate/inside/bundle_members.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "dropgate/contract/layout.hpp"
#include "dropgate/inside/member_data.hpp"
#include "dropgate/inside/seek_store.hpp"

namespace dropgate::inside {

namespace {

UniqueFd open_bundle(const config::Config& config, const index::UploadRecord& bundle) {
    const auto local = contract::Layout(config.store.root).bundle(bundle.customer, bundle.path);
    UniqueFd fd(::open(local.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (fd && ::fstat(fd.get(), &st) == 0 && !contract::is_stub(st.st_mode)) return fd;
    // Only in object storage: the store mount reads it back.
    const auto mounted = config.store.mount / bundle.customer / bundle.path;
    UniqueFd remote(::open(mounted.c_str(), O_RDONLY | O_CLOEXEC));
    if (!remote)
        throw MemberError(bundle.customer + "/" + bundle.path + ": cannot open " +
                          (fd ? mounted.string() + " (its bytes are in object storage; is the "
                                                   "store running?)"
                              : local.string()));
    return remote;
}

}  // namespace

BundleMembers::BundleMembers(const config::Config& config, index::Index& index,
                             const index::UploadRecord& bundle)
    : name_(bundle.customer + "/" + bundle.path), fd_(open_bundle(config, bundle)) {
    seek_ =
        seek_index_for(contract::Layout(config.store.root).seek_index(bundle.sha256), fd_.get());
    index.members(bundle.id, [&](const validator::Member& m) { members_.push_back(m); });
    reader_.emplace(fd_.get(), seek_);
}

const validator::Member& BundleMembers::file(const std::string& path) const {
    std::string wanted = path;
    for (int hops = 0; hops < 8; ++hops) {
        const validator::Member* found = nullptr;
        for (const auto& m : members_)
            if (m.path == wanted) found = &m;  // the later wins, as extraction leaves it
        if (!found) throw MemberError(name_ + ": no member " + wanted);
        switch (found->type) {
            case '0':
            case '7':
                return *found;
            case '1':
                wanted = found->linkname;  // a hard link reads as the file it names
                continue;
            case '2':
                throw MemberError(name_ + ": " + wanted + " is a symlink to " + found->linkname);
            case '5':
                throw MemberError(name_ + ": " + wanted + " is a directory");
            default:
                throw MemberError(name_ + ": " + wanted + " is not a regular file");
        }
    }
    throw MemberError(name_ + ": " + path + ": too many hard links");
}

void BundleMembers::read(const validator::Member& member,
                         const std::function<void(std::span<const char>)>& sink) {
    MemberData data(*reader_, member.header_offset, member.data_offset, member.size);
    std::vector<char> buffer(1 << 20);
    for (std::uint64_t done = 0; done < member.size;) {
        std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), member.size - done));
        std::size_t got = data.read(done, {buffer.data(), want});
        if (got == 0) throw MemberError(name_ + ": " + member.path + " is cut short");
        sink({buffer.data(), got});
        done += got;
    }
}

}  // namespace dropgate::inside
