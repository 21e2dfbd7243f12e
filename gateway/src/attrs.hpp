// SFTP v3 file attributes: encoding a struct stat, skipping client-sent attributes, and the
// `ls -l` style longname that OpenSSH's `ls -l` prints.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

#include "sftp_wire.hpp"

namespace dropgate::gateway {

// Size, uid/gid, permissions (with S_IFMT bits) and 32-bit atime/mtime.
void write_attrs(sftp::Writer& out, const struct stat& st);
// Attributes a client sent (OPEN, MKDIR, SETSTAT): parsed for validity, then ignored —
// dropgate decides modes and times itself.
void skip_attrs(sftp::Reader& in);
// "-rw-r--r--    1 0        0            1234 Nov 23 10:07 name"
std::string longname(std::string_view name, const struct stat& st);

}  // namespace dropgate::gateway
