#include "bundle_views.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <system_error>

#include "dropgate/base/log.hpp"
#include "dropgate/contract/layout.hpp"
#include "dropgate/contract/states.hpp"
#include "dropgate/inside/seek_store.hpp"
#include "store_metrics.hpp"

namespace dropgate::fs {

namespace {

// Trees and seek indexes kept for views nobody holds open: enough for a support engineer's
// working set of bundles, small beside the page cache.
constexpr std::size_t kBudget = 256u << 20;
constexpr std::size_t kRecentKept = 4u << 20;   // bytes a member handle keeps behind its reads
constexpr std::uint64_t kGapFilled = 4u << 20;  // a read this far ahead inflates the gap too

std::int64_t seconds_of(index::Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

MemberFile::MemberFile(std::shared_ptr<BundleView> view,
                       std::shared_ptr<const inside::SeekIndex> seek, UniqueFd fd,
                       inside::SeekReader::ReadAt source, const inside::BundleTree::Node& node)
    : view_(std::move(view)),
      seek_(std::move(seek)),
      fd_(std::move(fd)),
      reader_(std::move(source), *seek_),
      data_(reader_, node.header_offset, node.data_offset, node.size) {}

std::size_t MemberFile::read(std::uint64_t offset, std::span<char> out) {
    std::lock_guard lock(mutex_);
    const std::uint64_t end = std::min<std::uint64_t>(offset + out.size(), data_.size());
    if (offset >= end) return 0;
    std::uint64_t recent_end = recent_at_ + recent_.size();
    if (offset < recent_at_ || offset > recent_end + kGapFilled) {
        recent_.clear();  // elsewhere: start again from the nearest seek point
        recent_at_ = recent_end = offset;
    }
    const std::uint64_t inflated_before = reader_.inflated();
    if (end > recent_end) {
        const std::size_t had = recent_.size();
        recent_.resize(had + static_cast<std::size_t>(end - recent_end));
        std::size_t got = data_.read(recent_end, {recent_.data() + had, recent_.size() - had});
        recent_.resize(had + got);
    }
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>(end, recent_at_ + recent_.size()) - offset);
    std::memcpy(out.data(), recent_.data() + (offset - recent_at_), n);
    if (recent_.size() > 2 * kRecentKept) {  // keep the last kRecentKept bytes
        const std::size_t drop = recent_.size() - kRecentKept;
        recent_.erase(0, drop);
        recent_at_ += drop;
    }
    store_metrics::view_read(n, reader_.inflated() - inflated_before);
    return n;
}

BundleViews::BundleViews(const config::Config& config, RemoteBundles* remote)
    : config_(config), remote_(remote) {}

std::shared_ptr<BundleView> BundleViews::get(const std::string& bundle) {
    std::lock_guard lock(mutex_);
    for (auto it = recent_.begin(); it != recent_.end(); ++it) {
        if ((*it)->bundle != bundle) continue;
        recent_.splice(recent_.begin(), recent_, it);
        return recent_.front();
    }
    if (!index_) index_.emplace(index::Index::open(config_.index.database, /*read_only=*/true));
    const auto slash = bundle.find('/');
    auto row = index_->find_accepted(bundle.substr(0, slash), bundle.substr(slash + 1));
    if (!row) return nullptr;
    auto view = std::make_shared<BundleView>(
        bundle, *row,
        inside::BundleTree([&](const auto& add) { index_->members(row->id, add); },
                           seconds_of(row->finished_at)));
    bytes_ += view->tree.memory_bytes();
    recent_.push_front(view);
    trim();
    return view;
}

void BundleViews::trim() {
    while (recent_.size() > 1 && bytes_ > kBudget) {
        const auto& oldest = recent_.back();
        bytes_ -= oldest->tree.memory_bytes();
        if (oldest->seek) bytes_ -= oldest->seek->resident_bytes();
        recent_.pop_back();
    }
}

std::shared_ptr<const inside::SeekIndex> BundleViews::seek_of(BundleView& view, int fd) {
    std::lock_guard lock(view.seek_mutex);
    if (view.seek) return view.seek;
    const auto file = contract::Layout(config_.store.root).seek_index(view.row.sha256);
    if (fd >= 0) {
        view.seek = std::make_shared<inside::SeekIndex>(inside::seek_index_for(file, fd));
    } else if (auto stored = inside::load_seek_index(file)) {
        view.seek = std::make_shared<inside::SeekIndex>(std::move(*stored));
    } else {
        throw std::runtime_error("no seek index for " + view.bundle +
                                 ", whose bytes are only in object storage");
    }
    std::lock_guard budget(mutex_);
    bytes_ += view.seek->resident_bytes();
    trim();
    return view.seek;
}

std::unique_ptr<MemberFile> BundleViews::open(const std::shared_ptr<BundleView>& view,
                                              std::uint32_t node) {
    const auto path =
        contract::Layout(config_.store.root).bundle(view->row.customer, view->row.path);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0)
        throw std::system_error(errno, std::generic_category(), path.string());
    if (!contract::is_stub(st.st_mode)) {
        auto seek = seek_of(*view, fd.get());
        auto source = inside::SeekReader::pread_of(fd.get());
        return std::make_unique<MemberFile>(view, seek, std::move(fd), std::move(source),
                                            view->tree.node(node));
    }
    auto object = remote_ ? remote_->object_for(view->bundle) : std::nullopt;
    if (!object) throw std::runtime_error(view->bundle + " is a stub without a replica");
    auto seek = seek_of(*view, -1);
    RemoteBundles* remote = remote_;
    auto source = [remote, object = *object](std::uint64_t offset, std::span<char> out) {
        return remote->read(object, offset, out);
    };
    return std::make_unique<MemberFile>(view, seek, UniqueFd(), std::move(source),
                                        view->tree.node(node));
}

}  // namespace dropgate::fs
