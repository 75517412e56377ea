/*
** diff_sql.c — the SQL pontoon_diff sends and the rows it reads back.
**
** Every query of a side is written here: the hash sums per bucket of key
** ranges (the servers hash; only counts and sums travel), the key values
** that split a segment, the rows of small differing segments, and the
** ordered stream of the merge.  Key ranges compare the key the same way on
** both engines: integers and other ordered kinds as themselves, text in
** binary order (code points, no padding), whatever the column's collation,
** so that a range holds the same rows on both sides.  Rows are compared by
** the canonical text of each column (checksum.c), the same definition the
** hashes use.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diff.h"

/* ---- parameters ---- */

typedef struct plist {
  int n, nAlloc;
  pt_param *a;
  char **az; /* what a[] points to, freed by plist_clear */
  int nz, nzAlloc;
} plist;

static void plist_clear(plist *p) {
  for( int i = 0; i < p->nz; i++ ) sqlite3_free(p->az[i]);
  sqlite3_free(p->az);
  sqlite3_free(p->a);
  memset(p, 0, sizeof(*p));
}

/*
** Append the nKey values of encoded key zKey as parameters (kinds aKind);
** the 1-based number of the first, or 0 on error.
*/
static int plist_key(plist *p, int nKey, const pt_kind *aKind, const char *zKey) {
  char *az[64];
  int an[64];
  if( nKey > 64 || pt_key_decode(zKey, (int)strlen(zKey), nKey, aKind, az, an) ) return 0;
  if( p->n + nKey > p->nAlloc ) {
    int nNew = (p->n + nKey) * 2 + 16;
    pt_param *a = sqlite3_realloc64(p->a, sizeof(pt_param) * nNew);
    if( !a ) goto oom;
    p->a = a;
    p->nAlloc = nNew;
  }
  if( p->nz + nKey > p->nzAlloc ) {
    int nNew = (p->nz + nKey) * 2 + 16;
    char **a = sqlite3_realloc64(p->az, sizeof(char *) * nNew);
    if( !a ) goto oom;
    p->az = a;
    p->nzAlloc = nNew;
  }
  int iFirst = p->n + 1;
  for( int i = 0; i < nKey; i++ ) {
    pt_param *q = &p->a[p->n++];
    q->z = az[i];
    q->n = an[i];
    q->kind = aKind[i];
    q->isBinary = aKind[i] == PT_K_BLOB;
    p->az[p->nz++] = az[i];
  }
  return iFirst;
oom:
  for( int i = 0; i < nKey; i++ ) sqlite3_free(az[i]);
  return 0;
}

/* ---- how a side compares its key ---- */

/*
** The expression of key column zq (kind k) on engine d whose comparisons
** and order are binary (the dialect's xBinaryKey), and the kind its bounds
** are sent as.  s NULL: only the kind.
*/
static pt_kind bin_key(sqlite3_str *s, const pt_dialect *d, const char *zq, pt_kind k) {
  int textish = k == PT_K_TEXT || k == PT_K_CHAR || k == PT_K_ENUM;
  if( d->xBinaryKey ) {
    sqlite3_str *t = s ? s : sqlite3_str_new(0);
    pt_kind kOut = d->xBinaryKey(t, zq, k);
    if( !s ) sqlite3_free(sqlite3_str_finish(t));
    return kOut;
  }
  if( s ) sqlite3_str_appendall(s, zq);
  return textish ? PT_K_TEXT : k;
}

/* Append an ORDER BY term that sorts text expression zExpr in binary order,
** NULLs first: the order of memcmp, which the merge compares with. */
static void order_text(sqlite3_str *s, const pt_dialect *d, const char *zExpr) {
  if( d->xOrderText )
    d->xOrderText(s, zExpr);
  else
    sqlite3_str_appendall(s, zExpr);
}

/* The kinds in which side iSide's key bounds are sent. */
static void side_key_kinds(diff_job *j, int iSide, pt_kind *aKind) {
  diff_side *sd = &j->a[iSide];
  for( int i = 0; i < j->nKey; i++ ) {
    int c = sd->aCol[j->aKeyPos[i]];
    aKind[i] = bin_key(0, sd->e.pDialect, "", sd->e.aKind[c]);
  }
}

/*
** Append "key > zKey" (upper 0) or "key <= zKey" (upper 1) on side iSide,
** composite keys expanded as (k1 > a) OR (k1 = a AND k2 > b) ...; the
** values become parameters of p.  0 on error.
*/
static int append_bound(pt_sql *q, diff_job *j, int iSide, plist *p, const char *zKey, int upper) {
  diff_side *sd = &j->a[iSide];
  pt_kind aKind[64];
  side_key_kinds(j, iSide, aKind);
  int iFirst = plist_key(p, j->nKey, aKind, zKey);
  if( !iFirst ) return 0;
  sqlite3_str *s = q->pStr;
  sqlite3_str_appendchar(s, 1, '(');
  for( int i = 0; i < j->nKey; i++ ) {
    sqlite3_str_appendall(s, i ? " OR (" : "(");
    for( int k = 0; k <= i; k++ ) {
      int c = sd->aCol[j->aKeyPos[k]];
      char *zq = pt_end_ident(&sd->e, sd->e.azCol[c]);
      const char *zOp = k < i ? "=" : upper ? (i == j->nKey - 1 ? "<=" : "<") : ">";
      if( k ) sqlite3_str_appendall(s, " AND ");
      bin_key(s, sd->e.pDialect, zq ? zq : "", sd->e.aKind[c]);
      sqlite3_str_appendf(s, " %s ", zOp);
      sd->e.pDialect->xParamExpr(q, aKind[k], iFirst + k);
      sqlite3_free(zq);
    }
    sqlite3_str_appendchar(s, 1, ')');
  }
  sqlite3_str_appendchar(s, 1, ')');
  return 1;
}

/* Append the condition that a row is in segment g: "(lo < key AND key <=
** hi)", the parts that are not open, or "1=1". */
static int append_range(pt_sql *q, diff_job *j, int iSide, plist *p, const diff_seg *g) {
  sqlite3_str *s = q->pStr;
  if( !g->zLo && !g->zHi ) {
    sqlite3_str_appendall(s, "1=1");
    return 1;
  }
  sqlite3_str_appendchar(s, 1, '(');
  if( g->zLo && !append_bound(q, j, iSide, p, g->zLo, 0) ) return 0;
  if( g->zLo && g->zHi ) sqlite3_str_appendall(s, " AND ");
  if( g->zHi && !append_bound(q, j, iSide, p, g->zHi, 1) ) return 0;
  sqlite3_str_appendchar(s, 1, ')');
  return 1;
}

/* " WHERE (where) AND (range OR range ...)" over segments aSeg[nSeg]. */
static int append_where(pt_sql *q, diff_job *j, int iSide, plist *p, const diff_seg *aSeg,
                        int nSeg) {
  sqlite3_str *s = q->pStr;
  sqlite3_str_appendall(s, " WHERE ");
  if( j->zWhere ) sqlite3_str_appendf(s, "(%s) AND ", j->zWhere);
  sqlite3_str_appendchar(s, 1, '(');
  for( int i = 0; i < nSeg; i++ ) {
    if( i ) sqlite3_str_appendall(s, " OR ");
    if( !append_range(q, j, iSide, p, &aSeg[i]) ) return 0;
  }
  if( nSeg == 0 ) sqlite3_str_appendall(s, "1=1");
  sqlite3_str_appendchar(s, 1, ')');
  return 1;
}

/*
** Append the bucket of a row among segments aSeg[a..b] (in key order,
** disjoint; the row is known to lie in one of them): the index of the
** first whose upper bound is not below the key, as a nested CASE that
** halves the list at each level, so a row costs log2(n) comparisons.
*/
static int append_bucket(pt_sql *q, diff_job *j, int iSide, plist *p, const diff_seg *aSeg, int a,
                         int b) {
  if( a == b ) {
    sqlite3_str_appendf(q->pStr, "%d", a);
    return 1;
  }
  int m = (a + b) / 2;
  sqlite3_str_appendall(q->pStr, "CASE WHEN ");
  if( !aSeg[m].zHi || !append_bound(q, j, iSide, p, aSeg[m].zHi, 1) ) return 0;
  sqlite3_str_appendall(q->pStr, " THEN ");
  if( !append_bucket(q, j, iSide, p, aSeg, a, m) ) return 0;
  sqlite3_str_appendall(q->pStr, " ELSE ");
  if( !append_bucket(q, j, iSide, p, aSeg, m + 1, b) ) return 0;
  sqlite3_str_appendall(q->pStr, " END");
  return 1;
}

/* Integer division on engine d, or NULL when its spelling is not known. */
static const char *int_div(const pt_dialect *d) { return d->zIntDiv; }

/*
** The bucket of a row for a one-integer key whose children are equal-width
** pieces of their parents (split_int): per parent, the first child's index
** plus (key - lo - 1) / width, so a row costs one division whatever the
** number of pieces.  The numbers are integers pontoon computed, written as
** literals.  0 when the engine's integer division is not known.
*/
static int append_int_bucket(pt_sql *q, diff_job *j, int iSide, const diff_seg *aParent,
                             int nParent, const diff_seg *aChild, int nChild) {
  diff_side *sd = &j->a[iSide];
  const char *zDiv = int_div(sd->e.pDialect);
  if( !zDiv ) return 0;
  /* every parent must have its children (split_int's), else the CASE */
  for( int p = 0, c = 0; p < nParent; p++ ) {
    while( c < nChild && aChild[c].iHi <= aParent[p].iLo ) c++;
    if( c >= nChild || aChild[c].iHi > aParent[p].iHi || aChild[c].iLo < aParent[p].iLo ) return 0;
  }
  char *zq = pt_end_ident(&sd->e, sd->e.azCol[sd->aCol[j->aKeyPos[0]]]);
  if( !zq ) return 0;
  sqlite3_str *s = q->pStr;
  if( nParent > 1 ) sqlite3_str_appendall(s, "CASE");
  int iChild = 0;
  for( int p = 0; p < nParent; p++ ) {
    const diff_seg *g = &aParent[p];
    while( iChild < nChild && aChild[iChild].iHi <= g->iLo ) iChild++;
    if( iChild >= nChild ) break;
    int64_t w = aChild[iChild].iHi - aChild[iChild].iLo;
    if( w < 1 ) w = 1;
    if( p < nParent - 1 )
      sqlite3_str_appendf(s, " WHEN %s <= %lld THEN", zq, (long long)g->iHi);
    else if( nParent > 1 )
      sqlite3_str_appendall(s, " ELSE");
    sqlite3_str_appendf(s, " %d + (%s - %lld - 1) %s %lld", iChild, zq, (long long)g->iLo, zDiv,
                        (long long)w);
  }
  if( nParent > 1 ) sqlite3_str_appendall(s, " END");
  sqlite3_free(zq);
  return 1;
}

/* ---- running a side's query ---- */

/* Drop a statement being built and its parameters (a key bound that
** pt_key_decode refused: the ledger or a boundary was tampered with). */
static void abandon(pt_sql *q, plist *p) {
  pt_stmt st;
  if( pt_sql_finish(q, &st) == SQLITE_OK ) pt_stmt_clear(&st);
  plist_clear(p);
}

static int side_query(diff_job *j, int iSide, pt_sql *q, plist *p, int nCol, const pt_kind *aKind,
                      int nFetch, pt_end_rows **pp, char **pzErr) {
  diff_side *sd = &j->a[iSide];
  pt_stmt st;
  int rc = pt_sql_finish(q, &st);
  if( rc != SQLITE_OK ) return rc;
  char *zErr = 0;
  rc = pt_end_query_n(&sd->e, &st, p->n, p->a, nCol, aKind, nFetch, pp, &zErr);
  pt_stmt_clear(&st);
  if( rc != SQLITE_OK ) *pzErr = pt_end_error(&sd->e, "reading its rows", zErr);
  return rc;
}

/*
** The count and hash sum of side iSide's rows in each of aChild[nChild]
** (in key order, inside the ranges of aParent[nParent]): aN[i], aH[i].
** One query, one scan of the parents' ranges, grouped by bucket: the
** server hashes; only nChild rows travel.  A side whose engine cannot hash
** sends each row's canonical text and pontoon hashes it.
*/
int diff_bucket_query(diff_job *j, int iSide, const diff_seg *aParent, int nParent,
                      const diff_seg *aChild, int nChild, int64_t *aN, uint64_t *aH, char **pzErr) {
  diff_side *sd = &j->a[iSide];
  pt_sql q;
  plist p;
  memset(&p, 0, sizeof(p));
  pt_end_sql(&sd->e, &q);
  sqlite3_str *s = q.pStr;
  sqlite3_str_appendall(s, "SELECT ");
  int ok =
    j->intKey && nChild > 1 && append_int_bucket(&q, j, iSide, aParent, nParent, aChild, nChild);
  if( !ok ) ok = append_bucket(&q, j, iSide, &p, aChild, 0, nChild - 1);
  if( sd->zSum )
    sqlite3_str_appendf(s, ", count(*), %s", sd->zSum);
  else
    sqlite3_str_appendf(s, ", %s", sd->zRow);
  sqlite3_str_appendf(s, " FROM %s", sd->zFrom);
  ok = ok && append_where(&q, j, iSide, &p, aParent, nParent);
  if( sd->zSum ) sqlite3_str_appendall(s, " GROUP BY 1");
  if( !ok ) {
    abandon(&q, &p);
    *pzErr = sqlite3_mprintf("pontoon_diff: a key bound cannot be read");
    return SQLITE_ERROR;
  }
  static const pt_kind aSumKind[] = { PT_K_INT, PT_K_INT, PT_K_DECIMAL };
  static const pt_kind aRowKind[] = { PT_K_INT, PT_K_TEXT };
  pt_end_rows *r = 0;
  for( int i = 0; i < nChild; i++ ) {
    aN[i] = 0;
    aH[i] = 0;
  }
  int rc = side_query(j, iSide, &q, &p, sd->zSum ? 3 : 2, sd->zSum ? aSumKind : aRowKind,
                      sd->zSum ? PT_FETCH_FEW : 0, &r, pzErr);
  char *zErr = 0;
  while( rc == SQLITE_OK && (rc = pt_end_rows_next(r, &zErr)) == SQLITE_ROW ) {
    pt_value v;
    pt_end_rows_column(r, 0, &v);
    int64_t b = pt_value_int(&v);
    if( b < 0 || b >= nChild ) continue;
    if( sd->zSum ) {
      pt_end_rows_column(r, 1, &v);
      aN[b] += pt_value_int(&v);
      pt_end_rows_column(r, 2, &v);
      aH[b] += pt_hash_sum_value(&v);
    } else {
      pt_end_rows_column(r, 1, &v);
      aN[b]++;
      aH[b] += pt_hash_text(v.type == PT_V_NULL ? 0 : v.p, v.type == PT_V_NULL ? 0 : v.n);
    }
    rc = SQLITE_OK;
  }
  if( rc == SQLITE_DONE ) rc = SQLITE_OK;
  if( rc != SQLITE_OK && !*pzErr )
    *pzErr = pt_end_error(&sd->e, "hashing its rows", zErr);
  else
    sqlite3_free(zErr);
  pt_end_rows_close(r);
  plist_clear(&p);
  j->nQuery++;
  return rc;
}

/*
** Key values that split segments aSeg[nSeg] of side iSide into pieces of
** about aStep[i] rows: the key of every aStep[i]-th row of segment i in key
** order, read in one query (row_number() partitioned by segment).
** *pazKey gets the encoded keys, *paSeg the segment of each, in order.
*/
int diff_boundaries(diff_job *j, int iSide, const diff_seg *aSeg, int nSeg, const int64_t *aStep,
                    char ***pazKey, int **paSeg, int *pnKey, char **pzErr) {
  diff_side *sd = &j->a[iSide];
  const pt_dialect *d = sd->e.pDialect;
  pt_sql q;
  plist p;
  memset(&p, 0, sizeof(p));
  pt_end_sql(&sd->e, &q);
  sqlite3_str *s = q.pStr;
  pt_kind aKind[65];
  side_key_kinds(j, iSide, aKind);
  aKind[j->nKey] = PT_K_INT;
  /* SELECT pt_k0.., pt_seg FROM (SELECT <bin key> AS pt_k0, ..., <bucket>
  ** AS pt_seg, row_number() OVER (PARTITION BY <bucket> ORDER BY key) AS
  ** pt_rn FROM t WHERE ...) pt_q WHERE pt_rn % (CASE pt_seg ...) = 0 */
  sqlite3_str_appendall(s, "SELECT ");
  for( int i = 0; i < j->nKey; i++ ) {
    char zAlias[16];
    snprintf(zAlias, sizeof zAlias, "pt_k%d", i);
    char *za = pt_end_ident(&sd->e, zAlias);
    d->xSelectExpr(s, za ? za : "", aKind[i], pt_end_read_flags(&sd->e));
    sqlite3_str_appendall(s, ", ");
    sqlite3_free(za);
  }
  sqlite3_str_appendall(s, "pt_seg FROM (SELECT ");
  for( int i = 0; i < j->nKey; i++ ) {
    char zAlias[16];
    snprintf(zAlias, sizeof zAlias, "pt_k%d", i);
    char *za = pt_end_ident(&sd->e, zAlias);
    int c = sd->aCol[j->aKeyPos[i]];
    char *zq = pt_end_ident(&sd->e, sd->e.azCol[c]);
    bin_key(s, d, zq ? zq : "", sd->e.aKind[c]);
    sqlite3_str_appendf(s, " AS %s, ", za ? za : "");
    sqlite3_free(za);
    sqlite3_free(zq);
  }
  int ok = 1;
  for( int pass = 0; pass < 2 && ok; pass++ ) {
    if( pass ) sqlite3_str_appendall(s, "row_number() OVER (PARTITION BY ");
    ok = append_bucket(&q, j, iSide, &p, aSeg, 0, nSeg - 1);
    if( !pass ) sqlite3_str_appendall(s, " AS pt_seg, ");
  }
  sqlite3_str_appendall(s, " ORDER BY ");
  for( int i = 0; i < j->nKey; i++ ) {
    int c = sd->aCol[j->aKeyPos[i]];
    char *zq = pt_end_ident(&sd->e, sd->e.azCol[c]);
    if( i ) sqlite3_str_appendall(s, ", ");
    bin_key(s, d, zq ? zq : "", sd->e.aKind[c]);
    sqlite3_free(zq);
  }
  sqlite3_str_appendf(s, ") AS pt_rn FROM %s", sd->zFrom);
  ok = ok && append_where(&q, j, iSide, &p, aSeg, nSeg);
  sqlite3_str_appendall(s, ") pt_q WHERE pt_rn % (CASE pt_seg");
  for( int i = 0; i < nSeg; i++ )
    sqlite3_str_appendf(s, " WHEN %d THEN %lld", i, (long long)(aStep[i] > 0 ? aStep[i] : 1));
  sqlite3_str_appendall(s, " END) = 0 ORDER BY pt_seg, pt_rn");
  *pazKey = 0;
  *paSeg = 0;
  *pnKey = 0;
  if( !ok ) {
    abandon(&q, &p);
    *pzErr = sqlite3_mprintf("pontoon_diff: a key bound cannot be read");
    return SQLITE_ERROR;
  }
  pt_end_rows *r = 0;
  int rc = side_query(j, iSide, &q, &p, j->nKey + 1, aKind, 0, &r, pzErr);
  char *zErr = 0;
  int n = 0, nAlloc = 0;
  char **az = 0;
  int *aSegOf = 0;
  while( rc == SQLITE_OK && (rc = pt_end_rows_next(r, &zErr)) == SQLITE_ROW ) {
    sqlite3_str *k = sqlite3_str_new(0);
    for( int i = 0; i < j->nKey; i++ ) {
      pt_value v;
      pt_end_rows_column(r, i, &v);
      pt_key_append(k, i == 0, &v);
    }
    sqlite3_str_appendchar(k, 1, ']');
    pt_value v;
    pt_end_rows_column(r, j->nKey, &v);
    if( n == nAlloc ) {
      nAlloc = nAlloc ? nAlloc * 2 : 64;
      char **az2 = sqlite3_realloc64(az, sizeof(char *) * nAlloc);
      int *a2 = sqlite3_realloc64(aSegOf, sizeof(int) * nAlloc);
      if( az2 ) az = az2;
      if( a2 ) aSegOf = a2;
      if( !az2 || !a2 ) {
        sqlite3_free(sqlite3_str_finish(k));
        rc = SQLITE_NOMEM;
        break;
      }
    }
    az[n] = sqlite3_str_finish(k);
    aSegOf[n] = (int)pt_value_int(&v);
    if( !az[n] ) {
      rc = SQLITE_NOMEM;
      break;
    }
    n++;
    rc = SQLITE_OK;
  }
  if( rc == SQLITE_DONE ) rc = SQLITE_OK;
  if( rc != SQLITE_OK && !*pzErr )
    *pzErr = pt_end_error(&sd->e, "reading its keys", zErr);
  else
    sqlite3_free(zErr);
  pt_end_rows_close(r);
  plist_clear(&p);
  if( rc != SQLITE_OK ) {
    for( int i = 0; i < n; i++ ) sqlite3_free(az[i]);
    sqlite3_free(az);
    sqlite3_free(aSegOf);
    return rc;
  }
  *pazKey = az;
  *paSeg = aSegOf;
  *pnKey = n;
  return SQLITE_OK;
}

/* Run q on side iSide, a query of one row of nCol integers, into a[]
** (zeros when it returns no row).  zWhat names it in the message. */
static int side_ints(diff_job *j, int iSide, pt_sql *q, int nCol, int64_t *a, const char *zWhat,
                     char **pzErr) {
  static const pt_kind aKind[] = { PT_K_INT, PT_K_INT, PT_K_INT, PT_K_INT };
  plist p;
  memset(&p, 0, sizeof(p));
  pt_end_rows *r = 0;
  for( int i = 0; i < nCol; i++ ) a[i] = 0;
  int rc = side_query(j, iSide, q, &p, nCol, aKind, PT_FETCH_FEW, &r, pzErr);
  char *zErr = 0;
  if( rc == SQLITE_OK && (rc = pt_end_rows_next(r, &zErr)) == SQLITE_ROW ) {
    for( int i = 0; i < nCol; i++ ) {
      pt_value v;
      pt_end_rows_column(r, i, &v);
      a[i] = pt_value_int(&v);
    }
    rc = SQLITE_OK;
  } else if( rc == SQLITE_DONE ) {
    rc = SQLITE_OK;
  }
  if( rc != SQLITE_OK && !*pzErr )
    *pzErr = pt_end_error(&j->a[iSide].e, zWhat, zErr);
  else
    sqlite3_free(zErr);
  pt_end_rows_close(r);
  plist_clear(&p);
  return rc;
}

/*
** The smallest and largest key of side iSide (a one-integer key) and its
** rows; *pHas = 0 when it has none.  The rows only choose how finely the
** first scan cuts the key space: where the server keeps an estimate of a
** whole table's rows, that is used and the table is not counted (a full
** scan of its own on a large table).
*/
int diff_int_bounds(diff_job *j, int iSide, int *pHas, int64_t *pMin, int64_t *pMax, int64_t *pN,
                    char **pzErr) {
  diff_side *sd = &j->a[iSide];
  double est = !j->zWhere && sd->e.pTab && sd->e.pTab->pDesc ? sd->e.pTab->pDesc->nRowEstimate : -1;
  int counted = !(est >= 1 && est < 9e18);
  pt_sql q;
  pt_end_sql(&sd->e, &q);
  char *zq = pt_end_ident(&sd->e, sd->e.azCol[sd->aCol[j->aKeyPos[0]]]);
  const char *z = zq ? zq : "";
  if( counted )
    sqlite3_str_appendf(q.pStr, "SELECT min(%s), max(%s), count(*) FROM %s", z, z, sd->zFrom);
  else
    sqlite3_str_appendf(q.pStr,
                        "SELECT min(%s), max(%s), CASE WHEN min(%s) IS NULL THEN 0 ELSE 1 END "
                        "FROM %s",
                        z, z, z, sd->zFrom);
  sqlite3_free(zq);
  if( j->zWhere ) sqlite3_str_appendf(q.pStr, " WHERE (%s)", j->zWhere);
  int64_t a[3];
  int rc = side_ints(j, iSide, &q, 3, a, "reading its key", pzErr);
  *pMin = a[0];
  *pMax = a[1];
  *pHas = a[2] > 0;
  *pN = counted ? a[2] : (a[2] > 0 ? (int64_t)est : 0);
  return rc;
}

/* The rows of side iSide (with where=). */
int diff_count(diff_job *j, int iSide, int64_t *pN, char **pzErr) {
  diff_side *sd = &j->a[iSide];
  pt_sql q;
  pt_end_sql(&sd->e, &q);
  sqlite3_str_appendf(q.pStr, "SELECT count(*) FROM %s", sd->zFrom);
  if( j->zWhere ) sqlite3_str_appendf(q.pStr, " WHERE (%s)", j->zWhere);
  return side_ints(j, iSide, &q, 1, pN, "counting its rows", pzErr);
}

/* ---- rows ---- */

static void json_string(sqlite3_str *s, const char *z, int n) {
  static const char hex[] = "0123456789abcdef";
  sqlite3_str_appendchar(s, 1, '"');
  for( int i = 0; i < n; i++ ) {
    unsigned char c = (unsigned char)z[i];
    if( c == '"' || c == '\\' ) {
      sqlite3_str_appendchar(s, 1, '\\');
      sqlite3_str_appendchar(s, 1, (char)c);
    } else if( c == '\n' ) {
      sqlite3_str_appendall(s, "\\n");
    } else if( c == '\t' ) {
      sqlite3_str_appendall(s, "\\t");
    } else if( c == '\r' ) {
      sqlite3_str_appendall(s, "\\r");
    } else if( c < 0x20 ) {
      sqlite3_str_appendf(s, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
    } else {
      sqlite3_str_appendchar(s, 1, (char)c);
    }
  }
  sqlite3_str_appendchar(s, 1, '"');
}

/* A value as JSON: numbers as numbers, blobs as "x" + hex, the rest as
** strings in pontoon's text form (docs/types.md). */
static void json_value(sqlite3_str *s, const pt_value *v, pt_kind k) {
  static const char hex[] = "0123456789abcdef";
  if( k == PT_K_BOOL && v->type == PT_V_INT ) {
    sqlite3_str_appendall(s, v->i ? "true" : "false");
    return;
  }
  switch( v->type ) {
    case PT_V_NULL: sqlite3_str_appendall(s, "null"); return;
    case PT_V_INT: sqlite3_str_appendf(s, "%lld", (long long)v->i); return;
    case PT_V_REAL:
      if( v->r == v->r && v->r - v->r == 0 ) {
        /* the shortest text that reads back as the same double */
        char z[40];
        for( int nDigit = 15; nDigit <= 17; nDigit++ ) {
          snprintf(z, sizeof z, "%.*g", nDigit, v->r);
          if( strtod(z, 0) == v->r ) break;
        }
        sqlite3_str_appendall(s, z);
      } else {
        const char *z = v->r != v->r ? "NaN" : v->r > 0 ? "Infinity" : "-Infinity";
        json_string(s, z, (int)strlen(z));
      }
      return;
    case PT_V_DECIMAL: {
      int num = v->n > 0;
      for( int i = 0; i < v->n && num; i++ ) {
        char c = v->p[i];
        num = (c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'e' || c == 'E' || c == '+';
      }
      if( num )
        sqlite3_str_append(s, v->p, v->n);
      else
        json_string(s, v->p, v->n);
      return;
    }
    case PT_V_BLOB:
      sqlite3_str_appendall(s, "\"x");
      for( int i = 0; i < v->n; i++ ) {
        unsigned char c = (unsigned char)v->p[i];
        sqlite3_str_appendchar(s, 1, hex[c >> 4]);
        sqlite3_str_appendchar(s, 1, hex[c & 15]);
      }
      sqlite3_str_appendchar(s, 1, '"');
      return;
    default: json_string(s, v->p ? v->p : "", v->n); return;
  }
}

void diff_row_clear(diff_row *r, int nCol) {
  for( int i = 0; r->az && i < nCol; i++ ) sqlite3_free(r->az[i]);
  sqlite3_free(r->az);
  sqlite3_free(r->an);
  sqlite3_free(r->zJson);
  sqlite3_free(r->zKey);
  memset(r, 0, sizeof(*r));
}

/* Copy the current row of r (canonical texts, then values) into *pRow. */
static int row_read(diff_job *j, int iSide, pt_end_rows *r, diff_row *pRow) {
  diff_side *sd = &j->a[iSide];
  int n = j->nCol;
  memset(pRow, 0, sizeof(*pRow));
  pRow->az = sqlite3_malloc64(sizeof(char *) * n);
  pRow->an = sqlite3_malloc64(sizeof(int) * n);
  if( !pRow->az || !pRow->an ) return SQLITE_NOMEM;
  memset(pRow->az, 0, sizeof(char *) * n);
  for( int i = 0; i < n; i++ ) {
    pt_value v;
    pt_end_rows_column(r, i, &v);
    pRow->an[i] = 0;
    if( v.type == PT_V_NULL ) continue;
    char zNum[48];
    const char *z = v.p;
    int nz = v.n;
    if( v.type == PT_V_INT ) {
      nz = snprintf(zNum, sizeof zNum, "%lld", (long long)v.i);
      z = zNum;
    } else if( v.type == PT_V_REAL ) {
      nz = snprintf(zNum, sizeof zNum, "%.17g", v.r);
      z = zNum;
    }
    pRow->az[i] = sqlite3_malloc64(nz + 1);
    if( !pRow->az[i] ) return SQLITE_NOMEM;
    if( nz ) memcpy(pRow->az[i], z, nz);
    pRow->az[i][nz] = 0;
    pRow->an[i] = nz;
  }
  sqlite3_str *sj = sqlite3_str_new(0);
  sqlite3_str *sk = sqlite3_str_new(0);
  sqlite3_str_appendchar(sj, 1, '{');
  sqlite3_str_appendchar(sk, 1, '[');
  for( int i = 0; i < n; i++ ) {
    pt_value v;
    pt_end_rows_column(r, n + i, &v);
    if( i ) sqlite3_str_appendchar(sj, 1, ',');
    const char *zName = sd->e.azCol[sd->aCol[i]];
    json_string(sj, zName, (int)strlen(zName));
    sqlite3_str_appendchar(sj, 1, ':');
    json_value(sj, &v, sd->e.aKind[sd->aCol[i]]);
  }
  for( int k = 0; k < j->nKey; k++ ) {
    pt_value v;
    pt_end_rows_column(r, n + j->aKeyPos[k], &v);
    if( k ) sqlite3_str_appendchar(sk, 1, ',');
    json_value(sk, &v, sd->e.aKind[sd->aCol[j->aKeyPos[k]]]);
  }
  sqlite3_str_appendchar(sj, 1, '}');
  sqlite3_str_appendchar(sk, 1, ']');
  pRow->zJson = sqlite3_str_finish(sj);
  pRow->zKey = sqlite3_str_finish(sk);
  return pRow->zJson && pRow->zKey ? SQLITE_OK : SQLITE_NOMEM;
}

/* Compare canonical texts: NULL first, then bytes, then length. */
static int text_cmp(const char *a, int na, const char *b, int nb) {
  if( !a || !b ) return a ? 1 : b ? -1 : 0;
  int c = memcmp(a, b, na < nb ? na : nb);
  return c ? c : na - nb;
}

/* Order of two rows by their keys' canonical text (the merge's order). */
int diff_row_cmp_key(const diff_job *j, const diff_row *a, const diff_row *b) {
  for( int k = 0; k < j->nKey; k++ ) {
    int i = j->aKeyPos[k];
    int c = text_cmp(a->az[i], a->an[i], b->az[i], b->an[i]);
    if( c ) return c;
  }
  return 0;
}

/* The select list of a row read: the canonical text of each compared
** column, then each column as the driver decodes it; the kinds into aKind. */
static void append_row_select(diff_job *j, int iSide, sqlite3_str *s, pt_kind *aKind) {
  diff_side *sd = &j->a[iSide];
  for( int i = 0; i < j->nCol; i++ ) {
    sqlite3_str_appendf(s, "%s%s", i ? ", " : "", sd->azCanon[i]);
    aKind[i] = PT_K_TEXT;
  }
  for( int i = 0; i < j->nCol; i++ ) {
    int c = sd->aCol[i];
    char *zq = pt_end_ident(&sd->e, sd->e.azCol[c]);
    sqlite3_str_appendall(s, ", ");
    sd->e.pDialect->xSelectExpr(s, zq ? zq : "", sd->e.aKind[c], pt_end_read_flags(&sd->e));
    aKind[j->nCol + i] = sd->e.aKind[c];
    sqlite3_free(zq);
  }
}

/* Start q, the query of whole rows of side iSide ("SELECT <row> FROM t");
** the kinds of its select list, sqlite3_malloc'd, or NULL (q not started). */
static pt_kind *row_query_start(diff_job *j, int iSide, pt_sql *q) {
  diff_side *sd = &j->a[iSide];
  pt_kind *aKind = sqlite3_malloc64(sizeof(pt_kind) * (2 * j->nCol + 1));
  if( !aKind ) return 0;
  pt_end_sql(&sd->e, q);
  sqlite3_str_appendall(q->pStr, "SELECT ");
  append_row_select(j, iSide, q->pStr, aKind);
  sqlite3_str_appendf(q->pStr, " FROM %s", sd->zFrom);
  return aKind;
}

static const diff_job *g_sort_job; /* qsort has no context argument */
static pthread_mutex_t g_sort_mutex = PTHREAD_MUTEX_INITIALIZER;
static int row_sort_cmp(const void *a, const void *b) {
  return diff_row_cmp_key(g_sort_job, (const diff_row *)a, (const diff_row *)b);
}

/*
** The rows of side iSide in segments aSeg[nSeg], sorted by key (in
** pontoon, by canonical text: the same order on both sides whatever the
** engines sort by).  *paRow: sqlite3_malloc'd, *pnRow rows.
*/
int diff_fetch(diff_job *j, int iSide, const diff_seg *aSeg, int nSeg, diff_row **paRow, int *pnRow,
               char **pzErr) {
  diff_side *sd = &j->a[iSide];
  pt_sql q;
  plist p;
  memset(&p, 0, sizeof(p));
  pt_kind *aKind = row_query_start(j, iSide, &q);
  if( !aKind ) return SQLITE_NOMEM;
  int ok = append_where(&q, j, iSide, &p, aSeg, nSeg);
  *paRow = 0;
  *pnRow = 0;
  if( !ok ) {
    abandon(&q, &p);
    sqlite3_free(aKind);
    *pzErr = sqlite3_mprintf("pontoon_diff: a key bound cannot be read");
    return SQLITE_ERROR;
  }
  pt_end_rows *r = 0;
  /* a few thousand rows (DIFF_LEAF_ROWS): in one round trip; more (a large
  ** threshold=): streamed */
  int64_t nExpect = 0;
  for( int i = 0; i < nSeg; i++ )
    nExpect += aSeg[i].n[0] > aSeg[i].n[1] ? aSeg[i].n[0] : aSeg[i].n[1];
  int nFetch = nExpect <= DIFF_LEAF_ROWS ? PT_FETCH_FEW : 0;
  int rc = side_query(j, iSide, &q, &p, 2 * j->nCol, aKind, nFetch, &r, pzErr);
  char *zErr = 0;
  diff_row *a = 0;
  int n = 0, nAlloc = 0;
  while( rc == SQLITE_OK && (rc = pt_end_rows_next(r, &zErr)) == SQLITE_ROW ) {
    if( n == nAlloc ) {
      nAlloc = nAlloc ? nAlloc * 2 : 256;
      diff_row *a2 = sqlite3_realloc64(a, sizeof(diff_row) * nAlloc);
      if( !a2 ) {
        rc = SQLITE_NOMEM;
        break;
      }
      a = a2;
    }
    rc = row_read(j, iSide, r, &a[n++]);
  }
  if( rc == SQLITE_DONE ) rc = SQLITE_OK;
  if( rc != SQLITE_OK && !*pzErr )
    *pzErr = pt_end_error(&sd->e, "reading its rows", zErr);
  else
    sqlite3_free(zErr);
  pt_end_rows_close(r);
  plist_clear(&p);
  sqlite3_free(aKind);
  if( rc != SQLITE_OK ) {
    for( int i = 0; i < n; i++ ) diff_row_clear(&a[i], j->nCol);
    sqlite3_free(a);
    return rc;
  }
  pthread_mutex_lock(&g_sort_mutex);
  g_sort_job = j;
  if( n > 1 ) qsort(a, n, sizeof(diff_row), row_sort_cmp);
  pthread_mutex_unlock(&g_sort_mutex);
  j->nFetched[iSide] += n;
  *paRow = a;
  *pnRow = n;
  return SQLITE_OK;
}

/* Open the merge's stream of side iSide: every row, ordered by the binary
** order of its key's canonical text, as diff_row_cmp_key orders. */
int diff_merge_open(diff_job *j, int iSide, char **pzErr) {
  diff_side *sd = &j->a[iSide];
  pt_sql q;
  plist p;
  memset(&p, 0, sizeof(p));
  pt_kind *aKind = row_query_start(j, iSide, &q);
  if( !aKind ) return SQLITE_NOMEM;
  if( j->zWhere ) sqlite3_str_appendf(q.pStr, " WHERE (%s)", j->zWhere);
  sqlite3_str_appendall(q.pStr, " ORDER BY ");
  for( int k = 0; k < j->nKey; k++ ) {
    if( k ) sqlite3_str_appendall(q.pStr, ", ");
    order_text(q.pStr, sd->e.pDialect, sd->azCanon[j->aKeyPos[k]]);
  }
  /* the stream keeps a pointer to the kinds: they live as long as it */
  sqlite3_free(j->aMergeKind[iSide]);
  j->aMergeKind[iSide] = aKind;
  int rc = side_query(j, iSide, &q, &p, 2 * j->nCol, aKind, 0, &j->apMerge[iSide], pzErr);
  plist_clear(&p);
  j->aHave[iSide] = 0;
  return rc;
}

/* The next row of side iSide's merge stream into j->aCur[iSide]; aHave
** says whether there is one. */
int diff_merge_next(diff_job *j, int iSide, char **pzErr) {
  diff_row_clear(&j->aCur[iSide], j->nCol);
  char *zErr = 0;
  int rc = pt_end_rows_next(j->apMerge[iSide], &zErr);
  if( rc == SQLITE_ROW ) {
    j->aHave[iSide] = 1;
    j->nFetched[iSide]++;
    return row_read(j, iSide, j->apMerge[iSide], &j->aCur[iSide]);
  }
  j->aHave[iSide] = -1;
  if( rc == SQLITE_DONE ) return SQLITE_OK;
  *pzErr = pt_end_error(&j->a[iSide].e, "reading its rows", zErr);
  return rc;
}

/* ---- a side's expressions ---- */

/* Build side iSide's expressions: canonical texts, the hash sum, the
** table's name.  The message is prefixed. */
int diff_side_prepare(diff_job *j, int iSide, char **pzErr) {
  diff_side *sd = &j->a[iSide];
  char *zErr = 0;
  sd->azCanon = sqlite3_malloc64(sizeof(char *) * (j->nCol + 1));
  if( !sd->azCanon ) return SQLITE_NOMEM;
  memset(sd->azCanon, 0, sizeof(char *) * (j->nCol + 1));
  for( int i = 0; i < j->nCol; i++ ) {
    sqlite3_str *s = sqlite3_str_new(0);
    int rc = pt_canon_column(s, &sd->e, sd->aCol[i], &j->canon, &zErr);
    sd->azCanon[i] = sqlite3_str_finish(s);
    if( rc != SQLITE_OK || !sd->azCanon[i] ) goto fail;
  }
  sqlite3_str *s = sqlite3_str_new(0);
  int client = 0;
  int rc = pt_hash_sum(s, &sd->e, j->nCol, sd->aCol, &j->canon, &client, &zErr);
  char *z = sqlite3_str_finish(s);
  if( rc != SQLITE_OK ) {
    sqlite3_free(z);
    goto fail;
  }
  if( client ) {
    sqlite3_free(z);
    s = sqlite3_str_new(0);
    rc = pt_canon_row(s, &sd->e, j->nCol, sd->aCol, &j->canon, &zErr);
    sd->zRow = sqlite3_str_finish(s);
    if( rc != SQLITE_OK || !sd->zRow ) goto fail;
  } else {
    sd->zSum = z;
    if( !z ) return SQLITE_NOMEM;
  }
  sd->zFrom = pt_end_table_sql(&sd->e);
  if( !sd->zFrom ) return SQLITE_NOMEM;
  return SQLITE_OK;
fail:
  *pzErr = sqlite3_mprintf("pontoon_diff: %s %s: %s", sd->zWhat, sd->e.zLabel,
                           zErr ? zErr : "out of memory");
  sqlite3_free(zErr);
  return SQLITE_ERROR;
}

/* The one value of query zSql (a dialect's fixed text, no parameters) on
** side iSide, as text into *pzValue (NULL for NULL or no row). */
int diff_probe(diff_job *j, int iSide, const char *zSql, char **pzValue, char **pzErr) {
  diff_side *sd = &j->a[iSide];
  pt_sql q;
  plist p;
  memset(&p, 0, sizeof(p));
  *pzValue = 0;
  pt_end_sql(&sd->e, &q);
  sqlite3_str_appendall(q.pStr, zSql);
  static const pt_kind aKind[] = { PT_K_TEXT };
  pt_end_rows *r = 0;
  int rc = side_query(j, iSide, &q, &p, 1, aKind, PT_FETCH_FEW, &r, pzErr);
  char *zErr = 0;
  if( rc == SQLITE_OK && (rc = pt_end_rows_next(r, &zErr)) == SQLITE_ROW ) {
    pt_value v;
    pt_end_rows_column(r, 0, &v);
    if( v.type != PT_V_NULL ) {
      *pzValue = sqlite3_mprintf("%.*s", v.n, v.p);
      if( !*pzValue ) rc = SQLITE_NOMEM;
    }
    while( rc == SQLITE_ROW ) rc = pt_end_rows_next(r, &zErr);
  }
  if( rc == SQLITE_DONE ) rc = SQLITE_OK;
  if( rc != SQLITE_OK && !*pzErr )
    *pzErr = pt_end_error(&sd->e, "reading its rows", zErr);
  else
    sqlite3_free(zErr);
  pt_end_rows_close(r);
  return rc;
}

/*
** Both sides are servers of one engine that has a row hash of its own,
** and both have it (diff.c asked their probes): the buckets are hashed
** with it.  A column goes in as it is when its kind allows and its type
** is the same on both sides, else as its canonical text; the canonical
** sum stays in zSumCanon (a verified job's checksum).
*/
int diff_row_hash(diff_job *j, char **pzErr) {
  const pt_dialect *d = j->a[0].e.pDialect;
  char **az[2];
  int rc = SQLITE_OK;
  for( int s = 0; s < 2; s++ ) {
    az[s] = sqlite3_malloc64(sizeof(char *) * (j->nCol + 1));
    if( az[s] )
      memset(az[s], 0, sizeof(char *) * (j->nCol + 1));
    else
      rc = SQLITE_NOMEM;
  }
  for( int i = 0; rc == SQLITE_OK && i < j->nCol; i++ ) {
    pt_end *eA = &j->a[0].e, *eB = &j->a[1].e;
    int ca = j->a[0].aCol[i], cb = j->a[1].aCol[i];
    const char *zTa = eA->azTypes ? eA->azTypes[ca] : 0;
    const char *zTb = eB->azTypes ? eB->azTypes[cb] : 0;
    pt_kind k = eA->aKind[ca];
    int timeCut = k == PT_K_TIME || k == PT_K_TIMESTAMP || k == PT_K_TIMESTAMPTZ;
    int raw = k == eB->aKind[cb] && d->xRowHashRaw(k) && zTa && zTb && !strcmp(zTa, zTb) &&
      !(timeCut && j->canon.timePrecision < 6);
    for( int s = 0; s < 2; s++ ) {
      diff_side *sd = &j->a[s];
      az[s][i] = raw ? pt_end_ident(&sd->e, sd->e.azCol[sd->aCol[i]])
                     : sqlite3_mprintf("%s", sd->azCanon[i]);
      if( !az[s][i] ) rc = SQLITE_NOMEM;
    }
  }
  for( int s = 0; rc == SQLITE_OK && s < 2; s++ ) {
    sqlite3_str *x = sqlite3_str_new(0);
    d->xRowHashSum(x, j->nCol, (const char *const *)az[s]);
    char *z = sqlite3_str_finish(x);
    if( !z ) {
      rc = SQLITE_NOMEM;
      break;
    }
    j->a[s].zSumCanon = j->a[s].zSum;
    j->a[s].zSum = z;
  }
  for( int s = 0; s < 2; s++ ) {
    for( int i = 0; az[s] && i < j->nCol; i++ ) sqlite3_free(az[s][i]);
    sqlite3_free(az[s]);
  }
  if( rc == SQLITE_OK )
    j->rowHash = 1;
  else
    *pzErr = sqlite3_mprintf("pontoon_diff: out of memory");
  return rc;
}

/*
** Any other two sides that both hash on their servers: a column whose
** canonical text both sides escape ('\' and '|', with two replace() a row)
** is written instead as its length in bytes, ':' and its text, on both
** (xHashExpr's aPrefix): the buckets hash the same rows alike and the
** servers do less.  The canonical sum stays in zSumCanon (a verified
** job's checksum).  Nothing changes when no column qualifies.
*/
int diff_prefix_hash(diff_job *j, char **pzErr) {
  if( j->merge || j->rowHash || !j->a[0].zSum || !j->a[1].zSum ) return SQLITE_OK;
  unsigned char *aPrefix = sqlite3_malloc64(j->nCol + 1);
  pt_kind *aK[2] = { sqlite3_malloc64(sizeof(pt_kind) * (j->nCol + 1)),
                     sqlite3_malloc64(sizeof(pt_kind) * (j->nCol + 1)) };
  int rc = aPrefix && aK[0] && aK[1] ? SQLITE_OK : SQLITE_NOMEM;
  int nPrefix = 0;
  for( int i = 0; rc == SQLITE_OK && i < j->nCol; i++ ) {
    for( int s = 0; s < 2; s++ ) aK[s][i] = j->a[s].e.aKind[j->a[s].aCol[i]];
    aPrefix[i] = pt_canon_escaped(aK[0][i]) && pt_canon_escaped(aK[1][i]);
    nPrefix += aPrefix[i];
  }
  for( int s = 0; rc == SQLITE_OK && nPrefix && s < 2; s++ ) {
    diff_side *sd = &j->a[s];
    sqlite3_str *x = sqlite3_str_new(0);
    int client =
      sd->e.pDialect->xHashExpr(x, j->nCol, (const char *const *)sd->azCanon, aK[s], aPrefix, 1);
    char *z = sqlite3_str_finish(x);
    if( client || !z ) {
      sqlite3_free(z);
      rc = client ? SQLITE_OK : SQLITE_NOMEM;
      nPrefix = 0; /* (a side that cannot hash has no zSum) */
      break;
    }
    sd->zSumCanon = sd->zSum;
    sd->zSum = z;
  }
  if( rc == SQLITE_OK && nPrefix ) j->rowHash = 1;
  sqlite3_free(aPrefix);
  sqlite3_free(aK[0]);
  sqlite3_free(aK[1]);
  if( rc != SQLITE_OK ) *pzErr = sqlite3_mprintf("pontoon_diff: out of memory");
  return rc;
}

void diff_side_clear(diff_side *sd) {
  for( int i = 0; sd->azCanon && sd->azCanon[i]; i++ ) sqlite3_free(sd->azCanon[i]);
  sqlite3_free(sd->azCanon);
  sqlite3_free(sd->zSum);
  sqlite3_free(sd->zSumCanon);
  sqlite3_free(sd->zRow);
  sqlite3_free(sd->zFrom);
  sqlite3_free(sd->aCol);
  if( sd->pSnap ) {
    sd->e.pConn = 0;
    sd->e.inTxn = 0;
    pt_server_snapshot_end(sd->e.pServer, sd->pSnap);
    sd->pSnap = 0;
  }
  pt_end_close(&sd->e);
}
