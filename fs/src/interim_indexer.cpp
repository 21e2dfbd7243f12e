// INTERIM, deleted as soon as branches `validator` and `index` land: minimal definitions of the
// indexer API so the store's FUSE mechanics can be built and tested first. Accepts anything that
// starts with the gzip magic; records nothing.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <system_error>

#include "dropgate/indexer/index.hpp"
#include "dropgate/indexer/sha256.hpp"
#include "dropgate/indexer/validator.hpp"

namespace dropgate::indexer {

Limits Limits::from(const config::Store& s) {
    return {s.max_bundle_size, s.max_uncompressed_size, s.max_compression_ratio, s.max_members};
}

struct StreamValidator::Impl {
    Limits limits;
    Sha256 sha;
    std::uint64_t fed = 0;
    std::uint8_t head[2] = {0, 0};
};
StreamValidator::StreamValidator(Limits limits, MemberSink*) : impl_(std::make_unique<Impl>()) {
    impl_->limits = limits;
}
StreamValidator::~StreamValidator() = default;
bool StreamValidator::feed(std::span<const std::uint8_t> bytes) {
    for (std::size_t i = 0; i < bytes.size() && impl_->fed + i < 2; ++i)
        impl_->head[impl_->fed + i] = bytes[i];
    impl_->fed += bytes.size();
    impl_->sha.update(bytes);
    return true;
}
bool StreamValidator::failed() const {
    return false;
}
std::uint64_t StreamValidator::bytes_fed() const {
    return impl_->fed;
}
Verdict StreamValidator::finish() {
    Verdict v;
    v.bytes = impl_->fed;
    v.sha256 = impl_->sha.hex_digest();
    if (impl_->fed > impl_->limits.max_bundle_size) {
        v.error = EFBIG;
        v.reason = "bundle exceeds max_bundle_size";
    } else if (impl_->fed < 2 || impl_->head[0] != 0x1f || impl_->head[1] != 0x8b) {
        v.error = EBADMSG;
        v.reason = "not gzip (bad magic)";
    } else {
        v.accepted = true;
        v.member_count = 1;
    }
    return v;
}
Verdict validate_file(const std::filesystem::path& file, const Limits& limits, MemberSink* sink) {
    StreamValidator validator(limits, sink);
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), file.string());
    std::vector<std::uint8_t> buf(1 << 20);
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0)
        validator.feed({buf.data(), static_cast<std::size_t>(n)});
    ::close(fd);
    return validator.finish();
}

struct MemberSpool::Impl {
    std::uint64_t count = 0;
};
MemberSpool::MemberSpool(const std::filesystem::path&) : impl_(std::make_unique<Impl>()) {}
MemberSpool::~MemberSpool() = default;
void MemberSpool::add(const Member&) {
    ++impl_->count;
}
std::uint64_t MemberSpool::count() const {
    return impl_->count;
}
void MemberSpool::replay(const std::function<void(const Member&)>&) const {}

std::string_view to_string(UploadStatus s) {
    return s == UploadStatus::accepted   ? "accepted"
           : s == UploadStatus::rejected ? "rejected"
                                         : "aborted";
}
struct Index::Impl {};
Index::Index(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Index::~Index() = default;
Index::Index(Index&&) noexcept = default;
Index& Index::operator=(Index&&) noexcept = default;
Index Index::open(const std::filesystem::path&, bool) {
    return Index(std::make_unique<Impl>());
}
std::int64_t Index::record(const UploadRecord&, const MemberSpool*) {
    return 1;
}
std::optional<UploadRecord> Index::find_upload_id(std::string_view) const {
    return std::nullopt;
}
std::optional<UploadRecord> Index::find_accepted(std::string_view, std::string_view) const {
    return std::nullopt;
}

}  // namespace dropgate::indexer
