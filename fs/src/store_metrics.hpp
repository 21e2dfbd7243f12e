// The store's metrics (registered with the base registry, rendered by `serve` at /metrics).
#pragma once

#include <cstdint>

#include "dropgate/contract/states.hpp"

namespace dropgate::fs::store_metrics {

// Bytes written by clients into the store (every WRITE it took).
void bytes_received(std::uint64_t bytes);
// An upload ended with a verdict or without one (accepted, rejected, aborted).
void upload_finished(contract::UploadState state, std::uint64_t bytes);
// An upload was interrupted and kept for resume (it becomes partial).
void upload_interrupted();
// From the last close (or the write that revealed the verdict) to the committed verdict.
void verdict_latency(double seconds);
// A read of a member through a bundle's view: the bytes returned and the bytes inflated for them
// (from the nearest seek point; what a reader's earlier reads already inflated is not counted).
void view_read(std::uint64_t bytes, std::uint64_t inflated);

}  // namespace dropgate::fs::store_metrics
