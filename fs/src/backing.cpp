#include "backing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "dropgate/base/ids.hpp"
#include "dropgate/base/log.hpp"
#include "judge.hpp"
#include "upload.hpp"
#include "xattrs.hpp"

namespace dropgate::fs {

namespace {

UniqueFd open_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw std::system_error(errno, std::generic_category(), "open " + dir.string());
    return fd;
}

int fsync_directory(int parent, const std::string& rel_dir) {
    UniqueFd dir(rel_dir.empty()
                     ? ::dup(parent)
                     : ::openat(parent, rel_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return errno;
    return ::fsync(dir.get()) == 0 ? 0 : errno;
}

std::string parent_of(const std::string& rel) {
    auto slash = rel.rfind('/');
    return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

}  // namespace

Backing::Backing(const config::Store& store, const std::vector<std::string>& customers,
                 bool read_only)
    : layout_(store.root) {
    if (!read_only) {
        std::filesystem::create_directories(layout_.bundles());
        std::filesystem::create_directories(layout_.staging());
        for (const auto& customer : customers)
            std::filesystem::create_directories(layout_.bundles() / customer);
        staging_ = open_directory(layout_.staging());
        std::filesystem::create_directories(layout_.remote_cache());
        remote_cache_ = open_directory(layout_.remote_cache());
    }
    bundles_ = open_directory(layout_.bundles());
}

std::string Backing::bundle_path(const std::string& rel) const {
    return (layout_.bundles() / rel).string();
}

UniqueFd Backing::create_staging(const std::string& id, const std::string& target) {
    UniqueFd fd(::openat(staging_.get(), id.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) throw std::system_error(errno, std::generic_category(), "create staging file " + id);
    ::fsetxattr(fd.get(), xattr::kTarget, target.data(), target.size(), 0);  // best effort
    return fd;
}

void Backing::remove_staging(const std::string& id) {
    ::unlinkat(staging_.get(), id.c_str(), 0);
}

int Backing::make_parents(const std::string& rel) {
    for (auto slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
        std::string dir = rel.substr(0, slash);
        if (::mkdirat(bundles_.get(), dir.c_str(), 0755) == 0) {
            if (int error = fsync_directory(bundles_.get(), parent_of(dir))) return error;
        } else if (errno != EEXIST) {
            return errno;
        }
    }
    return 0;
}

// Publishing an accepted upload: fsync(staging file) -> renameat2(NOREPLACE) into bundles/ ->
// fsync(target directory) -> index commit (by the caller). What a crash leaves at each point:
//  - before the fsync completes, or between fsync and rename: a file in .staging/ only. Start-up
//    (recover) records it `aborted` and removes it. Nothing was ever visible in bundles/.
//  - after the rename, before the directory fsync: after a power loss the name is either still
//    in .staging/ (as above) or in bundles/ (as below); the data itself was already durable, so
//    whichever name survives refers to complete, validated bytes — never a half-written bundle.
//  - after the rename, before the index commit: a complete bundle without a row. Start-up
//    re-validates it from disk (validate_file) and commits its `accepted` row (remote
//    "recovered at start-up"); if it somehow fails validation it is reported, never deleted.
//  - after the commit: done; close() returns 0 only now.
// So an `accepted` row always has its file, and a file in bundles/ is always complete.
int Backing::publish(Upload& upload, const std::string& rel) {
    using Clock = std::chrono::steady_clock;
    auto ms = [](Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
    };
    const auto t0 = Clock::now();
    // Started at close, concurrently with finishing the check; only waited for here.
    if (int error = upload.wait_sync()) return error;
    const auto t1 = Clock::now();
    if (int error = make_parents(rel)) return error;
    if (::renameat2(staging_.get(), upload.id.c_str(), bundles_.get(), rel.c_str(),
                    RENAME_NOREPLACE) != 0)
        return errno;
    const auto t2 = Clock::now();
    int error = fsync_directory(bundles_.get(), parent_of(rel));
    log::debug("publish_timing", {{"upload_id", upload.id},
                                  {"fsync_wait_ms", ms(t0, t1)},
                                  {"rename_ms", ms(t1, t2)},
                                  {"dir_fsync_ms", ms(t2, Clock::now())}});
    return error;
}

int Backing::replace_with_stub(const std::string& rel) {
    struct stat st {};
    if (::fstatat(bundles_.get(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
    if (!S_ISREG(st.st_mode)) return EINVAL;
    if (contract::is_stub(st.st_mode)) return 0;
    // Made beside the cache (same filesystem as bundles/, never listed), then renamed over the
    // bundle: a reader sees the whole bundle or the whole stub, and one already open keeps
    // reading the old bytes until it closes.
    const std::string temp = ".stub-" + new_upload_id();
    UniqueFd fd(
        ::openat(remote_cache_.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) return errno;
    const timespec times[2] = {st.st_atim, st.st_mtim};
    int error = 0;
    if (::ftruncate(fd.get(), st.st_size) != 0 || ::fchmod(fd.get(), contract::kStubMode) != 0 ||
        ::futimens(fd.get(), times) != 0 || ::fsync(fd.get()) != 0 ||
        ::renameat(remote_cache_.get(), temp.c_str(), bundles_.get(), rel.c_str()) != 0)
        error = errno;
    if (error) {
        ::unlinkat(remote_cache_.get(), temp.c_str(), 0);
        return error;
    }
    return fsync_directory(bundles_.get(), parent_of(rel));
}

int Backing::remove_bundle(const std::string& rel) {
    if (::unlinkat(bundles_.get(), rel.c_str(), 0) != 0 && errno != ENOENT) return errno;
    return fsync_directory(bundles_.get(), parent_of(rel));
}

std::vector<StagedFile> Backing::staged_files() {
    std::vector<StagedFile> found;
    for (const auto& entry : std::filesystem::directory_iterator(layout_.staging())) {
        StagedFile file;
        file.id = entry.path().filename().string();
        file.upload_id = file.id;
        file.fd.reset(::openat(staging_.get(), file.id.c_str(), O_RDWR | O_CLOEXEC));
        if (file.fd) {
            std::string target = xattr::get(file.fd.get(), xattr::kTarget);
            if (auto slash = target.find('/'); slash != std::string::npos) {
                file.customer = target.substr(0, slash);
                file.path = target.substr(slash + 1);
            }
            if (std::string tagged = xattr::get(file.fd.get(), xattr::kUploadId); !tagged.empty())
                file.upload_id = tagged;
            file.remote = xattr::get(file.fd.get(), xattr::kRemote);
            std::string durable = xattr::get(file.fd.get(), xattr::kDurable);
            file.durable = durable.empty() ? 0 : std::strtoull(durable.c_str(), nullptr, 10);
            struct stat st {};
            if (::fstat(file.fd.get(), &st) == 0) file.size = std::uint64_t(st.st_size);
        }
        found.push_back(std::move(file));
    }
    return found;
}

void Backing::recover_bundles(Judge& judge) {
    namespace stdfs = std::filesystem;
    for (const auto& entry : stdfs::recursive_directory_iterator(layout_.bundles())) {
        if (!entry.is_regular_file()) continue;
        std::string rel = stdfs::relative(entry.path(), layout_.bundles()).string();
        auto slash = rel.find('/');
        if (slash == std::string::npos) continue;
        std::string customer = rel.substr(0, slash), path = rel.substr(slash + 1);
        if (judge.find_accepted(customer, path)) continue;
        index::MemberSpool members(layout_.staging());
        auto verdict = validator::validate_file(entry.path(), judge.limits(), &members);
        if (!verdict.accepted) {
            log::error("bundle_invalid", {{"customer", customer},
                                          {"path", path},
                                          {"reason", verdict.reason},
                                          {"action", "left in place; run dropgate verify"}});
            continue;
        }
        index::UploadRecord row;
        row.upload_id = new_upload_id();
        row.customer = customer;
        row.path = path;
        row.remote = "recovered at start-up";
        row.started_at = row.finished_at = index::Clock::now();
        row.bytes = verdict.bytes;
        row.sha256 = verdict.sha256;
        row.status = index::UploadState::accepted;
        row.gzip_members = verdict.gzip_members;
        row.uncompressed_bytes = verdict.uncompressed_bytes;
        row.member_count = verdict.member_count;
        judge.record(row, &members);
        UniqueFd fd(::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC));
        if (fd) xattr::store(fd.get(), xattr::bundle_attributes(row));
        log::warn("bundle_recovered",
                  {{"customer", customer}, {"path", path}, {"sha256", row.sha256}});
    }
}

}  // namespace dropgate::fs
