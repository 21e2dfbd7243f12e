#include "dropgate/validator/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include "dropgate/base/ids.hpp"
#include "file_chunks.hpp"

namespace dropgate::validator {

struct Sha256::Ctx {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
    if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256: EVP_DigestInit_ex failed");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::span<const std::uint8_t> bytes) {
    if (!bytes.empty()) EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size());
}

std::string Sha256::hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_->md, digest, &length);
    return to_hex(digest, length);
}

std::string sha256_file(const std::filesystem::path& file) {
    Sha256 hash;
    detail::read_chunks(file, [&](std::span<const std::uint8_t> chunk) { hash.update(chunk); });
    return hash.hex_digest();
}

}  // namespace dropgate::validator
