// The HTTPS front end's TLS settings: TLS 1.2 and 1.3 only, forward secrecy only (docs/http.md,
// "TLS").
#pragma once

#include <boost/asio/ssl/context.hpp>

#include "dropgate/config/config.hpp"

namespace dropgate::http {

// A server context with the certificate chain and key of `settings`; throws std::runtime_error
// naming the key (http.tls_cert / http.tls_key) whose file cannot be used.
boost::asio::ssl::context tls_context(const config::Http& settings);

}  // namespace dropgate::http
