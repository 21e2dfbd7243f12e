// Who may log in: each user's public keys (parsed once, before any fork) and password hash.
#pragma once

#include <libssh/libssh.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/base/ssh.hpp"
#include "dropgate/config/config.hpp"

namespace dropgate::gateway {

class Authenticator {
  public:
    // Throws std::runtime_error naming the user if a key line does not parse.
    explicit Authenticator(const config::Config& config);

    // The user if `key` is one of theirs (certificates are never accepted).
    const config::User* by_key(std::string_view user, ssh_key key) const;
    // The user if the password matches their crypt(3) hash. Takes about as long for an
    // unknown user as for a known one.
    const config::User* by_password(std::string_view user, const char* password) const;
    bool any_password() const;

  private:
    struct Entry {
        const config::User* user;
        std::vector<SshKey> keys;
    };
    const Entry* find(std::string_view user) const;
    const config::Config* config_;
    std::vector<Entry> entries_;
};

}  // namespace dropgate::gateway
