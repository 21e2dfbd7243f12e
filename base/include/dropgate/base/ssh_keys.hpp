// Key files the config refers to: ed25519 key pairs in OpenSSH format, for the host key
// (host_key_dir) and for the demo users `dropgate init` creates.
#pragma once

#include <filesystem>
#include <string>

namespace dropgate {

// Writes a new ed25519 private key to `private_key` (mode 0600, never overwriting: throws if it
// exists) and its public half to `private_key` + ".pub" ("ssh-ed25519 AAAA... comment").
// Returns the public key line. Throws std::runtime_error / std::system_error with the path.
std::string generate_ed25519_key(const std::filesystem::path& private_key,
                                 const std::string& comment);

// The fingerprint OpenSSH shows for a public key line ("SHA256:…", as ssh-keygen -l prints it).
// Throws std::invalid_argument if the line is not a public key.
std::string fingerprint_sha256(const std::string& public_key_line);

}  // namespace dropgate
