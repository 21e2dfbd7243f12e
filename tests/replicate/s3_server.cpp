#include "s3_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "service_fixture.hpp"

namespace dropgate::test {

S3Server::S3Server() : port_(free_port()) {
    std::filesystem::create_directories(dir_ / "data");
    start();
}

S3Server::~S3Server() {
    stop();
}

void S3Server::start() {
    const std::string script = (tests_dir() / "replicate/js/s3rver.js").string();
    const std::string log = (dir_ / "s3rver.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        const std::string data = (dir_ / "data").string(), port = std::to_string(port_);
        ::execlp("node", "node", script.c_str(), "-d", data.c_str(), "-a", "127.0.0.1", "-p",
                 port.c_str(), "--configure-bucket", kBucket, static_cast<char*>(nullptr));
        ::_exit(127);
    }
    REQUIRE(pid_ > 0);
    bool up = wait_until([&] {
        return sh("curl -s -o /dev/null http://127.0.0.1:" + std::to_string(port_) + "/")
                   .exit_code == 0;
    });
    if (!up) FAIL("s3rver did not start: " + read_file(log));
}

void S3Server::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

std::string S3Server::replicate_section(const std::filesystem::path& credentials_file,
                                        const std::string& extra) const {
    return "[replicate]\nendpoint = \"" + endpoint() + "\"\nbucket = \"" + kBucket +
           "\"\nprefix = \"site1/\"\ncredentials_file = \"" + credentials_file.string() +
           "\"\npart_size = \"8MiB\"\n" + extra + "\n";
}

std::optional<std::filesystem::path> S3Server::object_file(const std::string& key) const {
    auto file = dir_ / ("data/" + std::string(kBucket) + "/" + key + "._S3rver_object");
    if (!std::filesystem::exists(file)) return std::nullopt;
    return file;
}

std::string S3Server::metadata(const std::string& key) const {
    return read_file(dir_ /
                     ("data/" + std::string(kBucket) + "/" + key + "._S3rver_metadata.json"));
}

void S3Server::delete_object(const std::string& key) const {
    for (const char* suffix : {"._S3rver_object", "._S3rver_object.md5", "._S3rver_metadata.json"})
        std::filesystem::remove(dir_ / ("data/" + std::string(kBucket) + "/" + key + suffix));
}

void write_credentials(const std::filesystem::path& file, const std::string& secret) {
    write_file(file, "access_key_id = \"S3RVER\"\nsecret_access_key = \"" + secret + "\"\n");
    ::chmod(file.c_str(), 0600);
}

}  // namespace dropgate::test
