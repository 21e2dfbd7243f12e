// The validator run over a local file (`dropgate validate`, start-up recovery, `verify`).
#include "dropgate/validator/validator.hpp"
#include "file_chunks.hpp"

namespace dropgate::validator {

Verdict validate_file(const std::filesystem::path& file, const Limits& limits, MemberSink* sink) {
    StreamValidator validator(limits, sink);
    detail::read_chunks(file, [&](std::span<const std::uint8_t> chunk) { validator.feed(chunk); });
    return validator.finish();
}

}  // namespace dropgate::validator
