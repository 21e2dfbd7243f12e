#include "dropgate/base/ssh_keys.hpp"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "dropgate/base/ssh.hpp"
#include "dropgate/base/unique_fd.hpp"

namespace dropgate {

namespace {

// Creates `path` exclusively with `mode` and writes `content` to it.
void write_new_file(const std::filesystem::path& path, const std::string& content, mode_t mode) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd) throw std::system_error(errno, std::generic_category(), path.string());
    ::fchmod(fd.get(), mode);  // the umask must not widen or narrow what we ask for
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::system_error(errno, std::generic_category(), path.string());
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd.release()) != 0)
        throw std::system_error(errno, std::generic_category(), path.string());
}

}  // namespace

std::string generate_ed25519_key(const std::filesystem::path& private_key,
                                 const std::string& comment) {
    ssh_key raw = nullptr;
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw) != SSH_OK || !raw)
        throw std::runtime_error("cannot generate an ed25519 key");
    SshKey key(raw);

    char* private_text = nullptr;
    if (ssh_pki_export_privkey_base64(key.get(), nullptr, nullptr, nullptr, &private_text) !=
        SSH_OK)
        throw std::runtime_error("cannot encode the private key for " + private_key.string());
    SshText private_owner(private_text);

    char* public_blob = nullptr;
    if (ssh_pki_export_pubkey_base64(key.get(), &public_blob) != SSH_OK)
        throw std::runtime_error("cannot encode the public key for " + private_key.string());
    SshText public_owner(public_blob);

    std::string public_line = std::string("ssh-ed25519 ") + public_blob + " " + comment;
    write_new_file(private_key, private_text, 0600);
    write_new_file(private_key.string() + ".pub", public_line + "\n", 0644);
    return public_line;
}

std::string fingerprint_sha256(const std::string& public_key_line) {
    auto space = public_key_line.find(' ');
    std::string type = public_key_line.substr(0, space);
    std::string blob = space == std::string::npos ? "" : public_key_line.substr(space + 1);
    blob = blob.substr(0, blob.find(' '));
    ssh_key raw = nullptr;
    if (ssh_pki_import_pubkey_base64(blob.c_str(), ssh_key_type_from_name(type.c_str()), &raw) !=
            SSH_OK ||
        !raw)
        throw std::invalid_argument("not a public key: " + public_key_line.substr(0, 40));
    SshKey key(raw);
    unsigned char* hash = nullptr;
    size_t length = 0;
    if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != 0)
        throw std::runtime_error("cannot hash the public key");
    SshText text(ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length));
    ssh_clean_pubkey_hash(&hash);
    if (!text) throw std::runtime_error("cannot format the fingerprint");
    return text.get();
}

}  // namespace dropgate
