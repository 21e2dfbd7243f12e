// A tus upload's URL id: everything the front end must know of an upload between requests —
// which name it writes, how long it will be, when it was made — carried in the URL itself, so
// an upload resumes across connections and restarts with no state of the front end's own.
// The customer is never in it: it comes from the request's login, so another customer's id
// names a file in their own directory, not the owner's.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dropgate::http {

struct TusId {
    std::string upload_id;     // 32 hex digits: the store's upload id tag
    std::int64_t created = 0;  // unix seconds
    std::uint64_t length = 0;
    std::string path;  // relative to the customer's directory

    std::string encode() const;  // "<upload_id>.<created>.<length>.<base64url(path)>"
    static std::optional<TusId> decode(std::string_view text);
};

}  // namespace dropgate::http
