// Free space on the backing filesystem (spec §4: a full disk refuses only the upload it hits).
// The store refuses a write that would leave less than the reserve (ENOSPC, "disk full"), so
// the index, the seek indexes and the log always have room to record what happens next — the
// refusal's own row included — even when the store root and the index share a filesystem.
// `/healthz` says degraded while less than the reserve is free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace dropgate::contract {

inline constexpr std::uint64_t kSpaceReserve = 32ull << 20;

// Bytes an unprivileged writer may still use on the filesystem of `fd` / `path` (statvfs
// f_bavail: what `df` shows as available, without root's reserved blocks); nullopt if the
// filesystem cannot be asked.
std::optional<std::uint64_t> free_space(int fd);
std::optional<std::uint64_t> free_space(const std::filesystem::path& path);

}  // namespace dropgate::contract
