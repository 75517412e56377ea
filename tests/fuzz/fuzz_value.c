/*
** fuzz_value.c — the values a user gives pontoon tables (value.c): a
** value written into a column of each kind, checked and turned into the
** kind's text (pt_value_write: dates, times, timestamps, uuids, numbers,
** JSON arrays), and the right-hand side of a WHERE test sent to the server
** (pt_value_param, for each operator pontoon pushes down).
**
** Input: byte 0 the column's kind and how SQLite holds the value (text,
** blob, integer or real from the text); byte 1 the operator; the rest the
** value.  The values are real sqlite3_values, from a statement of an
** in-memory database.
*/
#include "fuzz.h"

static sqlite3_stmt *value_stmt(void) {
  static sqlite3 *db = 0;
  static sqlite3_stmt *st = 0;
  if( !st ) {
    if( sqlite3_open(":memory:", &db) != SQLITE_OK ) abort();
    if( sqlite3_prepare_v2(db, "SELECT ?1", -1, &st, 0) != SQLITE_OK ) abort();
  }
  return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int aOp[] = { SQLITE_INDEX_CONSTRAINT_EQ,
                             SQLITE_INDEX_CONSTRAINT_LT,
                             SQLITE_INDEX_CONSTRAINT_LE,
                             SQLITE_INDEX_CONSTRAINT_GT,
                             SQLITE_INDEX_CONSTRAINT_GE,
                             SQLITE_INDEX_CONSTRAINT_NE,
                             SQLITE_INDEX_CONSTRAINT_LIKE,
                             SQLITE_INDEX_CONSTRAINT_GLOB,
                             PT_OP_DATE_GE,
                             PT_OP_DATE_LT,
                             PT_OP_IN };
  if( size < 2 ) return 0;
  pt_kind k = (pt_kind)(data[0] % PT_K_COUNT);
  int how = (data[0] / PT_K_COUNT) % 4;
  int op = aOp[data[1] % (sizeof(aOp) / sizeof(aOp[0]))];
  const char *z = (const char *)data + 2;
  int n = (int)(size - 2);
  sqlite3_stmt *st = value_stmt();
  char *zc = fz_string(data + 2, size - 2);
  switch( how ) {
    case 0: sqlite3_bind_text(st, 1, z, n, SQLITE_TRANSIENT); break;
    case 1: sqlite3_bind_blob(st, 1, z, n, SQLITE_TRANSIENT); break;
    case 2: sqlite3_bind_int64(st, 1, (sqlite3_int64)strtoll(zc, 0, 10)); break;
    default: sqlite3_bind_double(st, 1, strtod(zc, 0)); break;
  }
  if( sqlite3_step(st) == SQLITE_ROW ) {
    sqlite3_value *v = sqlite3_column_value(st, 0);
    pt_buf b = { 0 };
    int isBlob = 0;
    char *zErr = 0;
    if( pt_value_write(k, v, &b, &isBlob, &zErr) == SQLITE_OK && b.n > 0 && !b.z ) abort();
    pt_buf_free(&b);
    sqlite3_free(zErr);
    sqlite3_str *s = sqlite3_str_new(0);
    int r = pt_value_param(k, op, v, s, &isBlob);
    if( r < PT_BIND || r > PT_EMPTY ) abort();
    sqlite3_free(sqlite3_str_finish(s));
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  free(zc);
  return 0;
}
