// Dispatch: one table of (method, path, who may call it, handler), read from one place.
#pragma once

#include "context.hpp"
#include "exchange.hpp"

namespace dropgate::http {

// Answers one request (authentication, CSRF, roles, then the route's handler).
awaitable<void> handle(Context& context, Exchange& exchange);

// Headers every cross-origin reply carries (tus-js-client reads these from another origin).
inline constexpr const char* kCorsExpose =
    "Upload-Offset, Location, Upload-Length, Tus-Version, Tus-Resumable, Tus-Max-Size, "
    "Tus-Extension, Upload-Metadata, Upload-Expires, ETag, Content-Range";

}  // namespace dropgate::http
