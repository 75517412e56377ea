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
#include <string.h>
#include "pontoon.h"
#include "canon.h"

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

/* ---- the canonical text (docs/diff.md) ---- */

static const pt_canon_spell sqSpell = {
  .zPow10 = "power(10, %s)",
  .zIntText = "CAST(CAST(%s AS INTEGER) AS TEXT)",
  .zZeros = "replace(hex(zeroblob(%s)), '00', '0')",
  .zRtrim0 = "rtrim(%s, '0')",
  .zLength = "length(%s)",
  .zInt = "%s",
  .concatFn = 0,
};

/* The kind a declared type names (a local table's, or the SQLite ODBC
** driver's type name), where the kind alone does not say. */
static pt_kind sq_kind(pt_kind k, const char *zType) {
  if( !zType ) return k;
  if( !zType[0] ) return PT_K_OTHER; /* no declared type: values keep theirs */
  if( pt_canon_type_has(zType, "DATETIME") || pt_canon_type_has(zType, "TIMESTAMP") )
    return pt_canon_type_has(zType, "TZ") || pt_canon_type_has(zType, "ZONE") ? PT_K_TIMESTAMPTZ
                                                                              : PT_K_TIMESTAMP;
  if( pt_canon_type_has(zType, "DATE") ) return PT_K_DATE;
  if( pt_canon_type_has(zType, "TIME") ) return PT_K_TIME;
  if( pt_canon_type_has(zType, "BOOL") ) return PT_K_BOOL;
  if( pt_canon_type_has(zType, "DEC") || pt_canon_type_has(zType, "NUMERIC") ) return PT_K_DECIMAL;
  if( pt_canon_type_has(zType, "FLOA") || pt_canon_type_has(zType, "DOUB") ||
      pt_canon_type_has(zType, "REAL") )
    return PT_K_REAL;
  return k;
}

/*
** SQLite keeps whatever a column is given, so the text follows the
** value's own type: integers in decimal, reals rounded (to floatDigits in
** a column declared REAL, FLOAT or DOUBLE; elsewhere to 15 digits, as
** exact decimals of at most 15 digits arrive as reals: docs/types.md),
** blobs in hex, and text by the column's kind: a time or timestamp given
** 6 fractional digits (pontoon's form omits trailing zeros) and its
** '+00:00' dropped, a decimal's text without trailing zeros, any other
** text as it is.
*/
static void sqCanonicalText(sqlite3_str *s, const char *zq, pt_kind k, const char *zType,
                            int floatDigits, int prec) {
  k = sq_kind(k, zType);
  sqlite3_str_appendf(s,
                      "CASE typeof(%s) WHEN 'integer' THEN CAST(%s AS TEXT) "
                      "WHEN 'real' THEN CASE WHEN %s = 0 THEN '0' "
                      "WHEN %s > 1.7976931348623157e308 THEN 'Infinity' "
                      "WHEN %s < -1.7976931348623157e308 THEN '-Infinity' ELSE ",
                      zq, zq, zq, zq, zq);
  pt_canon_real(s, &sqSpell, zq, k == PT_K_REAL ? floatDigits : 15);
  sqlite3_str_appendf(s, " END WHEN 'blob' THEN lower(hex(%s)) WHEN 'text' THEN ", zq);
  switch( k ) {
    case PT_K_TIME:
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ: {
      char *zT = k == PT_K_TIME
        ? sqlite3_mprintf("%s", zq)
        : sqlite3_mprintf("CASE WHEN %s LIKE '%%+00:00' THEN substr(%s, 1, length(%s) - 6) "
                          "ELSE %s END",
                          zq, zq, zq, zq);
      char *zF = zT ? sqlite3_mprintf("CASE WHEN instr(%s, '.') = 0 THEN %s || '.000000' "
                                      "ELSE substr(%s || '000000', 1, instr(%s, '.') + 6) END",
                                      zT, zT, zT, zT)
                    : 0;
      if( zF ) pt_canon_cut(s, &sqSpell, zF, prec);
      sqlite3_free(zT);
      sqlite3_free(zF);
      break;
    }
    case PT_K_DECIMAL:
    case PT_K_OTHER: {
      /* a decimal's text (more than 15 digits) without trailing zeros */
      char *zN = sqlite3_mprintf("rtrim(rtrim(%s, '0'), '.')", zq);
      if( zN )
        sqlite3_str_appendf(s,
                            "CASE WHEN %s GLOB '*.*' AND %s NOT GLOB '*[^0-9.+-]*' "
                            "AND %s GLOB '*[0-9]*' THEN CASE WHEN %s = '-0' THEN '0' "
                            "ELSE %s END ELSE %s END",
                            zq, zq, zq, zN, zN, zq);
      sqlite3_free(zN);
      break;
    }
    default: sqlite3_str_appendall(s, zq); break;
  }
  sqlite3_str_appendall(s, " END");
}

/* The row's text; its sum: pontoon's own aggregate (checksum.c), which
** exists only in the SQLite connection pontoon is loaded into, so that a
** SQLite reached through ODBC is hashed by pontoon itself. */
static int sqHashExpr(sqlite3_str *s, int n, const char *const *az, const pt_kind *aKind,
                      const unsigned char *aPrefix, int sum) {
  /* SQLite keeps any text in any column: every column is escaped (which
  ** leaves a value without '\' or '|' as it is) */
  (void)aKind;
  if( sum ) sqlite3_str_appendall(s, "pontoon_hash_sum(");
  for( int i = 0; i < n; i++ ) {
    if( i ) sqlite3_str_appendall(s, " || '|' || ");
    if( aPrefix && aPrefix[i] ) {
      sqlite3_str_appendf(s, "coalesce(length(CAST(%s AS BLOB)) || ':' || %s, '\\N')", az[i],
                          az[i]);
      continue;
    }
    sqlite3_str_appendf(s, "coalesce(replace(replace(%s, '\\', '\\\\'), '|', '\\|'), '\\N')",
                        az[i]);
  }
  if( sum ) sqlite3_str_appendall(s, ")");
  return 0;
}

/* ---- pontoon_ddl: the casting rules into SQLite (docs/ddl.md) ---- */

/* xDdlType: a declared type whose affinity keeps each value exactly as
** pontoon reads it (docs/types.md); exact decimals get no type at all, so
** that no text of more than 15 digits becomes a REAL. */
static int sqDdlType(sqlite3_str *s, const pt_ddl_col *c, char **pzWhy) {
  (void)pzWhy;
  if( !strcmp(c->zEngine, "sqlite") ) {
    sqlite3_str_appendall(s, c->zType);
    return PT_DDL_OK;
  }
  switch( c->kind ) {
    case PT_K_INT:
    case PT_K_BOOL: sqlite3_str_appendall(s, "INTEGER"); break;
    case PT_K_REAL: sqlite3_str_appendall(s, "REAL"); break;
    case PT_K_DECIMAL: break; /* no affinity: INTEGER, REAL or TEXT kept as read */
    case PT_K_BLOB: sqlite3_str_appendall(s, "BLOB"); break;
    case PT_K_DATE: sqlite3_str_appendall(s, "DATE"); break;
    case PT_K_TIME: sqlite3_str_appendall(s, "TIME"); break;
    case PT_K_TIMESTAMP: sqlite3_str_appendall(s, "TIMESTAMP"); break;
    case PT_K_TIMESTAMPTZ: sqlite3_str_appendall(s, "TIMESTAMPTZ"); break;
    default:
      /* MySQL's time (kind other: negative, over 24 hours) */
      sqlite3_str_appendall(s, !strcmp(c->zBase, "time") ? "TIME" : "TEXT");
      break;
  }
  return PT_DDL_OK;
}

/* Text keys (and uuids) in BINARY, whatever the column's collation. */
static pt_kind sqBinaryKey(sqlite3_str *s, const char *zq, pt_kind k) {
  if( k == PT_K_TEXT || k == PT_K_CHAR || k == PT_K_ENUM || k == PT_K_UUID ) {
    sqlite3_str_appendf(s, "(%s COLLATE BINARY)", zq);
    return PT_K_TEXT;
  }
  sqlite3_str_appendall(s, zq);
  return k;
}

static void sqOrderText(sqlite3_str *s, const char *zExpr) {
  sqlite3_str_appendf(s, "(%s) COLLATE BINARY", zExpr);
}

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
  .xCanonicalText = sqCanonicalText,
  .xHashExpr = sqHashExpr,
  .xDdlType = sqDdlType,
  .xBinaryKey = sqBinaryKey,
  .xOrderText = sqOrderText,
  .pDdl = &pt_ddl_sqlite,
  .zIntDiv = "/",
};
