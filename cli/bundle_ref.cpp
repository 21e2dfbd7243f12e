#include "bundle_ref.hpp"

#include "command.hpp"

namespace dropgate::cli {

index::Index read_only_index(const config::Config& config) {
    try {
        return index::Index::open(config.index.database, /*read_only=*/true);
    } catch (const index::IndexError& e) {
        throw UserError(e.what());
    }
}

index::UploadRecord one_bundle(const index::Index& index, const std::string& reference) {
    auto found = index.find_bundles(reference);
    if (found.empty())
        throw UserError("no bundle \"" + reference +
                        "\" in the index (give PATH, CUSTOMER/PATH of an accepted bundle, or an "
                        "upload id)");
    if (found.size() > 1) {
        std::string names;
        for (const auto& row : found)
            names += (names.empty() ? "" : ", ") + row.customer + "/" + row.path;
        throw UserError("\"" + reference + "\" names " + std::to_string(found.size()) +
                        " bundles (" + names + "); give CUSTOMER/PATH");
    }
    return found.front();
}

}  // namespace dropgate::cli
