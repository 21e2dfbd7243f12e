// The streaming validator (gzip + tar + pax) on hostile uploads, through its real entry point
// StreamValidator::feed/finish.
//
// Input: byte 0 says what the rest is — bit 0 clear: the upload's bytes as they are (gzip
// headers, deflate, trailers); bit 0 set: a tar stream this harness gzips first (so mutations
// reach the tar and pax parsers past the CRC), bit 1 then in two gzip members. Bytes 1-2 seed
// how the upload is cut into feed() calls.
//
// Properties: the verdict does not depend on how the upload is cut (fed whole and fed in
// pieces give the same verdict, reason and digest, and for an accepted bundle the same counts); an
// accepted bundle's member paths and hard-link targets are normalised and never escape the archive;
// the member count reported is the number of members handed to the sink.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "dropgate/validator/validator.hpp"
#include "fuzz_input.hpp"

namespace {

using dropgate::validator::Member;
using dropgate::validator::StreamValidator;
using dropgate::validator::Verdict;

// Small limits, so bombs and member floods stop within a fuzz iteration and the limit paths
// are reached too.
dropgate::validator::Limits fuzz_limits() {
    dropgate::validator::Limits limits;
    limits.max_bundle_size = 1 << 20;
    limits.max_uncompressed_size = 8 << 20;
    limits.max_compression_ratio = 50;
    limits.ratio_grace_bytes = 2 << 20;
    limits.max_members = 500;
    return limits;
}

// "a/b/c": no leading or trailing '/', no empty, "." or ".." component ("." alone is the top).
bool normalised(std::string_view path) {
    if (path == ".") return true;
    if (path.empty() || path.front() == '/' || path.back() == '/') return false;
    while (!path.empty()) {
        auto slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        if (part.empty() || part == "." || part == "..") return false;
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    }
    return true;
}

class CheckingSink : public dropgate::validator::MemberSink {
  public:
    void add(const Member& member) override {
        members.push_back(member.path);
        if (member.type == '1') links.push_back(member.linkname);
    }
    void check_accepted(const Verdict& verdict) const {
        if (verdict.member_count != members.size()) dropgate::fuzz::broken("member count");
        for (const auto& path : members)
            if (!normalised(path)) dropgate::fuzz::broken("member path not normalised");
        for (const auto& target : links)
            if (!normalised(target)) dropgate::fuzz::broken("hard link target not normalised");
    }
    std::vector<std::string> members, links;
};

void deflate_member(std::span<const std::uint8_t> tar, std::vector<std::uint8_t>& out) {
    z_stream z{};
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
    const std::size_t start = out.size();
    out.resize(start + deflateBound(&z, uLong(tar.size())));
    z.next_in = const_cast<Bytef*>(tar.data());
    z.avail_in = uInt(tar.size());
    z.next_out = out.data() + start;
    z.avail_out = uInt(out.size() - start);
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
    out.resize(start + z.total_out);
    deflateEnd(&z);
}

struct Run {
    Verdict verdict;
    CheckingSink sink;
};

Run validate(std::span<const std::uint8_t> upload, std::uint16_t split_seed) {
    Run run;
    StreamValidator validator(fuzz_limits(), &run.sink);
    dropgate::fuzz::Splitter splitter(split_seed, 64 * 1024);
    while (!upload.empty()) {
        std::size_t n = splitter.next(upload.size());
        validator.feed(upload.first(n));
        upload = upload.subspan(n);
    }
    run.verdict = validator.finish();
    return run;
}

// A refusal stops the work early (a bomb costs no more CPU), so how far a refused upload was
// inflated and parsed may depend on the cut; the refusal itself may not.
bool same(const Verdict& a, const Verdict& b) {
    if (a.accepted != b.accepted || a.error != b.error || a.reason != b.reason ||
        a.sha256 != b.sha256 || a.bytes != b.bytes)
        return false;
    return !a.accepted ||
           (a.gzip_members == b.gzip_members && a.uncompressed_bytes == b.uncompressed_bytes &&
            a.member_count == b.member_count);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dropgate::fuzz::Input input(data, size);
    const std::uint8_t mode = input.byte();
    const std::uint16_t split_seed = input.u16();
    std::vector<std::uint8_t> gzipped;
    std::span<const std::uint8_t> upload = input.rest();
    if (mode & 1) {
        auto tar = input.rest();
        if (mode & 2) {
            deflate_member(tar.first(tar.size() / 2), gzipped);
            deflate_member(tar.subspan(tar.size() / 2), gzipped);
        } else {
            deflate_member(tar, gzipped);
        }
        upload = gzipped;
    }
    Run whole = validate(upload, 0);
    Run pieces = validate(upload, split_seed | 1);
    if (!same(whole.verdict, pieces.verdict)) {
        for (const Verdict* v : {&whole.verdict, &pieces.verdict})
            std::fprintf(stderr,
                         "fuzz: verdict %d '%s' %zu gzip members, %zu bytes out, %zu members\n",
                         v->accepted, v->reason.c_str(), std::size_t(v->gzip_members),
                         std::size_t(v->uncompressed_bytes), std::size_t(v->member_count));
        dropgate::fuzz::broken("verdict depends on the cut");
    }
    if (whole.verdict.accepted) whole.sink.check_accepted(whole.verdict);
    if (whole.verdict.accepted != whole.verdict.reason.empty())
        dropgate::fuzz::broken("a refusal without a reason, or an acceptance with one");
    return 0;
}
