// [[user]] entries: names, roles, public keys (checked to parse) and password hashes.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dropgate/config/config.hpp"
#include "reader.hpp"

namespace dropgate::config::detail {

std::vector<User> read_users(const toml::table& root, const std::string& file,
                             const std::filesystem::path& base);

// max_bytes / max_bundles of a [[user]] or of [quota].
Quota read_quota(TableReader& reader);

// Checks one OpenSSH public key line ("ssh-ed25519 AAAA... comment"); returns the reason it is
// not usable, or an empty string. Lines with authorized_keys options are refused: dropgate does
// not implement them and silently ignoring `from=` would widen access.
std::string public_key_problem(const std::string& line);

// True if `hash` is a crypt(3) hash libxcrypt can verify against.
bool is_crypt_hash(const std::string& hash);

// True for "sha256:" followed by 64 lowercase hex digits (a stored API token).
bool is_token_hash(const std::string& text);

}  // namespace dropgate::config::detail
