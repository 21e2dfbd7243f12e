// Byte counts as people read them in refusal reasons and logs.
#pragma once

#include <cstdint>
#include <string>

namespace dropgate {

// "64 GiB", "1 TiB", "1.5 MiB", "100 bytes" (binary units, one decimal when not whole).
std::string human_size(std::uint64_t bytes);

}  // namespace dropgate
