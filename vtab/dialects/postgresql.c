/*
** postgresql.c — the PostgreSQL dialect, spoken by the native driver
** (libpq) and by psqlODBC.
**
**   SELECT "id", to_json("tags")::text FROM "shop"."users"
**     WHERE "email" COLLATE "C" >= $1::text ORDER BY "id" ASC NULLS FIRST
**
** Comparisons carry an explicit cast of the parameter, so the server never
** guesses a type; text ranges and ORDER BY use COLLATE "C" (SQLite's byte
** order); NULLs are placed as SQLite places them.
*/
#include <string.h>
#include <ctype.h>
#include <stdio.h>
#include "pontoon.h"
#include "canon.h"

static void pgUpsert(pt_sql *s, const char *zTable, int nCol, const char *const *azCol,
                     const pt_kind *aKind, int nKey, const int *aKey, int onConflict) {
  (void)aKind;
  pt_upsert_on_conflict(s, zTable, nCol, azCol, nKey, aKey, onConflict);
}

static void pgQuoteIdent(sqlite3_str *s, const char *z) { pt_ansi_quote(s, z, '"', '"'); }

/* Arrays as JSON, the text kinds as text; the drivers that read every value
** as text (psqlODBC, whose date structures lose infinity, BC years and
** years past 9999) get dates as the server's ISO text, DateStyle pinned. */
static void pgSelectExpr(sqlite3_str *s, const char *zq, pt_kind k, int readFlags) {
  if( (readFlags & PT_READ_TEXT) &&
      (k == PT_K_DATE || k == PT_K_TIMESTAMP || k == PT_K_TIMESTAMPTZ) ) {
    sqlite3_str_appendf(s, "CAST(%s AS text)", zq);
    return;
  }
  switch( k ) {
    case PT_K_ARRAY: sqlite3_str_appendf(s, "to_json(%s)::text", zq); break;
    case PT_K_INTERVAL:
    case PT_K_JSON:
    case PT_K_OTHER: sqlite3_str_appendf(s, "%s::text", zq); break;
    default: sqlite3_str_appendall(s, zq); break;
  }
}

static const char *cast_of(pt_kind k) {
  switch( k ) {
    case PT_K_INT: return "int8";
    case PT_K_BOOL: return "bool";
    case PT_K_REAL: return "float8";
    case PT_K_DECIMAL: return "numeric";
    case PT_K_CHAR: return "bpchar";
    case PT_K_BLOB: return "bytea";
    case PT_K_DATE: return "date";
    case PT_K_TIME: return "time";
    case PT_K_TIMESTAMP: return "timestamp";
    case PT_K_TIMESTAMPTZ: return "timestamptz";
    case PT_K_UUID: return "uuid";
    default: return "text";
  }
}

/*
** The pushdown table.  EXACT: the server's test equals SQLite's for the
** values value.c lets through; SUPERSET: it may keep extra rows (ILIKE for
** LIKE; char(n) ignores trailing blanks; dates outside years 1-9999 are
** kept by the date ranges).  Text ranges and ORDER BY use COLLATE "C".
*/
#define EXACT PT_PUSH_EXACT
#define SUPER PT_PUSH_SUPERSET
#define ALL_EXACT .eq = EXACT, .ne = EXACT, .ord = EXACT
static const pt_push_rule aPgPush[PT_K_COUNT] = {
  [PT_K_INT] = { ALL_EXACT, .orderable = 1, .binary = 1 },
  [PT_K_REAL] = { ALL_EXACT, .orderable = 1, .binary = 1 },
  [PT_K_BLOB] = { ALL_EXACT, .orderable = 1, .binary = 1 },
  [PT_K_TEXT] = { ALL_EXACT, .like = SUPER, .orderable = 1, .binary = 1 },
  [PT_K_BOOL] = { .eq = EXACT, .orderable = 1, .binary = 1 },
  [PT_K_DECIMAL] = { .eq = EXACT, .binary = 1 },
  [PT_K_ENUM] = { .eq = EXACT, .binary = 1 },
  [PT_K_TIME] = { .eq = EXACT, .orderable = 1, .binary = 1 },
  [PT_K_UUID] = { .eq = EXACT, .orderable = 1, .binary = 1 },
  [PT_K_CHAR] = { .eq = SUPER, .binary = 1 },
  [PT_K_DATE] = { .eq = EXACT, .dates = SUPER, .binary = 1 },
  [PT_K_TIMESTAMP] = { .eq = EXACT, .dates = SUPER, .binary = 1 },
  [PT_K_TIMESTAMPTZ] = { .eq = EXACT, .dates = SUPER, .binary = 1 },
};

static int pgPushable(pt_kind k, int op, const char *zColl) {
  return pt_push_lookup(aPgPush, k, op, zColl);
}

static int pgOrderable(pt_kind k) { return (int)k >= 0 && k < PT_K_COUNT && aPgPush[k].orderable; }

static void pgCondition(pt_sql *q, const char *zq, pt_kind k, int op, int n) {
  const char *zCast = cast_of(k);
  const char *zOp = 0;
  switch( op ) {
    case SQLITE_INDEX_CONSTRAINT_ISNULL: pt_sqlf(q, "%s IS NULL", zq); return;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: pt_sqlf(q, "%s IS NOT NULL", zq); return;
    case SQLITE_INDEX_CONSTRAINT_LIKE: pt_sqlf(q, "%s ILIKE %P::text ESCAPE ''", zq, n); return;
    case PT_OP_IN:
      if( k == PT_K_ENUM )
        pt_sqlf(q, "%s::text = ANY(%P::text[])", zq, n);
      else
        pt_sqlf(q, "%s = ANY(%P::%s[])", zq, n, zCast);
      return;
    case PT_OP_DATE_GE:
    case PT_OP_DATE_LT:
      pt_sqlf(q, "(%s %s %P::%s OR %s < '0001-01-01'::%s OR %s >= '10000-01-01'::%s)", zq,
              op == PT_OP_DATE_GE ? ">=" : "<", n, zCast, zq, zCast, zq, zCast);
      return;
    default: zOp = pt_sql_op(op); break;
  }
  if( k == PT_K_ENUM ) {
    pt_sqlf(q, "%s::text %s %P::text", zq, zOp, n);
  } else if( k == PT_K_TEXT && op != SQLITE_INDEX_CONSTRAINT_EQ &&
             op != SQLITE_INDEX_CONSTRAINT_NE ) {
    pt_sqlf(q, "%s COLLATE \"C\" %s %P::text", zq, zOp, n);
  } else {
    pt_sqlf(q, "%s %s %P::%s", zq, zOp, n, zCast);
  }
}

static void pgOrderBy(sqlite3_str *s, const char *zq, pt_kind k, int desc) {
  sqlite3_str_appendf(s, "%s%s %s", zq, k == PT_K_TEXT ? " COLLATE \"C\"" : "",
                      desc ? "DESC NULLS LAST" : "ASC NULLS FIRST");
}

static void pgLimit(pt_sql *q, int n) { pt_sqlf(q, "LIMIT %P::int8", n); }

/* An identifier character: a '$' after one continues the name (a$1). */
static int pgIdentChar(int ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
    ch == '_' || ch == '$' || ch >= 0x80;
}

/*
** PostgreSQL's tokens, as its lexer reads them: '...' ('' inside; E'...'
** with backslash escapes, the E starting a token), "...", $tag$...$tag$
** (the tag a name without '$', or empty; not after a name's character),
** -- to the end of the line, nested block comments.
*/
static int pgSpan(const char *zStart, const char *z, int lexFlags) {
  (void)lexFlags;
  int prev = z > zStart ? (unsigned char)z[-1] : 0;
  if( z[0] == '-' && z[1] == '-' ) return pt_span_line(z);
  if( z[0] == '/' && z[1] == '*' ) return pt_span_block(z, 1);
  if( z[0] == '$' && !pgIdentChar(prev) ) {
    int t = 1, i;
    if( z[1] >= '0' && z[1] <= '9' ) return 0; /* a parameter */
    while( z[t] && z[t] != '$' && pgIdentChar((unsigned char)z[t]) ) t++;
    if( z[t] != '$' ) return 0;
    t++;
    for( i = t; z[i]; i++ ) {
      if( z[i] == '$' && strncmp(z + i, z, (size_t)t) == 0 ) return i + t;
    }
    return i;
  }
  if( z[0] == '\'' ) {
    int bs =
      (prev == 'E' || prev == 'e') && !(z - zStart >= 2 && pgIdentChar((unsigned char)z[-2]));
    return pt_span_quoted(z, '\'', bs);
  }
  if( z[0] == '"' ) return pt_span_quoted(z, '"', 0);
  return 0;
}

static void pgArrayParam(sqlite3_str *s, pt_kind k, int n, const pt_param *a) {
  (void)k;
  static const char hex[] = "0123456789abcdef";
  sqlite3_str_appendchar(s, 1, '{');
  for( int i = 0; i < n; i++ ) {
    if( i ) sqlite3_str_appendchar(s, 1, ',');
    sqlite3_str_appendchar(s, 1, '"');
    if( a[i].isBinary ) {
      sqlite3_str_appendall(s, "\\\\x");
      for( int j = 0; j < a[i].n; j++ ) {
        unsigned char b = (unsigned char)a[i].z[j];
        sqlite3_str_appendchar(s, 1, hex[b >> 4]);
        sqlite3_str_appendchar(s, 1, hex[b & 15]);
      }
    } else {
      for( int j = 0; j < a[i].n; j++ ) {
        char ch = a[i].z[j];
        if( ch == '"' || ch == '\\' ) sqlite3_str_appendchar(s, 1, '\\');
        sqlite3_str_appendchar(s, 1, ch);
      }
    }
    sqlite3_str_appendchar(s, 1, '"');
  }
  sqlite3_str_appendchar(s, 1, '}');
}

static const char *const azPgSession[] = { "SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'",
                                           "SET IntervalStyle = 'iso_8601'",
                                           "SET extra_float_digits = 3", 0 };
/* belt and braces: each query= statement runs in its own READ ONLY
** transaction, always rolled back, which is what guarantees it */
static const char *const azPgReadOnly[] = { "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                                            0 };

/* Copy b's text to zOut and free b; its length, or 0 (ok 0, too long, or
** out of memory). */
static int date_value_out(pt_buf *b, int ok, char *zOut, int nOut) {
  int n = ok && !b->oom && b->n < (size_t)nOut ? (int)b->n : 0;
  if( n > 0 ) memcpy(zOut, b->z, (size_t)n);
  pt_buf_free(b);
  return n;
}

/*
** PostgreSQL's ISO text of a date or timestamp[tz] (session in UTC):
** "2024-01-01", "0044-03-15 BC", "10000-01-01 12:00:00.5", "... +00", as
** pontoon's forms ("-0043-03-15", "+10000-01-01 12:00:00.5+00:00") in
** zOut (nOut bytes); its length, or 0 when z is not such a text (infinity
** passes as it is).  xDateValue of drivers that read text (ODBC).
*/
static int pgDateValue(pt_kind k, const char *z, int n, char *zOut, int nOut) {
  pt_buf b = { 0 };
  pt_buf *out = &b;
  int bc = n > 3 && memcmp(z + n - 3, " BC", 3) == 0;
  if( bc ) n -= 3;
  int i = 0;
  int64_t y = 0;
  while( i < n && isdigit((unsigned char)z[i]) && i < 9 ) y = y * 10 + (z[i++] - '0');
  if( i < 4 || i + 6 > n || z[i] != '-' || z[i + 3] != '-' ) return 0; /* nothing to free yet */
  int mo = (z[i + 1] - '0') * 10 + (z[i + 2] - '0'), d = (z[i + 4] - '0') * 10 + (z[i + 5] - '0');
  if( mo < 1 || mo > 12 || d < 1 || d > 31 ) return 0; /* nothing to free yet */
  i += 6;
  if( bc ) y = 1 - y; /* 1 BC is year 0 */
  char buf[32];
  pt_buf_append(out, buf,
                (size_t)pt_date_chars(buf, pt_days_from_civil(y, (unsigned)mo, (unsigned)d)));
  if( k == PT_K_DATE ) return date_value_out(out, i == n, zOut, nOut);
  if( i < n && z[i] == ' ' ) {
    int j = i + 1, e = n;
    /* the zone, after the time: "+00" (the session is UTC) */
    for( int q = j; q < n; q++ )
      if( z[q] == '+' || (z[q] == '-' && q > j) ) {
        e = q;
        break;
      }
    pt_buf_append(out, z + i, (size_t)(e - i));
  }
  if( k == PT_K_TIMESTAMPTZ ) pt_buf_append(out, "+00:00", 6);
  return date_value_out(out, 1, zOut, nOut);
}

/* xDateParam: pontoon's signed years ("-0043-03-15", "+10000-01-01") in
** PostgreSQL's input form ("0044-03-15 BC", "10000-01-01"). */
static int pgDateParam(pt_kind k, const char *z, int n, char *out) {
  (void)k;
  if( n <= 1 || n >= 40 || (z[0] != '-' && z[0] != '+') ) return 0;
  int i = 1;
  long long y = 0;
  while( i < n && i < 12 && isdigit((unsigned char)z[i]) ) y = y * 10 + (z[i++] - '0');
  if( i == 1 || i >= n || z[i] != '-' ) return 0;
  char t[64];
  int m = z[0] == '-' ? snprintf(t, sizeof t, "%04lld%.*s BC", y + 1, n - i, z + i)
                      : snprintf(t, sizeof t, "%lld%.*s", y, n - i, z + i);
  if( m <= 0 || m >= 64 ) return 0;
  memcpy(out, t, (size_t)m);
  return m;
}

/* ---- the canonical text (docs/diff.md) ---- */

static const pt_canon_spell pgSpell = {
  .zPow10 = "power(CAST(10 AS double precision), %s)",
  .zIntText = "CAST(CAST(%s AS bigint) AS text)",
  .zZeros = "repeat('0', %s)",
  .zRtrim0 = "rtrim(%s, '0')",
  .zLength = "length(%s)",
  .zInt = "CAST(%s AS int)",
  .concatFn = 0,
};

static void pgCanonicalText(sqlite3_str *s, const char *zq, pt_kind k, const char *zType,
                            int floatDigits, int prec) {
  /* psqlODBC gives arrays the kind other and timestamptz the kind
  ** timestamp: the type name says */
  if( zType && (zType[0] == '_' || pt_canon_type_has(zType, "[]")) ) k = PT_K_ARRAY;
  if( k == PT_K_TIMESTAMP &&
      (pt_canon_type_has(zType, "with time zone") || pt_canon_type_has(zType, "timestamptz")) )
    k = PT_K_TIMESTAMPTZ;
  switch( k ) {
    case PT_K_BOOL:
      sqlite3_str_appendf(s, "CASE WHEN %s IS NULL THEN NULL WHEN %s THEN '1' ELSE '0' END", zq,
                          zq);
      break;
    case PT_K_REAL: {
      char *zD = sqlite3_mprintf("CAST(%s AS double precision)", zq);
      if( !zD ) return;
      sqlite3_str_appendf(s,
                          "CASE WHEN %s IS NULL THEN NULL WHEN %s = 0 THEN '0' "
                          "WHEN %s = 'NaN' THEN 'NaN' WHEN %s = 'Infinity' THEN 'Infinity' "
                          "WHEN %s = '-Infinity' THEN '-Infinity' ELSE ",
                          zD, zD, zD, zD, zD);
      pt_canon_real(s, &pgSpell, zD, floatDigits);
      sqlite3_str_appendall(s, " END");
      sqlite3_free(zD);
      break;
    }
    case PT_K_DECIMAL: sqlite3_str_appendf(s, "CAST(trim_scale(%s) AS text)", zq); break;
    case PT_K_CHAR: /* format keeps the padding, and makes NULL '' */
      sqlite3_str_appendf(s, "CASE WHEN %s IS NULL THEN NULL ELSE format('%%s', %s) END", zq, zq);
      break;
    case PT_K_BLOB: sqlite3_str_appendf(s, "encode(%s, 'hex')", zq); break;
    case PT_K_ARRAY: sqlite3_str_appendf(s, "CAST(to_json(%s) AS text)", zq); break;
    case PT_K_TIME: {
      char *z = sqlite3_mprintf("to_char(%s, 'HH24:MI:SS.US')", zq);
      if( z ) pt_canon_cut(s, &pgSpell, z, prec);
      sqlite3_free(z);
      break;
    }
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ: {
      char *z = sqlite3_mprintf("to_char(%s%s, 'YYYY-MM-DD HH24:MI:SS.US')", zq,
                                k == PT_K_TIMESTAMPTZ ? " AT TIME ZONE 'UTC'" : "");
      if( !z ) return;
      sqlite3_str_appendf(s, "CASE WHEN isfinite(%s) THEN ", zq);
      pt_canon_cut(s, &pgSpell, z, prec);
      sqlite3_str_appendf(s, " ELSE CAST(%s AS text) END", zq);
      sqlite3_free(z);
      break;
    }
    /* "C": a nondeterministic collation's text refuses replace() */
    default: sqlite3_str_appendf(s, "CAST(%s AS text) COLLATE \"C\"", zq); break;
  }
}

/* The row's text; the sum of md5's first 60 bits as numeric (sum of
** bigint), exact. */
static int pgHashExpr(sqlite3_str *s, int n, const char *const *az, const pt_kind *aKind,
                      const unsigned char *aPrefix, int sum) {
  if( sum ) sqlite3_str_appendall(s, "sum(CAST(CAST('x' || substr(md5(");
  for( int i = 0; i < n; i++ ) {
    if( i ) sqlite3_str_appendall(s, " || '|' || ");
    if( aPrefix && aPrefix[i] )
      sqlite3_str_appendf(s, "coalesce(octet_length(%s) || ':' || %s, E'\\\\N')", az[i], az[i]);
    else if( pt_canon_escaped(aKind[i]) )
      sqlite3_str_appendf(
        s, "coalesce(replace(replace(%s, E'\\\\', E'\\\\\\\\'), '|', E'\\\\|'), E'\\\\N')", az[i]);
    else
      sqlite3_str_appendf(s, "coalesce(%s, E'\\\\N')", az[i]);
  }
  if( sum ) sqlite3_str_appendall(s, "), 1, 15) AS bit(60)) AS bigint))");
  return 0;
}

/* The row hash of two PostgreSQL servers (14 and later): each value
** hashed by its type's own extended hash function, no text made. */
static void pgRowHashSum(sqlite3_str *s, int n, const char *const *az) {
  sqlite3_str_appendall(s, "sum(hash_record_extended(ROW(");
  for( int i = 0; i < n; i++ ) sqlite3_str_appendf(s, "%s%s", i ? ", " : "", az[i]);
  sqlite3_str_appendall(s, "), 0))");
}

/* Kinds whose hash follows their equality, and whose equality is their
** canonical text's: numeric's 1.5 = 1.50 both ways; text in a
** deterministic collation (a nondeterministic one is kind other) is its
** bytes.  Not char (an unbounded bpchar's trailing spaces), real (the
** canonical text rounds), interval ('1 day' = '24 hours'). */
static int pgRowHashRaw(pt_kind k) {
  switch( k ) {
    case PT_K_INT:
    case PT_K_DECIMAL:
    case PT_K_TEXT:
    case PT_K_BOOL:
    case PT_K_BLOB:
    case PT_K_DATE:
    case PT_K_TIME:
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ:
    case PT_K_UUID: return 1;
    default: return 0;
  }
}

static const char *const azPgRowHashProbe[] = {
  "SELECT CASE WHEN current_setting('server_version_num')::int >= 140000 THEN 1 ELSE 0 END",
  "SELECT hash_record_extended(ROW(CAST(-2 AS bigint), 'pontoon|' || chr(233) || chr(128512), "
  "CAST(1.50 AS numeric), TIMESTAMPTZ '2000-01-02 03:04:05.678901+00', true, "
  "decode('00ff', 'hex'), DATE '2020-02-29', TIME '23:59:59.999999', "
  "CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS uuid)), 0)",
  0
};

/* ---- pontoon_ddl: the casting rules into PostgreSQL (docs/ddl.md) ---- */

static int ddl_is(const pt_ddl_col *c, const char *zBase) { return strcmp(c->zBase, zBase) == 0; }

/* The type of a SQLite column by its declared type's affinity. */
static int pgDdlFromSqlite(sqlite3_str *s, const pt_ddl_col *c) {
  const char *b = c->zBase;
  if( strstr(b, "int") )
    sqlite3_str_appendall(s, "bigint");
  else if( strstr(b, "char") || strstr(b, "clob") || strstr(b, "text") )
    sqlite3_str_appendall(s, "text");
  else if( strstr(b, "blob") )
    sqlite3_str_appendall(s, "bytea");
  else if( strstr(b, "real") || strstr(b, "floa") || strstr(b, "doub") )
    sqlite3_str_appendall(s, "double precision");
  else if( strstr(b, "bool") )
    sqlite3_str_appendall(s, "boolean");
  else if( !strcmp(b, "date") )
    sqlite3_str_appendall(s, "date");
  else if( !strcmp(b, "timestamptz") )
    sqlite3_str_appendall(s, "timestamptz");
  else if( strstr(b, "datetime") || strstr(b, "timestamp") )
    sqlite3_str_appendall(s, "timestamp");
  else if( !strcmp(b, "time") )
    sqlite3_str_appendall(s, "time");
  else if( !strcmp(b, "json") )
    sqlite3_str_appendall(s, "jsonb");
  else if( (strstr(b, "decimal") || strstr(b, "numeric")) && c->nArg == 2 )
    sqlite3_str_appendf(s, "numeric(%d,%d)", c->aArg[0], c->aArg[1]);
  else
    return PT_DDL_NONE;
  return PT_DDL_OK;
}

static int pgDdlFromMysql(sqlite3_str *s, const pt_ddl_col *c, char **pzWhy) {
  int u = c->isUnsigned;
  if( ddl_is(c, "tinyint") && c->nArg == 1 && c->aArg[0] == 1 && !(c->flags & PT_DDL_IDENTITY) )
    sqlite3_str_appendall(s, "boolean");
  else if( ddl_is(c, "tinyint") || (ddl_is(c, "smallint") && !u) || ddl_is(c, "year") )
    sqlite3_str_appendall(s, "smallint");
  else if( ddl_is(c, "smallint") || ddl_is(c, "mediumint") ||
           ((ddl_is(c, "int") || ddl_is(c, "integer")) && !u) )
    sqlite3_str_appendall(s, "integer");
  else if( ddl_is(c, "int") || ddl_is(c, "integer") || (ddl_is(c, "bigint") && !u) )
    sqlite3_str_appendall(s, "bigint");
  else if( ddl_is(c, "bigint") ) {
    if( c->flags & PT_DDL_IDENTITY ) {
      sqlite3_str_appendall(s, "bigint");
      *pzWhy = sqlite3_mprintf("%s: bigint unsigned auto_increment becomes bigint: values beyond "
                               "9223372036854775807 do not fit",
                               c->zQuoted);
      return PT_DDL_LOSSY;
    }
    sqlite3_str_appendall(s, "numeric(20)");
  } else if( ddl_is(c, "decimal") || ddl_is(c, "numeric") || ddl_is(c, "dec") ||
             ddl_is(c, "fixed") ) {
    if( c->nArg == 2 )
      sqlite3_str_appendf(s, "numeric(%d,%d)", c->aArg[0], c->aArg[1]);
    else if( c->nArg == 1 )
      sqlite3_str_appendf(s, "numeric(%d)", c->aArg[0]);
    else
      sqlite3_str_appendall(s, "numeric(10)");
  } else if( ddl_is(c, "float") )
    sqlite3_str_appendall(s, c->nArg == 1 && c->aArg[0] > 24 ? "double precision" : "real");
  else if( ddl_is(c, "double") || ddl_is(c, "real") )
    sqlite3_str_appendall(s, "double precision");
  else if( ddl_is(c, "bit") )
    sqlite3_str_appendall(s, c->nArg == 1 && c->aArg[0] == 64 ? "numeric(20)" : "bigint");
  else if( (ddl_is(c, "char") || ddl_is(c, "varchar")) && c->nArg == 1 )
    sqlite3_str_appendf(s, "varchar(%d)", c->aArg[0]);
  else if( ddl_is(c, "tinytext") || ddl_is(c, "text") || ddl_is(c, "mediumtext") ||
           ddl_is(c, "longtext") || ddl_is(c, "set") )
    sqlite3_str_appendall(s, "text");
  else if( ddl_is(c, "enum") )
    sqlite3_str_appendf(s, "text CHECK (%s IN (%.*s))", c->zQuoted, c->nArgs, c->zArgs);
  else if( ddl_is(c, "binary") || ddl_is(c, "varbinary") || strstr(c->zBase, "blob") )
    sqlite3_str_appendall(s, "bytea");
  else if( ddl_is(c, "json") )
    sqlite3_str_appendall(s, "jsonb");
  else if( ddl_is(c, "date") )
    sqlite3_str_appendall(s, "date");
  else if( ddl_is(c, "datetime") )
    sqlite3_str_appendf(s, "timestamp(%d)", c->nArg ? c->aArg[0] : 0);
  else if( ddl_is(c, "timestamp") )
    sqlite3_str_appendf(s, "timestamptz(%d)", c->nArg ? c->aArg[0] : 0);
  else if( ddl_is(c, "time") )
    sqlite3_str_appendf(s, "time(%d)", c->nArg ? c->aArg[0] : 0);
  else
    return PT_DDL_NONE;
  return PT_DDL_OK;
}

/* xDdlType: the column type in PostgreSQL, and its identity. */
static int pgDdlType(sqlite3_str *s, const pt_ddl_col *c, char **pzWhy) {
  int rc = PT_DDL_OK;
  if( !strcmp(c->zEngine, "postgresql") )
    sqlite3_str_appendall(s, c->zType);
  else if( !strcmp(c->zEngine, "mysql") )
    rc = pgDdlFromMysql(s, c, pzWhy);
  else if( !strcmp(c->zEngine, "sqlite") )
    rc = pgDdlFromSqlite(s, c);
  else
    rc = PT_DDL_NONE;
  if( rc != PT_DDL_NONE && (c->flags & PT_DDL_IDENTITY) )
    sqlite3_str_appendall(s, " GENERATED BY DEFAULT AS IDENTITY");
  return rc;
}

/* change capture and freeze: below, after the dialect */
static int pgCaptureTriggers(sqlite3_str *, int, const pt_capture *, int);
static int pgFreezeTrigger(sqlite3_str *, int, const pt_capture *, int);

/* Text keys through the "C" collation (byte order of UTF-8: code points);
** char(n) and enum labels as their text. */
static pt_kind pgBinaryKey(sqlite3_str *s, const char *zq, pt_kind k) {
  if( k == PT_K_TEXT || k == PT_K_CHAR || k == PT_K_ENUM ) {
    sqlite3_str_appendf(s, "(%s::text COLLATE \"C\")", zq);
    return PT_K_TEXT;
  }
  sqlite3_str_appendall(s, zq);
  return k;
}

static void pgOrderText(sqlite3_str *s, const char *zExpr) {
  sqlite3_str_appendf(s, "(%s) COLLATE \"C\" ASC NULLS FIRST", zExpr);
}

const pt_dialect pt_dialect_postgresql = {
  .iVersion = 1,
  .zName = "postgresql",
  .xQuoteIdent = pgQuoteIdent,
  .xSelectExpr = pgSelectExpr,
  .xPushable = pgPushable,
  .xCondition = pgCondition,
  .xOrderable = pgOrderable,
  .xOrderBy = pgOrderBy,
  .xParamExpr = pt_sql_param,
  .azSession = azPgSession,
  .azReadOnly = azPgReadOnly,
  .xSpan = pgSpan,
  .xLimit = pgLimit,
  .xArrayParam = pgArrayParam,
  .xUpsert = pgUpsert,
  /* no xLockRows: REPEATABLE READ raises serialization errors */
  /* psqlODBC sends BEGIN before the first statement in manual-commit mode:
  ** this sets that transaction's mode */
  .zBeginReadOnly = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
  .xDateParam = pgDateParam,
  .xDateValue = pgDateValue,
  .zLedgerSchema = "pontoon",
  .azLedgerType = { "text", "text", "bigint", "double precision", "timestamp(6)" },
  .zSkipLocked = " FOR UPDATE SKIP LOCKED",
  .xCanonicalText = pgCanonicalText,
  .xHashExpr = pgHashExpr,
  .xRowHashSum = pgRowHashSum,
  .xRowHashRaw = pgRowHashRaw,
  .azRowHashProbe = azPgRowHashProbe,
  .zScanAlone = "SET LOCAL max_parallel_workers_per_gather = 0",
  .xDdlType = pgDdlType,
  .xCaptureTriggers = pgCaptureTriggers,
  .xFreezeTrigger = pgFreezeTrigger,
  .overlapClaims = 1,
  .xBinaryKey = pgBinaryKey,
  .xOrderText = pgOrderText,
  .pDdl = &pt_ddl_postgresql,
  .zIntDiv = "/",
};

/* ---- change capture and freeze (migrate/capture.c, docs/capture.md) ---- */

/* Append z as an E'' literal: the same text whatever the session's
** standard_conforming_strings. */
static void pgLiteral(sqlite3_str *s, const char *z) {
  sqlite3_str_appendall(s, "E'");
  for( ; *z; z++ ) {
    if( *z == '\'' || *z == '\\' ) sqlite3_str_appendchar(s, 1, *z);
    sqlite3_str_appendchar(s, 1, *z);
  }
  sqlite3_str_appendchar(s, 1, '\'');
}

/* The captured table, schema-qualified when it has a schema. */
static void pgCaptureTable(sqlite3_str *s, const pt_capture *c) {
  if( c->zSchema ) {
    pgQuoteIdent(s, c->zSchema);
    sqlite3_str_appendchar(s, 1, '.');
  }
  pgQuoteIdent(s, c->zTable);
}

/* pontoon."<zPrefix><name>" */
static void pgCaptureFunc(sqlite3_str *s, const char *zPrefix, const pt_capture *c) {
  char *z = sqlite3_mprintf("%s%s", zPrefix, c->zName);
  sqlite3_str_appendall(s, "pontoon.");
  pgQuoteIdent(s, z ? z : "");
  sqlite3_free(z);
}

/* json_build_array(<row>."k1", ...)::text */
static void pgCaptureKey(sqlite3_str *s, const char *zRow, const pt_capture *c) {
  sqlite3_str_appendall(s, "json_build_array(");
  for( int i = 0; i < c->nKey; i++ ) {
    sqlite3_str_appendf(s, "%s%s.", i ? ", " : "", zRow);
    pgQuoteIdent(s, c->azKey[i]);
  }
  sqlite3_str_appendall(s, ")::text");
}

static void pgCaptureInsert(sqlite3_str *s, const pt_capture *c, const char *zOp,
                            const char *zRow) {
  sqlite3_str_appendf(s, "INSERT INTO %s (tbl, op, k) VALUES (", c->zChanges);
  pgLiteral(s, c->zLabel);
  sqlite3_str_appendf(s, ", '%s', ", zOp);
  pgCaptureKey(s, zRow, c);
  sqlite3_str_appendall(s, ");\n");
}

/* Drop schema pontoon when nothing is left in it. */
static void pgDropEmptySchema(sqlite3_str *s) {
  sqlite3_str_appendall(
    s,
    "DO $pontoon$BEGIN IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pontoon') "
    "AND NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'pontoon') AND NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n "
    "ON n.oid = p.pronamespace WHERE n.nspname = 'pontoon') AND NOT EXISTS (SELECT 1 FROM "
    "pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'pontoon') "
    "THEN DROP SCHEMA pontoon; END IF; END$pontoon$");
}

/*
** xCaptureTriggers: one AFTER row trigger per table calling a PL/pgSQL
** function of its own, which appends the key as a JSON array (the old
** key too when an UPDATE changes it) to pontoon.changes, whose seq is a
** bigserial.  The trigger is named pontoon_capture (trigger names are per
** table); the function pontoon."capture_<name>".
*/
static int pgCaptureTriggers(sqlite3_str *s, int op, const pt_capture *c, int iStmt) {
  switch( op ) {
    case PT_CAPTURE_TABLES:
      switch( iStmt ) {
        case 0: sqlite3_str_appendall(s, "CREATE SCHEMA IF NOT EXISTS pontoon"); return 1;
        case 1:
          /* one index, (tbl, seq): each captured write pays for one
          ** (a second index on seq cost the writer about a tenth more);
          ** every read and delete of the queue names the table */
          sqlite3_str_appendf(s,
                              "CREATE TABLE IF NOT EXISTS %s (seq bigserial NOT NULL, "
                              "tbl text NOT NULL, op char(1) NOT NULL, k text NOT NULL, "
                              "at timestamptz NOT NULL DEFAULT clock_timestamp(), "
                              "PRIMARY KEY (tbl, seq))",
                              c->zChanges);
          return 1;
        case 2:
          sqlite3_str_appendf(s,
                              "CREATE TABLE IF NOT EXISTS %s (tbl text PRIMARY KEY, "
                              "key_columns text, started timestamp(6))",
                              c->zCaptures);
          return 1;
      }
      return 0;
    case PT_CAPTURE_INSTALL:
      if( iStmt == 0 ) {
        sqlite3_str *b = sqlite3_str_new(0);
        sqlite3_str_appendall(b, "\nBEGIN\nIF TG_OP = 'INSERT' THEN\n");
        pgCaptureInsert(b, c, "I", "NEW");
        sqlite3_str_appendall(b, "ELSIF TG_OP = 'UPDATE' THEN\nIF ROW(");
        for( int i = 0; i < c->nKey; i++ ) {
          sqlite3_str_appendall(b, i ? ", OLD." : "OLD.");
          pgQuoteIdent(b, c->azKey[i]);
        }
        sqlite3_str_appendall(b, ") IS DISTINCT FROM ROW(");
        for( int i = 0; i < c->nKey; i++ ) {
          sqlite3_str_appendall(b, i ? ", NEW." : "NEW.");
          pgQuoteIdent(b, c->azKey[i]);
        }
        sqlite3_str_appendall(b, ") THEN\n");
        pgCaptureInsert(b, c, "D", "OLD");
        sqlite3_str_appendall(b, "END IF;\n");
        pgCaptureInsert(b, c, "U", "NEW");
        sqlite3_str_appendall(b, "ELSE\n");
        pgCaptureInsert(b, c, "D", "OLD");
        sqlite3_str_appendall(b, "END IF;\nRETURN NULL;\nEND\n");
        char *zBody = sqlite3_str_finish(b);
        /* a dollar-quote tag that the body does not contain */
        char zTag[32] = "$pontoon$";
        for( int i = 1; zBody && strstr(zBody, zTag); i++ )
          snprintf(zTag, sizeof zTag, "$pontoon%d$", i);
        sqlite3_str_appendall(s, "CREATE OR REPLACE FUNCTION ");
        pgCaptureFunc(s, "capture_", c);
        sqlite3_str_appendf(s, "() RETURNS trigger LANGUAGE plpgsql AS %s%s%s", zTag,
                            zBody ? zBody : "", zTag);
        sqlite3_free(zBody);
        return 1;
      }
      if( iStmt == 1 ) {
        sqlite3_str_appendall(s, "DROP TRIGGER IF EXISTS pontoon_capture ON ");
        pgCaptureTable(s, c);
        return 1;
      }
      if( iStmt == 2 ) {
        sqlite3_str_appendall(s,
                              "CREATE TRIGGER pontoon_capture AFTER INSERT OR UPDATE OR "
                              "DELETE ON ");
        pgCaptureTable(s, c);
        sqlite3_str_appendall(s, " FOR EACH ROW EXECUTE FUNCTION ");
        pgCaptureFunc(s, "capture_", c);
        sqlite3_str_appendall(s, "()");
        return 1;
      }
      return 0;
    case PT_CAPTURE_REMOVE:
      if( iStmt == 0 ) {
        sqlite3_str_appendall(s, "DROP TRIGGER IF EXISTS pontoon_capture ON ");
        pgCaptureTable(s, c);
        return 1;
      }
      if( iStmt == 1 ) {
        sqlite3_str_appendall(s, "DROP FUNCTION IF EXISTS ");
        pgCaptureFunc(s, "capture_", c);
        sqlite3_str_appendall(s, "()");
        return 1;
      }
      return 0;
    case PT_CAPTURE_DROP_TABLES:
      if( iStmt == 0 ) {
        sqlite3_str_appendf(s, "DROP TABLE IF EXISTS %s", c->zChanges);
        return 1;
      }
      if( iStmt == 1 ) {
        sqlite3_str_appendf(s, "DROP TABLE IF EXISTS %s", c->zCaptures);
        return 1;
      }
      if( iStmt == 2 ) {
        pgDropEmptySchema(s);
        return 1;
      }
      return 0;
    case PT_CAPTURE_MISSING:
      if( iStmt ) return 0;
      {
        sqlite3_str *t = sqlite3_str_new(0);
        pgCaptureTable(t, c);
        char *zT = sqlite3_str_finish(t);
        sqlite3_str_appendall(s,
                              "SELECT 1 - count(*) FROM pg_trigger WHERE tgname = "
                              "'pontoon_capture' AND tgrelid = to_regclass(");
        pgLiteral(s, zT ? zT : "");
        sqlite3_str_appendchar(s, 1, ')');
        sqlite3_free(zT);
      }
      return 1;
    case PT_CAPTURE_DELETE:
      if( iStmt ) return 0;
      sqlite3_str_appendf(s, "DELETE FROM %s WHERE tbl = ", c->zChanges);
      pgLiteral(s, c->zLabel);
      sqlite3_str_appendall(s, " AND seq IN (");
      for( int i = 0; i < c->nSeq; i++ )
        sqlite3_str_appendf(s, "%s%lld", i ? ", " : "", (long long)c->aSeq[i]);
      sqlite3_str_appendchar(s, 1, ')');
      return 1;
    case PT_CAPTURE_LAG:
      if( iStmt == 0 ) {
        sqlite3_str_appendall(s, "coalesce(extract(epoch FROM clock_timestamp() - min(at)), 0)");
        return 1;
      }
      return 0;
  }
  return 0;
}

/*
** xFreezeTrigger: a BEFORE statement trigger pontoon_freeze for INSERT,
** UPDATE, DELETE and TRUNCATE that raises the message, given as the
** trigger's argument to a function pontoon."freeze_<name>".
*/
static int pgFreezeTrigger(sqlite3_str *s, int freeze, const pt_capture *c, int iStmt) {
  if( freeze ) {
    switch( iStmt ) {
      case 0: sqlite3_str_appendall(s, "CREATE SCHEMA IF NOT EXISTS pontoon"); return 1;
      case 1:
        sqlite3_str_appendall(s, "CREATE OR REPLACE FUNCTION ");
        pgCaptureFunc(s, "freeze_", c);
        sqlite3_str_appendall(s,
                              "() RETURNS trigger LANGUAGE plpgsql AS $pontoon$BEGIN "
                              "RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], "
                              "ERRCODE = 'object_not_in_prerequisite_state'; "
                              "END$pontoon$");
        return 1;
      case 2:
        sqlite3_str_appendall(s, "DROP TRIGGER IF EXISTS pontoon_freeze ON ");
        pgCaptureTable(s, c);
        return 1;
      case 3:
        sqlite3_str_appendall(s,
                              "CREATE TRIGGER pontoon_freeze BEFORE INSERT OR UPDATE OR "
                              "DELETE OR TRUNCATE ON ");
        pgCaptureTable(s, c);
        sqlite3_str_appendall(s, " FOR EACH STATEMENT EXECUTE FUNCTION ");
        pgCaptureFunc(s, "freeze_", c);
        sqlite3_str_appendchar(s, 1, '(');
        pgLiteral(s, c->zMessage ? c->zMessage : "pontoon: this table is frozen");
        sqlite3_str_appendchar(s, 1, ')');
        return 1;
    }
    return 0;
  }
  switch( iStmt ) {
    case 0:
      sqlite3_str_appendall(s, "DROP TRIGGER IF EXISTS pontoon_freeze ON ");
      pgCaptureTable(s, c);
      return 1;
    case 1:
      sqlite3_str_appendall(s, "DROP FUNCTION IF EXISTS ");
      pgCaptureFunc(s, "freeze_", c);
      sqlite3_str_appendall(s, "()");
      return 1;
    case 2: pgDropEmptySchema(s); return 1;
  }
  return 0;
}
