#include "durable_follower.hpp"

#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "dropgate/contract/xattrs.hpp"

namespace dropgate::fs {

void DurableFollower::request(std::uint64_t upto) {
    {
        std::lock_guard lock(mutex_);
        if (upto <= target_) return;
        target_ = upto;
    }
    if (!thread_.joinable()) thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
    wanted_.notify_one();
}

void DurableFollower::loop(std::stop_token stop) {
    while (true) {
        std::uint64_t upto;
        {
            std::unique_lock lock(mutex_);
            if (!wanted_.wait(lock, stop, [this] { return target_ > durable_.load(); })) return;
            upto = target_;
        }
        // fdatasync covers everything written so far, a superset of [0, upto): writeback of it
        // was started before the request.
        if (::fdatasync(fd_) == 0) record(upto);
    }
}

void DurableFollower::stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
}

void DurableFollower::synced(std::uint64_t size) {
    record(size);
}

void DurableFollower::reset(std::uint64_t size) {
    target_ = size;
    durable_ = std::min(durable_.load(), size);
}

void DurableFollower::record(std::uint64_t size) {
    if (size <= durable_.load()) return;
    durable_ = size;
    std::string text = std::to_string(size);
    ::fsetxattr(fd_, contract::xattr::kDurable, text.data(), text.size(), 0);  // best effort
}

}  // namespace dropgate::fs
