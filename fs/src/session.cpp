// The FUSE session: every operation the store supports, in one table, and the mount/serve/
// unmount life cycle shared by the write-enabled store and the read-only view.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <condition_variable>
#include <stdexcept>
#include <thread>

#include "dropgate/base/log.hpp"
#include "store_fs.hpp"

namespace dropgate::fs {

namespace {

using namespace std::chrono_literals;

StoreFs& fs_of(fuse_req_t req) {
    return *static_cast<StoreFs*>(fuse_req_userdata(req));
}

struct SessionDeleter {
    void operator()(fuse_session* se) const { fuse_session_destroy(se); }
};
using Session = std::unique_ptr<fuse_session, SessionDeleter>;

// Runs `task` every `tick` on a thread of its own until destroyed; stops promptly.
class PeriodicTask {
  public:
    PeriodicTask(std::chrono::seconds tick, std::function<void()> task)
        : thread_([this, tick, task = std::move(task)](std::stop_token stop) {
              std::mutex mutex;
              std::unique_lock lock(mutex);
              while (!stop.stop_requested()) {
                  wake_.wait_for(lock, stop, tick, [] { return false; });
                  if (!stop.stop_requested()) task();
              }
          }) {}

  private:
    std::condition_variable_any wake_;
    std::jthread thread_;
};

// Held uploads nobody renamed and partials nobody resumed in time are discarded every 15 s, or
// sooner for a short timeout.
std::chrono::seconds expiry_tick(std::chrono::seconds timeout, std::chrono::seconds window) {
    return std::min<std::chrono::seconds>(
        15s, std::max<std::chrono::seconds>(1s, std::min(timeout, window) / 2));
}

// Retention runs every minute, or sooner for short keep_local / delete_after times.
std::chrono::seconds retention_tick(const config::Retention& retention) {
    std::chrono::seconds shortest = 60s;
    if (retention.keep_local) shortest = std::min(shortest, *retention.keep_local);
    if (retention.delete_after) shortest = std::min(shortest, *retention.delete_after);
    return std::max<std::chrono::seconds>(1s, shortest / 2);
}

// A store that was killed (kill -9, a crash) leaves its mount behind, dead: every access fails
// with ENOTCONN. Restarting must not need an operator, so such a mount is detached first.
void clear_dead_mount(const std::filesystem::path& mountpoint) {
    struct statfs st {};  // statfs always asks the daemon; stat may answer from the attr cache
    if (::statfs(mountpoint.c_str(), &st) == 0 || errno != ENOTCONN) return;
    if (::umount2(mountpoint.c_str(), MNT_DETACH) != 0) {
        // Not root: fusermount3 is setuid and may unmount what this user mounted.
        pid_t pid = ::fork();
        if (pid == 0) {
            ::execlp("fusermount3", "fusermount3", "-u", "-z", mountpoint.c_str(),
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        int status = 0;
        if (pid > 0) ::waitpid(pid, &status, 0);
    }
    log::warn("dead_mount_removed", {{"mountpoint", mountpoint.string()}});
}

}  // namespace

void StoreFs::init(fuse_conn_info* conn) {
    conn->max_write = 1 << 20;  // fewer, larger WRITEs (the libfuse 3.14 buffer holds 1 MiB)
    if (!settings_.read_only && settings_.writeback_cache &&
        (conn->capable & FUSE_CAP_WRITEBACK_CACHE))
        conn->want |= FUSE_CAP_WRITEBACK_CACHE;
}

fuse_lowlevel_ops StoreFs::operations() {
    fuse_lowlevel_ops ops{};
    ops.init = [](void* self, fuse_conn_info* conn) { static_cast<StoreFs*>(self)->init(conn); };
    ops.lookup = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
        fs_of(req).lookup(req, parent, name);
    };
    ops.forget = [](fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
        fs_of(req).forget(ino, nlookup);
        fuse_reply_none(req);
    };
    ops.forget_multi = [](fuse_req_t req, size_t count, fuse_forget_data* forgets) {
        for (size_t i = 0; i < count; ++i) fs_of(req).forget(forgets[i].ino, forgets[i].nlookup);
        fuse_reply_none(req);
    };
    ops.getattr = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
        fs_of(req).getattr(req, ino);
    };
    ops.setattr = [](fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                     fuse_file_info* fi) { fs_of(req).setattr(req, ino, attr, to_set, fi); };
    ops.opendir = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
        fs_of(req).opendir(req, ino, fi);
    };
    ops.readdir = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
        fs_of(req).readdir(req, ino, size, off, fi);
    };
    ops.releasedir = [](fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
        fs_of(req).releasedir(req, fi);
    };
    ops.mkdir = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t) {
        fs_of(req).mkdir(req, parent, name);
    };
    ops.unlink = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
        fs_of(req).unlink(req, parent, name);
    };
    ops.rename = [](fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
                    const char* newname, unsigned flags) {
        fs_of(req).rename(req, parent, name, newparent, newname, flags);
    };
    ops.create = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t,
                    fuse_file_info* fi) { fs_of(req).create(req, parent, name, fi); };
    ops.open = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
        fs_of(req).open(req, ino, fi);
    };
    ops.read = [](fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
        fs_of(req).read(req, size, off, fi);
    };
    ops.write = [](fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t off,
                   fuse_file_info* fi) { fs_of(req).write(req, buf, size, off, fi); };
    ops.flush = [](fuse_req_t req, fuse_ino_t, fuse_file_info* fi) { fs_of(req).flush(req, fi); };
    ops.release = [](fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
        fs_of(req).release(req, fi);
    };
    ops.fsync = [](fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
        fs_of(req).fsync(req, fi);
    };
    ops.statfs = [](fuse_req_t req, fuse_ino_t) { fs_of(req).statfs(req); };
    ops.readlink = [](fuse_req_t req, fuse_ino_t ino) { fs_of(req).readlink(req, ino); };
    ops.setxattr = [](fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                      size_t size, int) { fs_of(req).setxattr(req, ino, name, value, size); };
    ops.getxattr = [](fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
        fs_of(req).getxattr(req, ino, name, size);
    };
    ops.listxattr = [](fuse_req_t req, fuse_ino_t ino, size_t size) {
        fs_of(req).listxattr(req, ino, size);
    };
    // Never allowed: the store holds files and directories, nothing is ever removed or linked.
    ops.removexattr = [](fuse_req_t req, fuse_ino_t, const char*) { fs_of(req).refuse_write(req); };
    ops.rmdir = [](fuse_req_t req, fuse_ino_t, const char*) { fs_of(req).refuse_write(req); };
    ops.symlink = [](fuse_req_t req, const char*, fuse_ino_t, const char*) {
        fs_of(req).refuse_write(req);
    };
    ops.link = [](fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
        fs_of(req).refuse_write(req);
    };
    ops.mknod = [](fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) {
        fs_of(req).refuse_write(req);
    };
    return ops;
}

int run(const config::Config& config, const MountSettings& settings) {
    clear_dead_mount(settings.mountpoint);
    if (!settings.read_only) {
        std::error_code error;
        std::filesystem::create_directories(settings.mountpoint, error);
        if (error)
            throw std::runtime_error("cannot create mountpoint " + settings.mountpoint.string() +
                                     ": " + error.message());
    }
    StoreFs fs(config, settings);
    if (!settings.read_only) fs.recover();

    std::string options = "fsname=dropgate,subtype=dropgate,allow_other";
    if (settings.read_only) options += ",ro";
    const char* argv[] = {"dropgate", "-o", options.c_str()};
    fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
    const fuse_lowlevel_ops ops = StoreFs::operations();
    Session session(fuse_session_new(&args, &ops, sizeof ops, &fs));
    fuse_opt_free_args(&args);  // fuse_session_new left its parsed copy of them in `args`
    if (!session) throw std::runtime_error("cannot create the FUSE session");
    if (fuse_set_signal_handlers(session.get()) != 0)
        throw std::runtime_error("cannot install signal handlers");
    if (fuse_session_mount(session.get(), settings.mountpoint.c_str()) != 0) {
        fuse_remove_signal_handlers(session.get());
        throw std::runtime_error("cannot mount " + settings.mountpoint.string());
    }
    log::info("store_mounted", {{"mountpoint", settings.mountpoint.string()},
                                {"root", config.store.root.string()},
                                {"read_only", settings.read_only}});
    if (!settings.foreground) fuse_daemonize(0);
    int status;
    {
        std::optional<PeriodicTask> reaper, retention;
        std::jthread warmer;  // after fuse_daemonize: a fork keeps only the calling thread
        if (!settings.read_only) {
            reaper.emplace(expiry_tick(settings.hold_timeout, config.store.resume_window),
                           [&fs, &settings] { fs.discard_expired(settings.hold_timeout); });
            if (config.replicate && (config.retention.keep_local || config.retention.delete_after))
                retention.emplace(retention_tick(config.retention),
                                  [&fs, session = session.get()] { fs.apply_retention(session); });
            warmer = std::jthread([&fs](std::stop_token stop) { fs.warm_partials(stop); });
            fs.start_background();
        }
        fuse_loop_config loop{};
        loop.clone_fd = 0;
        loop.max_idle_threads = settings.max_idle_threads;
        // Returns after SIGTERM/SIGINT or an unmount, once in-flight requests have been answered.
        status = fuse_session_loop_mt(session.get(), &loop);
    }
    fuse_session_unmount(session.get());
    fuse_remove_signal_handlers(session.get());
    if (!settings.read_only) fs.abandon_all("the store stopped before the upload finished");
    log::info("store_unmounted", {{"mountpoint", settings.mountpoint.string()}});
    return status < 0 ? 2 : 0;
}

}  // namespace dropgate::fs
