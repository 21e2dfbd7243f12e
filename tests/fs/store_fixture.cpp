#include "store_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace dropgate::test {

namespace {

using namespace std::chrono_literals;

// Waits for `pid` up to `timeout`; returns its exit status (128+signal), or -1 if still running.
int wait_for(pid_t pid, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (done < 0 || std::chrono::steady_clock::now() > deadline) return -1;
        std::this_thread::sleep_for(20ms);
    }
}

}  // namespace

StoreUnderTest::StoreUnderTest(const std::string& extra_store_config) {
    auto key = dir_ / "key";
    auto keygen = run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.string()});
    REQUIRE(keygen.exit_code == 0);
    std::string pub = read_file(dir_ / "key.pub");
    while (!pub.empty() && pub.back() == '\n') pub.pop_back();
    std::ostringstream toml;
    toml << "[server]\nhost_key_dir = \"keys\"\n\n"
         << "[store]\nroot = \"root\"\nmount = \"mnt\"\n"
         << extra_store_config << "\n\n"
         << "[index]\ndatabase = \"root/index.sqlite3\"\n\n";
    for (const char* user : {"acme", "globex"})
        toml << "[[user]]\nname = \"" << user << "\"\nrole = \"customer\"\nkeys = [\"" << pub
             << "\"]\n\n";
    toml << "[[user]]\nname = \"help\"\nrole = \"support\"\nkeys = [\"" << pub << "\"]\n";
    write_file(config_file(), toml.str());
}

StoreUnderTest::~StoreUnderTest() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        if (wait_for(pid_, 30s) < 0) {
            ::kill(pid_, SIGKILL);
            wait_for(pid_, 10s);
        }
    }
    if (is_mounted(mount())) run({"fusermount3", "-u", "-z", mount().string()});
}

void StoreUnderTest::start(const std::vector<std::string>& extra_args) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int log = ::open((dir_ / "store.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(log, 1);
        ::dup2(log, 2);
        std::string bin = dropgate_bin(), config = config_file().string();
        std::vector<const char*> argv{bin.c_str(), "store", "-c", config.c_str()};
        for (const auto& arg : extra_args) argv.push_back(arg.c_str());
        argv.push_back(nullptr);
        ::execv(bin.c_str(), const_cast<char* const*>(argv.data()));
        ::_exit(127);
    }
    pid_ = pid;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    // Mounted and answering (a dead mount left by a killed store is in mountinfo too).
    auto answering = [&] {
        struct statfs st {};  // always answered by the daemon, never from a cache
        return is_mounted(mount()) && ::statfs(mount().c_str(), &st) == 0;
    };
    while (!answering()) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            FAIL("dropgate store exited before mounting:\n" << log());
        }
        if (std::chrono::steady_clock::now() > deadline) FAIL("store did not mount:\n" << log());
        std::this_thread::sleep_for(20ms);
    }
}

int StoreUnderTest::stop() {
    REQUIRE(pid_ > 0);
    ::kill(pid_, SIGTERM);
    int status = wait_for(pid_, 60s);
    pid_ = -1;
    return status;
}

void StoreUnderTest::kill_hard(bool unmount) {
    REQUIRE(pid_ > 0);
    ::kill(pid_, SIGKILL);
    wait_for(pid_, 30s);
    pid_ = -1;
    if (unmount) run({"fusermount3", "-u", "-z", mount().string()});
}

std::string StoreUnderTest::log() const {
    std::ifstream in(dir_ / "store.log");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string StoreUnderTest::sql(const std::string& query) const {
    auto result =
        run({"sqlite3", "-batch", "-noheader", (root() / "index.sqlite3").string(), query});
    std::string out = result.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

std::string StoreUnderTest::row(const std::string& customer, const std::string& path) const {
    return sql("SELECT status || '|' || coalesce(reason, '') FROM uploads WHERE customer = '" +
               customer + "' AND path = '" + path + "' ORDER BY id DESC LIMIT 1");
}

std::string attempt_each(const std::filesystem::path& target, const std::string& statements) {
    static const std::string prelude = R"(
import errno, os, sys
p = sys.argv[1]
def attempt(what, fn):
    try:
        fn(); print(what + "=OK")
    except OSError as e:
        print(what + "=" + errno.errorcode[e.errno])
)";
    return run({"python3", "-c", prelude + statements, target.string()}).out;
}

std::string write_through(const std::filesystem::path& dest, const std::filesystem::path& src,
                          const std::vector<std::string>& options) {
    std::vector<std::string> argv{"python3", (tests_dir() / "fs/writer.py").string(), dest.string(),
                                  src.string()};
    argv.insert(argv.end(), options.begin(), options.end());
    return run(argv).out;
}

void make_small_bundle(const std::filesystem::path& file) {
    auto content = file.parent_path() / (file.filename().string() + ".d");
    std::filesystem::create_directories(content / "logs");
    write_file(content / "logs/app.log", std::string(20000, 'a') + "\nend\n");
    write_file(content / "config.txt", "threads = 4\n");
    auto tar = sh("tar -czf '" + file.string() + "' -C '" + content.string() + "' logs config.txt");
    REQUIRE(tar.exit_code == 0);
    std::filesystem::remove_all(content);
}

std::filesystem::path big_bundle() {
    std::filesystem::path cache = "/tmp/dropgate-test-cache";
    auto bundle = cache / "bundle-100m.tgz";
    if (std::filesystem::exists(bundle)) return bundle;
    std::filesystem::create_directories(cache);
    TempDir work;
    auto made =
        sh("cd '" + work.path().string() +
           "' && head -c 60000000 /dev/urandom > core.bin && "
           "python3 -c \"import random; random.seed(1); "
           "open('app.log','w').write(''.join('2026-11-23 INFO worker %d done in %d ms\\n' % "
           "(i, random.randrange(999)) for i in range(2000000)))\" && "
           "tar -cf - core.bin app.log | pigz -6 > bundle.tgz && mv bundle.tgz '" +
           (cache / ("bundle-100m.tgz." + std::to_string(::getpid()))).string() + "'");
    REQUIRE(made.exit_code == 0);
    std::filesystem::rename(cache / ("bundle-100m.tgz." + std::to_string(::getpid())), bundle);
    return bundle;
}

std::string sha256_of(const std::filesystem::path& file) {
    auto result = run({"sha256sum", file.string()});
    return result.out.substr(0, 64);
}

bool is_mounted(const std::filesystem::path& mountpoint) {
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string id, parent, dev, root, point;
        fields >> id >> parent >> dev >> root >> point;
        if (point == mountpoint.string()) return true;
    }
    return false;
}

std::vector<std::string> list_dir(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    // The view beside each listed bundle (tests/inside covers views) is left out; a view
    // without its bundle stays, and would fail the test.
    const std::vector<std::string> all = names;
    std::erase_if(names, [&](const std::string& name) {
        return name.ends_with(".d") && std::filesystem::is_directory(dir / name) &&
               std::binary_search(all.begin(), all.end(), name.substr(0, name.size() - 2));
    });
    return names;
}

}  // namespace dropgate::test
