// The namespace side of StoreFs: inode table, lookup, attributes, directories, xattrs.
#include "store_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dropgate/base/dir.hpp"
#include "dropgate/contract/names.hpp"
#include "dropgate/contract/states.hpp"
#include "proc.hpp"
#include "xattrs.hpp"

namespace dropgate::fs {

namespace {

constexpr double kImmutableTimeout = 86400.0;

// How an upload in staging shows: writable by its writer; a partial is incomplete — writable to
// resume, never readable (`-w-------`); a held one is complete but not yet a bundle.
mode_t mode_of(Upload::State state) {
    switch (state) {
        case Upload::State::writing:
            return 0644;
        case Upload::State::partial:
            return contract::kPartialMode;
        default:
            return 0444;
    }
}

const char* state_name(Upload::State state) {
    switch (state) {
        case Upload::State::writing:
            return "uploading";
        case Upload::State::partial:
            return "partial";
        case Upload::State::held:
            return "held";
        default:
            return "ended";
    }
}

}  // namespace

StoreFs::StoreFs(const config::Config& config, const MountSettings& settings)
    : config_(config),
      settings_(settings),
      names_(config.store),
      backing_(config.store, config.customers(), settings.read_only),
      judge_(config, settings.read_only),
      remote_(RemoteBundles::create(config, settings.read_only)),
      seek_indexer_(settings.read_only || !config.store.seek_index
                        ? nullptr
                        : std::make_unique<SeekIndexer>(config)),
      views_(config, remote_.get()),
      quotas_(config) {
    root_.kind = Inode::Kind::root;
    root_.nlookup = 1;
}

void StoreFs::start_background() {
    if (seek_indexer_) seek_indexer_->start();
}

Inode* StoreFs::inode_of(fuse_ino_t ino) {
    return ino == FUSE_ROOT_ID ? &root_ : reinterpret_cast<Inode*>(ino);
}

double StoreFs::timeout_for(const Inode& inode) const {
    if (settings_.read_only) return kImmutableTimeout;
    switch (inode.kind) {
        case Inode::Kind::bundle:
        case Inode::Kind::member:
            return kImmutableTimeout;
        case Inode::Kind::upload:
            return 0.0;  // visible to its writer only: always ask again
        default:
            return 1.0;  // directories gain entries
    }
}

std::string StoreFs::child_rel(const Inode& parent, const std::string& name) const {
    std::string dir = parent.rel();
    return dir.empty() ? name : dir + "/" + name;
}

Inode& StoreFs::intern(Inode::Kind kind, const std::string& rel) {
    auto found = by_path_.find(rel);
    if (found != by_path_.end() && found->second->kind == kind) return *found->second;
    auto inode = std::make_unique<Inode>();
    inode->kind = kind;
    inode->set_rel(rel);
    Inode* raw = inode.get();
    inodes_.emplace(raw, std::move(inode));
    by_path_[rel] = raw;
    return *raw;
}

bool StoreFs::is_writer(fuse_req_t req, const Upload& upload) const {
    const pid_t pid = fuse_req_ctx(req)->pid, writer = upload.writer.load();
    return pid == 0 || pid == writer || thread_group_of(pid) == writer;
}

Inode* StoreFs::visible_upload(fuse_req_t req, const std::string& rel) {
    for (auto& [upload, inode] : live_) {
        if (inode->rel() != rel) continue;
        auto state = upload->state.load();
        // Held and partial uploads are there for whoever reaches the name (the customer owns
        // the directory); one being written only for its writer.
        if (state == Upload::State::held || state == Upload::State::partial) return inode;
        if (state == Upload::State::writing && is_writer(req, *upload)) return inode;
    }
    return nullptr;
}

int StoreFs::stat_inode(Inode& inode, struct stat* st) {
    std::memset(st, 0, sizeof *st);
    switch (inode.kind) {
        case Inode::Kind::root:
            if (::fstat(backing_.bundles(), st) != 0) return errno;
            st->st_ino = FUSE_ROOT_ID;
            st->st_mode = S_IFDIR | 0755;
            return 0;
        case Inode::Kind::view:
        case Inode::Kind::member:
            return stat_view_inode(inode, st);
        case Inode::Kind::upload:
            if (auto upload = inode.upload(); upload) {
                if (::fstat(upload->fd(), st) != 0) return errno;
                st->st_mode = S_IFREG | mode_of(upload->state.load());
                return 0;
            }
            [[fallthrough]];  // published meanwhile: the inode became a bundle
        default:
            if (::fstatat(backing_.bundles(), inode.rel().c_str(), st, AT_SYMLINK_NOFOLLOW) != 0)
                return errno;
            if (S_ISREG(st->st_mode))
                st->st_mode = S_IFREG | 0444;
            else if (S_ISDIR(st->st_mode))
                st->st_mode = S_IFDIR | (settings_.read_only ? 0555 : 0755);
            else
                return ENOENT;  // nothing but files and directories is shown
            return 0;
    }
}

void StoreFs::reply_entry(fuse_req_t req, Inode& inode, const struct stat& st) {
    fuse_entry_param entry{};
    entry.ino = reinterpret_cast<fuse_ino_t>(&inode);
    entry.attr = st;
    entry.attr_timeout = entry.entry_timeout = timeout_for(inode);
    {
        std::lock_guard lock(table_mutex_);
        ++inode.nlookup;
    }
    if (fuse_reply_entry(req, &entry) != 0) forget(entry.ino, 1);
}

void StoreFs::lookup(fuse_req_t req, fuse_ino_t parent_ino, const char* name) {
    Inode& parent = *inode_of(parent_ino);
    Inode* inode = nullptr;
    if (in_view(parent)) {
        if (int error = lookup_in_view(parent, name, inode))
            return (void)fuse_reply_err(req, error);
        struct stat st {};
        if (int error = stat_inode(*inode, &st)) return (void)fuse_reply_err(req, error);
        return reply_entry(req, *inode, st);
    }
    std::string rel = child_rel(parent, name);
    {
        std::lock_guard lock(table_mutex_);
        if (parent.kind == Inode::Kind::root && !settings_.read_only) {
            auto customers = config_.customers();
            if (std::find(customers.begin(), customers.end(), name) == customers.end())
                return (void)fuse_reply_err(req, ENOENT);
        }
        if (!settings_.read_only) inode = visible_upload(req, rel);
        if (!inode) inode = view_beside_bundle(parent, name);
        if (!inode && contract::is_valid_component(name)) {
            struct stat st {};
            if (::fstatat(backing_.bundles(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISDIR(st.st_mode))
                    inode = &intern(Inode::Kind::directory, rel);
                else if (S_ISREG(st.st_mode))
                    inode = &intern(Inode::Kind::bundle, rel);
            }
        }
    }
    if (!inode) return (void)fuse_reply_err(req, ENOENT);
    struct stat st {};
    if (int error = stat_inode(*inode, &st)) return (void)fuse_reply_err(req, error);
    reply_entry(req, *inode, st);
}

void StoreFs::forget(fuse_ino_t ino, std::uint64_t nlookup) {
    Inode* inode = inode_of(ino);
    if (inode == &root_) return;
    std::lock_guard lock(table_mutex_);
    inode->nlookup -= std::min(inode->nlookup, nlookup);
    if (inode->nlookup > 0) return;
    if (auto upload = inode->upload(); upload && live_.count(upload.get()))
        return;  // still listed in staging
    if (inode->kind == Inode::Kind::member) {
        inode->view->inodes.erase(inode->node);
        inodes_.erase(inode);
        return;
    }
    auto path = by_path_.find(inode->rel());
    if (path != by_path_.end() && path->second == inode) by_path_.erase(path);
    inodes_.erase(inode);
}

void StoreFs::getattr(fuse_req_t req, fuse_ino_t ino) {
    Inode& inode = *inode_of(ino);
    struct stat st {};
    if (int error = stat_inode(inode, &st)) return (void)fuse_reply_err(req, error);
    fuse_reply_attr(req, &st, timeout_for(inode));
}

void StoreFs::opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Inode& inode = *inode_of(ino);
    auto listing = std::make_unique<DirListing>();
    listing->entries.push_back({".", S_IFDIR, 1});
    listing->entries.push_back({"..", S_IFDIR, 1});
    if (inode.kind == Inode::Kind::root && !settings_.read_only) {
        for (const auto& customer : config_.customers())
            listing->entries.push_back({customer, S_IFDIR, 1});
    } else if (in_view(inode)) {
        if (int error = list_view(inode, *listing)) return (void)fuse_reply_err(req, error);
    } else {
        UniqueFd fd(inode.kind == Inode::Kind::root
                        ? ::dup(backing_.bundles())
                        : ::openat(backing_.bundles(), inode.rel().c_str(),
                                   O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd) return (void)fuse_reply_err(req, errno);
        if (int error = list_backing(fd.get(), *listing)) return (void)fuse_reply_err(req, error);
        if (!settings_.read_only && inode.kind != Inode::Kind::root)
            list_uploads(req, inode.rel(), *listing);
    }
    fi->fh = listings_.add(std::move(listing));
    fuse_reply_open(req, fi);
}

// The bundles and directories in a backing directory (nothing else is ever shown).
int StoreFs::list_backing(int dir_fd, DirListing& listing) {
    Dir dir = open_dir(dir_fd);
    if (!dir) return errno;
    while (dirent* entry = ::readdir(dir.get())) {
        std::string name = entry->d_name;
        if (!contract::is_valid_component(name)) continue;
        if (entry->d_type == DT_DIR)
            listing.entries.push_back({name, S_IFDIR, entry->d_ino});
        else if (entry->d_type == DT_REG)
            listing.entries.push_back({name, S_IFREG, entry->d_ino});
        if (entry->d_type == DT_REG && names_.is_bundle(name))  // and its view beside it
            listing.entries.push_back({name + std::string(contract::kViewSuffix), S_IFDIR, 1});
    }
    return 0;
}

// The uploads in progress in directory `dir` that the requester may see.
void StoreFs::list_uploads(fuse_req_t req, const std::string& dir, DirListing& listing) {
    std::lock_guard lock(table_mutex_);
    for (auto& [upload, live] : live_) {
        const std::string path = live->rel();
        auto slash = path.rfind('/');
        if (path.substr(0, slash) != dir) continue;
        if (visible_upload(req, path) == live)
            listing.entries.push_back({path.substr(slash + 1), S_IFREG, 1});
    }
}

void StoreFs::readdir(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
    auto& listing = *reinterpret_cast<DirListing*>(fi->fh);
    std::vector<char> buffer(size);
    size_t used = 0;
    for (size_t i = static_cast<size_t>(offset); i < listing.entries.size(); ++i) {
        const auto& entry = listing.entries[i];
        struct stat st {};
        st.st_mode = entry.mode;
        st.st_ino = entry.ino;
        size_t need = fuse_add_direntry(req, buffer.data() + used, size - used, entry.name.c_str(),
                                        &st, static_cast<off_t>(i + 1));
        if (need > size - used) break;
        used += need;
    }
    fuse_reply_buf(req, buffer.data(), used);
}

void StoreFs::releasedir(fuse_req_t req, fuse_file_info* fi) {
    listings_.remove(fi->fh);
    fuse_reply_err(req, 0);
}

void StoreFs::mkdir(fuse_req_t req, fuse_ino_t parent_ino, const char* name) {
    if (settings_.read_only) return (void)fuse_reply_err(req, EROFS);
    Inode& parent = *inode_of(parent_ino);
    if (parent.kind != Inode::Kind::directory || !contract::is_valid_component(name) ||
        names_.viewed_bundle(name))  // reserved for views
        return (void)fuse_reply_err(req, EACCES);
    std::string rel = child_rel(parent, name);
    if (::mkdirat(backing_.bundles(), rel.c_str(), 0755) != 0)
        return (void)fuse_reply_err(req, errno);
    Inode* inode;
    {
        std::lock_guard lock(table_mutex_);
        inode = &intern(Inode::Kind::directory, rel);
    }
    struct stat st {};
    if (int error = stat_inode(*inode, &st)) return (void)fuse_reply_err(req, error);
    reply_entry(req, *inode, st);
}

void StoreFs::statfs(fuse_req_t req) {
    struct statvfs st {};
    if (::fstatvfs(backing_.bundles(), &st) != 0) return (void)fuse_reply_err(req, errno);
    fuse_reply_statfs(req, &st);
}

void StoreFs::refuse_write(fuse_req_t req) {
    fuse_reply_err(req, settings_.read_only ? EROFS : EACCES);
}

std::vector<std::pair<std::string, std::string>> StoreFs::attributes(Inode& inode) {
    std::vector<std::pair<std::string, std::string>> result;
    if (inode.kind == Inode::Kind::member) {
        const auto occurrences = inode.view->tree.node(inode.node).occurrences;
        if (occurrences > 1) result.emplace_back(xattr::kOccurrences, std::to_string(occurrences));
        return result;
    }
    if (inode.kind == Inode::Kind::view) return result;
    if (auto held = inode.upload(); held) {
        auto& upload = *held;
        std::lock_guard lock(upload.mutex);
        if (!upload.tag_upload_id.empty())
            result.emplace_back(xattr::kUploadId, upload.tag_upload_id);
        if (!upload.tag_remote.empty()) result.emplace_back(xattr::kRemote, upload.tag_remote);
        if (!upload.tag_client_version.empty())
            result.emplace_back(xattr::kClientVersion, upload.tag_client_version);
        result.emplace_back(xattr::kState, state_name(upload.state.load()));
        return result;
    }
    if (inode.kind == Inode::Kind::bundle || inode.kind == Inode::Kind::upload) {
        const std::string rel = inode.rel();
        result = xattr::load(backing_.bundle_path(rel));
        if (result.empty()) {
            auto slash = rel.find('/');
            if (auto row = judge_.find_accepted(rel.substr(0, slash), rel.substr(slash + 1)))
                result = xattr::bundle_attributes(*row);
        }
    }
    return result;
}

void StoreFs::getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    for (const auto& [key, value] : attributes(*inode_of(ino))) {
        if (key != name) continue;
        if (size == 0) return (void)fuse_reply_xattr(req, value.size());
        if (size < value.size()) return (void)fuse_reply_err(req, ERANGE);
        return (void)fuse_reply_buf(req, value.data(), value.size());
    }
    fuse_reply_err(req, ENODATA);
}

void StoreFs::listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
    std::string names;
    for (const auto& [key, value] : attributes(*inode_of(ino))) names.append(key).push_back('\0');
    if (size == 0) return (void)fuse_reply_xattr(req, names.size());
    if (size < names.size()) return (void)fuse_reply_err(req, ERANGE);
    fuse_reply_buf(req, names.data(), names.size());
}

}  // namespace dropgate::fs
