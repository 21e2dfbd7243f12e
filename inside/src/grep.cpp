#include "dropgate/inside/grep.hpp"

#include <regex.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "dropgate/inside/bundle_members.hpp"

namespace dropgate::inside {

namespace {

constexpr std::uint64_t kSliceBytes = 64u << 20;  // a big bundle is searched in slices this size

// One line matcher: a fixed string is found with memmem over whole chunks (most searches are
// for a word like OutOfMemoryError), anything else with regexec line by line.
class Matcher {
  public:
    Matcher(const std::string& pattern, bool ignore_case) : icase_(ignore_case) {
        fixed_ = pattern.find_first_of(".[]*^$\\") == std::string::npos;
        needle_ = fold(pattern);
        if (fixed_) return;
        int flags = REG_NOSUB | (ignore_case ? REG_ICASE : 0);
        if (int rc = regcomp(&regex_, pattern.c_str(), flags)) {
            char message[256];
            regerror(rc, &regex_, message, sizeof message);
            throw std::invalid_argument("bad pattern " + pattern + ": " + message);
        }
        compiled_ = true;
    }
    ~Matcher() {
        if (compiled_) regfree(&regex_);
    }
    Matcher(const Matcher&) = delete;
    Matcher& operator=(const Matcher&) = delete;

    // Where in `text` the next line that may match starts (fixed: the line of the next
    // occurrence; regex: every line may).
    bool fixed() const { return fixed_; }
    const std::string& needle() const { return needle_; }
    bool icase() const { return icase_; }
    bool line_matches(std::string_view line) const {
        if (fixed_) return fold(line).find(needle_) != std::string::npos;
        std::string copy(line);
        return regexec(&regex_, copy.c_str(), 0, nullptr, 0) == 0;
    }
    std::string fold(std::string_view text) const {
        std::string out(text);
        if (icase_)
            for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    }

  private:
    bool icase_, fixed_ = true, compiled_ = false;
    std::string needle_;
    regex_t regex_{};
};

struct Unit {
    index::UploadRecord bundle;
    std::vector<validator::Member> members;
    std::vector<GrepMatch> matches;
    std::vector<std::string> errors;
    std::uint64_t inflated = 0;
    bool done = false;
};

// Lines of one member, fed in chunks; a line's pieces across chunks are joined.
class LineSearch {
  public:
    LineSearch(const Matcher& matcher, Unit& unit, const validator::Member& member, bool only)
        : matcher_(matcher), unit_(unit), member_(member), only_(only) {}

    void feed(std::span<const char> chunk) {
        if (only_ && found_) return;
        std::string_view text(chunk.data(), chunk.size());
        while (!text.empty()) {
            auto nl = text.find('\n');
            if (nl == std::string_view::npos) {
                carry_.append(text);
                return;
            }
            if (carry_.empty() && matcher_.fixed() && !matcher_.icase()) {
                // Jump to the line of the next occurrence; count the lines skipped.
                auto at = text.find(matcher_.needle());
                if (at == std::string_view::npos || at > nl) {
                    auto skip_to =
                        at == std::string_view::npos ? text.rfind('\n') : text.rfind('\n', at);
                    line_ += static_cast<std::uint64_t>(
                        std::count(text.begin(), text.begin() + skip_to + 1, '\n'));
                    text.remove_prefix(skip_to + 1);
                    continue;
                }
            }
            carry_.append(text.substr(0, nl));
            end_line();
            text.remove_prefix(nl + 1);
        }
    }
    void finish() {
        if (!carry_.empty()) end_line();
    }

  private:
    void end_line() {
        ++line_;
        if (!(only_ && found_) && matcher_.line_matches(carry_)) {
            found_ = true;
            unit_.matches.push_back({unit_.bundle.customer, unit_.bundle.path, member_.path,
                                     only_ ? 0 : line_, only_ ? std::string() : carry_});
        }
        carry_.clear();
    }

    const Matcher& matcher_;
    Unit& unit_;
    const validator::Member& member_;
    bool only_, found_ = false;
    std::uint64_t line_ = 0;
    std::string carry_;
};

void search_unit(const config::Config& config, const Matcher& matcher, bool only, Unit& unit) {
    try {
        auto index = index::Index::open(config.index.database, /*read_only=*/true);
        BundleMembers bundle(config, index, unit.bundle);
        for (const auto& member : unit.members) {
            LineSearch lines(matcher, unit, member, only);
            try {
                bundle.read(member, [&](std::span<const char> chunk) {
                    unit.inflated += chunk.size();
                    lines.feed(chunk);
                });
                lines.finish();
            } catch (const std::exception& e) {
                unit.errors.push_back(unit.bundle.customer + "/" + unit.bundle.path + ":" +
                                      member.path + ": " + e.what());
            }
        }
    } catch (const std::exception& e) {
        unit.errors.push_back(unit.bundle.customer + "/" + unit.bundle.path + ": " + e.what());
    }
}

// The regular members the glob selects, in slices of at most kSliceBytes per bundle.
std::vector<std::unique_ptr<Unit>> units_of(const config::Config& config,
                                            const GrepOptions& options) {
    std::vector<std::unique_ptr<Unit>> units;
    index::UploadFilter filter = options.filter;
    filter.status = contract::UploadState::accepted;
    auto index = index::Index::open(config.index.database, /*read_only=*/true);
    std::int64_t last = -1;
    std::uint64_t slice = 0;
    index.find_members(options.member_glob, filter, [&](const index::FoundMember& found) {
        if (found.member.type != '0' && found.member.type != '7') return;
        if (found.upload != last || slice >= kSliceBytes) {
            auto unit = std::make_unique<Unit>();
            if (found.upload == last) {
                unit->bundle = units.back()->bundle;
            } else if (auto row = index.find_accepted(found.customer, found.bundle)) {
                unit->bundle = *row;
            } else {
                return;
            }
            units.push_back(std::move(unit));
            last = found.upload;
            slice = 0;
        }
        units.back()->members.push_back(found.member);
        slice += found.member.size;
    });
    return units;
}

}  // namespace

GrepSummary grep(const config::Config& config, const GrepOptions& options,
                 const std::function<void(const GrepMatch&)>& match,
                 const std::function<void(const std::string&)>& error) {
    const Matcher matcher(options.pattern, options.ignore_case);
    auto units = units_of(config, options);
    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::condition_variable finished;
    unsigned threads = options.threads ? options.threads : std::thread::hardware_concurrency();
    threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(units.size())));
    std::vector<std::jthread> workers;
    for (unsigned t = 0; t < threads; ++t)
        workers.emplace_back([&] {
            for (std::size_t i; (i = next++) < units.size();) {
                search_unit(config, matcher, options.members_only, *units[i]);
                std::lock_guard lock(mutex);
                units[i]->done = true;
                finished.notify_all();
            }
        });
    GrepSummary summary;
    for (auto& unit : units) {  // in index order, as each is done
        {
            std::unique_lock lock(mutex);
            finished.wait(lock, [&] { return unit->done; });
        }
        summary.members += unit->members.size();
        summary.inflated += unit->inflated;
        for (const auto& m : unit->matches) match(m);
        for (const auto& e : unit->errors) error(e);
        summary.matches += unit->matches.size();
        summary.errors += unit->errors.size();
        unit.reset();
    }
    return summary;
}

}  // namespace dropgate::inside
