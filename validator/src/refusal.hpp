// A layer's reason for refusing an upload, with the errno the store replies.
#pragma once

#include <cerrno>
#include <string>

namespace dropgate::validator::detail {

struct Refusal {
    int error = EBADMSG;  // EBADMSG invalid content, EFBIG a limit exceeded
    std::string reason;
};

}  // namespace dropgate::validator::detail
