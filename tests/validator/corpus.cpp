#include "corpus.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dropgate::test {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator)) parts.push_back(part);
    return parts;
}

}  // namespace

std::vector<CorpusCase> make_corpus(const TempDir& dir, const std::string& kind) {
    auto result = run({"/usr/bin/python3", (tests_dir() / "validator" / "make_corpus.py").string(),
                       dir.path().string(), kind});
    if (result.exit_code != 0) throw std::runtime_error("make_corpus.py failed: " + result.err);
    std::vector<CorpusCase> cases;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        if (entry.path().extension() != ".expect") continue;
        CorpusCase c;
        c.name = entry.path().stem().string();
        c.file = dir.path() / (c.name + ".tgz");
        auto lines = split(read_file(entry.path()), '\n');
        auto head = split(lines.at(0), '\t');
        c.ok = head.at(0) == "OK";
        c.any = head.at(0) == "ANY";
        if (c.any) {
            // mutated: no expectation
        } else if (!c.ok) {
            c.exact = head.at(1) == "exact";
            c.errno_name = head.at(2);
            c.reason = head.at(3);
            if (head.size() > 4) c.rule = head.at(4);
        } else {
            c.members.assign(lines.begin() + 1, lines.end());
        }
        cases.push_back(std::move(c));
    }
    std::sort(cases.begin(), cases.end(),
              [](const CorpusCase& a, const CorpusCase& b) { return a.name < b.name; });
    return cases;
}

void MemberLines::add(const validator::Member& m) {
    std::ostringstream line;
    line << m.type << '\t' << m.size << '\t' << m.mode << '\t' << m.mtime << '\t' << m.uid << '\t'
         << m.gid << '\t' << m.path << '\t' << m.linkname;
    lines.push_back(line.str());
    members.push_back(m);
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Outcome validate_bytes(const std::vector<std::uint8_t>& bytes, std::size_t chunk,
                       const validator::Limits& limits) {
    MemberLines sink;
    validator::StreamValidator validator(limits, &sink);
    if (chunk == 0) chunk = std::max<std::size_t>(bytes.size(), 1);
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
        std::size_t n = std::min(chunk, bytes.size() - at);
        validator.feed({bytes.data() + at, n});
    }
    return {validator.finish(), std::move(sink.lines)};
}

}  // namespace dropgate::test
