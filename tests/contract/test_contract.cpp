// The store contract as every door applies it: one name policy, one layout, one set of states
// and refusal messages (spec §10).
#include <catch2/catch.hpp>
#include <cerrno>

#include "dropgate/contract/layout.hpp"
#include "dropgate/contract/names.hpp"
#include "dropgate/contract/refusals.hpp"
#include "dropgate/contract/states.hpp"

using namespace dropgate;
using contract::NameKind;

TEST_CASE("the name policy: bundle names, temporary names with client decorations, refusals") {
    config::Store store;  // *.tgz, *.tar.gz; .filepart, .part
    store.temp_suffixes.push_back(".partial");
    contract::NamePolicy names(store);
    CHECK(names.classify("logs.tgz") == NameKind::bundle);
    CHECK(names.classify("host1.logs.tar.gz") == NameKind::bundle);
    CHECK(names.classify("logs.tgz.filepart") == NameKind::temporary);  // WinSCP
    CHECK(names.classify("logs.tgz.part") == NameKind::temporary);      // FileZilla
    CHECK(names.classify("logs.tgz.3f2a.partial") == NameKind::temporary);  // rclone
    CHECK(names.classify("logs.zip") == NameKind::refused);
    CHECK(names.classify(".part") == NameKind::refused);      // nothing before the suffix
    CHECK(names.classify(".hidden.tgz") == NameKind::refused);  // no hidden names
    CHECK(names.classify("..") == NameKind::refused);
    CHECK(names.classify("a/b.tgz") == NameKind::refused);
    CHECK(names.classify(std::string("a\0b.tgz", 7)) == NameKind::refused);
    CHECK(names.classify(std::string(252, 'x') + ".tgz") == NameKind::refused);  // 256 bytes
    CHECK(names.classify(std::string(251, 'x') + ".tgz") == NameKind::bundle);   // 255 bytes
    CHECK(names.is_bundle("x.tgz"));
    CHECK_FALSE(names.is_bundle("x.tgz.part"));
    CHECK(names.refusal("logs\n.zip") ==
          "not an accepted bundle name: logs?.zip (accepted: *.tgz, *.tar.gz)");
}

TEST_CASE("the name policy follows the configured patterns and suffixes") {
    config::Store store;
    store.accept = {"*.bundle"};
    store.temp_suffixes = {".tmp"};
    contract::NamePolicy names(store);
    CHECK(names.classify("x.bundle") == NameKind::bundle);
    CHECK(names.classify("x.tgz") == NameKind::refused);
    CHECK(names.classify("x.bundle.tmp") == NameKind::temporary);
    CHECK(names.classify("x.bundle.part") == NameKind::refused);
    CHECK(names.accepted_patterns() == "*.bundle");
}

TEST_CASE("the backing layout names bundles and staging under the root") {
    contract::Layout layout("/var/lib/dropgate");
    CHECK(layout.bundles() == "/var/lib/dropgate/bundles");
    CHECK(layout.staging() == "/var/lib/dropgate/.staging");
    CHECK(layout.bundle("acme", "host1/logs.tgz") == "/var/lib/dropgate/bundles/acme/host1/logs.tgz");
    CHECK(layout.staged("0123abcd") == "/var/lib/dropgate/.staging/0123abcd");
    CHECK(contract::base_name("host1/logs.tgz") == "logs.tgz");
    CHECK(contract::base_name("logs.tgz") == "logs.tgz");
}

TEST_CASE("upload states round-trip through their names, and refusals read as the spec words them") {
    for (auto state : {contract::UploadState::uploading, contract::UploadState::partial,
                       contract::UploadState::accepted, contract::UploadState::rejected,
                       contract::UploadState::aborted})
        CHECK(contract::parse_state(contract::to_string(state)) == state);
    CHECK_FALSE(contract::parse_state("done").has_value());
    CHECK(contract::already_exists("acme/logs.tgz") ==
          "acme/logs.tgz already exists; bundles are immutable — upload under a new name");
    CHECK(contract::bundle_too_large(64ull << 30) == "bundle exceeds max_bundle_size 64 GiB");
    CHECK(contract::kind_of(EBADMSG) == contract::RefusalKind::invalid);
    CHECK(contract::kind_of(EEXIST) == contract::RefusalKind::name_taken);
    CHECK(contract::kind_of(EFBIG) == contract::RefusalKind::limit);
    CHECK(contract::kind_of(EDQUOT) == contract::RefusalKind::limit);
    CHECK(contract::kind_of(EACCES) == contract::RefusalKind::not_allowed);
    CHECK(contract::kind_of(ENOSPC) == contract::RefusalKind::disk_full);
    CHECK(contract::describe(ENOSPC) == "disk full");
}
