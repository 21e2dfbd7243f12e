// The sizes that shape one upload's write path (fs/src/upload*.cpp), with what they were
// measured against (docs/store.md, bench/writers.sh and bench/store.sh).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dropgate::fs::tuning {

// Writeback of the staging file is started every kWindow bytes, and the store waits for the
// window kLag behind to reach the disk, so the dirty tail (what the close-time fsync waits for)
// stays under kLag + kWindow (10 MiB) whatever the size of the upload. With a 3 MiB lag the
// writer spent ~350 ms per GiB waiting for those ranges (the check starving meanwhile), with
// 8 MiB ~130 ms and a close no slower (13-17 ms; bench/writers.sh, docs/store.md).
inline constexpr std::uint64_t kWindow = 2 << 20;
inline constexpr std::uint64_t kLag = 4 * kWindow;
// sync_file_range never flushes the device's write cache, so the close-time fsync would still pay
// for every byte the disk (on a VM: the host) has cached: up to 400 ms for 1 GiB, measured here.
// An fdatasync every kDurableStep keeps that tail bounded too: at 256 MiB the close-time fsync
// still took ~55 ms whatever the dirty tail, at 64 MiB 15-40 ms (measured, bench/store.sh).
// It runs behind the writer (DurableFollower): in line it cost the writer ~40 ms per step.
inline constexpr std::uint64_t kDurableStep = 64 << 20;
// More disjoint ranges ahead than this and the check is redone from the file at close instead.
inline constexpr std::size_t kMaxRangesAhead = 256;
// The check and the hash read the staging file back this much at a time.
inline constexpr std::size_t kChunk = 512 << 10;
// A follower (check, hash) sleeps until this much is new, not at every small write: each wake
// costs a context switch, which on this paravirtualised host is most of a small write's cost.
// The close and every "catch up to here" drain below it.
inline constexpr std::uint64_t kBatch = 256 << 10;
// How far the check may fall behind the writer before the writer waits: this is also the most
// the close has to wait for (validating 2 MiB takes ~3-5 ms idle, up to ~15 ms on a loaded box;
// 4 MiB measured up to 80 ms under load).
inline constexpr std::uint64_t kMaxBacklog = 2 << 20;
// Uploads smaller than this are hashed in line: a second thread costs more than it saves.
inline constexpr std::uint64_t kHashApartAt = 16 << 20;
// Up to this much written in order, no check thread is started: the bytes are checked in line
// from the request buffer (about 2 ms per MiB) and the close fsyncs in line, cheaper than
// starting and joining threads for the small bundles most uploads are (measured: ~8% of a
// 250 KiB upload's store CPU).
inline constexpr std::uint64_t kCheckInLine = 1 << 20;

}  // namespace dropgate::fs::tuning
