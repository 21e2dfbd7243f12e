// The `<bundle>.d/` views (spec §13): beside every bundle a read-only directory of its members,
// from the bundle's tree (the index's member rows) and read through its seek index. Symlinks
// are shown as symlinks and never resolved here; nothing in a view can be written.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dropgate/base/log.hpp"
#include "store_fs.hpp"
#include "xattrs.hpp"

namespace dropgate::fs {

namespace {

using Tree = inside::BundleTree;

// "acme/x.tgz" for the view inode "acme/x.tgz.d".
std::string bundle_of_view(const Inode& view) {
    std::string rel = view.rel();
    return rel.substr(0, rel.size() - contract::kViewSuffix.size());
}

mode_t type_bits(Tree::Type type) {
    switch (type) {
        case Tree::Type::directory:
            return S_IFDIR;
        case Tree::Type::symlink:
            return S_IFLNK;
        default:
            return S_IFREG;
    }
}

void set_times(struct stat* st, std::int64_t mtime) {
    st->st_mtim.tv_sec = st->st_atim.tv_sec = st->st_ctim.tv_sec = static_cast<time_t>(mtime);
}

}  // namespace

Inode* StoreFs::view_beside_bundle(Inode& parent, const std::string& name) {
    auto bundle = names_.viewed_bundle(name);
    if (!bundle || parent.kind != Inode::Kind::directory) return nullptr;
    struct stat st {};
    const std::string bundle_rel = child_rel(parent, std::string(*bundle));
    if (::fstatat(backing_.bundles(), bundle_rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode))
        return nullptr;
    return &intern(Inode::Kind::view, child_rel(parent, name));  // table_mutex_ held
}

Inode& StoreFs::intern_member(const std::shared_ptr<BundleView>& view, std::uint32_t node) {
    Inode*& slot = view->inodes[node];  // table_mutex_ held
    if (slot) return *slot;
    auto inode = std::make_unique<Inode>();
    inode->kind = Inode::Kind::member;
    inode->view = view;
    inode->node = node;
    slot = inode.get();
    inodes_.emplace(slot, std::move(inode));
    return *slot;
}

std::shared_ptr<BundleView> StoreFs::view_of(const Inode& inode, std::uint32_t& node) {
    node = inode.node;
    if (inode.kind == Inode::Kind::member) return inode.view;
    node = Tree::kRoot;
    try {
        return views_.get(bundle_of_view(inode));
    } catch (const std::exception& e) {
        log::error("view_failed", {{"bundle", bundle_of_view(inode)}, {"error", e.what()}});
        return nullptr;
    }
}

int StoreFs::lookup_in_view(Inode& parent, const std::string& name, Inode*& found) {
    std::uint32_t dir = 0;
    auto view = view_of(parent, dir);
    if (!view) return ENOENT;
    auto child = view->tree.child(dir, name);
    if (!child) return ENOENT;
    std::lock_guard lock(table_mutex_);
    found = &intern_member(view, *child);
    return 0;
}

int StoreFs::stat_view_inode(Inode& inode, struct stat* st) {
    st->st_ino = reinterpret_cast<ino_t>(&inode);
    st->st_uid = ::getuid();
    st->st_gid = ::getgid();
    st->st_blksize = 128 << 10;
    if (inode.kind == Inode::Kind::view) {
        struct stat bundle {};
        if (::fstatat(backing_.bundles(), bundle_of_view(inode).c_str(), &bundle,
                      AT_SYMLINK_NOFOLLOW) != 0)
            return errno;
        st->st_mode = S_IFDIR | 0555;
        st->st_nlink = 2;
        st->st_mtim = st->st_atim = st->st_ctim = bundle.st_mtim;
        return 0;
    }
    const Tree& tree = inode.view->tree;
    const Tree::Node& node = tree.node(inode.node);
    // Read-only as the view is: the archive's permission bits without the write and set-id ones.
    st->st_mode = type_bits(node.type) | (node.mode & 0555);
    st->st_nlink = node.type == Tree::Type::directory ? 2 : 1;
    if (node.type == Tree::Type::symlink) {
        st->st_mode = S_IFLNK | 0777;
        st->st_size = node.link_size;
    } else if (node.type == Tree::Type::file) {
        st->st_size = static_cast<off_t>(node.size);
        st->st_blocks = static_cast<blkcnt_t>((node.size + 511) / 512);
    }
    set_times(st, node.mtime);
    return 0;
}

int StoreFs::list_view(const Inode& inode, DirListing& listing) {
    std::uint32_t dir = 0;
    auto view = view_of(inode, dir);
    if (!view) return ENOENT;
    const Tree& tree = view->tree;
    const auto count = tree.node(dir).children;
    listing.entries.reserve(listing.entries.size() + count);
    for (std::uint32_t i = 0; i < count; ++i) {
        std::uint32_t child = tree.child_at(dir, i);
        listing.entries.push_back(
            {std::string(tree.name(child)), type_bits(tree.node(child).type), 1});
    }
    return 0;
}

int StoreFs::open_member(Inode& inode, bool writing, Handle& handle) {
    if (writing) return settings_.read_only ? EROFS : EACCES;
    if (inode.kind != Inode::Kind::member) return EISDIR;
    const Tree::Node& node = inode.view->tree.node(inode.node);
    if (node.type == Tree::Type::directory) return EISDIR;
    if (node.type != Tree::Type::file) return ELOOP;  // a symlink is never opened here
    try {
        handle.member = views_.open(inode.view, inode.node);
        return 0;
    } catch (const std::exception& e) {
        log::error("member_open_failed", {{"bundle", inode.view->bundle},
                                          {"member", inode.view->tree.path_of(inode.node)},
                                          {"error", e.what()}});
        return EIO;
    }
}

void StoreFs::read_member(fuse_req_t req, Handle& handle, size_t size, off_t offset) {
    std::vector<char> buffer(size);
    try {
        std::size_t n = handle.member->read(static_cast<std::uint64_t>(offset), buffer);
        fuse_reply_buf(req, buffer.data(), n);
    } catch (const std::exception& e) {
        log::error("member_read_failed", {{"bundle", handle.inode->view->bundle},
                                          {"offset", static_cast<std::int64_t>(offset)},
                                          {"error", e.what()}});
        fuse_reply_err(req, EIO);
    }
}

void StoreFs::readlink(fuse_req_t req, fuse_ino_t ino) {
    Inode& inode = *inode_of(ino);
    if (inode.kind != Inode::Kind::member) return (void)fuse_reply_err(req, EINVAL);
    const Tree& tree = inode.view->tree;
    if (tree.node(inode.node).type != Tree::Type::symlink) return (void)fuse_reply_err(req, EINVAL);
    fuse_reply_readlink(req, std::string(tree.link_target(inode.node)).c_str());
}

}  // namespace dropgate::fs
