// sqlite_status_code: the StatusCode for an SQLite result code, so that catalog errors say what
// kind of failure they are (another writer holds the database, the file is damaged, the disk is
// full) as well as SQLite's text.
#pragma once

#include <sqlite3.h>

#include "clipsearch/status.h"

namespace clipsearch {

// `rc` may be a primary or an extended result code (sqlite3_extended_errcode).
inline StatusCode sqlite_status_code(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kBusy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorruption;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return StatusCode::kIoError;
    case SQLITE_TOOBIG:
      return StatusCode::kInvalidArgument;
    default:
      return StatusCode::kInternal;
  }
}

}  // namespace clipsearch
