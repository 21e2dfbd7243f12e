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

}  // namespace dropgate
