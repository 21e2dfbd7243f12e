// Helpers for the index tests: upload records, members, and a config file pointing at a
// store root and index database inside a TempDir (with a real ssh-keygen key for its user).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "dropgate/index/index.hpp"
#include "harness.hpp"

namespace dropgate::test {

inline index::UploadRecord upload(std::string upload_id, std::string customer, std::string path,
                                    index::UploadState status,
                                    std::chrono::system_clock::time_point finished) {
    index::UploadRecord r;
    r.upload_id = std::move(upload_id);
    r.customer = std::move(customer);
    r.path = std::move(path);
    r.remote = "203.0.113.7:50122";
    r.client_version = "SSH-2.0-OpenSSH_9.2p1";
    r.started_at = finished - std::chrono::seconds(3);
    r.finished_at = finished;
    r.status = status;
    r.bytes = 1000;
    r.sha256 = std::string(64, 'a');
    if (status != index::UploadState::accepted) r.reason = "gzip CRC mismatch in member 2";
    return r;
}

inline validator::Member member(std::string path, std::uint64_t size, std::uint64_t header_offset) {
    validator::Member m;
    m.path = std::move(path);
    m.type = '0';
    m.size = size;
    m.mode = 0644;
    m.mtime = 1'700'000'000;
    m.uid = 1000;
    m.gid = 1000;
    m.uname = "app";
    m.gname = "app";
    m.header_offset = header_offset;
    m.data_offset = header_offset + 512;
    return m;
}

// A config whose store root is dir/data and index dir/data/index.sqlite3; returns its path.
inline std::filesystem::path write_config(const TempDir& dir) {
    std::filesystem::create_directories(dir / "data");
    std::string pub = make_key_pair(dir / "acme_ed25519", "acme@test");
    auto config = dir / "dropgate.toml";
    write_file(config,
               "[store]\nroot = \"data\"\nmount = \"mnt\"\n\n[index]\n"
               "database = \"data/index.sqlite3\"\n\n[[user]]\nname = \"acme\"\n"
               "role = \"customer\"\nkeys = [\"" +
                   pub + "\"]\n");
    return config;
}

// Lines of `text`, without the trailing newline.
inline std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

}  // namespace dropgate::test
