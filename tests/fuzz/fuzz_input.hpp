// What every fuzz target shares: reading its settings off the front of the input, and splitting
// a byte stream into pieces the input chooses, so a parser sees every way the network or a
// client can cut its bytes.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace dropgate::fuzz {

// A broken property is a crash: libFuzzer keeps the input, the replay test fails on it.
[[noreturn]] inline void broken(const char* what) {
    std::fprintf(stderr, "fuzz: property broken: %s\n", what);
    std::abort();
}

class Input {
  public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data, size) {}
    // The next byte, or 0 once the input is used up.
    std::uint8_t byte() {
        if (data_.empty()) return 0;
        std::uint8_t b = data_.front();
        data_ = data_.subspan(1);
        return b;
    }
    std::uint16_t u16() { return std::uint16_t(byte() << 8 | byte()); }
    std::span<const std::uint8_t> rest() const { return data_; }
    std::string_view rest_text() const {
        return {reinterpret_cast<const char*>(data_.data()), data_.size()};
    }

  private:
    std::span<const std::uint8_t> data_;
};

// Piece sizes from a seed: mostly small (1..16 bytes, where a boundary lands inside a field),
// sometimes large (up to `max`); seed 0 means the whole stream in one piece.
class Splitter {
  public:
    Splitter(std::uint16_t seed, std::size_t max) : state_(seed * 2654435761u | 1), max_(max) {
        whole_ = seed == 0;
    }
    std::size_t next(std::size_t left) {
        if (whole_) return left;
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        std::size_t n = (state_ & 3) ? 1 + (state_ >> 8) % 16 : 1 + (state_ >> 8) % max_;
        return std::min(n, left);
    }

  private:
    std::uint32_t state_;
    std::size_t max_;
    bool whole_ = false;
};

// A fresh folder under TMPDIR for a target's files, removed with everything in it at exit.
class ScratchDir {
  public:
    explicit ScratchDir(const std::string& name) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / (name + ".XXXXXX")).string();
        if (!::mkdtemp(pattern.data())) std::abort();
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace dropgate::fuzz
