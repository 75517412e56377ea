/*
** sqlite.c — SQLite as a remote engine (through the SQLite ODBC driver).
**
**   SELECT "id", CASE WHEN typeof("r") = 'real' THEN printf('%!.17g', "r") ELSE "r" END
**     FROM "t" WHERE "id" = $1 LIMIT $2
**
** The ANSI pushdown (ansi.c), LIMIT, ON CONFLICT upserts; reals read
** exactly through SQLite's own printf, since the driver hands doubles over
** through 15-digit text (0.30000000000000004 arrives as 0.3).  Values of
** other types in a REAL column (SQLite keeps what it is given) pass as
** they are.
*/
#include "pontoon.h"

static void quoteDq(sqlite3_str *s, const char *z) { pt_ansi_quote(s, z, '"', '"'); }

static void sqSelectExpr(sqlite3_str *s, const char *zq, pt_kind k, int readFlags) {
  (void)readFlags;
  if( k == PT_K_REAL )
    sqlite3_str_appendf(s, "CASE WHEN typeof(%s) = 'real' THEN printf('%%!.17g', %s) ELSE %s END",
                        zq, zq, zq);
  else
    sqlite3_str_appendall(s, zq);
}

static void sqUpsert(pt_sql *s, const char *zTable, int nCol, const char *const *azCol,
                     const pt_kind *aKind, int nKey, const int *aKey, int onConflict) {
  (void)aKind;
  pt_upsert_on_conflict(s, zTable, nCol, azCol, nKey, aKey, onConflict);
}

/* SQLite's tokens: '...', "...", `...`, [...], -- and block comments. */
static int sqSpan(const char *zStart, const char *z, int lexFlags) {
  (void)zStart;
  (void)lexFlags;
  if( z[0] == '[' ) {
    int i = 1;
    while( z[i] && z[i] != ']' ) i++;
    return z[i] ? i + 1 : i;
  }
  return pt_ansi_span_bt(zStart, z, lexFlags);
}

static const char *const azSqReadOnly[] = { "PRAGMA query_only = 1", 0 };

const pt_dialect pt_dialect_sqlite = {
  .iVersion = 1,
  .zName = "sqlite",
  .xQuoteIdent = quoteDq,
  .xSelectExpr = sqSelectExpr,
  .xPushable = pt_ansi_pushable,
  .xCondition = pt_ansi_condition,
  .xOrderable = pt_ansi_orderable,
  .xOrderBy = pt_ansi_order_by,
  .xParamExpr = pt_sql_param,
  .azReadOnly = azSqReadOnly,
  .xSpan = sqSpan,
  .xLimit = pt_sql_limit,
  .xUpsert = sqUpsert,
  .azLedgerType = { "TEXT", "TEXT", "INTEGER", "REAL", "TEXT" },
};
