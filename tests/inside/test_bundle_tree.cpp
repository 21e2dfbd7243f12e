// The extraction rules of BundleTree, on member lists no archiver writes on purpose.
#include <catch2/catch.hpp>

#include "dropgate/inside/bundle_tree.hpp"

using dropgate::inside::BundleTree;
using dropgate::validator::Member;

namespace {

Member member(std::string path, char type, std::uint64_t size = 0, std::string link = {}) {
    Member m;
    m.path = std::move(path);
    m.type = type;
    m.size = size;
    m.linkname = std::move(link);
    m.mode = 0644;
    m.mtime = 1700000000;
    m.data_offset = 512 * (size + 1);
    return m;
}

BundleTree tree_of(const std::vector<Member>& members) {
    return BundleTree(
        [&](const auto& add) {
            for (const auto& m : members) add(m);
        },
        42);
}

}  // namespace

TEST_CASE("a bundle tree is what GNU tar's extraction leaves") {
    auto tree = tree_of({
        member("d/a.txt", '0', 3),       // d is implied
        member("d", '0', 9),             // a file cannot replace a directory with entries
        member("x", '2', 0, "/etc"),     // a symlink
        member("x/evil", '0', 1),        // below a symlink: never shown
        member("x", '0', 5),             // a later file replaces the symlink
        member("h", '1', 0, "d/a.txt"),  // a hard link: the file it names
        member("g", '1', 0, "nope"),     // to nothing: not shown
        member("dev", '3'),              // devices and fifos are not shown
        member("p", '6'), member("./e//f", '0', 7),  // "." and empty components are nothing
    });
    auto d = tree.find("d");
    REQUIRE(d);
    CHECK(tree.node(*d).type == BundleTree::Type::directory);
    CHECK(tree.node(*d).mtime == 42);  // implied: the bundle's time
    CHECK(tree.node(*d).occurrences == 1);
    auto x = tree.find("x");
    REQUIRE(x);
    CHECK(tree.node(*x).type == BundleTree::Type::file);
    CHECK(tree.node(*x).size == 5);
    CHECK(tree.node(*x).occurrences == 2);
    CHECK_FALSE(tree.find("x/evil"));
    auto h = tree.find("h");
    REQUIRE(h);
    CHECK(tree.node(*h).data_offset == tree.node(*tree.find("d/a.txt")).data_offset);
    CHECK_FALSE(tree.find("g"));
    CHECK_FALSE(tree.find("dev"));
    CHECK_FALSE(tree.find("p"));
    CHECK(tree.find("e/f"));
    CHECK(tree.path_of(*tree.find("e/f")) == "e/f");
    // The root lists its entries by name.
    std::vector<std::string> names;
    for (std::uint32_t i = 0; i < tree.node(BundleTree::kRoot).children; ++i)
        names.emplace_back(tree.name(tree.child_at(BundleTree::kRoot, i)));
    CHECK(names == std::vector<std::string>{"d", "e", "h", "x"});
}
