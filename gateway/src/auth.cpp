#include "auth.hpp"

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

}  // namespace

Authenticator::Authenticator(const config::Config& config) : config_(&config) {
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
    return config::check_password(*config_, user, password ? password : "");
}

}  // namespace dropgate::gateway
