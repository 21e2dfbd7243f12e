// The messages between the gateway parent and a session worker, over their SOCK_SEQPACKET pair
// (one message per packet: the code byte, then its text):
//
//   worker -> parent   admit user            authenticated: may this user open one more session?
//   parent -> worker   admitted | too_many_sessions | too_many_for_user
//   worker -> parent   auth_failure user     a failed login (the parent counts them for bans)
//   worker -> parent   idle                  the session ended cleanly; ready for another one
//   parent -> worker   connection remote     with the connection's socket attached (SCM_RIGHTS)
//
// The parent closing its end retires a worker: an idle one exits at once, a busy one when its
// session ends.
#pragma once

#include <string>
#include <string_view>

namespace dropgate::gateway {

enum class Control : char {
    admit = 'A',
    admitted = 'Y',
    too_many_sessions = 'G',  // max_sessions reached
    too_many_for_user = 'U',  // max_sessions_per_user reached
    auth_failure = 'F',
    idle = 'I',
    connection = 'C',
    none = '\0',  // no answer: the other side is gone
};

// The packet for `code` with its text.
inline std::string control_message(Control code, std::string_view text = {}) {
    return static_cast<char>(code) + std::string(text);
}

}  // namespace dropgate::gateway
