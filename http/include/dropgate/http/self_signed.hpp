// A self-signed TLS certificate for the demo setup (`dropgate init`): an ECDSA P-256 key and a
// certificate for localhost, 127.0.0.1 and ::1, so `curl --cacert` works as the README types it.
#pragma once

#include <filesystem>

namespace dropgate::http {

// Writes `cert` (PEM, mode 0644) and `key` (PEM, mode 0600). Throws std::runtime_error naming
// the file or the OpenSSL step that failed.
void write_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key);

}  // namespace dropgate::http
