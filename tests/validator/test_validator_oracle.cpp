// GNU tar and bsdtar as oracles (spec §4): a bundle is accepted exactly when both extract it
// without an error, except for the deliberate refusals of docs/validation.md, which each corpus
// case declares and which are checked for their specific reason.
#include <catch2/catch.hpp>
#include <cerrno>
#include <set>

#include "corpus.hpp"

using namespace dropgate;
using namespace dropgate::test;

namespace {

struct ToolRun {
    bool clean = false;
    std::string err;
};

// Extracts `file` with `tool` into a fresh directory. bsdtar 3.6 exits 0 after skipping a header
// it calls damaged ("Damaged tar archive" / "Retrying..."): that counts as an error too.
ToolRun extract(const std::string& tool, const std::filesystem::path& file) {
    TempDir into;
    auto result = run({tool, "-xzf", file.string(), "-C", into.path().string()});
    return {result.exit_code == 0 && result.err.find("Retrying...") == std::string::npos,
            result.err};
}

struct DeliberateRule {
    const char* name;
    int error;
    std::vector<std::string> reasons;  // the refusal reason starts with one of them
};

// The refusals dropgate makes although GNU tar or bsdtar (or both) extract such bundles.
const std::vector<DeliberateRule>& deliberate_rules() {
    static const std::vector<DeliberateRule> rules = {
        {"gzip-format", EBADMSG, {"not gzip ("}},
        {"gzip-trailer",
         EBADMSG,
         {"gzip CRC mismatch in member ", "gzip length mismatch in member "}},
        {"trailing-data", EBADMSG, {"trailing data after gzip stream"}},
        {"end-marker", EBADMSG, {"tar archive truncated (no end-of-archive marker)"}},
        {"no-members", EBADMSG, {"archive has no members"}},
        {"member-path", EBADMSG, {"member path escapes the archive: "}},
        {"limits", EFBIG, {""}},
        {"ambiguous", EBADMSG, {"malformed pax header at offset ", "tar member "}},
    };
    return rules;
}

bool follows(const DeliberateRule& rule, const validator::Verdict& verdict) {
    if (verdict.accepted || verdict.error != rule.error) return false;
    if (std::string(rule.name) == "ambiguous" &&
        verdict.reason.find("(ambiguous: ") == std::string::npos)
        return false;
    for (const auto& start : rule.reasons)
        if (verdict.reason.rfind(start, 0) == 0) return true;
    return false;
}

const DeliberateRule* rule_named(const std::string& name) {
    for (const auto& rule : deliberate_rules())
        if (name == rule.name) return &rule;
    return nullptr;
}

// A mutated bundle has no declared expectation: a refusal under a deliberate rule stands whatever
// the tools do; every other verdict must be theirs.
const DeliberateRule* rule_followed(const validator::Verdict& verdict) {
    for (const auto& rule : deliberate_rules())
        if (follows(rule, verdict)) return &rule;
    return nullptr;
}

// Returns the deliberate rule the case's refusal falls under, if it does.
const DeliberateRule* require_oracle_agrees(const CorpusCase& c) {
    Outcome outcome = validate_bytes(read_bytes(c.file), 0);
    const auto& verdict = outcome.verdict;
    ToolRun gnu = extract("tar", c.file), bsd = extract("bsdtar", c.file);
    INFO("case " << c.name << ": dropgate " << (verdict.accepted ? "accepts" : verdict.reason)
                 << "\nGNU tar " << (gnu.clean ? "extracts it" : "fails: " + gnu.err) << "\nbsdtar "
                 << (bsd.clean ? "extracts it" : "fails: " + bsd.err));
    if (!c.rule.empty()) {
        const DeliberateRule* rule = rule_named(c.rule);
        REQUIRE(rule != nullptr);
        REQUIRE(follows(*rule, verdict));
        return rule;
    }
    if (c.any)
        if (const DeliberateRule* rule = rule_followed(verdict)) return rule;
    REQUIRE(verdict.accepted == (gnu.clean && bsd.clean));
    return nullptr;
}

}  // namespace

TEST_CASE("a bundle is accepted exactly when GNU tar and bsdtar both extract it", "[validator]") {
    std::set<std::string> declared;
    for (std::string kind : {"valid", "invalid", "edge", "mutated"}) {
        TempDir dir;
        auto cases = make_corpus(dir, kind);
        REQUIRE(cases.size() >= 20);
        for (const auto& c : cases)
            if (require_oracle_agrees(c) && !c.any) declared.insert(c.rule);
    }
    // Every deliberate rule but the limits (test_validator_limits.cpp) has a declared case.
    for (const auto& rule : deliberate_rules())
        if (std::string(rule.name) != "limits") CHECK(declared.count(rule.name) == 1);
}
