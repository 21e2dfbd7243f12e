// RAII owners of the libssh handles dropgate holds: every one is freed on every path.
#pragma once

#include <libssh/libssh.h>
#include <libssh/server.h>

#include <memory>
#include <type_traits>

namespace dropgate {

struct SshFree {
    void operator()(ssh_key key) const { ssh_key_free(key); }
    void operator()(ssh_session session) const { ssh_free(session); }
    void operator()(ssh_event event) const { ssh_event_free(event); }
    void operator()(ssh_bind bind) const { ssh_bind_free(bind); }
    void operator()(char* text) const { ssh_string_free_char(text); }
};

using SshKey = std::unique_ptr<std::remove_pointer_t<ssh_key>, SshFree>;
using SshSession = std::unique_ptr<std::remove_pointer_t<ssh_session>, SshFree>;
using SshEvent = std::unique_ptr<std::remove_pointer_t<ssh_event>, SshFree>;
using SshBind = std::unique_ptr<std::remove_pointer_t<ssh_bind>, SshFree>;
using SshText = std::unique_ptr<char, SshFree>;  // strings libssh allocated for us

}  // namespace dropgate
