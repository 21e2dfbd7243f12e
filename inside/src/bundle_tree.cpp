// Building the extraction tree in archive order, the way GNU tar leaves it: later members
// replace earlier ones of the same path, except that a directory with entries stays (tar cannot
// replace it); a member below something that is not a directory is not shown (tar would go
// through a symlink there, which is exactly what the view must never do).
#include "dropgate/inside/bundle_tree.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

namespace dropgate::inside {

namespace {

// The path's components, or nothing for one that is empty or climbs with "..".
std::optional<std::vector<std::string_view>> components(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        auto slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        if (part.empty() || part == ".") continue;
        if (part == "..") return std::nullopt;
        parts.push_back(part);
    }
    if (parts.empty()) return std::nullopt;
    return parts;
}

}  // namespace

class BundleTree::Builder {
  public:
    Builder(BundleTree& tree, std::int64_t implied_mtime) : tree_(tree), implied_(implied_mtime) {
        Node root;
        root.mtime = implied_mtime;
        tree_.nodes_.push_back(root);
        by_path_.emplace("", kRoot);
    }

    void add(const validator::Member& m) {
        auto parts = components(m.path);
        if (!parts) return;
        std::uint32_t parent = kRoot;
        std::string path;
        for (std::size_t i = 0; i + 1 < parts->size(); ++i) {
            path += path.empty() ? "" : "/";
            path += (*parts)[i];
            auto dir = directory(parent, path, (*parts)[i]);
            if (!dir) return;
            parent = *dir;
        }
        path += path.empty() ? "" : "/";
        path += parts->back();
        place(m, parent, path, parts->back());
    }

  private:
    // The directory at `path`, made if the archive has not listed it; none if something else
    // is there.
    std::optional<std::uint32_t> directory(std::uint32_t parent, const std::string& path,
                                           std::string_view name) {
        auto found = by_path_.find(path);
        if (found != by_path_.end()) {
            if (tree_.nodes_[found->second].type != Type::directory) return std::nullopt;
            return found->second;
        }
        Node dir;
        dir.parent = parent;
        dir.mtime = implied_;
        return insert(path, name, dir);
    }

    std::uint32_t insert(const std::string& path, std::string_view name, Node node) {
        node.name_at = tree_.add_name(name);
        node.name_size = static_cast<std::uint32_t>(name.size());
        auto id = static_cast<std::uint32_t>(tree_.nodes_.size());
        tree_.nodes_.push_back(node);
        by_path_.emplace(path, id);
        ++entries_[node.parent];
        return id;
    }

    void place(const validator::Member& m, std::uint32_t parent, const std::string& path,
               std::string_view name) {
        Node node;
        node.parent = parent;
        node.mode = m.mode & 07777;
        node.mtime = m.mtime;
        switch (m.type) {
            case '5':
                node.type = Type::directory;
                break;
            case '2':
                node.type = Type::symlink;
                node.link_at = tree_.add_name(m.linkname);
                node.link_size = static_cast<std::uint32_t>(m.linkname.size());
                break;
            case '1': {  // the file it names, as it is at this point of the archive
                auto target = components(m.linkname);
                if (!target) return;
                std::string target_path;
                for (auto part : *target)
                    target_path.append(target_path.empty() ? "" : "/").append(part);
                auto found = by_path_.find(target_path);
                if (found == by_path_.end() || tree_.nodes_[found->second].type != Type::file)
                    return;
                const Node& file = tree_.nodes_[found->second];
                node = file;
                node.parent = parent;
                node.occurrences = 0;
                break;
            }
            case '3':
            case '4':
            case '6':
            case 'V':
                return;  // devices, fifos and volume labels are not shown
            default:
                node.type = Type::file;
                node.size = m.size;
                node.header_offset = m.header_offset;
                node.data_offset = m.data_offset;
        }
        auto found = by_path_.find(path);
        if (found == by_path_.end()) {
            node.occurrences = 1;
            insert(path, name, node);
            return;
        }
        Node& old = tree_.nodes_[found->second];
        ++old.occurrences;
        if (old.type == Type::directory && entries_[found->second] > 0 &&
            node.type != Type::directory)
            return;  // tar cannot replace a directory that has entries
        node.name_at = old.name_at;
        node.name_size = old.name_size;
        node.occurrences = old.occurrences;
        old = node;
    }

    BundleTree& tree_;
    std::int64_t implied_;
    std::unordered_map<std::string, std::uint32_t> by_path_;
    std::unordered_map<std::uint32_t, std::uint32_t> entries_;
};

BundleTree::BundleTree(
    const std::function<void(const std::function<void(const validator::Member&)>&)>& each_member,
    std::int64_t implied_mtime) {
    {
        Builder builder(*this, implied_mtime);
        each_member([&](const validator::Member& m) { builder.add(m); });
    }
    // Every directory's entries side by side, by name: lookups are a binary search.
    child_ids_.reserve(nodes_.size() - 1);
    for (std::uint32_t id = 1; id < nodes_.size(); ++id) child_ids_.push_back(id);
    std::sort(child_ids_.begin(), child_ids_.end(), [&](std::uint32_t a, std::uint32_t b) {
        if (nodes_[a].parent != nodes_[b].parent) return nodes_[a].parent < nodes_[b].parent;
        return name(a) < name(b);
    });
    for (std::uint32_t i = 0; i < child_ids_.size(); ++i) {
        Node& dir = nodes_[nodes_[child_ids_[i]].parent];
        if (dir.children++ == 0) dir.first_child = i;
    }
    std::string(pool_).swap(pool_);
    nodes_.shrink_to_fit();
}

std::uint32_t BundleTree::add_name(std::string_view name) {
    if (pool_.size() + name.size() > UINT32_MAX)
        throw std::length_error("the bundle's member names exceed 4 GiB");
    auto at = static_cast<std::uint32_t>(pool_.size());
    pool_.append(name);
    return at;
}

std::string_view BundleTree::name(std::uint32_t id) const {
    const Node& n = nodes_[id];
    return std::string_view(pool_).substr(n.name_at, n.name_size);
}

std::string_view BundleTree::link_target(std::uint32_t id) const {
    const Node& n = nodes_[id];
    return std::string_view(pool_).substr(n.link_at, n.link_size);
}

std::optional<std::uint32_t> BundleTree::child(std::uint32_t dir, std::string_view wanted) const {
    const Node& d = nodes_[dir];
    if (d.type != Type::directory) return std::nullopt;
    auto begin = child_ids_.begin() + d.first_child, end = begin + d.children;
    auto it = std::lower_bound(begin, end, wanted,
                               [&](std::uint32_t id, std::string_view n) { return name(id) < n; });
    if (it == end || name(*it) != wanted) return std::nullopt;
    return *it;
}

std::optional<std::uint32_t> BundleTree::find(std::string_view path) const {
    std::uint32_t at = kRoot;
    while (!path.empty()) {
        auto slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        if (part.empty()) continue;
        auto next = child(at, part);
        if (!next) return std::nullopt;
        at = *next;
    }
    return at;
}

std::string BundleTree::path_of(std::uint32_t id) const {
    std::string path;
    for (; id != kRoot; id = nodes_[id].parent)
        path.insert(0, std::string(path.empty() ? "" : "/").insert(0, name(id)));
    return path;
}

std::size_t BundleTree::memory_bytes() const {
    return nodes_.capacity() * sizeof(Node) + child_ids_.capacity() * sizeof(std::uint32_t) +
           pool_.capacity();
}

}  // namespace dropgate::inside
