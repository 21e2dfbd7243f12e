// The TOML config loader on hostile text, through its real entry point config::load (the text
// is written to a file in a scratch folder that also holds a key file, a credentials file and
// a TLS pair the text may name).
//
// Properties: load() either returns a Config or throws ConfigError — never another exception,
// never a crash; the error names a file (an absolute path, as the one given) then ": ", and is
// one line; a config that loads renders to TOML that loads back and renders the same.
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "dropgate/config/config.hpp"
#include "fuzz_input.hpp"

namespace {

namespace fs = std::filesystem;

void write(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

// The scratch folder, made once per process and removed at exit.
class Scratch {
  public:
    Scratch() {
        fs::create_directories(dir() / "keys");
        // A real ed25519 public key (made once with ssh-keygen) and the other files seeds name.
        write(dir() / "keys/acme.pub",
              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL8jX2r88bWqMd/Sa8e2nRGYhyPDUrkhwOyc9/lY6iVn "
              "acme\n");
        write(dir() / "keys/s3.credentials",
              "access_key_id = \"AKIAFUZZ\"\nsecret_access_key = \"fuzz\"\n");
        ::chmod((dir() / "keys/s3.credentials").c_str(), 0600);
        write(dir() / "keys/cert.pem", "");
        write(dir() / "keys/key.pem", "");
    }
    const fs::path& dir() const { return scratch_.path(); }

  private:
    dropgate::fuzz::ScratchDir scratch_{"dropgate-fuzz-config"};
};

// What load() says about `file`: "" when it loads, else the ConfigError's message.
std::string load_error(const fs::path& file, dropgate::config::Config* loaded) {
    try {
        *loaded = dropgate::config::load(file);
        return "";
    } catch (const dropgate::config::ConfigError& e) {
        std::string message = e.what();
        if (message.empty()) dropgate::fuzz::broken("an empty ConfigError");
        return message;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz: load threw %s\n", e.what());
        dropgate::fuzz::broken("load() threw something other than ConfigError");
    }
}

void check_error(const std::string& message) {
    if (message.front() != '/' || message.find(": ") == std::string::npos)
        dropgate::fuzz::broken("a config error that does not start with FILE: or FILE:LINE:");
    if (message.find('\n') != std::string::npos)
        dropgate::fuzz::broken("a config error of more than one line");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Scratch scratch;
    dropgate::fuzz::Input input(data, size);
    const fs::path file = scratch.dir() / "dropgate.toml";
    write(file, std::string(input.rest_text()));
    dropgate::config::Config config;
    const std::string error = load_error(file, &config);
    if (!error.empty()) {
        check_error(error);
        return 0;
    }
    const std::string rendered = dropgate::config::render(config);
    const fs::path again_file = scratch.dir() / "rendered.toml";
    write(again_file, rendered);
    dropgate::config::Config again;
    const std::string again_error = load_error(again_file, &again);
    if (!again_error.empty()) {
        std::fprintf(stderr, "fuzz: the rendered config fails: %s\n%s\n", again_error.c_str(),
                     rendered.c_str());
        dropgate::fuzz::broken("a loaded config renders to one that does not load");
    }
    again.source = config.source;  // named in the rendered text's first comment
    if (const std::string twice = dropgate::config::render(again); twice != rendered) {
        std::fprintf(stderr, "fuzz: rendered once:\n%s\nrendered again:\n%s\n", rendered.c_str(),
                     twice.c_str());
        dropgate::fuzz::broken("a rendered config loads back to different values");
    }
    return 0;
}
