// Checking what a user presents: a password against its crypt(3) hash, an API token against the
// stored SHA-256 hashes. Shared by the SSH gateway and the HTTP front end, so both doors judge
// a credential the same way.
#include <crypt.h>
#include <openssl/evp.h>
#include <sys/random.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "dropgate/base/base64.hpp"
#include "dropgate/base/ids.hpp"
#include "dropgate/config/config.hpp"

namespace dropgate::config {

namespace {

// Compares without an early exit, so timing does not reveal how much of a hash matched.
bool equal_constant_time(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    volatile unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff = diff | (a[i] ^ b[i]);
    return diff == 0;
}

// Hashed when the user is unknown or has no password, so the reply takes as long.
constexpr const char* kDummyHash =
    "$6$dropgatedummy$"
    "4K2sIjCq8y0nX1o1bF8z3tA1Zr5v6W7yQ9dE0hJ2kL3mN4pR5sT6uV7wX8yZ9a0b1c2d3e4f5g6h7i8j9k0l1m";

constexpr std::string_view kTokenPrefix = "dg_";

}  // namespace

const User* check_password(const Config& config, std::string_view name, std::string_view password) {
    const User* user = config.find_user(name);
    const bool has_hash = user && user->password_hash;
    const std::string& hash = has_hash ? *user->password_hash : std::string(kDummyHash);
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    const std::string text(password);
    const char* computed = crypt_rn(text.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
    bool ok = computed && computed[0] != '*' && equal_constant_time(computed, hash);
    return ok && has_hash ? user : nullptr;
}

std::string token_hash(std::string_view token) {
    unsigned char digest[32];
    unsigned int size = 0;
    if (EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 of a token failed");
    return "sha256:" + to_hex(digest, size);
}

const User* check_token(const Config& config, std::string_view token) {
    // A token is 256 random bits: one SHA-256 is enough, no slow hash per request.
    if (token.size() < kTokenPrefix.size() + 40 || token.substr(0, 3) != kTokenPrefix)
        return nullptr;
    const std::string hash = token_hash(token);
    const User* found = nullptr;
    for (const auto& user : config.users)
        for (const auto& stored : user.token_hashes)
            if (equal_constant_time(stored, hash)) found = &user;
    return found;
}

NewToken new_token() {
    unsigned char random[32];
    if (::getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
        throw std::runtime_error("getrandom failed");
    std::string token = std::string(kTokenPrefix) +
                        base64_encode({reinterpret_cast<const char*>(random), sizeof random}, true);
    return NewToken{token, token_hash(token)};
}

}  // namespace dropgate::config
