// Random identifiers: every id dropgate hands out comes from here.
#pragma once

#include <cstddef>
#include <string>

namespace dropgate {

// `bytes` random bytes from the kernel (getrandom) as lowercase hex. Throws std::system_error.
std::string random_hex(std::size_t bytes);

// An upload id: 128 random bits, 32 lowercase hex digits.
inline std::string new_upload_id() {
    return random_hex(16);
}

// Lowercase hex of arbitrary bytes.
std::string to_hex(const unsigned char* data, std::size_t size);

}  // namespace dropgate
