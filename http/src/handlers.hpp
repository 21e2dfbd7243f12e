// The request handlers, one per route (routes.cpp dispatches, like sftp-server.c's table).
// Each returns its reply (routes.cpp sends it), or sends it itself (downloads) and returns
// already_sent(); `who` is already authenticated and allowed the route.
#pragma once

#include <string>

#include "auth.hpp"
#include "context.hpp"
#include "exchange.hpp"
#include "url_path.hpp"

namespace dropgate::http {

// The one tus protocol version spoken at /files/ (Tus-Resumable, Tus-Version).
inline constexpr const char* kTusVersion = "1.0.0";

struct Call {
    Context& context;
    Exchange& exchange;
    const Principal& who;
    const Target& target;
    std::string rest;  // the target path after the route's prefix, decoded
};

// PUT /upload/<path>: the body is the bundle.
awaitable<Reply> put_upload(Call& call);
// POST /upload/[<dir>/] with multipart/form-data: every file part as its own upload.
awaitable<Reply> post_upload(Call& call);
// tus 1.0 at /files/ (tus.cpp).
awaitable<Reply> tus_options(Call& call);
awaitable<Reply> tus_create(Call& call);
awaitable<Reply> tus_head(Call& call);
awaitable<Reply> tus_patch(Call& call);
awaitable<Reply> tus_delete(Call& call);
// GET /api/uploads, GET /api/members, GET /download/<path> (reads.cpp).
awaitable<Reply> list_uploads(Call& call);
awaitable<Reply> find_members(Call& call);
awaitable<Reply> download(Call& call);
// GET /download/<customer>/<bundle>.d/<member> for support: one member of a bundle's view
// (member_reads.cpp), with Range like a bundle.
bool in_view(const contract::NamePolicy& names, const std::string& path);
awaitable<Reply> download_member(Call& call, const std::string& customer, const std::string& path);
// Sends `size` bytes of `fd` under `head`, honouring Range, If-Range and If-None-Match.
awaitable<Reply> send_ranged(Call& call, Reply& head, const UniqueFd& fd, std::uint64_t size,
                             const std::string& etag);
// POST /login, POST /logout, GET /api/whoami (login.cpp).
awaitable<Reply> login(Call& call);
awaitable<Reply> logout(Call& call);
awaitable<Reply> whoami(Call& call);
// GET / and the page's assets (page.cpp).
awaitable<Reply> page(Call& call);

}  // namespace dropgate::http
