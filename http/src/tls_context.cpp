#include "tls_context.hpp"

#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace dropgate::http {

namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AEAD ciphers only, for ECDSA and
// RSA certificates alike. OpenSSL's default list also has static-RSA (AES256-GCM-SHA384: no
// forward secrecy), DHE and CBC suites. TLS 1.3 suites are all forward secret and AEAD: its
// defaults stay.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kGroups = "X25519:P-256:P-384";

void require(int ok, const char* what) {
    if (ok != 1) throw std::runtime_error(std::string("tls: cannot set ") + what);
}

}  // namespace

ssl::context tls_context(const config::Http& settings) {
    ssl::context tls(ssl::context::tls_server);
    SSL_CTX* native = tls.native_handle();
    require(SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION), "the minimum version TLS 1.2");
    require(SSL_CTX_set_cipher_list(native, kTls12Ciphers), "the TLS 1.2 cipher suites");
    require(SSL_CTX_set1_groups_list(native, kGroups), "the key exchange groups");
    // No client-initiated renegotiation (a cheap way to make the server do handshakes).
    tls.set_options(ssl::context::default_workarounds | SSL_OP_NO_RENEGOTIATION);
    // Idle connections keep no read/write buffers (tens of KiB each otherwise); a write may
    // report the records it sent before the socket filled, and be tried again from a buffer
    // that moved (TlsSocket).
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Read-ahead: one receive takes as many records as have arrived and fit OpenSSL's buffer,
    // not one record per receive (TlsSocket::body_reads makes the buffer larger for bodies).
    SSL_CTX_set_read_ahead(native, 1);
    boost::system::error_code error;
    tls.use_certificate_chain_file(settings.tls_cert.string(), error);
    if (error)
        throw std::runtime_error("http.tls_cert: cannot use " + settings.tls_cert.string() + ": " +
                                 error.message());
    tls.use_private_key_file(settings.tls_key.string(), ssl::context::pem, error);
    if (error)
        throw std::runtime_error("http.tls_key: cannot use " + settings.tls_key.string() + ": " +
                                 error.message());
    return tls;
}

}  // namespace dropgate::http
