// What every handler of the front end shares: the config, the name policy, the pool that runs
// blocking file work (every call into the store mount) off the event loop, the browser
// sessions, and which tus uploads a request is writing right now.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <type_traits>

#include "auth.hpp"
#include "dropgate/config/config.hpp"
#include "dropgate/contract/names.hpp"
#include "exchange.hpp"

namespace dropgate::http {

struct Context {
    explicit Context(const config::Config& cfg, std::size_t file_threads)
        : config(cfg), names(cfg.store), files(file_threads), bans(cfg, guard::Door::http) {}

    const config::Config& config;
    contract::NamePolicy names;
    boost::asio::thread_pool files;  // FUSE calls block: they never run on an event-loop thread
    Sessions sessions;
    guard::BanList bans;  // failed logins counted here; banned addresses refused (server.cpp)

    // One request at a time writes a given upload (tus: a second PATCH gets 423 Locked).
    bool lock_upload(const std::string& key) {
        std::lock_guard lock(busy_mutex);
        return busy.insert(key).second;
    }
    void unlock_upload(const std::string& key) {
        std::lock_guard lock(busy_mutex);
        busy.erase(key);
    }
    std::mutex busy_mutex;
    std::set<std::string> busy;
};

// Runs `work` (blocking: a call into the mount or the index) on the file pool and resumes the
// calling coroutine with its result or its exception.
template <class Work>
awaitable<std::invoke_result_t<Work>> on_files(Context& context, Work work) {
    using Result = std::invoke_result_t<Work>;
    // co_spawn hands back a default-constructed value on failure: optional makes any Result fit.
    auto result = co_await boost::asio::co_spawn(
        context.files,
        [work = std::move(work)]() mutable -> awaitable<std::optional<Result>> {
            co_return work();
        },
        boost::asio::use_awaitable);
    co_return std::move(*result);
}

// Holds an upload's lock for one request.
class UploadLock {
  public:
    UploadLock(Context& context, std::string key) : context_(context), key_(std::move(key)) {
        held_ = context_.lock_upload(key_);
    }
    ~UploadLock() {
        if (held_) context_.unlock_upload(key_);
    }
    UploadLock(const UploadLock&) = delete;
    UploadLock& operator=(const UploadLock&) = delete;
    bool held() const { return held_; }

  private:
    Context& context_;
    std::string key_;
    bool held_ = false;
};

}  // namespace dropgate::http
