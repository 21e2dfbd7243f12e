#include "auth.hpp"

#include <crypt.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

namespace dropgate::gateway {

namespace {

SshKey parse_key_line(const std::string& line, const std::string& user) {
    std::istringstream words(line);
    std::string type, base64;
    words >> type >> base64;
    enum ssh_keytypes_e kind = ssh_key_type_from_name(type.c_str());
    if (kind == SSH_KEYTYPE_UNKNOWN || type.find("-cert-") != std::string::npos)
        throw std::runtime_error("user " + user + ": unsupported key type \"" + type +
                                 "\" (key options and certificates are not accepted)");
    ssh_key key = nullptr;
    if (ssh_pki_import_pubkey_base64(base64.c_str(), kind, &key) != SSH_OK)
        throw std::runtime_error("user " + user + ": cannot parse public key \"" + type + " " +
                                 base64.substr(0, 16) + "...\"");
    return SshKey(key);
}

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

}  // namespace

Authenticator::Authenticator(const config::Config& config) {
    for (const auto& user : config.users) {
        Entry entry{&user, {}};
        for (const auto& line : user.public_keys)
            entry.keys.push_back(parse_key_line(line, user.name));
        entries_.push_back(std::move(entry));
    }
}

const Authenticator::Entry* Authenticator::find(std::string_view user) const {
    for (const auto& entry : entries_)
        if (entry.user->name == user) return &entry;
    return nullptr;
}

bool Authenticator::any_password() const {
    for (const auto& entry : entries_)
        if (entry.user->password_hash) return true;
    return false;
}

const config::User* Authenticator::by_key(std::string_view user, ssh_key key) const {
    const Entry* entry = find(user);
    if (!entry || !key) return nullptr;
    for (const auto& allowed : entry->keys)
        if (ssh_key_cmp(allowed.get(), key, SSH_KEY_CMP_PUBLIC) == 0) return entry->user;
    return nullptr;
}

const config::User* Authenticator::by_password(std::string_view user, const char* password) const {
    const Entry* entry = find(user);
    const bool has_hash = entry && entry->user->password_hash;
    const std::string& hash = has_hash ? *entry->user->password_hash : std::string(kDummyHash);
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    const char* computed =
        crypt_rn(password ? password : "", hash.c_str(), data.get(), sizeof(crypt_data));
    bool ok = computed && computed[0] != '*' && equal_constant_time(computed, hash);
    return ok && has_hash ? entry->user : nullptr;
}

}  // namespace dropgate::gateway
