// Reads a whole file sequentially in 1 MiB chunks: the one read loop behind sha256_file and
// validate_file. Throws std::system_error naming the file on I/O errors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>

namespace dropgate::validator::detail {

void read_chunks(const std::filesystem::path& file,
                 const std::function<void(std::span<const std::uint8_t>)>& consume);

}  // namespace dropgate::validator::detail
