#include "ssh_algorithms.hpp"

#include <stdexcept>
#include <string>

namespace dropgate::gateway {

namespace {

// Key exchange: X25519, and the large fixed MODP groups for clients without it. Left out: the
// NIST ECDH curves (ssh-audit: "using weak elliptic curves"), group14 and group-exchange (2048
// bits, which newer ssh-audit releases warn about) and every SHA-1 kex. libssh 0.10 has no
// post-quantum kex (sntrup761x25519); it adds the strict-kex marker (Terrapin) by itself.
constexpr const char* kKeyExchange =
    "curve25519-sha256,curve25519-sha256@libssh.org,"
    "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512";
// AEAD first; CTR stays for paramiko 2.12 (Debian 12), which has no GCM or ChaCha20.
constexpr const char* kCiphers =
    "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
    "aes256-ctr,aes192-ctr,aes128-ctr";
// Encrypt-then-MAC first (the CTR ciphers' MAC; AEAD ciphers ignore it). The plain SHA-2 MACs
// stay for libssh2 1.10 (Debian 12's curl sftp://), which has no ETM, no GCM and no ChaCha20;
// ssh-audit warns about them ("encrypt-and-MAC mode"), docs/operations.md keeps the warning.
constexpr const char* kMacs =
    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512";
// The one host key the gateway has (host_key.hpp).
constexpr const char* kHostKeys = "ssh-ed25519";

void set(ssh_bind bind, ssh_bind_options_e option, const char* name, const char* value) {
    if (ssh_bind_options_set(bind, option, value) != SSH_OK)
        throw std::runtime_error(std::string("ssh ") + name + " \"" + value +
                                 "\": " + ssh_get_error(bind));
}

}  // namespace

void restrict_algorithms(ssh_bind bind) {
    set(bind, SSH_BIND_OPTIONS_KEY_EXCHANGE, "key exchange", kKeyExchange);
    set(bind, SSH_BIND_OPTIONS_CIPHERS_C_S, "ciphers", kCiphers);
    set(bind, SSH_BIND_OPTIONS_CIPHERS_S_C, "ciphers", kCiphers);
    set(bind, SSH_BIND_OPTIONS_HMAC_C_S, "MACs", kMacs);
    set(bind, SSH_BIND_OPTIONS_HMAC_S_C, "MACs", kMacs);
    set(bind, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, "host-key algorithms", kHostKeys);
}

}  // namespace dropgate::gateway
