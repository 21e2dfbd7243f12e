#include "dropgate/inside/reindex.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>

#include "dropgate/base/unique_fd.hpp"
#include "dropgate/contract/layout.hpp"
#include "dropgate/inside/seek_store.hpp"

namespace dropgate::inside {

IndexOutcome index_bundle(const config::Config& config, const index::UploadRecord& bundle,
                          bool force, std::stop_token stop, const Pace& pace) {
    const contract::Layout layout(config.store.root);
    const auto file = layout.seek_index(bundle.sha256);
    IndexOutcome outcome;
    if (!force)
        if (auto stored = load_seek_index(file)) {
            outcome.kind = IndexOutcome::Kind::present;
            outcome.points = stored->points.size();
            outcome.index_bytes = stored->encoded_size();
            return outcome;
        }
    const auto path = layout.bundle(bundle.customer, bundle.path);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) {
        outcome.error = path.string() + ": " + std::strerror(errno);
        return outcome;
    }
    if (contract::is_stub(st.st_mode)) {
        outcome.kind = IndexOutcome::Kind::remote;
        return outcome;
    }
    const auto start = std::chrono::steady_clock::now();
    try {
        SeekIndex index = build_seek_index(fd.get(), SeekIndex::kDefaultSpacing, stop, pace);
        save_seek_index(file, index);
        outcome.kind = IndexOutcome::Kind::built;
        outcome.points = index.points.size();
        outcome.index_bytes = index.encoded_size();
    } catch (const std::exception& e) {
        outcome.error = e.what();
    }
    outcome.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return outcome;
}

}  // namespace dropgate::inside
