/*
** fuzz_ident.c — table names as a user writes them: 'schema.table',
** "Mixed Case", hid."we""ird", optionally wrapped in single quotes
** (pt_ident_split, pt_sql_unquote), and the way back: a name quoted by
** each dialect (pt_deparse_ident) and read again.
**
** Checked beyond crashes: a name quoted with double quotes (PostgreSQL,
** SQLite, ANSI) splits back to itself, with no schema; and each dialect's
** tokenizer (xSpan) takes the quoted name as one whole token.
*/
#include "fuzz.h"
#include "dialect.h"

static void round_trip(const char *zName) {
  static const pt_dialect *const aDq[] = { &pt_dialect_postgresql, &pt_dialect_sqlite,
                                           &pt_dialect_ansi };
  static const pt_dialect *const aAll[] = { &pt_dialect_postgresql, &pt_dialect_sqlite,
                                            &pt_dialect_ansi, &pt_dialect_mysql,
                                            &pt_dialect_ansi_backtick };
  for( size_t i = 0; i < sizeof(aAll) / sizeof(aAll[0]); i++ ) {
    char *zq = pt_deparse_ident(aAll[i], zName);
    if( !zq ) continue;
    if( aAll[i]->xSpan && aAll[i]->xSpan(zq, zq, 0) != (int)strlen(zq) ) abort();
    sqlite3_free(zq);
  }
  for( size_t i = 0; i < sizeof(aDq) / sizeof(aDq[0]); i++ ) {
    char *zq = pt_deparse_ident(aDq[i], zName);
    char *zSchema = 0, *zBack = 0, *zErr = 0;
    if( zq && pt_ident_split(zq, &zSchema, &zBack, &zErr) == SQLITE_OK ) {
      if( zSchema || strcmp(zBack, zName) != 0 ) abort();
    } else if( zq ) {
      abort(); /* a quoted non-empty name is always readable */
    }
    sqlite3_free(zSchema);
    sqlite3_free(zBack);
    sqlite3_free(zErr);
    sqlite3_free(zq);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *z = fz_string(data, size);
  char *zSchema = 0, *zName = 0, *zErr = 0;
  if( pt_ident_split(z, &zSchema, &zName, &zErr) == SQLITE_OK ) {
    if( !zName || !zName[0] ) abort();
    round_trip(zName);
    if( zSchema ) round_trip(zSchema);
  } else if( !zErr ) {
    abort();
  }
  sqlite3_free(zSchema);
  sqlite3_free(zName);
  sqlite3_free(zErr);
  char *zU = pt_sql_unquote(z);
  sqlite3_free(zU);
  if( z[0] ) round_trip(z);
  free(z);
  return 0;
}
