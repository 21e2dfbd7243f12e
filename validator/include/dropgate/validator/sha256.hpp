// SHA-256 over OpenSSL EVP, incremental, as an RAII owner of the EVP_MD_CTX.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace dropgate::validator {

class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(std::span<const std::uint8_t> bytes);
    std::string hex_digest();  // finalises; lowercase hex, 64 characters

  private:
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
};

// SHA-256 of a whole file (lowercase hex). Throws std::system_error with the path on I/O errors.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace dropgate::validator
