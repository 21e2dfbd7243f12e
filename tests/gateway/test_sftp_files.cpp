// The handle-based requests of the codec's table (sftp_files.cpp), in process: OPEN, WRITE,
// READ, FSTAT, FSETSTAT, fsync, fstatvfs, CLOSE, the handle bound, and what a session leaves
// behind when its client vanishes. Real SftpServer, real Jail on a temp dir, real files.
#include <signal.h>
#include <sys/resource.h>
#include <sys/xattr.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "dropgate/contract/xattrs.hpp"
#include "sftp_harness.hpp"

using namespace dropgate::gateway::sftp;
using dropgate::test::close_request;
using dropgate::test::CodecFixture;
using dropgate::test::extended;
using dropgate::test::handle_in;
using dropgate::test::init_packet;
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

std::string pattern(std::size_t n) {
    std::string data(n, '\0');
    for (std::size_t i = 0; i < n; ++i) data[i] = char('A' + i * 11 % 26);
    return data;
}

std::string xattr(const std::filesystem::path& file, const char* name) {
    char value[256];
    ssize_t n = ::getxattr(file.c_str(), name, value, sizeof value);
    return n < 0 ? std::string("<none>") : std::string(value, std::size_t(n));
}

// INIT and OPEN `path` (id 1), then `next` with the handle it got.
std::vector<Step> with_handle(std::string path, std::uint32_t pflags,
                              std::function<std::string(const std::string&)> next) {
    return {[=](const auto&) { return Wire{init_packet() + open_request(1, path, pflags)}; },
            [=](const std::vector<Reply>& so_far) { return Wire{next(handle_in(so_far, 1))}; }};
}

}  // namespace

TEST_CASE("files: an upload's WRITEs, FSTAT, FSETSTAT, fsync, fstatvfs and CLOSE") {
    CodecFixture fx;
    auto out = fx.serve(
        {}, with_handle("/up.tgz", kUpload, [](const std::string& h) {
            return write_request(10, h, 0, "hello ") + write_request(11, h, 6, "world") +
                   request(FXP_FSTAT, 12).str(h).wire() +
                   request(FXP_FSETSTAT, 13)
                       .str(h)
                       .u32(ATTR_PERMISSIONS | ATTR_ACMODTIME)
                       .u32(0600)
                       .u32(1)
                       .u32(2)
                       .wire() +
                   extended(14, "fsync@openssh.com").str(h).wire() +
                   extended(15, "fstatvfs@openssh.com").str(h).wire() + close_request(16, h) +
                   close_request(17, h) + stat_request(18, "/up.tgz");
        }));
    INFO(out.why << "\n" << out.stderr_text);
    CHECK(out.to(10).status() == FX_OK);
    CHECK(out.to(11).status() == FX_OK);
    CHECK(out.to(12).size() == 11);  // FSTAT sees the coalesced bytes: they are flushed first
    CHECK(out.to(13).status() == FX_OK);
    CHECK(out.to(13).message() == "attributes are kept by the store");
    CHECK(out.to(14).status() == FX_OK);
    CHECK(out.to(15).type == FXP_EXTENDED_REPLY);
    CHECK(out.to(15).body.size() == 11 * 8);
    CHECK(out.to(16).status() == FX_OK);
    CHECK(out.to(16).message() == "upload complete");
    CHECK(out.to(17).status() == FX_FAILURE);  // the handle is gone with its CLOSE
    CHECK(out.to(17).message() == "invalid handle");
    CHECK(out.to(18).size() == 11);
    const auto file = fx.acme() / "up.tgz";
    CHECK(read_file(file) == "hello world");
    CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::all) !=
          std::filesystem::perms(0600));  // FSETSTAT changed nothing
    // Tagged for the store at OPEN.
    CHECK(xattr(file, dropgate::contract::xattr::kUploadId).size() == 32);
    CHECK(xattr(file, dropgate::contract::xattr::kRemote) == "127.0.0.1:40000");
    CHECK(xattr(file, dropgate::contract::xattr::kClientVersion) == "SSH-2.0-test");
    CHECK(xattr(file, dropgate::contract::xattr::kAborted) == "<none>");
}

TEST_CASE("files: READ returns the bytes, is clamped to 255 KiB and ends with EOF") {
    CodecFixture fx;
    const std::string data = pattern(300 * 1024);
    write_file(fx.acme() / "r.tgz", data);
    auto out = fx.serve(
        {}, with_handle("/r.tgz", FXF_READ, [&](const std::string& h) {
            return read_request(10, h, 0, 1u << 20) + read_request(11, h, data.size() - 10, 100) +
                   read_request(12, h, data.size(), 100) + write_request(13, h, 0, "x") +
                   request(FXP_FSTAT, 14).str(h).wire() + close_request(15, h);
        }));
    CHECK(out.to(10).data() == data.substr(0, kMaxReadWrite));
    CHECK(out.to(11).data() == data.substr(data.size() - 10));
    CHECK(out.to(12).status() == FX_EOF);
    CHECK(out.to(12).message() == "end of file");
    CHECK(out.to(13).status() == FX_PERMISSION_DENIED);
    CHECK(out.to(13).message() == "/r.tgz is not open for writing");
    CHECK(out.to(14).size() == data.size());
    CHECK(out.to(15).status() == FX_OK);
    CHECK(read_file(fx.acme() / "r.tgz") == data);
}

TEST_CASE("files: OPEN refuses an existing name and a name the store does not take, with why") {
    CodecFixture fx;
    write_file(fx.acme() / "taken.tgz", "published");
    auto out = fx.serve(
        {init_packet() + open_request(1, "/taken.tgz", kUpload) +
         open_request(2, "/notes.txt", kUpload) + open_request(3, "/nodir/x.tgz", kUpload) +
         open_request(4, "/missing.tgz", FXF_READ) + open_request(5, "/taken.tgz", FXF_READ)});
    const std::string taken =
        "acme/taken.tgz already exists; bundles are immutable — upload under a new name";
    CHECK(out.to(1).status() == FX_FAILURE);
    CHECK(out.to(1).message() == taken);
    CHECK(out.to(2).status() == FX_PERMISSION_DENIED);
    CHECK_THAT(out.to(2).message(),
               Catch::StartsWith("/notes.txt refused: not an accepted bundle name"));
    CHECK_THAT(out.to(2).message(), Catch::Contains("*.tgz"));
    CHECK(out.to(3).status() == FX_NO_SUCH_FILE);
    CHECK(out.to(4).status() == FX_NO_SUCH_FILE);
    CHECK(out.to(5).type == FXP_HANDLE);  // reading a bundle is fine
    // OpenSSH's sftp prints only "Failure" for a status: the reason goes to stderr too.
    CHECK_THAT(out.stderr_text, Catch::Contains("dropgate: " + taken + "\n"));
    CHECK_THAT(out.stderr_text, Catch::Contains("dropgate: /notes.txt refused: "));
    CHECK(read_file(fx.acme() / "taken.tgz") == "published");
    CHECK_FALSE(std::filesystem::exists(fx.acme() / "notes.txt"));
}

TEST_CASE("files: the 257th open handle is refused, nothing is created, and a CLOSE frees one") {
    CodecFixture fx;
    std::string wire = init_packet();
    for (std::uint32_t id = 1; id <= 256; ++id) wire += request(FXP_OPENDIR, id).str("/").wire();
    wire += request(FXP_OPENDIR, 257).str("/").wire() + open_request(258, "/new.tgz", kUpload);
    std::vector<Step> steps{[&](const auto&) { return Wire{wire}; },
                            [](const std::vector<Reply>& so_far) {
                                return Wire{close_request(300, handle_in(so_far, 7)) +
                                            open_request(301, "/new.tgz", kUpload)};
                            }};
    auto out = fx.serve({}, steps);
    for (std::uint32_t id = 1; id <= 256; ++id) REQUIRE(out.to(id).type == FXP_HANDLE);
    for (std::uint32_t id : {257u, 258u}) {
        CHECK(out.to(id).status() == FX_FAILURE);
        CHECK(out.to(id).message() == "too many open handles (limit 256)");
    }
    CHECK(out.to(300).status() == FX_OK);
    CHECK(out.to(301).type == FXP_HANDLE);
    CHECK(std::filesystem::exists(fx.acme() / "new.tgz"));  // created by 301, not by 258
}

TEST_CASE("files: an upload left open when the client goes is flushed, tagged aborted, closed") {
    CodecFixture fx;
    const std::string data = pattern(100 * 1024);
    auto out = fx.serve({}, with_handle("/gone.tgz", kUpload, [&](const std::string& h) {
                            std::string wire;
                            for (std::size_t off = 0; off < data.size(); off += 32 * 1024)
                                wire += write_request(std::uint32_t(10 + off / 1024), h, off,
                                                      data.substr(off, 32 * 1024));
                            return wire;  // and no CLOSE: the client is gone
                        }));
    CHECK(out.why == "client closed the channel");
    CHECK(read_file(fx.acme() / "gone.tgz") == data);  // what was coalesced reached the file
    CHECK(xattr(fx.acme() / "gone.tgz", dropgate::contract::xattr::kAborted) == "1");
}

namespace {

// The file size limit of this process, and SIGXFSZ ignored, for one scope: a real write error
// (EFBIG) from a real file.
class FileSizeLimit {
  public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
        rlimit limit{bytes, saved_.rlim_max};
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        ::signal(SIGXFSZ, old_handler_);
    }

  private:
    rlimit saved_{};
    sighandler_t old_handler_ = SIG_DFL;
};

}  // namespace

TEST_CASE("files: a failed coalesced write is reported on the next request, sticky, and at CLOSE") {
    CodecFixture fx;
    const std::string data = pattern(300 * 1024);
    std::vector<Step> steps = with_handle("/big.tgz", kUpload, [&](const std::string& h) {
        std::string wire;
        for (std::size_t off = 0; off < data.size(); off += 32 * 1024)  // ids 10…19
            wire += write_request(std::uint32_t(10 + off / (32 * 1024)), h, off,
                                  data.substr(off, 32 * 1024));
        return wire + request(FXP_FSTAT, 30).str(h).wire() +
               write_request(31, h, data.size(), "more") + close_request(32, h);
    });
    CodecFixture::Outcome out;
    {
        FileSizeLimit limit(64 * 1024);
        out = fx.serve({}, steps);
    }
    INFO(out.why << "\n" << out.stderr_text);
    // Coalesced: the WRITEs were answered before anything reached the file.
    for (std::uint32_t id = 10; id < 20; ++id) CHECK(out.to(id).status() == FX_OK);
    const std::string refused = "/big.tgz refused: a size limit was exceeded";
    for (std::uint32_t id : {30u, 31u, 32u}) {
        INFO("request " << id);
        CHECK(out.to(id).status() == FX_FAILURE);
        CHECK(out.to(id).message() == refused);
    }
    // Told once on stderr, the line a person at OpenSSH's sftp reads.
    CHECK(out.stderr_text == "dropgate: " + refused + "\n");
}

TEST_CASE(
    "files: RENAME of a temp upload whose CLOSE failed answers with that failure, not ENOENT") {
    CodecFixture fx;
    const std::string data = pattern(100 * 1024);
    std::vector<Step> steps = with_handle("/big.tgz.filepart", kUpload, [&](const std::string& h) {
        return write_request(10, h, 0, data) + close_request(11, h) +
               open_request(12, "/fine.tgz.part", kUpload);
    });
    steps.push_back([&](const std::vector<Reply>& so_far) {
        std::string h = handle_in(so_far, 12);
        return Wire{write_request(13, h, 0, "small") + close_request(14, h)};
    });
    steps.push_back([&](const auto&) {
        // What the store does with a refused upload, and with a held one it discards: the file
        // is gone (here no index row tells why, so the close's errno must).
        std::filesystem::remove(fx.acme() / "big.tgz.filepart");
        std::filesystem::remove(fx.acme() / "fine.tgz.part");
        return Wire{
            request(FXP_RENAME, 20).str("/big.tgz.filepart").str("/big.tgz").wire() +
            extended(21, "posix-rename@openssh.com").str("big.tgz.filepart").str("/b.tgz").wire() +
            request(FXP_RENAME, 22).str("/fine.tgz.part").str("/fine.tgz").wire() +
            request(FXP_RENAME, 23).str("/never.tgz.part").str("/never.tgz").wire()};
    });
    CodecFixture::Outcome out;
    {
        FileSizeLimit limit(64 * 1024);
        out = fx.serve({}, steps);
    }
    INFO(out.why << "\n" << out.stderr_text);
    const std::string refused = "/big.tgz.filepart refused: a size limit was exceeded";
    CHECK(out.to(11).message() == refused);
    for (std::uint32_t id : {20u, 21u}) {
        INFO("request " << id);
        CHECK(out.to(id).status() == FX_FAILURE);
        CHECK(out.to(id).message() == refused);
    }
    // Closed fine and no row says otherwise, or never uploaded: simply not there.
    CHECK(out.to(22).status() == FX_NO_SUCH_FILE);
    CHECK(out.to(23).status() == FX_NO_SUCH_FILE);
    CHECK(out.stderr_text == "dropgate: " + refused + "\n" + "dropgate: " + refused + "\n" +
                                 "dropgate: " + refused + "\n");
}
