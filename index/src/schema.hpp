// The index schema as an ordered list of migration steps; PRAGMA user_version = steps applied.
#pragma once

#include "sqlite.hpp"

namespace dropgate::index::schema {

int latest_version();
// Applies the steps after the database's user_version up to `target`, in one transaction.
// Steps only add (tables, columns, indexes): a database written by a newer dropgate stays
// readable by an older one, and is left as it is.
void migrate(const sqlite::Db& db, int target);

}  // namespace dropgate::index::schema
