/*
** fuzz_span.c — the SQL a user writes for pontoon_exec and query= tables,
** read by each dialect's tokenizer (xSpan: strings, quoted names,
** comments, dollar quotes) through pt_stmt_user, which turns $n into
** placeholders; and the checks made on such text before it is sent
** (pt_sql_calls, pt_sql_may_call, pt_sql_txn_control, pt_sql_empty), and
** the check that a query= text is one SELECT (pt_query_check).
**
** Input: the first byte chooses the dialect, the placeholder style, the
** lexer flags and the parameter count; the rest is the SQL.
*/
#include "fuzz.h"
#include "dialect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const pt_dialect *const aD[] = { &pt_dialect_postgresql,    &pt_dialect_mysql,
                                          &pt_dialect_sqlite,        &pt_dialect_ansi,
                                          &pt_dialect_ansi_backtick, &pt_dialect_mysql_params };
  if( size < 1 ) return 0;
  unsigned b = data[0];
  char *z = fz_string(data + 1, size - 1);
  const pt_dialect *d = aD[(b & 7) % 6];
  int ePlace = (b & 8) ? PT_PLACE_QMARK : PT_PLACE_NUMBERED;
  int lexFlags = (b & 16) ? PT_LEX_NO_BACKSLASH : 0;
  int nParam = (int)(b >> 5);

  /* every span stays inside the text */
  size_t n = strlen(z);
  for( const char *p = z; *p; ) {
    int nSpan = d->xSpan(z, p, lexFlags);
    if( nSpan < 0 || (size_t)(p - z) + (size_t)nSpan > n ) abort();
    p += nSpan ? nSpan : 1;
  }

  pt_stmt st;
  char *zErr = 0;
  if( pt_stmt_user(d, ePlace, lexFlags, z, nParam, &st, &zErr) == SQLITE_OK ) pt_stmt_clear(&st);
  sqlite3_free(zErr);

  (void)pt_sql_calls(z, "nextval");
  (void)pt_sql_may_call(z, "pg_terminate_backend");
  (void)pt_sql_txn_control(z, PT_DIALECT_PG);
  (void)pt_sql_txn_control(z, PT_DIALECT_MYSQL);
  (void)pt_sql_empty(z);
  zErr = 0;
  if( pt_query_check(d, lexFlags, "query=", z, &zErr) != SQLITE_OK && !zErr ) abort();
  sqlite3_free(zErr);
  free(z);
  return 0;
}
