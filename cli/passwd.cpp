// `dropgate passwd`: read a password (twice from a terminal, once from a pipe) and print its
// SHA-512 crypt(3) hash for the `password` key of a [[user]].
#include <crypt.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "command.hpp"

namespace dropgate::cli {

namespace {

// Turns terminal echo off for its lifetime.
class NoEcho {
  public:
    NoEcho() : active_(tcgetattr(STDIN_FILENO, &saved_) == 0) {
        if (!active_) return;
        termios quiet = saved_;
        quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    ~NoEcho() {
        if (active_) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
    }

  private:
    termios saved_{};
    bool active_;
};

std::string read_line(const char* prompt, bool interactive) {
    if (interactive) std::cerr << prompt << std::flush;
    std::string line;
    {
        NoEcho quiet;
        if (!std::getline(std::cin, line)) line.clear();
    }
    if (interactive) std::cerr << "\n";
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

}  // namespace

void add_passwd(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "passwd", "Read a password and print its SHA-512 crypt(3) hash for the config");
    cmd->callback([] {
        const bool interactive = isatty(STDIN_FILENO);
        std::string password = read_line("Password: ", interactive);
        if (password.empty()) throw UserError("empty password");
        if (interactive && read_line("Again: ", interactive) != password)
            throw UserError("the passwords do not match");

        char salt[CRYPT_GENSALT_OUTPUT_SIZE];
        if (!crypt_gensalt_rn("$6$", 0, nullptr, 0, salt, sizeof salt))
            throw std::runtime_error("crypt_gensalt_rn failed");
        crypt_data data{};
        const char* hash = crypt_rn(password.c_str(), salt, &data, sizeof data);
        if (!hash || hash[0] == '*') throw std::runtime_error("crypt_rn failed");
        std::cout << hash << "\n";
    });
}

}  // namespace dropgate::cli
