// GET /, /app.js, /app.css: the web page, compiled into the binary (http/web/, embedded at build
// time by CMake), so the page and the API it calls always come from the same build.
#include "handlers.hpp"
#include "web_assets.hpp"

namespace dropgate::http {

awaitable<Reply> page(Call& call) {
    const std::string& path = call.target.path;
    Reply reply{Status::ok, {}, {}, {}};
    if (path == "/app.js") {
        reply.body = web::kAppJs;
        reply.content_type = "text/javascript; charset=utf-8";
    } else if (path == "/app.css") {
        reply.body = web::kAppCss;
        reply.content_type = "text/css; charset=utf-8";
    } else {
        reply.body = web::kIndexHtml;
        reply.content_type = "text/html; charset=utf-8";
        reply.header("Content-Security-Policy",
                     "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        reply.header("Referrer-Policy", "no-referrer");
    }
    reply.header("Cache-Control", "no-cache");
    co_return std::move(reply);
}

}  // namespace dropgate::http
