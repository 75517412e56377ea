/*
** checksum.c — pontoon_checksum, and the canonical text and row hashes
** that pontoon_diff compares (docs/checksum.md, docs/diff.md).
**
**   SELECT pontoon_checksum('old.users');                 -- '100000:3f0c...'
**   SELECT pontoon_checksum('main.users', 'exclude=updated_at float_digits=12');
**
** Each row's canonical text (its columns' texts, each written by the SQL
** of the engine that holds the table: dialect.h's xCanonicalText, joined
** by xHashExpr) is hashed with md5 where the data is; the first 60 bits
** of each hash, as an integer, are summed over the rows by the server,
** exactly (PostgreSQL's sum of bigint is numeric, MySQL's SUM a DECIMAL),
** and reduced here modulo 2^64: the checksum is '<count>:<sum in 16 hex
** digits>', independent of the rows' order and equal on every engine for
** equal data.  A local SQLite table is summed by pontoon_hash_sum, an
** aggregate registered here (SQLite has no md5); a SQLite reached through
** ODBC has neither, so its rows' texts are read and hashed here.
**
** Rationale: pontoon_checksum reaches servers, so it is SQLITE_DIRECTONLY;
** it reads a remote table in a read-only transaction of its own
** (pt_server_snapshot_begin): one snapshot, committed data only.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "migrate.h"

/* ---- md5 (RFC 1321), for local tables and ODBC sources of SQLite ---- */

typedef struct md5_ctx {
  uint32_t a[4];
  uint64_t nByte;
  unsigned char buf[64];
} md5_ctx;

static const uint32_t md5K[64] = {
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391
};
static const unsigned char md5R[16] = { 7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21 };

static void md5_block(md5_ctx *c, const unsigned char *p) {
  uint32_t w[16], a = c->a[0], b = c->a[1], cc = c->a[2], d = c->a[3];
  for( int i = 0; i < 16; i++ )
    w[i] = (uint32_t)p[i * 4] | (uint32_t)p[i * 4 + 1] << 8 | (uint32_t)p[i * 4 + 2] << 16 |
      (uint32_t)p[i * 4 + 3] << 24;
  for( int i = 0; i < 64; i++ ) {
    uint32_t f;
    int g;
    switch( i / 16 ) {
      case 0:
        f = (b & cc) | (~b & d);
        g = i;
        break;
      case 1:
        f = (d & b) | (~d & cc);
        g = (5 * i + 1) & 15;
        break;
      case 2:
        f = b ^ cc ^ d;
        g = (3 * i + 5) & 15;
        break;
      default:
        f = cc ^ (b | ~d);
        g = (7 * i) & 15;
        break;
    }
    int r = md5R[(i / 16) * 4 + (i & 3)];
    uint32_t t = a + f + md5K[i] + w[g];
    a = d;
    d = cc;
    cc = b;
    b = b + ((t << r) | (t >> (32 - r)));
  }
  c->a[0] += a;
  c->a[1] += b;
  c->a[2] += cc;
  c->a[3] += d;
}

static void md5_init(md5_ctx *c) {
  c->a[0] = 0x67452301;
  c->a[1] = 0xefcdab89;
  c->a[2] = 0x98badcfe;
  c->a[3] = 0x10325476;
  c->nByte = 0;
}

static void md5_update(md5_ctx *c, const unsigned char *p, size_t n) {
  size_t have = (size_t)(c->nByte & 63);
  c->nByte += n;
  if( have ) {
    size_t k = 64 - have < n ? 64 - have : n;
    memcpy(c->buf + have, p, k);
    p += k;
    n -= k;
    if( have + k < 64 ) return;
    md5_block(c, c->buf);
  }
  for( ; n >= 64; p += 64, n -= 64 ) md5_block(c, p);
  if( n ) memcpy(c->buf, p, n);
}

static void md5_final(md5_ctx *c, unsigned char out[16]) {
  uint64_t nBit = c->nByte * 8;
  unsigned char pad[72];
  size_t have = (size_t)(c->nByte & 63);
  size_t nPad = (have < 56 ? 56 : 120) - have;
  memset(pad, 0, sizeof pad);
  pad[0] = 0x80;
  for( int i = 0; i < 8; i++ ) pad[nPad + i] = (unsigned char)(nBit >> (8 * i));
  md5_update(c, pad, nPad + 8);
  for( int i = 0; i < 16; i++ ) out[i] = (unsigned char)(c->a[i / 4] >> (8 * (i & 3)));
}

static void md5_of(const char *z, int n, unsigned char out[16]) {
  md5_ctx c;
  md5_init(&c);
  md5_update(&c, (const unsigned char *)z, n > 0 ? (size_t)n : 0);
  md5_final(&c, out);
}

/* ---- hashes and sums ---- */

/* The first 60 bits of md5(z[0..n)) as an integer: its first 15 hex
** digits, as PostgreSQL's ('x' || substr(md5(t), 1, 15))::bit(60)::bigint
** and MySQL's CONV(SUBSTRING(MD5(t), 1, 15), 16, 10) read them. */
uint64_t pt_hash_text(const char *z, int n) {
  unsigned char h[16];
  md5_of(z, n, h);
  uint64_t v = 0;
  for( int i = 0; i < 8; i++ ) v = v << 8 | h[i];
  return v >> 4;
}

/* What pt_hash_sum's column returned (an exact decimal, as text or as an
** integer; NULL for no rows), modulo 2^64. */
uint64_t pt_hash_sum_value(const pt_value *v) {
  switch( v->type ) {
    case PT_V_INT: return (uint64_t)v->i;
    case PT_V_REAL: return (uint64_t)v->r; /* not returned by any dialect */
    case PT_V_TEXT:
    case PT_V_DECIMAL: {
      uint64_t acc = 0;
      for( int i = 0; i < v->n && v->p[i] != '.'; i++ )
        if( v->p[i] >= '0' && v->p[i] <= '9' ) acc = acc * 10 + (uint64_t)(v->p[i] - '0');
      /* a row hash sum (xRowHashSum) can be negative: modulo 2^64 too */
      return v->n > 0 && v->p[0] == '-' ? (uint64_t)0 - acc : acc;
    }
    default: return 0;
  }
}

/* '<count>:<16 lower-case hex digits>' into zOut (48 bytes). */
void pt_checksum_format(int64_t nRow, uint64_t sum, char *zOut) {
  sqlite3_snprintf(48, zOut, "%lld:%016llx", (long long)nRow, (unsigned long long)sum);
}

/* ---- the canonical text of an end's columns and rows ---- */

void pt_canon_default(pt_canon *c) {
  c->floatDigits = 15;
  c->timePrecision = 6;
}

/* float_digits= (1..17) and time_precision= (0..6) of parsed options; the
** message is not prefixed with the function's name. */
int pt_canon_options(pt_canon *c, const pt_opts *o, char **pzErr) {
  static const struct {
    const char *zKey;
    int lo, hi;
  } a[2] = { { "float_digits", 1, 17 }, { "time_precision", 0, 6 } };
  for( int i = 0; i < 2; i++ ) {
    const char *z = pt_opts_get(o, a[i].zKey);
    if( !z ) continue;
    char *zEnd = 0;
    long v = strtol(z, &zEnd, 10);
    if( !*z || *zEnd || v < a[i].lo || v > a[i].hi ) {
      *pzErr = sqlite3_mprintf("option %s=%s: expected an integer from %d to %d", a[i].zKey, z,
                               a[i].lo, a[i].hi);
      return SQLITE_ERROR;
    }
    if( i == 0 )
      c->floatDigits = (int)v;
    else
      c->timePrecision = (int)v;
  }
  return SQLITE_OK;
}

/*
** The type name of each of e's columns, where the kind alone does not
** say enough (MySQL's TIME has the kind other; a local table's columns
** have their declared types): *pazType gets e->nCol strings or NULLs in
** one allocation.  A pontoon table asks its server when connected, else
** uses what its description kept; a local table reads its declaration.
*/
static int end_types_read(pt_end *e, char ***pazType, char **pzErr) {
  *pazType = 0;
  if( e->pTab && e->pConn ) {
    int rc = pt_end_types(e, pazType, pzErr);
    if( rc != SQLITE_NOTFOUND ) return rc;
  }
  size_t nByte = sizeof(char *) * (e->nCol + 1);
  char **az = sqlite3_malloc64(nByte);
  if( !az ) return SQLITE_NOMEM;
  memset(az, 0, nByte);
  *pazType = az;
  if( e->pTab ) {
    pt_table_desc *d = e->pTab->pDesc;
    for( int i = 0; d && i < e->nCol && i < d->nCol; i++ ) az[i] = d->aCol[i].zRemoteType;
    return SQLITE_OK; /* pointers into the description, which outlives the call */
  }
  /* a local table: the declared types, copied after the array */
  char *zSql =
    sqlite3_mprintf("SELECT name, type FROM pragma_table_xinfo(%Q, %Q)", e->zTable, e->zDb);
  sqlite3_stmt *st = 0;
  int rc = zSql ? sqlite3_prepare_v2(e->db, zSql, -1, &st, 0) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  sqlite3_str *s = sqlite3_str_new(0);
  int aOff[1024];
  int nOff = e->nCol < 1024 ? e->nCol : 1024;
  for( int i = 0; i < nOff; i++ ) aOff[i] = -1;
  while( rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW ) {
    int i = pt_end_find_col(e, (const char *)sqlite3_column_text(st, 0));
    if( i < 0 || i >= nOff ) continue;
    aOff[i] = sqlite3_str_length(s);
    sqlite3_str_appendall(s, (const char *)sqlite3_column_text(st, 1));
    sqlite3_str_appendchar(s, 1, 0);
  }
  sqlite3_finalize(st);
  int n = sqlite3_str_length(s);
  char *zTypes = sqlite3_str_finish(s);
  if( rc != SQLITE_OK ) {
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(e->db));
    sqlite3_free(zTypes);
    return rc;
  }
  char **az2 = sqlite3_realloc64(az, nByte + n + 1);
  if( !az2 ) {
    sqlite3_free(zTypes);
    return SQLITE_NOMEM;
  }
  *pazType = az = az2;
  char *zOut = (char *)&az[e->nCol + 1];
  if( n ) memcpy(zOut, zTypes, (size_t)n);
  sqlite3_free(zTypes);
  for( int i = 0; i < nOff; i++ ) az[i] = aOff[i] >= 0 ? zOut + aOff[i] : 0;
  return SQLITE_OK;
}

/* end_types_read once per end (a describe round trip on a remote one):
** the result is kept in e->azTypes, and *pazType gets a copy of the array
** (its strings are the end's), to be freed by the caller. */
static int end_types(pt_end *e, char ***pazType, char **pzErr) {
  *pazType = 0;
  if( !e->azTypes ) {
    int rc = end_types_read(e, &e->azTypes, pzErr);
    if( rc != SQLITE_OK ) return rc;
  }
  char **az = sqlite3_malloc64(sizeof(char *) * (e->nCol + 1));
  if( !az ) return SQLITE_NOMEM;
  if( e->nCol ) memcpy(az, e->azTypes, sizeof(char *) * e->nCol);
  az[e->nCol] = 0;
  *pazType = az;
  return SQLITE_OK;
}

/* The dialect's canonical text of column iCol, its type name zType. */
static int canon_column(sqlite3_str *s, pt_end *e, int iCol, const char *zType, const pt_canon *c,
                        char **pzErr) {
  const pt_dialect *d = e->pDialect;
  if( !d->xCanonicalText ) {
    *pzErr = sqlite3_mprintf("table %s: the %s engine has no canonical text (docs/diff.md)",
                             e->zLabel, d->zName);
    return SQLITE_ERROR;
  }
  if( iCol < 0 || iCol >= e->nCol ) {
    *pzErr = sqlite3_mprintf("table %s: no column %d", e->zLabel, iCol);
    return SQLITE_ERROR;
  }
  char *zq = pt_end_ident(e, e->azCol[iCol]);
  if( !zq ) return SQLITE_NOMEM;
  d->xCanonicalText(s, zq, e->aKind[iCol], zType, c->floatDigits, c->timePrecision);
  sqlite3_free(zq);
  return sqlite3_str_errcode(s);
}

/*
** The expression of column iCol's canonical text on end e's engine (SQL
** NULL when the value is NULL), to compare a column across engines.  On a
** connected pontoon table this asks the server for the column's type.
*/
int pt_canon_column(sqlite3_str *s, pt_end *e, int iCol, const pt_canon *c, char **pzErr) {
  char **azType = 0;
  int rc = end_types(e, &azType, pzErr);
  if( rc == SQLITE_OK ) rc = canon_column(s, e, iCol, azType[iCol], c, pzErr);
  sqlite3_free(azType);
  return rc;
}

/* The texts of columns aCol[nCol], each an expression, in azText. */
static int canon_texts(pt_end *e, int nCol, const int *aCol, const pt_canon *c, char ***pazText,
                       pt_kind **paKind, char **pzErr) {
  char **azType = 0;
  char **az = sqlite3_malloc64(sizeof(char *) * (nCol + 1));
  pt_kind *aK = sqlite3_malloc64(sizeof(pt_kind) * (nCol + 1));
  int rc = az && aK ? SQLITE_OK : SQLITE_NOMEM;
  if( az ) memset(az, 0, sizeof(char *) * (nCol + 1));
  if( rc == SQLITE_OK ) rc = end_types(e, &azType, pzErr);
  for( int i = 0; rc == SQLITE_OK && i < nCol; i++ ) {
    if( aCol[i] < 0 || aCol[i] >= e->nCol ) {
      *pzErr = sqlite3_mprintf("table %s: no column %d", e->zLabel, aCol[i]);
      rc = SQLITE_ERROR;
      break;
    }
    sqlite3_str *s = sqlite3_str_new(0);
    rc = canon_column(s, e, aCol[i], azType[aCol[i]], c, pzErr);
    az[i] = sqlite3_str_finish(s);
    if( rc == SQLITE_OK && !az[i] ) rc = SQLITE_NOMEM;
    aK[i] = e->aKind[aCol[i]];
  }
  sqlite3_free(azType);
  if( rc != SQLITE_OK ) {
    for( int i = 0; az && i < nCol; i++ ) sqlite3_free(az[i]);
    sqlite3_free(az);
    sqlite3_free(aK);
    return rc;
  }
  *pazText = az;
  *paKind = aK;
  return SQLITE_OK;
}

static int row_expr(sqlite3_str *s, pt_end *e, int nCol, const int *aCol, const pt_canon *c,
                    int sum, int *pClient, char **pzErr) {
  char **az = 0;
  pt_kind *aK = 0;
  if( !e->pDialect->xHashExpr ) {
    *pzErr = sqlite3_mprintf("table %s: the %s engine has no canonical text (docs/diff.md)",
                             e->zLabel, e->pDialect->zName);
    return SQLITE_ERROR;
  }
  int rc = canon_texts(e, nCol, aCol, c, &az, &aK, pzErr);
  if( rc != SQLITE_OK ) return rc;
  if( e->pDialect->xHashExpr(s, nCol, (const char *const *)az, aK, 0, sum) ) *pClient = 1;
  for( int i = 0; i < nCol; i++ ) sqlite3_free(az[i]);
  sqlite3_free(az);
  sqlite3_free(aK);
  return sqlite3_str_errcode(s);
}

/* The expression of the canonical text of a row over columns aCol[nCol]
** (indexes of e's columns, in this order): never NULL. */
int pt_canon_row(sqlite3_str *s, pt_end *e, int nCol, const int *aCol, const pt_canon *c,
                 char **pzErr) {
  int client = 0;
  return row_expr(s, e, nCol, aCol, c, 0, &client, pzErr);
}

/*
** The aggregate expression summing the 60-bit row hashes over columns
** aCol[nCol], exactly (read it with pt_hash_sum_value), for a query the
** caller writes: SELECT <bucket>, count(*), <this> FROM t WHERE ... GROUP
** BY 1.  *pClient = 1 (nothing appended) when the engine cannot hash: a
** SQLite reached through ODBC, whose sum would be pontoon's own aggregate;
** then select pt_canon_row and hash each row with pt_hash_text.
*/
int pt_hash_sum(sqlite3_str *s, pt_end *e, int nCol, const int *aCol, const pt_canon *c,
                int *pClient, char **pzErr) {
  *pClient = 0;
  if( e->pServer && e->pDialect == &pt_dialect_sqlite ) {
    *pClient = 1;
    return SQLITE_OK;
  }
  return row_expr(s, e, nCol, aCol, c, 1, pClient, pzErr);
}

/* ---- SQL functions ---- */

/* pontoon_hash_sum(text): the sum of pt_hash_text over the rows, modulo
** 2^64, as a 64-bit integer (the sum of a local table). */
static void hashSumStep(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  uint64_t *p = sqlite3_aggregate_context(ctx, sizeof(uint64_t));
  if( !p ) return;
  if( sqlite3_value_type(argv[0]) == SQLITE_NULL ) return;
  const char *z = (const char *)sqlite3_value_text(argv[0]);
  int n = sqlite3_value_bytes(argv[0]);
  if( z ) *p += pt_hash_text(z, n);
}

static void hashSumFinal(sqlite3_context *ctx) {
  uint64_t *p = sqlite3_aggregate_context(ctx, 0);
  sqlite3_result_int64(ctx, p ? (sqlite3_int64)*p : 0);
}

/* pontoon_md5(text): md5 in lower-case hex (docs/checksum.md). */
static void md5Func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  if( sqlite3_value_type(argv[0]) == SQLITE_NULL ) return;
  const char *z = (const char *)sqlite3_value_text(argv[0]);
  int n = sqlite3_value_bytes(argv[0]);
  unsigned char h[16];
  char zHex[33];
  md5_of(z ? z : "", n, h);
  for( int i = 0; i < 16; i++ ) sqlite3_snprintf(3, zHex + 2 * i, "%02x", h[i]);
  sqlite3_result_text(ctx, zHex, 32, SQLITE_TRANSIENT);
}

/* The columns a checksum covers: columns= (in its order) or all, less
** exclude=; aCol gets their indexes, *pn their count. */
static int pick_columns(pt_end *e, const char *zCols, const char *zExclude, int *aCol, int *pn,
                        char **pzErr) {
  unsigned char *aOut = sqlite3_malloc64(e->nCol + 1);
  if( !aOut ) return SQLITE_NOMEM;
  memset(aOut, 0, e->nCol + 1);
  int n = 0, rc = SQLITE_OK;
  for( int pass = 0; pass < 2 && rc == SQLITE_OK; pass++ ) {
    const char *z = pass == 0 ? zCols : zExclude;
    if( pass == 0 && !z ) {
      for( int i = 0; i < e->nCol; i++ ) aCol[n++] = i;
      continue;
    }
    int nName = 0;
    char **azName = pt_opts_names(z, &nName);
    for( int k = 0; k < nName; k++ ) {
      int i = azName[k] ? pt_end_find_col(e, azName[k]) : -1;
      if( i < 0 ) {
        *pzErr = sqlite3_mprintf("%s=: table %s has no column %s", pass ? "exclude" : "columns",
                                 e->zLabel, azName[k] ? azName[k] : "");
        rc = SQLITE_ERROR;
        break;
      }
      if( pass == 0 && n < e->nCol ) aCol[n++] = i;
      if( pass == 1 ) aOut[i] = 1;
    }
    pt_opts_names_free(azName, nName);
  }
  int m = 0;
  for( int i = 0; i < n; i++ )
    if( !aOut[aCol[i]] ) aCol[m++] = aCol[i];
  sqlite3_free(aOut);
  if( rc == SQLITE_OK && m == 0 ) {
    *pzErr = sqlite3_mprintf("table %s: no column left to checksum", e->zLabel);
    rc = SQLITE_ERROR;
  }
  *pn = m;
  return rc;
}

/* The checksum of end e's columns aCol[nCol] over the rows zWhere keeps
** (the end's own SQL, or NULL), connected. */
static int checksum_end(pt_end *e, int nCol, const int *aCol, const char *zWhere, const pt_canon *c,
                        int64_t *pnRow, uint64_t *pSum, char **pzErr) {
  char *zTable = pt_end_table_sql(e);
  sqlite3_str *s = sqlite3_str_new(0);
  int client = 0;
  sqlite3_str_appendall(s, "SELECT count(*), ");
  int rc = zTable ? pt_hash_sum(s, e, nCol, aCol, c, &client, pzErr) : SQLITE_NOMEM;
  if( rc == SQLITE_OK && client ) {
    sqlite3_str_reset(s);
    sqlite3_str_appendall(s, "SELECT ");
    rc = pt_canon_row(s, e, nCol, aCol, c, pzErr);
  }
  sqlite3_str_appendf(s, " FROM %s", zTable);
  if( zWhere && zWhere[0] ) sqlite3_str_appendf(s, " WHERE (%s)", zWhere);
  sqlite3_free(zTable);
  char *zSql = sqlite3_str_finish(s);
  if( rc == SQLITE_OK && !zSql ) rc = SQLITE_NOMEM;
  static const pt_kind aSum[2] = { PT_K_INT, PT_K_DECIMAL };
  static const pt_kind aText[1] = { PT_K_TEXT };
  pt_end_rows *q = 0;
  char *zErr = 0;
  if( rc == SQLITE_OK )
    rc = client ? pt_end_query(e, &(pt_stmt){ .zSql = zSql, .nStmt = 1 }, 0, 0, 1, aText, &q, &zErr)
                : pt_end_query_text(e, zSql, 2, aSum, &q, &zErr);
  *pnRow = 0;
  *pSum = 0;
  while( rc == SQLITE_OK ) {
    int r = pt_end_rows_next(q, &zErr);
    if( r == SQLITE_DONE ) break;
    if( r != SQLITE_ROW ) {
      rc = r;
      break;
    }
    pt_value v;
    pt_end_rows_column(q, 0, &v);
    if( client ) {
      *pnRow += 1;
      *pSum += pt_hash_text(v.p ? v.p : "", v.type == PT_V_NULL ? 0 : v.n);
    } else {
      *pnRow = v.type == PT_V_INT ? v.i : (int64_t)pt_hash_sum_value(&v);
      pt_end_rows_column(q, 1, &v);
      *pSum = pt_hash_sum_value(&v);
    }
  }
  pt_end_rows_close(q);
  sqlite3_free(zSql);
  if( rc != SQLITE_OK && zErr ) *pzErr = pt_end_error(e, "checksum", zErr);
  return rc;
}

static const char *const azChecksumOption[] = {
  "columns", "exclude", "where", "float_digits", "time_precision", "key", 0
};

/* pontoon_checksum(table [, options]) */
static void checksumFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  pt_registry *r = sqlite3_user_data(ctx);
  const char *zName = (const char *)sqlite3_value_text(argv[0]);
  const char *zOpts = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  char *zErr = 0;
  pt_opts o;
  pt_end e;
  pt_canon c;
  int *aCol = 0, nCol = 0;
  pt_conn *pSnap = 0;
  memset(&e, 0, sizeof(e));
  pt_canon_default(&c);
  char *zFunc = sqlite3_mprintf("pontoon_checksum(%s)", zName ? zName : "NULL");
  int rc = zFunc ? pt_opts_parse(zOpts, zFunc, azChecksumOption, &o, &zErr) : SQLITE_NOMEM;
  sqlite3_free(zFunc);
  if( rc != SQLITE_OK ) {
    sqlite3_result_error(ctx, zErr ? zErr : "pontoon_checksum: out of memory", -1);
    sqlite3_free(zErr);
    return;
  }
  if( !zName ) {
    zErr = sqlite3_mprintf("pontoon_checksum(table [, options]): name a table");
    rc = SQLITE_ERROR;
    goto done;
  }
  if( (rc = pt_canon_options(&c, &o, &zErr)) != SQLITE_OK ) goto done;
  rc = pt_end_open(sqlite3_context_db_handle(ctx), r, zName, pt_opts_get(&o, "key"), &e, &zErr);
  if( rc != SQLITE_OK ) goto done;
  aCol = sqlite3_malloc64(sizeof(int) * (e.nCol + 1));
  if( !aCol ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  rc = pick_columns(&e, pt_opts_get(&o, "columns"), pt_opts_get(&o, "exclude"), aCol, &nCol, &zErr);
  if( rc != SQLITE_OK ) goto done;
  if( e.pServer ) {
    /* a read-only transaction of its own: one snapshot */
    rc = pt_server_snapshot_begin(e.pServer, &pSnap, &zErr);
    if( rc != SQLITE_OK ) {
      zErr = pt_end_error(&e, "connect", zErr);
      goto done;
    }
    e.pConn = pSnap;
  }
  int64_t nRow = 0;
  uint64_t sum = 0;
  rc = checksum_end(&e, nCol, aCol, pt_opts_get(&o, "where"), &c, &nRow, &sum, &zErr);
  if( rc == SQLITE_OK ) {
    char zOut[48];
    pt_checksum_format(nRow, sum, zOut);
    sqlite3_result_text(ctx, zOut, -1, SQLITE_TRANSIENT);
  }
done:
  if( pSnap ) {
    e.pConn = 0;
    pt_server_snapshot_end(e.pServer, pSnap);
  }
  if( rc == SQLITE_NOMEM ) {
    sqlite3_result_error_nomem(ctx);
  } else if( rc != SQLITE_OK ) {
    char *z = zErr && strncmp(zErr, "pontoon", 7) == 0
      ? sqlite3_mprintf("%s", zErr)
      : sqlite3_mprintf("pontoon_checksum(%s): %s", zName ? zName : "NULL",
                        zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_result_error(ctx, z ? z : "pontoon_checksum: out of memory", -1);
    sqlite3_free(z);
  }
  sqlite3_free(zErr);
  sqlite3_free(aCol);
  pt_end_close(&e);
  pt_opts_clear(&o);
}

int pt_checksum_register(sqlite3 *db, pt_registry *reg) {
  int rc = SQLITE_OK;
  for( int n = 1; n <= 2 && rc == SQLITE_OK; n++ )
    rc = sqlite3_create_function_v2(db, "pontoon_checksum", n, SQLITE_UTF8 | SQLITE_DIRECTONLY, reg,
                                    checksumFunc, 0, 0, 0);
  if( rc == SQLITE_OK )
    rc = sqlite3_create_function_v2(db, "pontoon_hash_sum", 1,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, 0, 0,
                                    hashSumStep, hashSumFinal, 0);
  if( rc == SQLITE_OK )
    rc = sqlite3_create_function_v2(db, "pontoon_md5", 1,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, 0,
                                    md5Func, 0, 0, 0);
  return rc;
}
