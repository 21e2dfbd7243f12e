"""Hand-made edge cases, part 2: pax records (values, syntax, global headers) and sparse maps.
Same form as edge_cases.py, which yields these too."""
from edge_cases import TIME, line, ok, refused
from handmade import archive, header, member, padded, pax, pax_record


# pax records of one member: (case, records, GNU tar's mtime or None to keep TIME, detail of the
# refusal or None if both tools accept). The header sits at offset 1024, after first.txt.
PAX_VALUES = [
    ("mtime_many_fraction_digits", [(b"mtime", b"1700000000.123456789012345678901234567890")],
     1700000000, None),
    ("mtime_negative", [(b"mtime", b"-1")], -1, None),
    ("mtime_negative_fraction", [(b"mtime", b"-1.5")], -2, None),
    ("mtime_year_minus_1199", [(b"mtime", b"-99999999999")], -99999999999, None),
    ("mtime_int64_min", [(b"mtime", b"-9223372036854775808")], -9223372036854775808, None),
    ("mtime_year_10000", [(b"mtime", b"253402300800")], 253402300800, None),
    ("mtime_int64_max", [(b"mtime", b"9223372036854775807")], 9223372036854775807, None),
    # GNU tar reads the number in front and ignores what follows; libarchive the same.
    ("mtime_trailing_junk", [(b"mtime", b"1700000000.12x")], 1700000000, None),
    ("mtime_exponent", [(b"mtime", b"1e9")], 1, None),
    ("mtime_trailing_blank", [(b"mtime", b"17 ")], 17, None),
    ("mtime_beyond_int64", [(b"mtime", b"9223372036854775808")], None,
     "invalid mtime=9223372036854775808"),
    ("mtime_not_a_number", [(b"mtime", b"abc")], None, "invalid mtime=abc"),
    ("mtime_empty", [(b"mtime", b"")], None, "invalid mtime="),
    ("mtime_no_integer_part", [(b"mtime", b".5")], None, "invalid mtime=.5"),
    ("mtime_plus_sign", [(b"mtime", b"+5")], None, "invalid mtime=+5"),
    ("mtime_leading_blank", [(b"mtime", b" 17")], None, "invalid mtime= 17"),
    ("atime_ctime_fractions", [(b"atime", b"1700000000.5"), (b"ctime", b"-3.25")], TIME, None),
    ("atime_not_a_number", [(b"atime", b"yesterday")], None, "invalid atime=yesterday"),
    ("ctime_beyond_int64", [(b"ctime", b"99999999999999999999")], None,
     "invalid ctime=99999999999999999999"),
    ("uid_largest", [(b"uid", b"4294967295")], TIME, None),
    ("uid_too_large", [(b"uid", b"4294967296")], None, "invalid uid=4294967296"),
    ("gid_leading_zero", [(b"gid", b"05")], TIME, None),
    ("gid_negative", [(b"gid", b"-5")], None, "invalid gid=-5"),
    ("size_empty", [(b"size", b"")], None, "invalid size="),
    ("size_fraction", [(b"size", b"5.0")], None, "invalid size=5.0"),
    ("unknown_keyword", [(b"foo.bar", b"baz")], TIME, None),
    ("comment_with_nul", [(b"comment", b"a\x00b")], TIME, None),
    ("schily_keywords", [(b"SCHILY.dev", b"2049"), (b"SCHILY.ino", b"12345"),
                         (b"SCHILY.nlink", b"2"), (b"SCHILY.fflags", b"nodump"),
                         (b"SCHILY.xattr.user.note", b"bundle")], TIME, None),
    ("schily_dev_garbage", [(b"SCHILY.dev", b"abc")], TIME, None),
    ("libarchive_keywords", [(b"LIBARCHIVE.creationtime", b"1700000000.5"),
                             (b"LIBARCHIVE.xattr.user.x", b"dmFsdWU"),
                             (b"LIBARCHIVE.symlinktype", b"file")], TIME, None),
    ("libarchive_creationtime_garbage", [(b"LIBARCHIVE.creationtime", b"garbage")], TIME, None),
    ("vendor_keyword_empty", [(b"VENDOR.x", b"")], TIME, None),
    ("duplicate_path", [(b"path", b"a.txt"), (b"path", b"b.txt")], TIME, None),
    ("utf8_path", [(b"path", "журнал-日志-😀.txt".encode())], TIME, None),
    ("latin1_path", [(b"path", b"caf\xe9.txt")], None, "path is not UTF-8"),
    ("latin1_path_binary", [(b"hdrcharset", b"BINARY"), (b"path", b"caf\xe9.txt")], TIME, None),
    ("overlong_utf8_gname", [(b"gname", b"a\xc0\xaf")], None, "gname is not UTF-8"),
    ("surrogate_utf8_uname", [(b"uname", b"a\xed\xa0\x80")], None, "uname is not UTF-8"),
    ("empty_path", [(b"path", b"")], None, "empty path"),
    ("sparse_minor_alone", [(b"GNU.sparse.minor", b"0")], None,
     "unsupported GNU sparse format 0.0"),
    ("sparse_realsize_garbage", [(b"GNU.sparse.realsize", b"5k")], None,
     "invalid GNU.sparse.realsize=5k"),
    ("sun_holesdata_garbage", [(b"SUN.holesdata", b"x")], None, "invalid SUN.holesdata=x"),
]


def pax_value_cases():
    first = member(b"first.txt", b"first\n")
    first_line = line("first.txt", size=6)
    for case, records, mtime, detail in PAX_VALUES:
        tar = archive(first, pax(records), member(b"f.txt", b"hello"))
        if detail == "empty path":
            yield "pax_" + case, tar, refused("tar member at offset 2048 has an empty path")
            continue
        if detail:
            yield "pax_" + case, tar, refused("malformed pax header at offset 1024 (%s)" % detail)
            continue
        fields = dict(records)
        path = fields.get(b"path", b"f.txt").decode("utf-8", "surrogateescape")
        uid, gid = int(fields.get(b"uid", 1000)), int(fields.get(b"gid", 1000))
        yield "pax_" + case, tar, ok([first_line, line(path, size=5, mtime=mtime, uid=uid, gid=gid)])


# Malformed or unusual record syntax (the data of one 'x' header at offset 1024).
PAX_SYNTAX = [
    ("trailing_nuls", pax_record(b"path", b"a.txt") + bytes(20), None),
    ("nul_before_first_record", b"\x00" + pax_record(b"path", b"a.txt"), None),
    ("leading_blank", b" " + pax_record(b"path", b"a.txt"), None),
    ("tab_after_length", pax_record(b"path", b"a.txt", b"\t"), None),
    ("length_too_short", b"10 path=a.txt\n", None),
    ("length_too_long", b"16 path=a.txt\n", None),
    ("no_newline", b"14 path=a.txtx", None),
    ("zero_length", b"0 path=a.txt\n", None),
    ("nul_in_keyword", pax_record(b"pa\x00th", b"a.txt"), None),
    ("empty_keyword", pax_record(b"", b"x"), None),
    ("record_over_999999_bytes", pax_record(b"comment", b"c" * 999990), None),
    ("two_blanks_after_length", pax_record(b"path", b"a.txt", b"  "),
     "ambiguous: blanks after a record length"),
]


def pax_syntax_cases():
    first = member(b"first.txt", b"first\n")
    for case, data, detail in PAX_SYNTAX:
        tar = archive(first, pax(data), member(b"f.txt", b"hello"))
        suffix = " (%s)" % detail if detail else ""
        rule = "ambiguous" if detail else ""
        yield "pax_syntax_" + case, tar, refused("malformed pax header at offset 1024" + suffix, rule)
    yield ("pax_syntax_record_of_999999_bytes_ok",
           archive(first, pax(pax_record(b"comment", b"c" * 999980)), member(b"f.txt", b"hello")),
           ok([line("first.txt", size=6), line("f.txt", size=5)]))


def global_cases():
    """'g' headers: GNU tar applies their records to every later member; libarchive skips them."""
    first = member(b"first.txt", b"first\n")
    f = member(b"f.txt", b"hello")
    lines = [line("first.txt", size=6), line("f.txt", size=5)]
    yield "global_comment", archive(pax([(b"comment", b"x")], b"g"), first, f), ok(lines)
    yield ("global_uid", archive(pax([(b"uid", b"5")], b"g"), first, f),
           ok([l.replace("\t1000\t1000\t", "\t5\t1000\t") for l in lines]))
    yield ("global_trailing_nuls", archive(pax(pax_record(b"comment", b"x") + bytes(10), b"g"),
                                           first, f), ok(lines))
    yield ("global_at_end", archive(first, f, pax([(b"comment", b"x")], b"g")), ok(lines))
    yield ("global_mtime_garbage", archive(pax([(b"mtime", b"abc")], b"g"), first, f),
           refused("malformed pax header at offset 0 (invalid mtime=abc)"))
    yield ("global_uid_too_large", archive(pax([(b"uid", b"99999999999")], b"g"), first, f),
           refused("malformed pax header at offset 0 (invalid uid=99999999999)"))
    for key in (b"path", b"size"):
        yield ("global_%s" % key.decode(), archive(pax([(key, b"5")], b"g"), first, f),
               refused("malformed pax header at offset 0 (ambiguous: %s in a global header)" %
                       key.decode(), "ambiguous"))
    yield ("global_only", archive(pax([(b"comment", b"x")], b"g")),
           refused("archive has no members", "no-members"))
    yield ("extended_header_at_end", archive(first, pax([(b"comment", b"x")])),
           refused("tar extended header at offset 1024 is not followed by a member"))


def old_sparse(regions, stored, realsize, magic="gnu"):
    """An old GNU sparse ('S') header with up to 4 (offset, numbytes) regions, or raw fields."""
    block = bytearray(header(b"sparse.img", stored, b"S", magic=magic))
    for i, (offset, numbytes) in enumerate(regions):
        at = 386 + 24 * i
        block[at:at + 12] = offset if isinstance(offset, bytes) else b"%011o\x00" % offset
        block[at + 12:at + 24] = numbytes if isinstance(numbytes, bytes) else b"%011o\x00" % numbytes
    block[483:495] = b"%011o\x00" % realsize
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\x00 " % sum(block)
    return bytes(block)


def sparse_cases():
    """Sparse maps as GNU tar writes them, and maps the tools cannot agree on."""
    data = padded(b"x" * 1024)
    after = member(b"after.txt", b"after\n")
    after_line = line("after.txt", size=6)
    sparse_line = line("sparse.img", size=8192)
    yield ("sparse_old_two_regions", archive(old_sparse([(0, 512), (4096, 512)], 1024, 8192) + data,
                                             after), ok([sparse_line, after_line]))
    yield ("sparse_old_ends_in_hole", archive(old_sparse([(0, 1024), (8192, 0)], 1024, 8192) + data,
                                              after), ok([sparse_line, after_line]))
    yield ("sparse_old_last_region_short", archive(old_sparse([(0, 512), (4096, 512)], 1000, 8192) +
                                                   padded(b"x" * 1000), after),
           ok([sparse_line.replace("\t1024\t", "\t1000\t"), after_line]))
    yield ("sparse_old_region_beyond_realsize",
           archive(old_sparse([(0, 512), (8000, 512)], 1024, 8192) + data, after),
           refused("tar header at offset 0 has an invalid sparse map"))
    yield ("sparse_old_offset_field_empty",
           archive(old_sparse([(0, 512), (bytes(12), b"%011o\x00" % 512)], 1024, 8192) + data, after),
           refused("tar header at offset 0 has an invalid sparse map"))
    yield ("sparse_old_numbytes_garbage",
           archive(old_sparse([(0, 512), (4096, b"0000001000x\x00")], 1024, 8192) + data, after),
           refused("tar header at offset 0 has an invalid sparse map"))
    yield ("sparse_old_map_smaller_than_data",
           archive(old_sparse([(0, 512), (4096, 412)], 1024, 8192) + data, after),
           refused("tar member sparse.img has a sparse map smaller than its data (ambiguous: bsdtar "
                   "would read the rest of the data as headers, GNU tar would not)", "ambiguous"))
    yield ("sparse_old_map_larger_than_data",
           archive(old_sparse([(0, 512), (4096, 1112)], 1024, 8192) + data, after),
           refused("tar member sparse.img has a sparse map larger than its data (ambiguous: GNU tar "
                   "would read on into the next header, bsdtar would not)", "ambiguous"))
    yield ("sparse_type_in_ustar_header", archive(old_sparse([(0, 512)], 1024, 8192, "ustar") + data,
                                                  after),
           ok([line("sparse.img", size=1024), after_line]))
    # pax format 1.0 with a hand-written map: count, then offset and size of each region.
    pax10 = [(b"GNU.sparse.major", b"1"), (b"GNU.sparse.minor", b"0"),
             (b"GNU.sparse.name", b"sparse.img"), (b"GNU.sparse.realsize", b"8192")]
    def sparse10(map_text, region_data=b"x" * 1024):
        stored = padded(map_text) + region_data
        return pax(pax10) + header(b"GNUSparseFile.0/sparse.img", len(stored)) + padded(stored)
    yield ("sparse_pax_1_0_handmade", archive(sparse10(b"2\n0\n512\n4096\n512\n"), after),
           ok([sparse_line, after_line]))
    yield ("sparse_pax_1_0_comment_line", archive(sparse10(b"#map\n2\n0\n512\n4096\n512\n"), after),
           refused("tar member sparse.img has an invalid sparse map"))
    yield ("sparse_pax_1_0_map_not_numbers", archive(sparse10(b"hello\n"), after),
           refused("tar member sparse.img has an invalid sparse map"))
    yield ("sparse_pax_major_alone", archive(pax([(b"GNU.sparse.major", b"1")]),
                                             member(b"f.txt", b"hello"), after),
           refused("tar member f.txt has an invalid sparse map"))
    yield ("sparse_pax_0_1_map_smaller_than_data",
           archive(pax([(b"GNU.sparse.numblocks", b"1"), (b"GNU.sparse.map", b"0,100"),
                        (b"GNU.sparse.size", b"8192")]), member(b"f.txt", b"x" * 1024), after),
           refused("tar member f.txt has a sparse map smaller than its data (ambiguous: bsdtar "
                   "would read the rest of the data as headers, GNU tar would not)", "ambiguous"))
    yield ("sparse_pax_0_1_map_without_numblocks",
           archive(pax([(b"GNU.sparse.map", b"0,1024"), (b"GNU.sparse.size", b"8192")]),
                   member(b"f.txt", b"x" * 1024), after),
           refused("malformed pax header at offset 0 (invalid GNU.sparse.map=0,1024)"))
