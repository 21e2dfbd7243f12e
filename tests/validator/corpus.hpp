// The validator's test corpus (made by make_corpus.py with Python's tarfile, GNU tar, bsdtar,
// pigz and hand-written header bytes) and small helpers to run bundles through a StreamValidator.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dropgate/validator/sha256.hpp"
#include "dropgate/validator/validator.hpp"
#include "harness.hpp"

namespace dropgate::test {

struct CorpusCase {
    std::string name;
    std::filesystem::path file;
    bool ok = false;
    bool any = false;        // mutated: any verdict will do (no crash, no hang)
    bool exact = true;       // reason must match exactly (else: starts with)
    std::string errno_name;  // "EBADMSG" or "EFBIG"
    std::string reason;
    // For a refusal of a bundle GNU tar and bsdtar may both extract: the deliberate rule of
    // docs/validation.md it falls under ("gzip-trailer", "end-marker", …); empty otherwise.
    std::string rule;
    std::vector<std::string> members;  // oracle lines (Python tarfile or GNU tar), for ok cases
};

// Generates one part of the corpus ("valid", "invalid", "edge" or "mutated") into `dir` and
// reads it back.
std::vector<CorpusCase> make_corpus(const TempDir& dir, const std::string& kind);

// Collects members as the oracle prints them: type size mode mtime uid gid path linkname.
class MemberLines : public validator::MemberSink {
  public:
    void add(const validator::Member& m) override;
    std::vector<std::string> lines;
    std::vector<validator::Member> members;
};

struct Outcome {
    validator::Verdict verdict;
    std::vector<std::string> members;
};

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& file);
// Feeds `bytes` in chunks of `chunk` bytes (0: all at once).
Outcome validate_bytes(const std::vector<std::uint8_t>& bytes, std::size_t chunk,
                       const validator::Limits& limits = {});

}  // namespace dropgate::test
