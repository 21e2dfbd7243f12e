#include "users.hpp"

#include <crypt.h>
#include <libssh/libssh.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "dropgate/base/ssh.hpp"
#include "reader.hpp"

namespace dropgate::config::detail {

namespace {

std::string trim(const std::string& s) {
    auto begin = s.find_first_not_of(" \t\r");
    if (begin == std::string::npos) return {};
    auto end = s.find_last_not_of(" \t\r");
    return s.substr(begin, end - begin + 1);
}

// Reads an authorized_keys file; each problem names the key file and its line too.
std::vector<std::string> read_key_file(TableReader& reader, const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) reader.fail("authorized_keys", "cannot read " + path.string());
    std::vector<std::string> keys;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        if (std::string problem = public_key_problem(line); !problem.empty())
            reader.fail("authorized_keys",
                        path.string() + ":" + std::to_string(number) + ": " + problem);
        keys.push_back(line);
    }
    if (keys.empty()) reader.fail("authorized_keys", path.string() + " holds no public key");
    return keys;
}

User read_user(const toml::table& table, const std::string& file, std::size_t index,
               const std::filesystem::path& base) {
    TableReader reader(file, "user[" + std::to_string(index) + "]", &table,
                       table.source().begin.line);
    User user;
    auto name = reader.string("name");
    if (!name) reader.fail("name", "missing");
    if (!is_safe_name(*name))
        reader.fail("name", "\"" + *name +
                                "\" is not a safe name (lowercase letters, digits, '.', '_', '-'; "
                                "starting with a letter or digit; at most 64 characters)");
    user.name = *name;

    auto role = reader.string("role");
    if (!role) reader.fail("role", "missing (\"customer\" or \"support\")");
    if (*role == "customer")
        user.role = Role::customer;
    else if (*role == "support")
        user.role = Role::support;
    else
        reader.fail("role", "expected \"customer\" or \"support\", got \"" + *role + "\"");

    if (auto key_file = reader.path("authorized_keys", base))
        user.public_keys = read_key_file(reader, *key_file);
    if (auto inline_keys = reader.strings("keys")) {
        for (std::size_t i = 0; i < inline_keys->size(); ++i) {
            std::string line = trim((*inline_keys)[i]);
            if (std::string problem = public_key_problem(line); !problem.empty())
                reader.fail("keys", "key " + std::to_string(i + 1) + ": " + problem);
            user.public_keys.push_back(line);
        }
    }
    if (auto password = reader.string("password")) {
        if (!is_crypt_hash(*password))
            reader.fail("password",
                        "expected a crypt(3) hash made by `dropgate passwd` (like \"$6$...\"), "
                        "not a plain password");
        user.password_hash = *password;
    }
    if (auto tokens = reader.strings("tokens")) {
        for (const auto& token : *tokens)
            if (!is_token_hash(token))
                reader.fail("tokens", "expected \"sha256:<64 hex digits>\" as `dropgate token " +
                                          user.name + "` prints it, not a token itself");
        user.token_hashes = *tokens;
    }
    user.quota = read_quota(reader);
    if (user.role != Role::customer && user.quota.limits())
        reader.fail(user.quota.max_bytes     ? "max_bytes"
                    : user.quota.max_bundles ? "max_bundles"
                                             : "max_partial_bytes",
                    "only a customer has a quota (support users upload nothing)");
    if (user.public_keys.empty() && !user.password_hash && user.token_hashes.empty())
        reader.fail("name", "user \"" + user.name +
                                "\" has no way to log in: set authorized_keys, keys, password "
                                "or tokens");
    reader.finish();
    return user;
}

}  // namespace

Quota read_quota(TableReader& reader) {
    Quota quota;
    quota.max_bytes = reader.size("max_bytes");
    if (auto bundles = reader.integer("max_bundles", 1, 1'000'000'000'000))
        quota.max_bundles = static_cast<std::uint64_t>(*bundles);
    if (quota.max_bytes && *quota.max_bytes == 0) reader.fail("max_bytes", "must be above 0");
    quota.max_partial_bytes = reader.size("max_partial_bytes");
    if (quota.max_partial_bytes && *quota.max_partial_bytes == 0)
        reader.fail("max_partial_bytes", "must be above 0");
    return quota;
}

std::string public_key_problem(const std::string& line) {
    std::istringstream words(line);
    std::string type, blob;
    words >> type >> blob;
    if (type.empty()) return "empty key";
    enum ssh_keytypes_e key_type = ssh_key_type_from_name(type.c_str());
    if (key_type == SSH_KEYTYPE_UNKNOWN)
        return "\"" + type.substr(0, 40) +
               "\" is not a public key type (authorized_keys options are not supported)";
    if (blob.empty()) return "key text is missing after \"" + type + "\"";
    ssh_key raw = nullptr;
    if (ssh_pki_import_pubkey_base64(blob.c_str(), key_type, &raw) != SSH_OK || !raw)
        return "not a valid " + type + " public key";
    SshKey key(raw);
    return {};
}

bool is_crypt_hash(const std::string& hash) {
    if (hash.size() < 4 || hash[0] != '$') return false;
    // crypt_rn with the hash as its own setting returns a hash of the same scheme, or fails
    // ("*0"/"*1"/null) when libxcrypt does not understand the setting.
    crypt_data data{};
    const char* out = crypt_rn("probe", hash.c_str(), &data, sizeof data);
    return out && out[0] != '*';
}

bool is_token_hash(const std::string& text) {
    constexpr std::string_view kScheme = "sha256:";
    if (text.size() != kScheme.size() + 64 || text.compare(0, kScheme.size(), kScheme) != 0)
        return false;
    return text.find_first_not_of("0123456789abcdef", kScheme.size()) == std::string::npos;
}

std::vector<User> read_users(const toml::table& root, const std::string& file,
                             const std::filesystem::path& base) {
    const toml::node* node = root.get("user");
    if (!node) throw ConfigError(file + ": user: no [[user]] defined; add at least one customer");
    const toml::array* array = node->as_array();
    if (!array || !array->is_array_of_tables())
        throw ConfigError(file + ":" + std::to_string(node->source().begin.line) +
                          ": user: expected [[user]] tables");
    std::vector<User> users;
    std::set<std::string> names;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::table& table = *(*array)[i].as_table();
        User user = read_user(table, file, i, base);
        if (!names.insert(user.name).second) {
            TableReader reader(file, "user[" + std::to_string(i) + "]", &table,
                               table.source().begin.line);
            reader.fail("name", "duplicate user \"" + user.name + "\"");
        }
        users.push_back(std::move(user));
    }
    return users;
}

}  // namespace dropgate::config::detail
