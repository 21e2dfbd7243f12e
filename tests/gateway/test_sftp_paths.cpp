// The path-based requests of the codec's table (sftp_paths.cpp) and its access classes, in
// process: STAT/LSTAT/SETSTAT, REALPATH, READLINK, statvfs, limits, OPENDIR/READDIR, MKDIR,
// RENAME/posix-rename, the requests nobody may make, and the read-only support role.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "sftp_harness.hpp"

using namespace dropgate::gateway::sftp;
using dropgate::config::Role;
using dropgate::test::close_request;
using dropgate::test::CodecFixture;
using dropgate::test::extended;
using dropgate::test::handle_in;
using dropgate::test::init_packet;
using dropgate::test::kNoAttrs;
using dropgate::test::kUpload;
using dropgate::test::open_request;
using dropgate::test::read_file;
using dropgate::test::read_request;
using dropgate::test::Reply;
using dropgate::test::request;
using dropgate::test::stat_request;
using dropgate::test::Step;
using dropgate::test::write_file;
using dropgate::test::write_request;

namespace {

using Wire = std::vector<std::string>;
namespace fs = std::filesystem;

// The one name in a NAME reply (REALPATH, READLINK).
std::string name_in(const Reply& r) {
    REQUIRE(int(r.type) == FXP_NAME);
    REQUIRE(r.u32_at(0) == 1);
    return r.body.substr(8, r.u32_at(4));
}

// The permissions field of an ATTRS reply (with its S_IFMT bits).
std::uint32_t mode_in(const Reply& r) {
    REQUIRE(int(r.type) == FXP_ATTRS);
    return r.u32_at(4 + 8 + 8);
}

std::string setstat(std::uint32_t id, std::string_view path, std::uint32_t flags) {
    auto p = request(FXP_SETSTAT, id).str(path).u32(flags);
    if (flags & ATTR_SIZE) p.u64(0);
    if (flags & ATTR_PERMISSIONS) p.u32(0777);
    if (flags & ATTR_ACMODTIME) p.u32(1).u32(2);
    return p;
}

std::string rename(std::uint32_t id, std::string_view from, std::string_view to) {
    return request(FXP_RENAME, id).str(from).str(to);
}

std::string posix_rename(std::uint32_t id, std::string_view from, std::string_view to) {
    return extended(id, "posix-rename@openssh.com").str(from).str(to);
}

}  // namespace

TEST_CASE("paths: STAT, LSTAT, SETSTAT, REALPATH, READLINK, statvfs and limits") {
    CodecFixture fx;
    write_file(fx.acme() / "f.tgz", "12345");
    fs::create_symlink("f.tgz", fx.acme() / "link.tgz");
    auto out = fx.serve(
        {init_packet() + stat_request(1, "/f.tgz") + request(FXP_LSTAT, 2).str("/link.tgz").wire() +
         stat_request(3, "link.tgz") + setstat(4, "/f.tgz", ATTR_PERMISSIONS | ATTR_ACMODTIME) +
         setstat(5, "/f.tgz", ATTR_PERMISSIONS) + setstat(6, "/f.tgz", ATTR_SIZE) +
         setstat(7, "/missing.tgz", ATTR_ACMODTIME) +
         request(FXP_REALPATH, 8).str("../../x/./y/..").wire() +
         request(FXP_REALPATH, 9).str("").wire() +
         request(FXP_READLINK, 10).str("/link.tgz").wire() +
         request(FXP_READLINK, 11).str("/f.tgz").wire() +
         extended(12, "statvfs@openssh.com").str("/").wire() +
         extended(13, "limits@openssh.com").wire() + stat_request(14, "/missing.tgz")});
    CHECK(out.to(1).size() == 5);
    CHECK(S_ISLNK(mode_in(out.to(2))));
    CHECK(S_ISREG(mode_in(out.to(3))));  // STAT follows the link
    CHECK(out.to(4).status() == FX_OK);  // `put -p`: accepted without effect
    for (std::uint32_t id : {5u, 6u}) {
        CHECK(out.to(id).status() == FX_PERMISSION_DENIED);
        CHECK(out.to(id).message() ==
              "changing the size, mode or owner of /f.tgz is not allowed: bundles are immutable");
    }
    CHECK(out.to(7).status() == FX_NO_SUCH_FILE);
    CHECK(name_in(out.to(8)) == "/x");  // lexical, and never above the root
    CHECK(name_in(out.to(9)) == "/");
    CHECK(name_in(out.to(10)) == "f.tgz");
    CHECK(out.to(11).status() == FX_FAILURE);  // not a link
    CHECK(out.to(12).type == FXP_EXTENDED_REPLY);
    CHECK(out.to(12).body.size() == 11 * 8);
    CHECK((out.to(12).u64_at(9 * 8) & 1) == 0);  // a customer's view is writable
    CHECK(out.to(13).u64_at(0) == 256 * 1024);
    CHECK(out.to(13).u64_at(8) == kMaxReadWrite);
    CHECK(out.to(13).u64_at(16) == kMaxReadWrite);
    CHECK(out.to(13).u64_at(24) == kMaxHandles);
    CHECK(out.to(14).status() == FX_NO_SUCH_FILE);
    CHECK(out.to(14).message() == "/missing.tgz: No such file or directory");
    CHECK((fs::status(fx.acme() / "f.tgz").permissions() & fs::perms::others_write) ==
          fs::perms::none);  // no SETSTAT changed the mode
}

TEST_CASE("paths: READDIR lists a directory 100 entries at a time, like ls -l, then EOF") {
    CodecFixture fx;
    fs::create_directories(fx.acme() / "many");
    for (int i = 0; i < 250; ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "f%03d.tgz", i);
        write_file(fx.acme() / "many" / name, "");
    }
    std::vector<Step> steps{
        [](const auto&) {
            return Wire{init_packet() + request(FXP_OPENDIR, 1).str("/many").wire() +
                        open_request(2, "/many/f000.tgz", FXF_READ) +
                        request(FXP_OPENDIR, 3).str("/many/f001.tgz").wire() +
                        request(FXP_OPENDIR, 4).str("/nothing").wire()};
        },
        [](const std::vector<Reply>& so_far) {
            std::string dir = handle_in(so_far, 1), file = handle_in(so_far, 2), wire;
            for (std::uint32_t id = 10; id < 15; ++id)
                wire += request(FXP_READDIR, id).str(dir).wire();
            return Wire{wire + request(FXP_READDIR, 20).str(file).wire() +
                        read_request(21, dir, 0, 10) + close_request(22, dir)};
        }};
    auto out = fx.serve({}, steps);
    std::set<std::string> names;
    std::vector<std::uint32_t> counts;
    for (std::uint32_t id = 10; id < 13; ++id) {
        const Reply& r = out.to(id);
        REQUIRE(int(r.type) == FXP_NAME);
        counts.push_back(r.u32_at(0));
        std::size_t at = 4;
        for (std::uint32_t i = 0; i < r.u32_at(0); ++i) {
            std::string name = r.body.substr(at + 4, r.u32_at(at));
            at += 4 + name.size();
            std::string longname = r.body.substr(at + 4, r.u32_at(at));
            at += 4 + longname.size() + 4 + 8 + 8 + 4 + 8;  // flags size uid/gid perms times
            if (name != "." && name != "..") {
                CHECK_THAT(longname, Catch::StartsWith("-rw"));
                CHECK_THAT(longname, Catch::EndsWith(" " + name));
            }
            names.insert(name);
        }
        CHECK(at == r.body.size());
    }
    CHECK(counts == std::vector<std::uint32_t>{100, 100, 52});  // with "." and ".."
    CHECK(names.size() == 252);
    CHECK(names.count("f249.tgz") == 1);
    CHECK(out.to(13).status() == FX_EOF);
    CHECK(out.to(14).status() == FX_EOF);
    CHECK(out.to(3).status() == FX_NO_SUCH_FILE);  // a file is not a directory
    CHECK(out.to(4).status() == FX_NO_SUCH_FILE);
    CHECK(out.to(20).message() == "/many/f000.tgz is not a directory handle");
    CHECK(out.to(21).message() == "/many is a directory");
    CHECK(out.to(22).status() == FX_OK);
}

TEST_CASE("paths: MKDIR, and RENAME only from a temporary upload name to a new bundle name") {
    CodecFixture fx;
    auto upload = [](std::uint32_t id, std::string path) {
        return [=](const auto&) { return Wire{open_request(id, path, kUpload)}; };
    };
    auto finish = [](std::uint32_t id, std::string data, std::string more) {
        return [=](const std::vector<Reply>& so_far) {
            std::string h = handle_in(so_far, id);
            return Wire{write_request(id + 1, h, 0, data) + close_request(id + 2, h) + more};
        };
    };
    std::vector<Step> steps{
        [](const auto&) {
            return Wire{init_packet() + request(FXP_MKDIR, 1).str("/d").u32(kNoAttrs).wire() +
                        request(FXP_MKDIR, 2).str("/d").u32(kNoAttrs).wire() +
                        request(FXP_MKDIR, 3).str("/../other/x").u32(kNoAttrs).wire()};
        },
        upload(10, "/d/x.tgz.part"),
        finish(10, "first",
               rename(13, "/d/x.tgz.part", "/d/x.tgz") + rename(14, "/d/x.tgz", "/d/y.tgz") +
                   rename(15, "/d/gone.tgz.part", "/d/gone.tgz") +
                   rename(16, "/d/x.tgz.part", "/d/x.txt")),
        upload(20, "/d/z.tgz.filepart"),
        finish(20, "second",
               posix_rename(23, "/d/z.tgz.filepart", "/d/x.tgz") +
                   posix_rename(24, "/d/z.tgz.filepart", "/d/z.tgz"))};
    auto out = fx.serve({}, steps);
    INFO(out.stderr_text);
    CHECK(out.to(1).status() == FX_OK);
    CHECK(out.to(2).status() == FX_FAILURE);
    CHECK(out.to(2).message() == "/d: File exists");
    CHECK(out.to(3).status() == FX_NO_SUCH_FILE);  // "/other/x" inside acme: no such parent
    CHECK(out.to(13).status() == FX_OK);
    const std::string only_temp =
        " is not allowed: only a temporary upload name may be renamed to a bundle name";
    CHECK(out.to(14).status() == FX_PERMISSION_DENIED);
    CHECK(out.to(14).message() == "rename /d/x.tgz -> /d/y.tgz" + only_temp);
    CHECK(out.to(15).status() == FX_NO_SUCH_FILE);
    CHECK(out.to(16).message() == "rename /d/x.tgz.part -> /d/x.txt" + only_temp);
    CHECK(out.to(23).status() == FX_FAILURE);  // never over an existing bundle
    CHECK(out.to(23).message() ==
          "acme/d/x.tgz already exists; bundles are immutable — upload under a new name");
    CHECK(out.to(24).status() == FX_OK);
    CHECK(read_file(fx.acme() / "d/x.tgz") == "first");
    CHECK(read_file(fx.acme() / "d/z.tgz") == "second");
    CHECK_FALSE(fs::exists(fx.acme() / "d/x.tgz.part"));
    CHECK_FALSE(fs::exists(fx.acme() / "d/y.tgz"));
    CHECK_FALSE(fs::exists(fx.store() / "other/x"));
}

TEST_CASE("paths: REMOVE, RMDIR, SYMLINK and hardlink are refused for everyone, nothing changes") {
    CodecFixture fx;
    write_file(fx.acme() / "f.tgz", "bundle");
    fs::create_directories(fx.acme() / "d");
    for (Role role : {Role::customer, Role::support}) {
        const std::string prefix = role == Role::support ? "/acme" : "";
        auto out =
            fx.serve({init_packet() + request(FXP_REMOVE, 1).str(prefix + "/f.tgz").wire() +
                      request(FXP_RMDIR, 2).str(prefix + "/d").wire() +
                      request(FXP_SYMLINK, 3).str(prefix + "/f.tgz").str(prefix + "/l.tgz").wire() +
                      extended(4, "hardlink@openssh.com")
                          .str(prefix + "/f.tgz")
                          .str(prefix + "/h.tgz")
                          .wire()},
                     {}, role);
        const char* names[] = {"remove", "rmdir", "symlink", "hardlink"};
        for (std::uint32_t id = 1; id <= 4; ++id) {
            CHECK(out.to(id).status() == FX_PERMISSION_DENIED);
            CHECK(out.to(id).message() ==
                  std::string(names[id - 1]) + " is not allowed: bundles are immutable");
        }
    }
    CHECK(read_file(fx.acme() / "f.tgz") == "bundle");
    CHECK(fs::is_directory(fx.acme() / "d"));
    CHECK_FALSE(fs::exists(fs::symlink_status(fx.acme() / "l.tgz")));
    CHECK_FALSE(fs::exists(fx.acme() / "h.tgz"));
}

TEST_CASE("paths: the support role reads every customer and every write is PERMISSION_DENIED") {
    CodecFixture fx;
    write_file(fx.store() / "other/secret.tgz", "secret bundle");
    std::vector<Step> steps{
        [](const auto&) {
            return Wire{init_packet() + stat_request(1, "/other/secret.tgz") +
                        open_request(2, "/acme/new.tgz", kUpload) +
                        open_request(3, "/other/secret.tgz", FXF_READ) +
                        request(FXP_MKDIR, 4).str("/acme/x").u32(kNoAttrs).wire() +
                        setstat(5, "/other/secret.tgz", ATTR_ACMODTIME) +
                        rename(6, "/acme/a.tgz.part", "/acme/a.tgz") +
                        posix_rename(7, "/acme/a.tgz.part", "/acme/a.tgz") +
                        open_request(8, "/other/secret.tgz", FXF_READ | FXF_WRITE) +
                        extended(9, "statvfs@openssh.com").str("/").wire()};
        },
        [](const std::vector<Reply>& so_far) {
            std::string h = handle_in(so_far, 3);
            return Wire{
                write_request(10, h, 0, "x") + extended(11, "fsync@openssh.com").str(h).wire() +
                request(FXP_FSETSTAT, 12).str(h).u32(0).wire() + read_request(13, h, 0, 100)};
        }};
    auto out = fx.serve({}, steps, Role::support);
    CHECK(out.to(1).size() == 13);
    CHECK(out.to(13).data() == "secret bundle");
    const std::pair<std::uint32_t, const char*> denied[] = {{2, "opening for writing"},
                                                            {4, "mkdir"},
                                                            {5, "setstat"},
                                                            {6, "rename"},
                                                            {7, "posix-rename"},
                                                            {8, "opening for writing"},
                                                            {10, "write"},
                                                            {11, "fsync"},
                                                            {12, "fsetstat"}};
    for (auto [id, name] : denied) {
        INFO("request " << id);
        CHECK(out.to(id).status() == FX_PERMISSION_DENIED);
        CHECK(out.to(id).message() ==
              std::string(name) + " is not allowed: the support role is read-only");
    }
    CHECK((out.to(9).u64_at(9 * 8) & 1) == 1);  // statvfs says read-only
    CHECK_FALSE(fs::exists(fx.acme() / "new.tgz"));
    CHECK_FALSE(fs::exists(fx.acme() / "x"));
    CHECK(read_file(fx.store() / "other/secret.tgz") == "secret bundle");
}
