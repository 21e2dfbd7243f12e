// [replicate] and [retention]: credentials stay secret, rates and timetables parse as rclone's
// do, and every mistake names file, line and key.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "config_errors.hpp"
#include "dropgate/config/config.hpp"
#include "harness.hpp"

using dropgate::config::ConfigError;
using dropgate::config::load;
using dropgate::config::parse_rate;
using dropgate::test::error_of;
using dropgate::test::TempDir;
using dropgate::test::write_file;

namespace {

const char* kBase =
    "[store]\nroot = \"data\"\nmount = \"mnt\"\n"
    "[[user]]\nname = \"acme\"\nrole = \"customer\"\npassword = \"$6$x$y\"\n";

std::string replicate(const std::string& extra) {
    return std::string(kBase) +
           "[replicate]\nendpoint = \"http://127.0.0.1:9000\"\nbucket = \"bundles\"\n"
           "credentials_file = \"s3.toml\"\n" +
           extra;
}

void credentials(const TempDir& dir, const std::string& text, mode_t mode = 0600) {
    write_file(dir / "s3.toml", text);
    ::chmod((dir / "s3.toml").c_str(), mode);
}

}  // namespace

TEST_CASE("replication config loads, and its secret never shows in dropgate check's rendering") {
    TempDir dir;
    credentials(dir, "access_key_id = \"AKID\"\nsecret_access_key = \"very-secret\"\n");
    write_file(dir / "dropgate.toml",
               replicate("rate = \"08:00,40Mbit/s 19:00,off\"\npart_size = \"16MiB\"\n") +
                   "[retention]\nkeep_local = \"7d\"\n");
    auto config = load(dir / "dropgate.toml");
    REQUIRE(config.replicate);
    CHECK(config.replicate->secret_access_key == "very-secret");
    CHECK(config.replicate->bytes_per_second_at(9 * 60) == 5'000'000);
    CHECK(config.replicate->bytes_per_second_at(20 * 60) == 0);
    CHECK(config.replicate->bytes_per_second_at(3 * 60) == 0);  // the night's "off" goes on
    CHECK(config.retention.keep_local == std::chrono::hours(24 * 7));
    std::string rendered = render(config);
    CHECK_THAT(rendered, !Catch::Contains("very-secret"));
    CHECK_THAT(rendered, !Catch::Contains("AKID"));
    CHECK_THAT(rendered, Catch::Contains("credentials_file"));
}

TEST_CASE("replication mistakes name the file, the line and the key") {
    TempDir dir;
    credentials(dir, "access_key_id = \"AKID\"\nsecret_access_key = \"s\"\n");
    CHECK_THAT(error_of(dir, replicate("rate = \"40 furlongs\"\n")),
               Catch::Contains("dropgate.toml:") && Catch::Contains("replicate.rate") &&
                   Catch::Contains("unknown rate unit"));
    CHECK_THAT(error_of(dir, replicate("part_size = \"1MiB\"\n")),
               Catch::Contains("replicate.part_size: must be between 8MiB and 5GiB"));
    CHECK_THAT(error_of(dir, replicate("bucket_name = \"x\"\n")),
               Catch::Contains("replicate.bucket_name"));
    CHECK_THAT(error_of(dir, std::string(kBase) + "[retention]\nkeep_local = \"1d\"\n"),
               Catch::Contains("needs [replicate]"));
    credentials(dir, "access_key_id = \"AKID\"\nsecret_access_key = \"s\"\n", 0644);
    CHECK_THAT(error_of(dir, replicate("")), Catch::Contains("replicate.credentials_file") &&
                                                 Catch::Contains("readable by others"));
    credentials(dir, "access_key_id = \"AKID\"\nsecret = \"s\"\n");
    CHECK_THAT(error_of(dir, replicate("")),
               Catch::Contains("s3.toml") && Catch::Contains("secret_access_key"));
}

TEST_CASE("rates parse in bits and bytes, and timetables in time order") {
    CHECK(parse_rate("40Mbit/s").front().bytes_per_second == 5'000'000);
    CHECK(parse_rate("5MB/s").front().bytes_per_second == 5'000'000);
    CHECK(parse_rate("512KiB/s").front().bytes_per_second == 524'288);
    CHECK(parse_rate("off").empty());
    auto table = parse_rate("19:00,off 08:00,1MB/s");
    REQUIRE(table.size() == 2);
    CHECK(table[0].minute == 8 * 60);
    CHECK_THROWS_AS(parse_rate("25:00,1MB/s"), std::invalid_argument);
    CHECK_THROWS_AS(parse_rate("08:00,1MB/s 08:00,2MB/s"), std::invalid_argument);
}
