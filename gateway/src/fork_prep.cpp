// RAND_METHOD is deprecated since OpenSSL 3.0 but is still the one hook through which every
// RAND_bytes/RAND_priv_bytes call (libssh's and the providers') can be answered by the kernel.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "fork_prep.hpp"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace dropgate::gateway {

void bind_symbols_now() {
    if (const char* set = std::getenv("LD_BIND_NOW"); set && *set) return;
    std::string cmdline;
    int fd = ::open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) cmdline.append(buf, std::size_t(n));
    ::close(fd);
    std::vector<char*> argv;
    for (std::size_t at = 0; at < cmdline.size(); at = cmdline.find('\0', at) + 1)
        argv.push_back(cmdline.data() + at);
    argv.push_back(nullptr);
    ::setenv("LD_BIND_NOW", "1", 1);
    ::execv("/proc/self/exe", argv.data());
    ::unsetenv("LD_BIND_NOW");  // exec failed: run as we are, only slower per session
}

namespace {

struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
    void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
    void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
    void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
    void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
template <class T>
using Owned = std::unique_ptr<T, CtxFree>;

const unsigned char kZeros[64] = {};

// Randomness straight from the kernel (getrandom), as OpenSSH's arc4random does. OpenSSL's own
// DRBG is per process state: every forked session had to detect the fork and reseed it, and
// libssh's RAND_add at each accept forced a full reseed (12% of a short session's CPU). The
// kernel generator has no state in the process, so a fork cannot duplicate it.
int kernel_random(unsigned char* buf, int num) {
    for (int done = 0; done < num;) {
        ssize_t n = ::getrandom(buf + done, std::size_t(num - done), 0);
        if (n < 0 && errno != EINTR) return 0;
        if (n > 0) done += int(n);
    }
    return 1;
}
int kernel_random_status() {
    return 1;
}
int ignore_seed(const void*, int) {
    return 1;
}
int ignore_add(const void*, int, double) {
    return 1;
}
const RAND_METHOD kKernelRandom = {ignore_seed, kernel_random, nullptr,
                                   ignore_add,  kernel_random, kernel_random_status};

void warm_digests() {
    unsigned char out[EVP_MAX_MD_SIZE];
    for (const EVP_MD* md : {EVP_sha1(), EVP_sha256(), EVP_sha384(), EVP_sha512()})
        EVP_Digest(kZeros, sizeof kZeros, out, nullptr, md, nullptr);
}

void warm_ciphers() {
    Owned<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
    unsigned char out[sizeof kZeros + 32];
    int len = 0;
    for (const EVP_CIPHER* cipher :
         {EVP_chacha20(), EVP_aes_128_ctr(), EVP_aes_256_ctr(), EVP_aes_128_gcm(),
          EVP_aes_256_gcm(), EVP_aes_128_cbc(), EVP_aes_256_cbc()}) {
        for (int encrypt : {0, 1}) {
            EVP_CipherInit_ex(ctx.get(), cipher, nullptr, kZeros, kZeros, encrypt);
            EVP_CipherUpdate(ctx.get(), out, &len, kZeros, sizeof kZeros);
            EVP_CIPHER_CTX_reset(ctx.get());
        }
    }
}

void warm_macs() {
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    Owned<EVP_MAC> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (hmac) {
        for (const char* digest : {"SHA1", "SHA256", "SHA512"}) {
            Owned<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(hmac.get()));
            OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                                    const_cast<char*>(digest), 0),
                                   OSSL_PARAM_construct_end()};
            if (ctx && EVP_MAC_init(ctx.get(), kZeros, 32, params) == 1) {
                EVP_MAC_update(ctx.get(), kZeros, sizeof kZeros);
                EVP_MAC_final(ctx.get(), out, &len, sizeof out);
            }
        }
    }
    // chacha20-poly1305@openssh.com: a one-time Poly1305 key per packet, signed with EVP.
    Owned<EVP_PKEY> poly(EVP_PKEY_new_raw_private_key(EVP_PKEY_POLY1305, nullptr, kZeros, 32));
    Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (poly && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, poly.get()) == 1) {
        EVP_DigestSignUpdate(ctx.get(), kZeros, sizeof kZeros);
        len = sizeof out;
        EVP_DigestSignFinal(ctx.get(), out, &len);
    }
}

void warm_key_exchange() {
    // curve25519-sha256: an ephemeral X25519 key and a shared secret.
    Owned<EVP_PKEY_CTX> gen(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!gen || EVP_PKEY_keygen_init(gen.get()) != 1 || EVP_PKEY_keygen(gen.get(), &raw) != 1)
        return;
    Owned<EVP_PKEY> ours(raw);
    unsigned char pub[32];
    std::size_t pub_len = sizeof pub;
    EVP_PKEY_get_raw_public_key(ours.get(), pub, &pub_len);
    Owned<EVP_PKEY> peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, pub, pub_len));
    Owned<EVP_PKEY> again(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, kZeros + 1, 32));
    Owned<EVP_PKEY_CTX> derive(EVP_PKEY_CTX_new(ours.get(), nullptr));
    unsigned char secret[32];
    std::size_t secret_len = sizeof secret;
    if (peer && derive && EVP_PKEY_derive_init(derive.get()) == 1 &&
        EVP_PKEY_derive_set_peer(derive.get(), peer.get()) == 1)
        EVP_PKEY_derive(derive.get(), secret, &secret_len);
    // The session keys: OpenSSL's SSHKDF.
    Owned<EVP_KDF> kdf(EVP_KDF_fetch(nullptr, "SSHKDF", nullptr));
    if (!kdf) return;
    Owned<EVP_KDF_CTX> kctx(EVP_KDF_CTX_new(kdf.get()));
    char type = 'A';
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(kZeros),
                                          32),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SSHKDF_XCGHASH,
                                          const_cast<unsigned char*>(kZeros), 32),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SSHKDF_SESSION_ID,
                                          const_cast<unsigned char*>(kZeros), 32),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_SSHKDF_TYPE, &type, 1),
        OSSL_PARAM_construct_end()};
    unsigned char key[64];
    if (kctx) EVP_KDF_derive(kctx.get(), key, sizeof key, params);
}

}  // namespace

void warm_up_for_sessions() {
    RAND_set_rand_method(&kKernelRandom);
    warm_digests();
    warm_ciphers();
    warm_macs();
    warm_key_exchange();
    try {  // the first throw in a process sets up the unwinder's tables
        throw std::system_error(ENOENT, std::generic_category(), "warm-up");
    } catch (const std::system_error&) {
    }
}

}  // namespace dropgate::gateway
