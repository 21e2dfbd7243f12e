// Streams a request body into an upload in large writes (1 MiB, whatever sizes the client's
// packets have), each write on the file pool, so the store sees few big FUSE writes and the
// event loop never blocks.
#pragma once

#include <cstdint>

#include "context.hpp"
#include "exchange.hpp"
#include "store_upload.hpp"

namespace dropgate::http {

inline constexpr std::size_t kWriteSize = 1 << 20;

// Writes at most `limit` body bytes into `upload`. Returns false if the body is longer than
// `limit` (the rest is not read). Throws UploadRefused from the store (fail fast), and
// boost::system::system_error when the connection breaks.
awaitable<bool> pump_body(Context& context, Exchange& exchange, StoreUpload& upload,
                          std::uint64_t limit);

// Runs upload.suspend() on the file pool (the request ended without its verdict).
awaitable<void> suspend_upload(Context& context, StoreUpload& upload);

}  // namespace dropgate::http
