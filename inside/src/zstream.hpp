// RAII owner of a zlib inflate stream.
#pragma once

#include <zlib.h>

#include "dropgate/inside/seek_index.hpp"

namespace dropgate::inside {

class Inflater {
  public:
    // window_bits: 31 for a gzip member (header and trailer), -15 for raw deflate.
    explicit Inflater(int window_bits) {
        if (inflateInit2(&stream_, window_bits) != Z_OK)
            throw SeekIndexError("inflateInit2 failed");
    }
    ~Inflater() { inflateEnd(&stream_); }
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;
    z_stream* operator->() { return &stream_; }
    z_stream* get() { return &stream_; }

  private:
    z_stream stream_{};
};

inline constexpr unsigned kWindow = 32768;

}  // namespace dropgate::inside
