// Boost's assertions report here (BOOST_ENABLE_ASSERT_DEBUG_HANDLER, set for every target), not
// through assert(3): they are armed only where NDEBUG is not set — the sanitize and fuzz builds —
// and there one of them is known to be wrong and is let through.
//
// Beast 1.81's basic_parser::parse_chunk_header asserts `n >= 5` on the last chunk of a chunked
// body, but a client may send "0\r\n" alone and the rest later (n is 3 or 4 then); the code
// after the assertion answers need_more correctly. Upstream relaxed it (boostorg/beast#2861,
// Boost 1.86); found here by fuzz_http. Release builds compile every BOOST_ASSERT out.
#include <boost/assert.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace boost {

namespace {

bool known_false(const char* expr, const char* file) {
    return std::strcmp(expr, "n >= 5") == 0 &&
           std::strstr(file, "boost/beast/http/impl/basic_parser.ipp") != nullptr;
}

}  // namespace

void assertion_failed_msg(const char* expr, const char* msg, const char* function, const char* file,
                          long line) {
    if (known_false(expr, file)) return;
    std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s\n", file, line, function, expr,
                 msg ? ": " : ".", msg ? msg : "");
    std::abort();
}

void assertion_failed(const char* expr, const char* function, const char* file, long line) {
    assertion_failed_msg(expr, nullptr, function, file, line);
}

}  // namespace boost
