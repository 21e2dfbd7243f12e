// The close-time verdict, seen from a local writer: accepted bundles appear and are indexed,
// refused ones make close() fail with the right errno and leave only their rejected row.
#include <catch2/catch.hpp>
#include <filesystem>

#include "store_fixture.hpp"

using namespace dropgate::test;
namespace stdfs = std::filesystem;

TEST_CASE(
    "a valid bundle copied with cp appears under its customer, in root/bundles and as an accepted "
    "row") {
    StoreUnderTest store;
    store.start();
    CHECK(list_dir(store.mount()) == std::vector<std::string>{"acme", "globex"});
    auto bundle = store.dir() / "logs.tgz";
    make_small_bundle(bundle);

    auto cp = run({"cp", bundle.string(), (store.mount() / "acme/").string()});
    REQUIRE(cp.exit_code == 0);

    CHECK(list_dir(store.mount() / "acme") == std::vector<std::string>{"logs.tgz"});
    CHECK(sha256_of(store.mount() / "acme/logs.tgz") == sha256_of(bundle));
    CHECK(sha256_of(store.bundles() / "acme/logs.tgz") == sha256_of(bundle));
    CHECK(store.row("acme", "logs.tgz") == "accepted|");
    CHECK(store.sql("SELECT sha256 FROM uploads WHERE path = 'logs.tgz'") == sha256_of(bundle));
    CHECK(std::stoi(store.sql("SELECT count(*) FROM members m JOIN uploads u ON m.upload_id = u.id "
                              "WHERE u.path = 'logs.tgz'")) >= 2);
    CHECK(list_dir(store.staging()).empty());
    CHECK(list_dir(store.mount() / "globex").empty());
}

TEST_CASE("bundles go into subdirectories a customer creates with mkdir") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    REQUIRE(sh("mkdir -p '" + (store.mount() / "acme/host1/2026").string() + "'").exit_code == 0);
    CHECK(write_through(store.mount() / "acme/host1/2026/b.tgz", bundle) == "open=OK\nclose=0\n");
    CHECK(stdfs::exists(store.bundles() / "acme/host1/2026/b.tgz"));
    CHECK(store.row("acme", "host1/2026/b.tgz") == "accepted|");
    CHECK(sh("mkdir '" + (store.mount() / "newcustomer").string() + "'").exit_code != 0);
}

TEST_CASE(
    "each malformed bundle is refused with EBADMSG, at its first known bad write or at close, and "
    "leaves nothing but its rejected row") {
    StoreUnderTest store;
    store.start();
    auto good = store.dir() / "good.tgz";
    make_small_bundle(good);
    const std::string bytes = read_file(good);
    struct Case {
        std::string name, content, reason, seen;
    };
    std::string bad_crc = bytes;
    bad_crc[bad_crc.size() - 8] ^= 0x55;  // the first byte of the gzip trailer's CRC-32
    const std::string early = "open=OK\nwrite=EBADMSG\nclose=EBADMSG\n";
    const std::string at_close = "open=OK\nclose=EBADMSG\n";
    // Headers are judged as they come; deflate data in 64 KiB pieces (the verdict must not
    // depend on how the writes cut it): all of this small bundle's at close.
    REQUIRE(bytes.size() < (64u << 10));
    const std::vector<Case> cases = {
        {"zip.tgz", "PK\x03\x04" + std::string(200, 'z'), "not gzip", early},
        {"truncated.tgz", bytes.substr(0, bytes.size() / 2), "truncated", at_close},
        {"crc.tgz", bad_crc, "CRC", at_close},
        {"trailing.tgz", bytes + "garbage after the end", "trailing data", at_close},
        {"empty.tgz", "", "", at_close},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto file = store.dir() / c.name;
        write_file(file, c.content);
        CHECK(write_through(store.mount() / "acme" / c.name, file) == c.seen);
        CHECK_FALSE(stdfs::exists(store.mount() / "acme" / c.name));
        CHECK_FALSE(stdfs::exists(store.bundles() / "acme" / c.name));
        CHECK_THAT(store.row("acme", c.name),
                   Catch::StartsWith("rejected|") && Catch::Contains(c.reason));
    }
    CHECK(list_dir(store.staging()).empty());
    CHECK(list_dir(store.mount() / "acme").empty());
}

TEST_CASE("a bundle over a configured limit is refused with EFBIG") {
    StoreUnderTest store("max_bundle_size = \"64KiB\"\nmax_compression_ratio = 20");
    store.start();
    auto big = store.dir() / "big.tgz";
    REQUIRE(sh("head -c 200000 /dev/urandom > '" + (store.dir() / "r.bin").string() +
               "' && tar -czf '" + big.string() + "' -C '" + store.dir().path().string() +
               "' r.bin")
                .exit_code == 0);
    auto out = write_through(store.mount() / "acme/big.tgz", big, {"--chunk", "16384"});
    CHECK_THAT(out, Catch::EndsWith("close=EFBIG\n"));
    CHECK_THAT(store.row("acme", "big.tgz"),
               Catch::StartsWith("rejected|") && Catch::Contains("max_bundle_size"));
}

TEST_CASE("a decompression bomb is refused with EFBIG while it arrives") {
    StoreUnderTest store("max_compression_ratio = 20");
    store.start();
    // A 2 MiB file that inflates to 4 GiB: a tar header for a 4 GiB member, its data 64 gzip
    // members of 64 MiB of zeros. Refused while it arrives, once the output passes ratio x input
    // plus the 1 GiB grace (docs/validation.md); the store took only the first of its MiBs then.
    auto bomb = store.dir() / "bomb.tgz";
    REQUIRE(sh("cd '" + store.dir().path().string() +
               "' && truncate -s 4G zeros.img && (tar -cf - zeros.img | head -c 512 | gzip > "
               "bomb.tgz); head -c 64M /dev/zero | gzip -6 > z.gz && for i in $(seq 64); do cat "
               "z.gz; done >> bomb.tgz && rm zeros.img z.gz")
                .exit_code == 0);
    CHECK(write_through(store.mount() / "acme/bomb.tgz", bomb, {"--chunk", "65536"}) ==
          "open=OK\nwrite=EFBIG\nclose=EFBIG\n");
    CHECK(store.row("acme", "bomb.tgz") ==
          "rejected|compression ratio exceeds max_compression_ratio 20");
    CHECK(list_dir(store.mount() / "acme").empty());
    CHECK(list_dir(store.staging()).empty());
}

TEST_CASE(
    "a name the store does not accept fails at create with EACCES, a taken name with EEXIST") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    CHECK(write_through(store.mount() / "acme/notes.txt", bundle) == "open=EACCES\n");
    CHECK(write_through(store.mount() / "notes.tgz", bundle) == "open=EACCES\n");
    CHECK(write_through(store.mount() / "acme/b.tgz", bundle) == "open=OK\nclose=0\n");
    CHECK(write_through(store.mount() / "acme/b.tgz", bundle) == "open=EEXIST\n");
    auto cp = run({"cp", bundle.string(), (store.mount() / "acme/b.tgz").string()});
    CHECK(cp.exit_code != 0);
    CHECK_THAT(cp.err, Catch::Contains("File exists"));
    CHECK(sha256_of(store.bundles() / "acme/b.tgz") == sha256_of(bundle));
}

TEST_CASE("an upload under a temp suffix is judged at close, held, and published by mv") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    CHECK(write_through(store.mount() / "acme/b.tgz.filepart", bundle) == "open=OK\nclose=0\n");
    CHECK(list_dir(store.mount() / "acme") == std::vector<std::string>{"b.tgz.filepart"});
    CHECK(list_dir(store.bundles() / "acme").empty());
    CHECK(run({"cat", (store.mount() / "acme/b.tgz.filepart").string()}).exit_code != 0);
    // Renaming to a name that is not a bundle name is refused; the upload stays held.
    CHECK(run({"mv", (store.mount() / "acme/b.tgz.filepart").string(),
               (store.mount() / "acme/b.txt").string()})
              .exit_code != 0);

    auto mv = run({"mv", (store.mount() / "acme/b.tgz.filepart").string(),
                   (store.mount() / "acme/b.tgz").string()});
    CHECK(mv.exit_code == 0);
    CHECK(list_dir(store.mount() / "acme") == std::vector<std::string>{"b.tgz"});
    CHECK(sha256_of(store.bundles() / "acme/b.tgz") == sha256_of(bundle));
    CHECK(store.row("acme", "b.tgz") == "accepted|");

    // A refused temp-suffix upload fails like any other and leaves nothing to rename. (The kernel
    // looks the source up before a rename reaches the store, so through the mount that rename
    // sees ENOENT; over SFTP the gateway answers it with the refusal's reason.)
    auto junk = store.dir() / "junk";
    write_file(junk, "not a bundle");
    CHECK(write_through(store.mount() / "acme/c.tgz.part", junk) ==
          "open=OK\nwrite=EBADMSG\nclose=EBADMSG\n");
    auto refused = run({"mv", (store.mount() / "acme/c.tgz.part").string(),
                        (store.mount() / "acme/c.tgz").string()});
    CHECK(refused.exit_code != 0);
    CHECK(list_dir(store.staging()).empty());
}

TEST_CASE("a published bundle cannot be written, truncated, removed, renamed or chmodded") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    REQUIRE(write_through(store.mount() / "acme/b.tgz", bundle) == "open=OK\nclose=0\n");
    const auto published = (store.mount() / "acme/b.tgz").string();
    std::string result = attempt_each(published, R"(
attempt("write", lambda: os.open(p, os.O_WRONLY))
attempt("append", lambda: os.open(p, os.O_WRONLY | os.O_APPEND))
attempt("truncate", lambda: os.truncate(p, 0))
attempt("unlink", lambda: os.unlink(p))
attempt("rename", lambda: os.rename(p, p + ".old.tgz"))
attempt("chmod", lambda: os.chmod(p, 0o666))
attempt("setxattr", lambda: os.setxattr(p, "user.dropgate.sha256", b"0"))
attempt("rmdir", lambda: os.rmdir(os.path.dirname(p)))
)");
    CHECK(result ==
          "write=EEXIST\nappend=EEXIST\ntruncate=EACCES\nunlink=EACCES\nrename=EACCES\n"
          "chmod=EACCES\nsetxattr=EACCES\nrmdir=EACCES\n");
    CHECK(sha256_of(store.bundles() / "acme/b.tgz") == sha256_of(bundle));
}

TEST_CASE("writes that arrive out of order are validated once the gap fills") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "b.tgz";
    make_small_bundle(bundle);
    auto result = run({"python3", "-c", R"(
import errno, os, sys
data = open(sys.argv[2], "rb").read()
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
third = len(data) // 3
os.pwrite(fd, data[2 * third:], 2 * third)   # the tail first
os.pwrite(fd, data[third:2 * third], third)  # then the middle
os.pwrite(fd, data[:third + 100], 0)         # the head, overlapping the middle with equal bytes
try:
    os.close(fd); print("close=0")
except OSError as e:
    print("close=" + errno.errorcode[e.errno])
)",
                       (store.mount() / "acme/ooo.tgz").string(), bundle.string()});
    CHECK(result.out == "close=0\n");
    CHECK(sha256_of(store.bundles() / "acme/ooo.tgz") == sha256_of(bundle));

    // Space reserved first with ftruncate is not content: the writes that follow are judged.
    // Bytes written are, though: a placeholder of zeros is refused at once (fail fast), and bytes
    // once refused cannot be mended by writing over them.
    auto reserve = run({"python3", "-c", R"(
import errno, os, sys
data = open(sys.argv[3], "rb").read()
for path, placeholder in ((sys.argv[1], False), (sys.argv[2], True)):
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
    try:
        if placeholder:
            os.write(fd, b"\0" * len(data))
        else:
            os.ftruncate(fd, len(data))
        os.pwrite(fd, data, 0)
        print("write=0")
    except OSError as e:
        print("write=" + errno.errorcode[e.errno])
    try:
        os.close(fd); print("close=0")
    except OSError as e:
        print("close=" + errno.errorcode[e.errno])
)",
                        (store.mount() / "acme/reserved.tgz").string(),
                        (store.mount() / "acme/placeholder.tgz").string(), bundle.string()});
    CHECK(reserve.out == "write=0\nclose=0\nwrite=EBADMSG\nclose=EBADMSG\n");
    CHECK(sha256_of(store.bundles() / "acme/reserved.tgz") == sha256_of(bundle));
    CHECK(store.row("acme", "placeholder.tgz") == "rejected|not gzip (bad magic 00 00 00 00)");
}

TEST_CASE(
    "with the kernel writeback cache on, bundles written in small pieces are accepted intact") {
    StoreUnderTest store;
    store.start({"--writeback-cache"});
    auto big = big_bundle();
    CHECK(write_through(store.mount() / "acme/small-writes.tgz", big, {"--chunk", "1000"}) ==
          "open=OK\nclose=0\n");
    CHECK(sha256_of(store.bundles() / "acme/small-writes.tgz") == sha256_of(big));
    auto bad = store.dir() / "bad.tgz";
    write_file(bad, read_file(big).substr(0, 3'000'000));
    CHECK(write_through(store.mount() / "acme/cut.tgz", bad, {"--chunk", "4096"}) ==
          "open=OK\nclose=EBADMSG\n");
    CHECK(list_dir(store.staging()).empty());
}

TEST_CASE("shell redirection and dd, which dup the file and close the original first, publish") {
    StoreUnderTest store;
    store.start();
    auto bundle = store.dir() / "logs.tgz";
    make_small_bundle(bundle);
    const std::string mount = store.mount().string();
    auto redirected = sh("cat '" + bundle.string() + "' > '" + mount + "/acme/cat.tgz'");
    CHECK(redirected.exit_code == 0);
    auto dd = run(
        {"dd", "if=" + bundle.string(), "of=" + mount + "/acme/dd.tgz", "bs=4k", "status=none"});
    CHECK(dd.exit_code == 0);
    auto exec_fd =
        sh("exec 3> '" + mount + "/acme/fd3.tgz'; cat '" + bundle.string() + "' >&3; exec 3>&-");
    CHECK(exec_fd.exit_code == 0);
    CHECK(list_dir(store.mount() / "acme") ==
          std::vector<std::string>{"cat.tgz", "dd.tgz", "fd3.tgz"});
    for (const char* name : {"cat.tgz", "dd.tgz", "fd3.tgz"})
        CHECK(store.row("acme", name) == "accepted|");
    // The last descriptor's close still carries the verdict (bash execs head, which then holds
    // the only descriptor; dash keeps one itself, so only its own exit would see the error).
    auto truncated =
        run({"bash", "-c", "head -c 100 '" + bundle.string() + "' > '" + mount + "/acme/cut.tgz'"});
    CHECK(truncated.exit_code != 0);
    CHECK_THAT(truncated.err, Catch::Contains("Bad message"));
    CHECK(store.row("acme", "cut.tgz").rfind("rejected|", 0) == 0);
}

TEST_CASE("a large bundle's SHA-256 is right whichever order its bytes arrive in") {
    // Past 16 MiB the hash runs on its own thread beside the check; a rewrite of checked bytes
    // makes the close re-read the whole file instead. The index row must not tell them apart.
    // (The rewrite comes before the gzip trailer: bytes already refused could not be mended.)
    StoreUnderTest store;
    store.start();
    const auto bundle = big_bundle();
    const std::string expected = sha256_of(bundle);
    auto in_order = write_through(store.mount() / "acme/seq.tgz", bundle);
    CHECK(in_order == "open=OK\nclose=0\n");
    auto result = run({"python3", "-c", R"(
import os, sys
data = open(sys.argv[3], "rb").read()
half = len(data) // 2
mid = data[half:half + 4096]
writes = {sys.argv[1]: [(data[half:], half), (data[:half], 0)],       # the second half first
          sys.argv[2]: [(data[:-8], 0), (bytes(4096), half), (mid, half), (data[-8:], len(data) - 8)]}
for path, pieces in writes.items():
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
    for piece, offset in pieces:
        os.pwrite(fd, piece, offset)
    os.close(fd)  # raises (and the script fails) if the store refuses
print("close=0")
)",
                       (store.mount() / "acme/halves.tgz").string(),
                       (store.mount() / "acme/rewritten.tgz").string(), bundle.string()});
    CHECK(result.out == "close=0\n");
    for (const char* name : {"seq.tgz", "halves.tgz", "rewritten.tgz"}) {
        INFO(name);
        CHECK(store.row("acme", name) == "accepted|");
        CHECK(store.sql(std::string("SELECT sha256 FROM uploads WHERE path = '") + name + "'") ==
              expected);
        CHECK(sha256_of(store.bundles() / "acme" / name) == expected);
    }
}
