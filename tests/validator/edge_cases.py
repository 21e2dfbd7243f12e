"""Hand-made edge cases: header encodings and pax records real archivers and old tars produce, and
the ways they break. The verdicts were measured by extracting each with GNU tar 1.34 and bsdtar
3.6 (the oracle test does it again on every run); the member lines say what GNU tar reads.

cases() yields (name, tar bytes, expectation): ("OK", member lines) or
("REJECTED", reason, match, errno, rule); see make_corpus.py for the meaning of each."""
from handmade import archive, base256, header, member, padded, pax

TIME = 1700000000


def line(path, type="0", size=0, mode=0o644, mtime=TIME, uid=1000, gid=1000, link=""):
    return "\t".join(str(x) for x in (type, size, mode, mtime, uid, gid, path, link))


def ok(lines):
    return ("OK", lines)


def refused(reason, rule="", match="exact", error="EBADMSG"):
    return ("REJECTED", reason, match, error, rule)


OTHER = member(b"other.txt", b"other\n")
OTHER_LINE = line("other.txt", size=6)

# Numeric header fields: (field, encoding, raw bytes, what GNU tar reads or None if it refuses,
# whether bsdtar still recognises a stream whose first header has it). Sizes hold a 5-byte file;
# for them None also means "GNU tar and bsdtar read different sizes".
NUMERIC = [
    ("mode", "leading_spaces", b"   644 \x00", 0o644, True),
    ("mode", "trailing_space", b"0000644 ", 0o644, True),
    ("mode", "full_width", b"00000644", 0o644, True),
    ("mode", "leading_nul", b"\x00000644\x00", 0o644, True),  # bsdtar reads 0
    ("mode", "two_leading_nuls", b"\x00\x0000644\x00", 0, True),
    ("mode", "all_nul", bytes(8), 0, True),
    ("mode", "base256", base256(0o644, 8), 0o644, True),
    ("mode", "leading_tab", b"\t0000644", 0o644, False),
    ("mode", "digits_after_nul", b"644\x0077x\x00", 0o644, False),
    ("mode", "garbage_after_digits", b"000644x\x00", None, False),
    ("mode", "all_blank", b" " * 8, None, True),
    ("mode", "digit_nine", b"0000649\x00", None, False),
    ("mode", "base256_bad_marker", b"\x81" + bytes(5) + b"\x01\xa4", None, False),
    ("uid", "leading_spaces", b"   1750 ", 1000, True),
    ("uid", "leading_nul", b"\x00001750\x00", 1000, True),
    ("uid", "base256_large", base256(5000000, 8), 5000000, True),
    ("uid", "base256_negative", base256(-1, 8), None, True),
    ("uid", "gnu_base64", b"+AAAD6\x00\x00", 250, False),  # tar 1.13.6-1.13.11; bsdtar reads 0
    ("uid", "all_blank", b" " * 8, None, True),
    ("gid", "space_then_nul", b"       \x00", 0, True),
    ("gid", "base256_too_large", base256(1 << 40, 8), None, True),
    ("mtime", "leading_space", b" 14524770400", TIME, True),
    ("mtime", "leading_nul", b"\x0014524770400", TIME, True),
    ("mtime", "base256_negative", base256(-1, 12), -1, True),
    ("mtime", "base256_far_future", base256(1 << 40, 12), 1 << 40, True),
    ("mtime", "all_nul", bytes(12), 0, True),
    ("mtime", "garbage", b"1452477040x\x00", None, False),
    ("size", "leading_spaces", b"          5\x00", 5, True),
    ("size", "trailing_space", b"00000000005 ", 5, True),
    ("size", "full_width", b"000000000005", 5, True),
    ("size", "base256", base256(5, 12), 5, True),
    ("size", "leading_tab", b"\t0000000005\x00", 5, False),
    ("size", "digits_after_nul", b"5\x0077\x00", 5, False),
    ("size", "leading_nul", b"\x000000000005\x00", None, True),  # bsdtar reads 0
    ("size", "leading_newline", b"\n0000000005\x00", None, False),  # bsdtar reads 0
    ("size", "base256_negative", base256(-1, 12), None, True),
    ("size", "garbage", b"0000000005x\x00", None, False),
]


def numeric_cases():
    for field, encoding, raw, value, bsdtar_first in NUMERIC:
        for position in ("first", "second"):
            name = "num_%s_%s_%s" % (field, encoding, position)
            offset = 0 if position == "first" else 1024
            target = member(b"target.txt", b"hello", raw={field: raw})
            tar = archive(target, OTHER) if position == "first" else archive(OTHER, target)
            if value is None or (position == "first" and not bsdtar_first):
                yield name, tar, refused("tar header at offset %d has an invalid %s field" %
                                         (offset, field))
                continue
            fields = {"size": 5, field: value & 0o7777 if field == "mode" else value}
            target_line = line("target.txt", **fields)
            lines = [target_line, OTHER_LINE] if position == "first" else [OTHER_LINE, target_line]
            yield name, tar, ok(lines)


# Checksum fields as a function of the block's sum, and whether both tools accept them.
CHECKSUMS = [
    ("seven_digits", lambda s: b"%07o\x00" % s, True),
    ("leading_space", lambda s: b" %06o\x00" % s, True),
    ("trailing_space", lambda s: b"%07o " % s, True),
    ("full_width", lambda s: b"%08o" % s, True),
    ("digits_after_nul", lambda s: b"%06o\x007" % s, True),
    ("leading_nul", lambda s: b"\x00%06o\x00" % s, False),  # bsdtar reads 0
    ("leading_tab", lambda s: b"\t%06o\x00" % s, False),
    ("base256", lambda s: base256(s, 8), False),
    ("garbage", lambda s: b"%06ox " % s, False),
]


def checksum_cases():
    for encoding, field, accepted in CHECKSUMS:
        for position in ("first", "second"):
            name = "chksum_%s_%s" % (encoding, position)
            target = header(b"target.txt", 5, chksum=field) + padded(b"hello")
            tar = archive(target, OTHER) if position == "first" else archive(OTHER, target)
            target_line = line("target.txt", size=5)
            if accepted:
                lines = [target_line, OTHER_LINE] if position == "first" else [OTHER_LINE,
                                                                                target_line]
                yield name, tar, ok(lines)
            elif position == "first":
                yield name, tar, refused("not a tar archive (tar header checksum error at offset 0)")
            else:
                yield name, tar, refused("tar header checksum error at offset 1024")


def type_cases():
    """Typeflags: which carry data, which GNU tar or bsdtar refuse."""
    first = member(b"first.txt", b"first\n")
    first_line = line("first.txt", size=6)
    hello = padded(b"hello")
    # Types 1-6 have no data for either tool, whatever the size field says.
    for type, kw in ((b"2", {"linkname": b"first.txt"}), (b"6", {}), (b"5", {})):
        t = type.decode()
        name = b"thing/" if t == "5" else b"thing"
        mode = {"mode": 0o755} if t == "5" else {}
        thing = line("thing", type=t, link=kw.get("linkname", b"").decode(), **mode)
        without_data = archive(first, header(name, 5, type, **mode, **kw), OTHER)
        with_data = archive(first, header(name, 5, type, **kw) + hello)
        if t == "5":
            yield "type_5_size_field_without_data", without_data, ok([first_line, thing, OTHER_LINE])
            yield ("type_5_size_field_with_data", with_data,
                   refused("tar header checksum error at offset 1536"))
            continue
        # GNU tar skips their "data" when it lists the archive, not when it extracts it.
        ambiguous = refused("tar member at offset 1024 has a size but no data (ambiguous: GNU tar "
                            "lists it with data, extracts it without)", "ambiguous")
        yield "type_%s_size_field_without_data" % t, without_data, ambiguous
        yield "type_%s_size_field_with_data" % t, with_data, ambiguous
    yield ("hardlink_size_field_ustar", archive(first, header(b"h", 5, b"1", linkname=b"first.txt"),
                                                OTHER),
           ok([first_line, line("h", type="1", link="first.txt"), OTHER_LINE]))
    # libarchive honours a hard link's size in a pax archive, GNU tar does not.
    yield ("hardlink_size_field_pax", archive(pax([(b"comment", b"x")]), first,
                                              header(b"h", 5, b"1", linkname=b"first.txt"), OTHER),
           refused("tar member at offset 2048 has data although its type has none"))
    yield ("pax_size_on_symlink", archive(first, pax([(b"size", b"5")]),
                                          header(b"s", type=b"2", linkname=b"first.txt") + hello),
           refused("tar member at offset 2048 has data although its type has none"))
    for t, warning in ((b"7", "contiguous"), (b"Z", "unknown"), (b"N", "old_gnu_names")):
        yield ("type_%s_%s" % (t.decode(), warning), archive(member(b"f", b"hello", type=t)),
               ok([line("f", size=5)]))
    yield ("type_D_dumpdir", archive(member(b"d/", b"Ya\x00\x00", type=b"D", magic="gnu", mode=0o755)),
           ok([line("d", type="5", mode=0o755)]))
    yield ("type_M_multivolume", archive(first, member(b"cont", b"hello", type=b"M", magic="gnu")),
           refused("tar member at offset 1024 continues a file from another volume"))
    yield ("volume_label_with_data", archive(member(b"label", b"hello", type=b"V", magic="gnu"), first),
           refused("tar volume label at offset 0 has data"))
    yield ("volume_label", archive(header(b"Backup", type=b"V", magic="gnu"), first), ok([first_line]))
    yield ("first_header_bad_type_flag", archive(member(b"f", b"hello", type=b"."), first),
           refused("tar header at offset 0 has an invalid type flag"))
    yield ("later_header_odd_type_flag", archive(first, member(b"f", b"hello", type=b".")),
           ok([first_line, line("f", size=5)]))
    yield ("device_bad_major", archive(first, header(b"dev", type=b"3", raw={"devmajor": b"0000010x"})),
           refused("tar header at offset 1024 has an invalid devmajor field"))
    yield ("regular_file_bad_major", archive(first, member(b"f", b"hello", raw={"devmajor": b"0010x"})),
           ok([first_line, line("f", size=5)]))


def link_cases():
    """Links GNU tar and bsdtar can make, and ones they cannot."""
    first = member(b"first.txt", b"first\n")
    first_line = line("first.txt", size=6)
    hard = lambda name, target: header(name, type=b"1", linkname=target)
    yield ("hardlink_to_earlier_hardlink", archive(first, hard(b"h1", b"first.txt"),
                                                   hard(b"h2", b"./h1")),
           ok([first_line, line("h1", type="1", link="first.txt"), line("h2", type="1", link="h1")]))
    yield ("hardlink_target_later", archive(hard(b"h", b"first.txt"), first),
           refused("hard link target is not an earlier member: first.txt"))
    yield ("hardlink_target_missing", archive(first, hard(b"h", b"nothere")),
           refused("hard link target is not an earlier member: nothere"))
    yield ("hardlink_to_directory", archive(header(b"d/", type=b"5", mode=0o755), hard(b"h", b"d")),
           refused("hard link target is a directory: d"))
    yield ("hardlink_to_itself", archive(first, hard(b"h", b"h")),
           refused("hard link target is the link itself: h"))
    yield ("hardlink_empty_target", archive(first, hard(b"h", b"")),
           refused("hard link h has an empty target"))
    yield ("symlink_empty_target", archive(first, header(b"s", type=b"2")),
           refused("symbolic link s has an empty target"))
    yield ("pax_empty_linkpath", archive(first, pax([(b"linkpath", b"")]),
                                         header(b"s", type=b"2", linkname=b"first.txt")),
           refused("symbolic link s has an empty target"))
    yield ("symlink_dangling_relative", archive(first, header(b"s", type=b"2", linkname=b"../lib/x")),
           ok([first_line, line("s", type="2", link="../lib/x")]))


def cases():
    import edge_pax
    for group in (numeric_cases, checksum_cases, type_cases, link_cases, edge_pax.pax_value_cases,
                  edge_pax.pax_syntax_cases, edge_pax.global_cases, edge_pax.sparse_cases):
        yield from group()
