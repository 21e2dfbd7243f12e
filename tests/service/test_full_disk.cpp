// A full disk (issue 18, item 4; spec §4 "a full disk refuses only the upload it hits"): the
// store root — and with it the index, as in the default layout — on a small loop-mounted ext4.
// The upload that meets the full disk is refused with "disk full" (SFTP's stderr, HTTP 507, tus
// 507 then 410), nothing else is harmed, /healthz says degraded, and once space is freed uploads
// work again.
#include <sys/statvfs.h>

#include <catch2/catch.hpp>

#include "service_fixture.hpp"

using namespace dropgate::test;

namespace {

// A 96 MiB ext4 image mounted at mountpoint() (no blocks reserved for root: what df shows is
// what there is). Unmounted, and the image removed, however the test ends.
class LoopFs {
  public:
    LoopFs() {
        auto made =
            sh("truncate -s 96M '" + image().string() + "' && mkfs.ext4 -q -m 0 '" +
               image().string() + "' && mkdir -p '" + mountpoint().string() +
               "' && mount -o loop '" + image().string() + "' '" + mountpoint().string() + "'");
        REQUIRE(made.exit_code == 0);
    }
    ~LoopFs() {
        sh("umount '" + mountpoint().string() + "' 2>/dev/null || umount -l '" +
           mountpoint().string() + "'");
    }
    std::filesystem::path mountpoint() const { return dir_ / "mnt"; }
    std::uint64_t available() const {
        struct statvfs info {};
        REQUIRE(::statvfs(mountpoint().c_str(), &info) == 0);
        return std::uint64_t(info.f_bavail) * info.f_frsize;
    }

  private:
    std::filesystem::path image() const { return dir_ / "disk.img"; }
    TempDir dir_;
};

std::string healthz(const Service& service, int* status) {
    auto r = sh("curl -s -w '\\n%{http_code}' http://127.0.0.1:" +
                std::to_string(service.metrics_port()) + "/healthz");
    auto cut = r.out.rfind('\n');
    *status = std::atoi(r.out.c_str() + cut + 1);
    return r.out.substr(0, cut);
}

// curl -T to PUT /upload/<name>: "<status>\n<body>".
std::string put(const Service& service, const std::filesystem::path& file,
                const std::string& name) {
    return sh("curl -sS --cacert '" + service.http_cert().string() + "' -w '\\n%{http_code}' " +
              "-H 'Authorization: Bearer " + service.token("acme") + "' -T '" + file.string() +
              "' " + service.http_url() + "/upload/" + name)
        .out;
}

// A tus upload of `file` in one PATCH; returns the PATCH's "<body> <status>" and a later
// HEAD's status.
std::pair<std::string, std::string> tus(const Service& service, const std::filesystem::path& file,
                                        const std::string& name) {
    const std::string curl = "curl -sS --cacert '" + service.http_cert().string() +
                             "' -H 'Tus-Resumable: 1.0.0' -H 'Authorization: Bearer " +
                             service.token("acme") + "' ";
    auto created =
        sh(curl + "-o /dev/null -D - -X POST -H 'Upload-Length: " +
           std::to_string(std::filesystem::file_size(file)) + "' -H 'Upload-Metadata: filename " +
           sh("printf %s '" + name + "' | base64 -w0").out + "' " + service.http_url() +
           "/files/ | tr -d '\\r' | awk 'tolower($1) == \"location:\" { print $2 }'");
    REQUIRE_FALSE(created.out.empty());
    std::string location = created.out.substr(0, created.out.find('\n'));
    if (location.rfind("http", 0) != 0) location = service.http_url() + location;
    auto patch = sh(curl + "-w ' %{http_code}' -X PATCH -H 'Upload-Offset: 0' " +
                    "-H 'Content-Type: application/offset+octet-stream' --data-binary '@" +
                    file.string() + "' " + location);
    auto head = sh(curl + "-I -o /dev/null -w '%{http_code}' " + location);
    return {patch.out, head.out};
}

std::string index_rows(const Service& service, const std::string& where) {
    return sh("sqlite3 -readonly '" + (service.root() / "index.sqlite3").string() +
              "' \"SELECT path || '|' || status || '|' || ifnull(reason, '') FROM uploads WHERE " +
              where + " ORDER BY path\"")
        .out;
}

std::size_t staged_files(const Service& service) {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(service.root() / ".staging")) {
        (void)entry;
        ++count;
    }
    return count;
}

}  // namespace

TEST_CASE(
    "a full disk refuses only the uploads that meet it with disk full, until space is freed") {
    LoopFs disk;  // outlives the service: its mount goes after the store's
    Service::Options options;
    options.http = true;
    Service service(options);
    std::filesystem::create_directory_symlink(disk.mountpoint(), service.root());
    service.start();
    const auto& dir = service.dir();
    const std::string kept_sha = make_bundle(dir / "kept.tgz", 1'000'000);
    REQUIRE(service.sftp("acme", "put " + (dir / "kept.tgz").string() + " kept.tgz\n").exit_code ==
            0);
    int status = 0;
    CHECK(healthz(service, &status) == "ok\n");
    CHECK(status == 200);

    // Something else fills the disk to 8 MiB short of full: below the store's reserve.
    make_bundle(dir / "big.tgz", 3'000'000);
    auto filled = sh("fallocate -l " + std::to_string(disk.available() - (8u << 20)) + " '" +
                     (disk.mountpoint() / "filler").string() + "'");
    REQUIRE(filled.exit_code == 0);
    CHECK_THAT(healthz(service, &status), Catch::StartsWith("degraded: disk full: "));
    CHECK(status == 200);

    auto sftp = service.sftp("acme", "put " + (dir / "big.tgz").string() + " sftp.tgz\n");
    CHECK(sftp.exit_code == 1);
    CHECK_THAT(sftp.err, Catch::Contains("dropgate: /sftp.tgz refused: disk full"));
    auto scp = service.scp_upload("acme", dir / "big.tgz", "scp.tgz");
    CHECK(scp.exit_code != 0);
    CHECK_THAT(scp.err, Catch::Contains("refused: disk full"));
    // Over HTTPS the size is announced (Content-Length, Upload-Length): refused before a byte.
    const auto received = service.metric("dropgate_bytes_received_total");
    CHECK(put(service, dir / "big.tgz", "put.tgz") == "disk full\n\n507");
    // tus: refused like the others (its bytes are freed, not kept partial), 410 afterwards.
    auto [patch, head] = tus(service, dir / "big.tgz", "tus.tgz");
    CHECK_THAT(patch, Catch::StartsWith("disk full") && Catch::EndsWith(" 507"));
    CHECK(head == "410");
    CHECK(service.metric("dropgate_bytes_received_total") == received);

    // Nothing else harmed: the earlier bundle intact, each refusal recorded with its reason,
    // no accepted row without its file, nothing of the refused uploads left in staging.
    CHECK(sha256_of(service.root() / "bundles/acme/kept.tgz") == kept_sha);
    CHECK(index_rows(service, "path != 'kept.tgz'") ==
          "put.tgz|rejected|disk full\nscp.tgz|rejected|disk full\n"
          "sftp.tgz|rejected|disk full\ntus.tgz|rejected|disk full\n");
    CHECK(index_rows(service, "path = 'kept.tgz'") == "kept.tgz|accepted|\n");
    CHECK(staged_files(service) == 0);
    auto verify = run({dropgate_bin(), "verify", "-c", service.config_file().string()});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);

    // Filled to the last block: the store still refuses with the same reason, even if the
    // index had no room left for the row (the front ends then say what ENOSPC means).
    sh("dd if=/dev/zero of='" + (disk.mountpoint() / "filler2").string() +
       "' bs=1M 2>/dev/null; sync");
    CHECK(disk.available() < (1u << 20));
    auto full = service.sftp("acme", "put " + (dir / "big.tgz").string() + " full.tgz\n");
    CHECK(full.exit_code == 1);
    CHECK_THAT(full.err, Catch::Contains("refused: disk full"));
    CHECK(put(service, dir / "big.tgz", "full-put.tgz") == "disk full\n\n507");
    CHECK(staged_files(service) == 0);
    CHECK(sha256_of(service.root() / "bundles/acme/kept.tgz") == kept_sha);

    // Space freed: healthy again, and uploads are accepted.
    std::filesystem::remove(disk.mountpoint() / "filler");
    std::filesystem::remove(disk.mountpoint() / "filler2");
    sh("sync");
    CHECK(healthz(service, &status) == "ok\n");
    CHECK(status == 200);
    const std::string big_sha = sha256_of(dir / "big.tgz");
    auto again = service.sftp("acme", "put " + (dir / "big.tgz").string() + " again.tgz\n");
    INFO(again.err << service.log());
    CHECK(again.exit_code == 0);
    CHECK_THAT(put(service, dir / "big.tgz", "again-put.tgz"), Catch::EndsWith("\n201"));
    CHECK(sha256_of(service.root() / "bundles/acme/again.tgz") == big_sha);
    CHECK(sha256_of(service.root() / "bundles/acme/again-put.tgz") == big_sha);
    // The rows written while the disk was full to the last block are rejected ones, if any.
    CHECK_THAT(index_rows(service, "path LIKE 'full%' AND status != 'rejected'"),
               Catch::Equals(""));
    verify = run({dropgate_bin(), "verify", "-c", service.config_file().string()});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
    CHECK(service.stop() == 0);
}
