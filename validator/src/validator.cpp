// StreamValidator: SHA-256 of every byte, the gzip layer feeding the tar layer, and the §3
// limits checked on the way (as soon as one is crossed, so a bomb stops early).
#include "dropgate/validator/validator.hpp"

#include "dropgate/base/sizes.hpp"
#include "dropgate/contract/refusals.hpp"
#include "dropgate/validator/sha256.hpp"
#include "gzip_stream.hpp"
#include "tar_stream.hpp"

namespace dropgate::validator {

Limits Limits::from(const config::Store& store) {
    Limits limits;
    limits.max_bundle_size = store.max_bundle_size;
    limits.max_uncompressed_size = store.max_uncompressed_size;
    limits.max_compression_ratio = store.max_compression_ratio;
    limits.max_members = store.max_members;
    return limits;
}

struct StreamValidator::Impl : detail::InflateSink {
    Impl(Limits l, MemberSink* sink) : limits(l), tar(sink, l.max_members) {}

    // Decompressed output from the gzip layer: limits first, then the tar parser.
    bool consume(const std::uint8_t* data, std::size_t size) override {
        uncompressed += size;
        if (uncompressed > limits.max_uncompressed_size) {
            return refuse(EFBIG, "uncompressed size exceeds max_uncompressed_size " +
                                     human_size(limits.max_uncompressed_size));
        }
        // Judged on the totals so far with an allowance of ratio_grace_bytes (see Limits).
        if (static_cast<unsigned __int128>(limits.max_compression_ratio) * gzip.consumed() +
                limits.ratio_grace_bytes <
            uncompressed) {
            return refuse(EFBIG, "compression ratio exceeds max_compression_ratio " +
                                     std::to_string(limits.max_compression_ratio));
        }
        if (!tar.feed(data, size)) return refuse(*tar.refusal());
        return true;
    }

    bool refuse(int error, std::string reason) { return refuse({error, std::move(reason)}); }
    bool refuse(detail::Refusal r) {
        if (!refusal) refusal = std::move(r);
        return false;
    }

    Limits limits;
    Sha256 sha;
    bool hash_detached = false;
    std::uint64_t fed = 0;
    std::uint64_t uncompressed = 0;
    detail::GzipStream gzip;
    detail::TarStream tar;
    std::optional<detail::Refusal> refusal;
    bool gzip_refused = false;  // the reason is the gzip layer's (finalised at finish)
    bool finished = false;
};

StreamValidator::StreamValidator(Limits limits, MemberSink* sink)
    : impl_(std::make_unique<Impl>(limits, sink)) {}

StreamValidator::~StreamValidator() = default;

bool StreamValidator::feed(std::span<const std::uint8_t> bytes) {
    Impl& v = *impl_;
    if (!v.hash_detached) v.sha.update(bytes);
    v.fed += bytes.size();
    if (v.refusal) return false;
    if (v.gzip_refused) {
        // Only records the first bytes, so "bad magic … looks like …" sees up to 512 of them.
        v.gzip.feed(bytes.data(), bytes.size(), v);
        return false;
    }
    if (v.fed > v.limits.max_bundle_size) {
        return v.refuse(EFBIG, contract::bundle_too_large(v.limits.max_bundle_size));
    }
    if (!v.gzip.feed(bytes.data(), bytes.size(), v) && !v.refusal) v.gzip_refused = true;
    return !failed();
}

bool StreamValidator::failed() const {
    return impl_->refusal || impl_->gzip_refused;
}

std::uint64_t StreamValidator::bytes_fed() const {
    return impl_->fed;
}

Sha256 StreamValidator::detach_hash() {
    if (impl_->hash_detached) throw std::logic_error("StreamValidator::detach_hash called twice");
    impl_->hash_detached = true;
    return std::move(impl_->sha);
}

Verdict StreamValidator::finish(std::string sha256_hex) {
    Impl& v = *impl_;
    if (v.finished) throw std::logic_error("StreamValidator::finish called twice");
    v.finished = true;
    if (!v.refusal && !v.gzip_refused && !v.gzip.flush(v) && !v.refusal) v.gzip_refused = true;
    std::optional<detail::Refusal> refusal = v.refusal;
    if (!refusal && v.gzip_refused) refusal = v.gzip.refusal();
    if (!refusal) refusal = v.gzip.finish();  // gzip problems first: a cut tar is a cut gzip
    if (!refusal) refusal = v.tar.finish();

    Verdict verdict;
    verdict.accepted = !refusal;
    if (refusal) {
        verdict.error = refusal->error;
        verdict.reason = std::move(refusal->reason);
    }
    verdict.sha256 = v.hash_detached ? std::move(sha256_hex) : v.sha.hex_digest();
    verdict.bytes = v.fed;
    verdict.gzip_members = v.gzip.members();
    verdict.uncompressed_bytes = v.uncompressed;
    verdict.member_count = v.tar.members();
    return verdict;
}

}  // namespace dropgate::validator
