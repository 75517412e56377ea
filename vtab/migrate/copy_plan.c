/*
** copy_plan.c — a copy job: its options and checks, its row and its chunks
** in the target's ledger, and the SQL that reads the source's key space.
**
** The job is planned once, in the target transaction that inserts its
** row: its chunk boundaries are key values read from the source (for an
** integer key, computed from min, max and count), each chunk a ledger row.
** The range reads compare the key in the server's own collation so that its
** index serves them; one order cuts the key space into ranges that neither
** overlap nor leave a gap.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include "copy.h"

#define ledger_exec pt_ledger_exec

double copy_now(void) {
  struct timeval tv;
  gettimeofday(&tv, 0);
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* ---- the SQL of a copy (written here and in ledger.c only) ---- */

/*
** Append "key > lo" (upper 0) or "key <= hi" (upper 1) over the key
** columns, composite keys expanded as (k1 > $a) OR (k1 = $a AND k2 > $b)
** ..., with parameters from iParam + 1.  The comparisons are the server's
** own, in the key's own collation, so that its index serves them: chunks
** only need one order to cut the key space, and boundaries read in that
** same order (boundary_sql) cut it into ranges that neither overlap nor
** leave a gap.
*/
static void append_key_bound(pt_sql *q, pt_end *e, const pt_kind *aKind, int upper, int iParam) {
  const pt_dialect *d = e->pDialect;
  sqlite3_str *s = q->pStr;
  sqlite3_str_appendchar(s, 1, '(');
  for( int i = 0; i < e->nKey; i++ ) {
    sqlite3_str_appendall(s, i ? " OR (" : "(");
    for( int j = 0; j <= i; j++ ) {
      char *zq = pt_end_ident(e, e->azCol[e->aKey[j]]);
      const char *zOp = j < i ? "=" : upper ? (i == e->nKey - 1 ? "<=" : "<") : ">";
      if( j ) sqlite3_str_appendall(s, " AND ");
      sqlite3_str_appendf(s, "%s %s ", zq ? zq : "", zOp);
      d->xParamExpr(q, aKind[j], iParam + 1 + j);
      sqlite3_free(zq);
    }
    sqlite3_str_appendchar(s, 1, ')');
  }
  sqlite3_str_appendchar(s, 1, ')');
}

/* Append the select expression list of columns aCol[n] of end e. */
static void append_select_list(sqlite3_str *s, pt_end *e, int n, const int *aCol) {
  for( int i = 0; i < n; i++ ) {
    char *zq = pt_end_ident(e, e->azCol[aCol[i]]);
    if( i ) sqlite3_str_appendall(s, ", ");
    e->pDialect->xSelectExpr(s, zq ? zq : "", e->aKind[aCol[i]], pt_end_read_flags(e));
    sqlite3_free(zq);
  }
}

/* " WHERE (where) AND key > lo AND key <= hi", the parts that apply. */
static void append_where(pt_sql *q, copy_job *j, int hasLo, int hasHi) {
  sqlite3_str *s = q->pStr;
  int n = 0;
  if( j->zWhere ) {
    sqlite3_str_appendf(s, " WHERE (%s)", j->zWhere);
    n++;
  }
  if( hasLo ) {
    sqlite3_str_appendall(s, n++ ? " AND " : " WHERE ");
    append_key_bound(q, &j->src, j->aKeyKind, 0, 0);
  }
  if( hasHi ) {
    sqlite3_str_appendall(s, n++ ? " AND " : " WHERE ");
    append_key_bound(q, &j->src, j->aKeyKind, 1, hasLo ? j->src.nKey : 0);
  }
}

/* SELECT of the copied columns of the rows of one chunk. */
int copy_read_sql(copy_job *j, int hasLo, int hasHi, pt_stmt *pOut) {
  pt_sql q;
  pt_end_sql(&j->src, &q);
  char *zFrom = pt_end_table_sql(&j->src);
  sqlite3_str_appendall(q.pStr, "SELECT ");
  append_select_list(q.pStr, &j->src, j->nCol, j->aSrcCol);
  sqlite3_str_appendf(q.pStr, " FROM %s", zFrom ? zFrom : "");
  append_where(&q, j, hasLo, hasHi);
  sqlite3_free(zFrom);
  return pt_sql_finish(&q, pOut);
}

/* The chunk boundaries in one read: the key of every nRows-th row in key
** order (row_number() over the key's order, which every engine pontoon
** speaks has), so planning costs one scan of the key and one round trip. */
static char *boundary_sql(copy_job *j, int64_t nRows) {
  pt_end *e = &j->src;
  pt_sql q;
  pt_end_sql(e, &q);
  sqlite3_str *s = q.pStr;
  char *zFrom = pt_end_table_sql(e);
  sqlite3_str_appendall(s, "SELECT ");
  for( int i = 0; i < e->nKey; i++ ) {
    char zAlias[24];
    snprintf(zAlias, sizeof zAlias, "pt_k%d", i);
    char *zq = pt_end_ident(e, zAlias);
    if( i ) sqlite3_str_appendall(s, ", ");
    e->pDialect->xSelectExpr(s, zq ? zq : "", j->aKeyKind[i], pt_end_read_flags(e));
    sqlite3_free(zq);
  }
  sqlite3_str_appendall(s, " FROM (SELECT ");
  for( int i = 0; i < e->nKey; i++ ) {
    char zAlias[24];
    snprintf(zAlias, sizeof zAlias, "pt_k%d", i);
    char *zq = pt_end_ident(e, e->azCol[e->aKey[i]]);
    char *za = pt_end_ident(e, zAlias);
    sqlite3_str_appendf(s, "%s AS %s, ", zq ? zq : "", za ? za : "");
    sqlite3_free(zq);
    sqlite3_free(za);
  }
  sqlite3_str_appendall(s, "row_number() OVER (ORDER BY ");
  for( int i = 0; i < e->nKey; i++ ) {
    char *zq = pt_end_ident(e, e->azCol[e->aKey[i]]);
    sqlite3_str_appendf(s, "%s%s", i ? ", " : "", zq ? zq : ""); /* the key's own order */
    sqlite3_free(zq);
  }
  sqlite3_str_appendf(s, ") AS pt_rn FROM %s", zFrom ? zFrom : "");
  append_where(&q, j, 0, 0);
  sqlite3_str_appendf(s, ") pt_q WHERE pt_rn %% %lld = 0 ORDER BY pt_rn", (long long)nRows);
  sqlite3_free(zFrom);
  pt_stmt st;
  if( pt_sql_finish(&q, &st) != SQLITE_OK ) return 0;
  return st.zSql; /* no parameters */
}

static char *count_sql(copy_job *j) {
  pt_sql q;
  pt_end_sql(&j->src, &q);
  char *zFrom = pt_end_table_sql(&j->src);
  sqlite3_str_appendf(q.pStr, "SELECT count(*) FROM %s", zFrom ? zFrom : "");
  append_where(&q, j, 0, 0);
  sqlite3_free(zFrom);
  pt_stmt st;
  if( pt_sql_finish(&q, &st) != SQLITE_OK ) return 0;
  return st.zSql; /* no parameters */
}

/* ---- parameters ---- */

pt_param copy_param(const char *z, pt_kind k) {
  pt_param p;
  p.z = z;
  p.n = z ? (int)strlen(z) : 0;
  p.kind = k;
  p.isBinary = 0;
  return p;
}

/* Decode an encoded key (pt_key_append's form) into nKey parameters;
** azVal receives what they point to (free with copy_key_free). */
int copy_key_params(copy_job *j, const char *zKey, pt_param *aParam, char **azVal) {
  int an[64];
  int nKey = j->src.nKey;
  if( pt_key_decode(zKey, (int)strlen(zKey), nKey, j->aKeyKind, azVal, an) ) return SQLITE_ERROR;
  for( int i = 0; i < nKey; i++ ) {
    aParam[i].z = azVal[i];
    aParam[i].n = an[i];
    aParam[i].kind = j->aKeyKind[i];
    aParam[i].isBinary = j->aKeyKind[i] == PT_K_BLOB;
  }
  return SQLITE_OK;
}

void copy_key_free(char **azVal, int n) {
  for( int i = 0; i < n; i++ ) {
    sqlite3_free(azVal[i]);
    azVal[i] = 0;
  }
}

/* ---- the job in the ledger ---- */

/* Read the job's row: *pzOptions, *pzSrc, *pzDst, *pzState (each
** sqlite3_malloc'd, NULL when absent).  SQLITE_NOTFOUND when there is no
** row. */
static int job_read(pt_end *dst, const char *zJob, char **pzSrc, char **pzDst, char **pzOptions,
                    char **pzState, int64_t *pnTotal, char **pzErr) {
  char *zT = pt_ledger_name(dst, "job");
  pt_sql qs;
  pt_stmt st;
  pt_end_sql(dst, &qs);
  pt_ledger_sqlf(&qs, "SELECT src, dst, options, state, rows_total FROM %s WHERE job = %1", zT);
  sqlite3_free(zT);
  static const pt_kind aKind[] = { PT_K_TEXT, PT_K_TEXT, PT_K_TEXT, PT_K_TEXT, PT_K_INT };
  pt_param p = copy_param(zJob, PT_K_TEXT);
  pt_end_rows *q = 0;
  int rc = pt_sql_finish(&qs, &st);
  if( rc == SQLITE_OK ) rc = pt_end_query_few(dst, &st, 1, &p, 5, aKind, &q, pzErr);
  pt_stmt_clear(&st);
  if( rc != SQLITE_OK ) return rc;
  rc = pt_end_rows_next(q, pzErr);
  if( rc == SQLITE_ROW ) {
    char **az[4] = { pzSrc, pzDst, pzOptions, pzState };
    for( int i = 0; i < 4; i++ ) {
      pt_value v;
      pt_end_rows_column(q, i, &v);
      *az[i] = v.type == PT_V_NULL ? 0 : pt_strndup(v.p ? v.p : "", v.n);
    }
    pt_value v;
    pt_end_rows_column(q, 4, &v);
    *pnTotal = v.type == PT_V_INT ? v.i : v.type == PT_V_NULL ? -1 : (int64_t)v.r;
    rc = SQLITE_OK;
  } else if( rc == SQLITE_DONE ) {
    rc = SQLITE_NOTFOUND;
  }
  pt_end_rows_close(q);
  return rc;
}

/* Record one planned chunk. */
/* Planned chunks not yet written to the ledger: written 100 to a
** statement (one round trip each). */
#define PLAN_BATCH 100
typedef struct plan_batch {
  int n;
  char azChunk[PLAN_BATCH][24];
  char *azLo[PLAN_BATCH], *azHi[PLAN_BATCH];
} plan_batch;

static int plan_flush(copy_job *j, plan_batch *pb, char **pzErr) {
  if( pb->n == 0 ) return SQLITE_OK;
  pt_param a[1 + 3 * PLAN_BATCH];
  a[0] = copy_param(j->zJob, PT_K_TEXT);
  char *zT = pt_ledger_name(&j->dst, "chunk");
  pt_sql q;
  pt_stmt st;
  pt_end_sql(&j->dst, &q);
  pt_sqlf(&q, "INSERT INTO %s (job, chunk, lo, hi, state, rows_copied) VALUES ", zT);
  sqlite3_free(zT);
  for( int i = 0; i < pb->n; i++ ) {
    a[1 + 3 * i] = copy_param(pb->azChunk[i], PT_K_INT);
    a[2 + 3 * i] = copy_param(pb->azLo[i], PT_K_TEXT);
    a[3 + 3 * i] = copy_param(pb->azHi[i], PT_K_TEXT);
    pt_sqlf(&q, "%s(%P, %P, %P, %P, 'todo', 0)", i ? ", " : "", 1, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i);
  }
  int rc = pt_sql_finish(&q, &st);
  if( rc == SQLITE_OK ) rc = pt_end_exec(&j->dst, &st, 1 + 3 * pb->n, a, 0, pzErr);
  pt_stmt_clear(&st);
  for( int i = 0; i < pb->n; i++ ) {
    sqlite3_free(pb->azLo[i]);
    sqlite3_free(pb->azHi[i]);
  }
  pb->n = 0;
  return rc;
}

/* Record one planned chunk (lo and hi copied). */
static int plan_chunk(copy_job *j, plan_batch *pb, int64_t iChunk, const char *zLo, const char *zHi,
                      char **pzErr) {
  snprintf(pb->azChunk[pb->n], sizeof pb->azChunk[0], "%lld", (long long)iChunk);
  pb->azLo[pb->n] = zLo ? pt_strdup(zLo) : 0;
  pb->azHi[pb->n] = zHi ? pt_strdup(zHi) : 0;
  pb->n++;
  return pb->n == PLAN_BATCH ? plan_flush(j, pb, pzErr) : SQLITE_OK;
}

static int count_rows(copy_job *j, int64_t *pn, char **pzErr);

int64_t copy_value_i64(const pt_value *v) {
  switch( v->type ) {
    case PT_V_INT: return v->i;
    case PT_V_REAL: return (int64_t)v->r;
    case PT_V_NULL: return 0;
    default: return v->p ? strtoll(v->p, 0, 10) : 0;
  }
}

/*
** Plan a job whose key is one integer column without reading every key:
** min, max and count in one query, then boundaries every `step` key
** values, step chosen so that a chunk holds chunkRows rows on average
** (gaps make some smaller).  The last chunk is open above.
*/
static int plan_int(copy_job *j, int64_t *pnChunk, char **pzErr) {
  plan_batch pb;
  pb.n = 0;
  pt_end *src = &j->src;
  pt_sql qs;
  pt_end_sql(src, &qs);
  char *zFrom = pt_end_table_sql(src);
  char *zq = pt_end_ident(src, src->azCol[src->aKey[0]]);
  sqlite3_str_appendf(qs.pStr, "SELECT min(%s), max(%s), count(*) FROM %s", zq ? zq : "",
                      zq ? zq : "", zFrom ? zFrom : "");
  append_where(&qs, j, 0, 0);
  sqlite3_free(zFrom);
  sqlite3_free(zq);
  pt_stmt st;
  char *zSql = pt_sql_finish(&qs, &st) == SQLITE_OK ? st.zSql : 0;
  static const pt_kind aKind[] = { PT_K_INT, PT_K_INT,
                                   PT_K_INT }; /* min, max: the key; count(*): bigint */
  pt_end_rows *q = 0;
  char *zErr = 0;
  int64_t lo = 0, hi = -1, n = 0;
  int rc = zSql ? pt_end_query_text(src, zSql, 3, aKind, &q, &zErr) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if( rc == SQLITE_OK && (rc = pt_end_rows_next(q, &zErr)) == SQLITE_ROW ) {
    pt_value v[3];
    for( int i = 0; i < 3; i++ ) pt_end_rows_column(q, i, &v[i]);
    n = copy_value_i64(&v[2]);
    if( n > 0 ) {
      lo = copy_value_i64(&v[0]);
      hi = copy_value_i64(&v[1]);
    }
    rc = SQLITE_OK;
  } else if( rc == SQLITE_DONE ) {
    rc = SQLITE_OK;
  }
  pt_end_rows_close(q);
  if( rc != SQLITE_OK ) {
    *pzErr = pt_end_error(src, "reading the key to plan the chunks", zErr);
    return rc;
  }
  j->rowsTotal = n;
  /* the key's span over the rows, in chunks of chunkRows rows on average */
  double span = n > 0 ? (double)hi - (double)lo + 1 : 0;
  double step = n > 0 ? span * (double)j->chunkRows / (double)n : 1;
  if( step < 1 ) step = 1;
  char *zPrev = 0;
  int64_t iChunk = 0;
  for( double b = (double)lo - 1 + step; rc == SQLITE_OK && n > 0 && b < (double)hi; b += step ) {
    char *zHi = sqlite3_mprintf("[%lld]", (long long)b);
    if( !zHi ) {
      rc = SQLITE_NOMEM;
      break;
    }
    rc = plan_chunk(j, &pb, iChunk++, zPrev, zHi, &zErr);
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->dst, "writing the ledger", zErr);
    sqlite3_free(zPrev);
    zPrev = zHi;
  }
  if( rc == SQLITE_OK ) {
    rc = plan_chunk(j, &pb, iChunk++, zPrev, 0, &zErr);
    if( rc == SQLITE_OK ) rc = plan_flush(j, &pb, &zErr);
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->dst, "writing the ledger", zErr);
  }
  sqlite3_free(zPrev);
  for( int i = 0; i < pb.n; i++ ) {
    sqlite3_free(pb.azLo[i]);
    sqlite3_free(pb.azHi[i]);
  }
  *pnChunk = iChunk;
  return rc;
}

/*
** Plan the job inside the target transaction that inserted its row: read
** the source's chunk boundaries (a key every chunkRows rows, in key
** order) and record each chunk as a ledger row.  The last chunk is open
** above.  *pnChunk: how many.
*/
static int plan(copy_job *j, int64_t *pnChunk, char **pzErr) {
  plan_batch pb;
  pb.n = 0;
  pt_end *src = &j->src;
  int nKey = src->nKey;
  char *zLo = 0;
  int64_t iChunk = 0;
  if( nKey == 1 && j->aKeyKind[0] == PT_K_INT ) return plan_int(j, pnChunk, pzErr);
  int rc0 = count_rows(j, &j->rowsTotal, pzErr);
  if( rc0 != SQLITE_OK ) return rc0;
  char *zSql = boundary_sql(j, j->chunkRows);
  pt_end_rows *q = 0;
  char *zErr = 0;
  int rc = zSql ? pt_end_query_text(src, zSql, nKey, j->aKeyKind, &q, &zErr) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if( rc != SQLITE_OK ) {
    *pzErr = pt_end_error(src, "reading the key to plan the chunks", zErr);
    return rc;
  }
  /* the boundaries are few (one per chunk): read them all before writing,
  ** since source and target may share nothing but this thread */
  char **azHi = 0;
  int64_t nHi = 0, nAlloc = 0;
  while( (rc = pt_end_rows_next(q, &zErr)) == SQLITE_ROW ) {
    sqlite3_str *s = sqlite3_str_new(0);
    for( int i = 0; i < nKey; i++ ) {
      pt_value v;
      pt_end_rows_column(q, i, &v);
      pt_key_append(s, i == 0, &v);
    }
    sqlite3_str_appendchar(s, 1, ']');
    char *zHi = sqlite3_str_finish(s);
    if( nHi == nAlloc ) {
      nAlloc = nAlloc ? nAlloc * 2 : 64;
      char **az = sqlite3_realloc64(azHi, sizeof(char *) * nAlloc);
      if( !az ) {
        sqlite3_free(zHi);
        rc = SQLITE_NOMEM;
        break;
      }
      azHi = az;
    }
    if( !zHi ) {
      rc = SQLITE_NOMEM;
      break;
    }
    azHi[nHi++] = zHi;
  }
  pt_end_rows_close(q);
  if( rc == SQLITE_DONE ) {
    rc = SQLITE_OK;
  } else {
    *pzErr = pt_end_error(src, "reading the key to plan the chunks", zErr);
    zErr = 0;
  }
  for( int64_t i = 0; rc == SQLITE_OK && i <= nHi; i++ ) {
    const char *zHi = i < nHi ? azHi[i] : 0;
    rc = plan_chunk(j, &pb, iChunk++, zLo, zHi, &zErr);
    if( rc == SQLITE_OK && !zHi ) rc = plan_flush(j, &pb, &zErr);
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->dst, "writing the ledger", zErr);
    zLo = (char *)zHi;
  }
  for( int64_t i = 0; i < nHi; i++ ) sqlite3_free(azHi[i]);
  sqlite3_free(azHi);
  for( int i = 0; i < pb.n; i++ ) {
    sqlite3_free(pb.azLo[i]);
    sqlite3_free(pb.azHi[i]);
  }
  *pnChunk = iChunk;
  return rc;
}

/* The exact row count of the source (with where=), counted when planned. */
static int count_rows(copy_job *j, int64_t *pn, char **pzErr) {
  char *zSql = count_sql(j);
  static const pt_kind aKind[] = { PT_K_INT };
  pt_end_rows *q = 0;
  char *zErr = 0;
  int rc = zSql ? pt_end_query_text(&j->src, zSql, 1, aKind, &q, &zErr) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if( rc == SQLITE_OK && (rc = pt_end_rows_next(q, &zErr)) == SQLITE_ROW ) {
    pt_value v;
    pt_end_rows_column(q, 0, &v);
    *pn = v.type == PT_V_INT ? v.i : (int64_t)v.r;
    if( v.type == PT_V_TEXT || v.type == PT_V_DECIMAL ) *pn = strtoll(v.p, 0, 10);
    rc = SQLITE_OK;
  } else if( rc == SQLITE_DONE ) {
    rc = SQLITE_OK;
  }
  pt_end_rows_close(q);
  if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->src, "counting its rows", zErr);
  return rc;
}

/*
** Find the job in the target's ledger, or create and plan it there.  Sets
** *pDone when it was copied already.  A job of the same name made with
** other arguments is an error: its chunks describe other rows.
*/
int copy_job_start(copy_job *j, int *pDone, char **pzErr) {
  pt_end *dst = &j->dst;
  char zNow[40];
  char *zErr = 0;
  int rc;
  for( int attempt = 0;; attempt++ ) {
    char *zSrc = 0, *zDst = 0, *zOpt = 0, *zState = 0;
    int64_t nTotal = -1;
    rc = job_read(dst, j->zJob, &zSrc, &zDst, &zOpt, &zState, &nTotal, &zErr);
    if( rc != SQLITE_OK && rc != SQLITE_NOTFOUND && attempt == 0 ) {
      /* no ledger yet (the first job into this database): create it */
      sqlite3_free(zErr);
      zErr = 0;
      rc = pt_ledger_create(dst, &zErr);
      if( rc != SQLITE_OK ) {
        *pzErr = pt_end_error(dst, "ledger", zErr);
        return rc;
      }
      rc = job_read(dst, j->zJob, &zSrc, &zDst, &zOpt, &zState, &nTotal, &zErr);
    }
    if( rc == SQLITE_OK ) {
      if( sqlite3_stricmp(zSrc ? zSrc : "", j->src.zLabel) != 0 ||
          sqlite3_stricmp(zDst ? zDst : "", j->dst.zLabel) != 0 ||
          strcmp(zOpt ? zOpt : "", j->zOptions) != 0 ) {
        *pzErr = sqlite3_mprintf(
          "pontoon_copy: job '%s' was started as pontoon_copy('%s', '%s', "
          "'%s'), not with these arguments ('%s'): run it as it was started, or name another job "
          "with job=",
          j->zJob, zSrc ? zSrc : "", zDst ? zDst : "", zOpt ? zOpt : "", j->zOptions);
        rc = SQLITE_ERROR;
      } else {
        j->rowsTotal = nTotal;
        *pDone = zState &&
          (strcmp(zState, "copied") == 0 || strcmp(zState, "syncing") == 0 ||
           strcmp(zState, "verified") == 0 || strcmp(zState, "frozen") == 0 ||
           strcmp(zState, "switched") == 0);
        if( zState && strcmp(zState, "failed") == 0 ) {
          /* run again: its failed chunks are claimed like the others */
          pt_ledger_now(zNow);
          pt_param a[2] = { copy_param(zNow, PT_K_TIMESTAMP), copy_param(j->zJob, PT_K_TEXT) };
          rc = ledger_exec(dst, "job",
                           "UPDATE %s SET state = 'copying', error = NULL, updated = %1 "
                           "WHERE job = %2",
                           2, a, 0, &zErr);
          if( rc != SQLITE_OK ) *pzErr = pt_end_error(dst, "writing the ledger", zErr);
        }
      }
      sqlite3_free(zSrc);
      sqlite3_free(zDst);
      sqlite3_free(zOpt);
      sqlite3_free(zState);
      return rc;
    }
    sqlite3_free(zSrc);
    sqlite3_free(zDst);
    sqlite3_free(zOpt);
    sqlite3_free(zState);
    if( rc != SQLITE_NOTFOUND ) {
      *pzErr = pt_end_error(dst, "reading the ledger", zErr);
      return rc;
    }
    sqlite3_free(zErr);
    zErr = 0;
    /* Not there: insert it and plan, in one transaction.  Another session
    ** inserting it at the same moment makes ours wait, then match nothing
    ** (or fail, at REPEATABLE READ): read it again. */
    rc = pt_end_begin(dst, &zErr);
    if( rc != SQLITE_OK ) {
      *pzErr = pt_end_error(dst, "BEGIN", zErr);
      return rc;
    }
    pt_ledger_now(zNow);
    const pt_dialect *d = dst->pDialect;
    char *zT = pt_ledger_name(dst, "job");
    pt_sql qi;
    pt_stmt sti;
    pt_end_sql(dst, &qi);
    static const char *const azJobCol[] = { "job",     "kind",  "stage",   "src",    "dst",
                                            "options", "state", "started", "updated" };
    static const pt_kind aJobKind[] = { PT_K_TEXT, PT_K_TEXT,      PT_K_TEXT,
                                        PT_K_TEXT, PT_K_TEXT,      PT_K_TEXT,
                                        PT_K_TEXT, PT_K_TIMESTAMP, PT_K_TIMESTAMP };
    static const int aJobKey[] = { 0 };
    d->xUpsert(&qi, zT ? zT : "", 9, azJobCol, aJobKind, 1, aJobKey, SQLITE_IGNORE);
    sqlite3_free(zT);
    pt_param a[9] = { copy_param(j->zJob, PT_K_TEXT),       copy_param("copy", PT_K_TEXT),
                      copy_param(j->zStage, PT_K_TEXT),     copy_param(j->src.zLabel, PT_K_TEXT),
                      copy_param(j->dst.zLabel, PT_K_TEXT), copy_param(j->zOptions, PT_K_TEXT),
                      copy_param("planning", PT_K_TEXT),    copy_param(zNow, PT_K_TIMESTAMP),
                      copy_param(zNow, PT_K_TIMESTAMP) };
    int64_t nIns = 0;
    rc = pt_sql_finish(&qi, &sti);
    if( rc == SQLITE_OK ) rc = pt_end_exec(dst, &sti, 9, a, &nIns, &zErr);
    pt_stmt_clear(&sti);
    if( rc != SQLITE_OK || nIns != 1 ) {
      pt_end_rollback(dst);
      if( attempt < 20 ) {
        sqlite3_free(zErr);
        zErr = 0;
        usleep(100000);
        continue;
      }
      *pzErr = pt_end_error(dst, "writing the ledger",
                            zErr ? zErr
                                 : sqlite3_mprintf("job '%s' "
                                                   "is being planned by another session",
                                                   j->zJob));
      return SQLITE_ERROR;
    }
    int64_t nChunk = 0;
    rc = plan(j, &nChunk, pzErr);
    if( rc == SQLITE_OK ) {
      char zTotal[24], zChunks[24], zRows[24];
      snprintf(zTotal, sizeof zTotal, "%lld", (long long)j->rowsTotal);
      snprintf(zChunks, sizeof zChunks, "%lld", (long long)nChunk);
      snprintf(zRows, sizeof zRows, "%lld", (long long)j->chunkRows);
      pt_param u[4] = { copy_param(zTotal, PT_K_INT), copy_param(zChunks, PT_K_INT),
                        copy_param(zRows, PT_K_INT), copy_param(j->zJob, PT_K_TEXT) };
      rc = ledger_exec(dst, "job",
                       "UPDATE %s SET state = 'copying', rows_total = %1, "
                       "chunks_total = %2, chunk_rows = %3 WHERE job = %4",
                       4, u, 0, &zErr);
      if( rc != SQLITE_OK ) *pzErr = pt_end_error(dst, "writing the ledger", zErr);
    }
    if( rc == SQLITE_OK ) {
      rc = pt_end_commit(dst, &zErr);
      if( rc != SQLITE_OK ) *pzErr = pt_end_error(dst, "COMMIT", zErr);
    }
    if( rc != SQLITE_OK ) pt_end_rollback(dst);
    *pDone = 0;
    return rc;
  }
}

static const char *const azCopyOption[] = { "chunk",    "workers", "where", "columns",  "mode",
                                            "max_rate", "job",     "stage", "progress", 0 };

/* ---- the job's setup ---- */

void copy_job_free(copy_job *j) {
  if( !j ) return;
  pt_end_close(&j->src);
  pt_end_close(&j->dst);
  sqlite3_free(j->aSrcCol);
  sqlite3_free(j->aDstCol);
  sqlite3_free(j->aSelKind);
  sqlite3_free(j->aKeyKind);
  sqlite3_free(j->zJob);
  sqlite3_free(j->zStage);
  sqlite3_free(j->zWhere);
  sqlite3_free(j->zOptions);
  for( int i = 0; i < 4; i++ ) pt_stmt_clear(&j->aRead[i]);
  sqlite3_free(j->aOut);
  pthread_mutex_destroy(&j->mutex);
  pthread_cond_destroy(&j->cond);
  sqlite3_free(j);
}

/* 1 if values of kind from can be written into a column of kind to without
** being refused or changed in meaning. */
static int kinds_compatible(pt_kind from, pt_kind to) {
  if( from == to || to == PT_K_TEXT || to == PT_K_OTHER || from == PT_K_OTHER ) return 1;
  switch( to ) {
    case PT_K_INT:
    case PT_K_DECIMAL:
    case PT_K_REAL:
      return from == PT_K_INT || from == PT_K_BOOL || from == PT_K_DECIMAL || from == PT_K_REAL;
    case PT_K_BOOL: return from == PT_K_INT;
    case PT_K_CHAR:
    case PT_K_ENUM:
    case PT_K_JSON:
    case PT_K_UUID:
      return from == PT_K_TEXT || from == PT_K_CHAR || from == PT_K_ENUM || from == PT_K_UUID ||
        from == PT_K_JSON || from == PT_K_ARRAY;
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ:
      return from == PT_K_DATE || from == PT_K_TIMESTAMP || from == PT_K_TIMESTAMPTZ;
    case PT_K_BLOB: return from == PT_K_TEXT;
    default: return 0;
  }
}

/*
** Set up job j from the arguments: the ends, the columns, the options.
** Everything that can be refused is refused here, before anything is
** written.
*/
int copy_job_setup(copy_job *j, pt_registry *r, const char *zSrc, const char *zDst,
                   const char *zOpts, char **pzErr) {
  pt_opts o;
  int rc = pt_opts_parse(zOpts, "pontoon_copy", azCopyOption, &o, pzErr);
  if( rc != SQLITE_OK ) return rc;
  char *zErr = 0;
  rc = pt_end_open_pair(j->db, r, "pontoon_copy", zSrc, zDst, &j->src, &j->dst, pzErr);
  if( rc != SQLITE_OK ) goto done;
  rc = SQLITE_ERROR;
  if( j->src.nKey == 0 ) {
    *pzErr = sqlite3_mprintf(
      "pontoon_copy: source %s has no primary key: chunks are key ranges, "
      "so name the columns that identify a row with key= in its CREATE VIRTUAL TABLE",
      zSrc);
    goto done;
  }
  if( j->src.nKey > 64 ) goto done;
  j->aKeyKind = sqlite3_malloc64(sizeof(pt_kind) * j->src.nKey);
  if( !j->aKeyKind ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  for( int i = 0; i < j->src.nKey; i++ ) {
    pt_kind k = j->src.aKind[j->src.aKey[i]];
    j->aKeyKind[i] = k;
  }
  /* the columns */
  const char *zCols = pt_opts_get(&o, "columns");
  j->aSrcCol = sqlite3_malloc64(sizeof(int) * (j->src.nCol + 1));
  j->aDstCol = sqlite3_malloc64(sizeof(int) * (j->src.nCol + 1));
  j->aSelKind = sqlite3_malloc64(sizeof(pt_kind) * (j->src.nCol + 1));
  if( !j->aSrcCol || !j->aDstCol || !j->aSelKind ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  if( zCols ) {
    int nName = 0;
    char **azName = pt_opts_names(zCols, &nName);
    for( int k = 0; k < nName; k++ ) {
      int i = azName[k] ? pt_end_find_col(&j->src, azName[k]) : -1;
      if( i < 0 ) {
        *pzErr = sqlite3_mprintf("pontoon_copy: columns=: the source %s has no column %s", zSrc,
                                 azName[k] ? azName[k] : "");
        pt_opts_names_free(azName, nName);
        goto done;
      }
      if( j->nCol < j->src.nCol ) j->aSrcCol[j->nCol++] = i;
    }
    pt_opts_names_free(azName, nName);
    for( int k = 0; k < j->src.nKey; k++ ) {
      int found = 0;
      for( int i = 0; i < j->nCol; i++ )
        if( j->aSrcCol[i] == j->src.aKey[k] ) found = 1;
      if( !found ) {
        *pzErr = sqlite3_mprintf("pontoon_copy: columns= must include the key column %s",
                                 j->src.azCol[j->src.aKey[k]]);
        goto done;
      }
    }
  } else {
    for( int i = 0; i < j->src.nCol; i++ ) j->aSrcCol[j->nCol++] = i;
  }
  for( int i = 0; i < j->nCol; i++ ) {
    const char *zName = j->src.azCol[j->aSrcCol[i]];
    int d = pt_end_find_col(&j->dst, zName);
    if( d < 0 ) {
      *pzErr = sqlite3_mprintf(
        "pontoon_copy: the target %s has no column %s (the source %s has it)", zDst, zName, zSrc);
      goto done;
    }
    j->aDstCol[i] = d;
    j->aSelKind[i] = j->src.aKind[j->aSrcCol[i]];
    pt_kind from = j->aSelKind[i], to = j->dst.aKind[d];
    if( j->dst.pTab && j->src.pTab && !kinds_compatible(from, to) ) {
      *pzErr = sqlite3_mprintf(
        "pontoon_copy: column %s: the source's %s values cannot be written "
        "into the target's %s column; copy fewer columns with columns=, or change the target's type",
        zName, pt_kind_name(from), pt_kind_name(to));
      goto done;
    }
  }
  /* the options */
  int64_t v = 0;
  if( pt_opts_int(&o, "chunk", 1, 100000000, &v, "pontoon_copy", pzErr) ) goto done;
  j->fixedChunk = v > 0;
  j->chunkRows = v > 0 ? v : COPY_DEFAULT_CHUNK;
  v = 1;
  if( pt_opts_int(&o, "workers", 1, 64, &v, "pontoon_copy", pzErr) ) goto done;
  j->nWorker = (int)v;
  if( (!j->src.pTab || !j->dst.pTab) && j->nWorker > 1 ) j->nWorker = 1; /* docs/copy.md */
  if( j->nWorker > 1 && !j->dst.pDialect->zSkipLocked ) j->nWorker = 1;
  v = 0;
  if( pt_opts_int(&o, "max_rate", 0, INT64_MAX, &v, "pontoon_copy", pzErr) ) goto done;
  j->maxRate = (double)v;
  v = -1;
  if( pt_opts_int(&o, "progress", 0, 1, &v, "pontoon_copy", pzErr) ) goto done;
  j->progress = v < 0 ? isatty(2) : (int)v;
  const char *zMode = pt_opts_get(&o, "mode");
  if( zMode && strcmp(zMode, "insert") != 0 && strcmp(zMode, "upsert") != 0 ) {
    *pzErr = sqlite3_mprintf("pontoon_copy: mode=%s: expected insert or upsert", zMode);
    goto done;
  }
  j->upsert = zMode && strcmp(zMode, "upsert") == 0;
  const char *zWhere = pt_opts_get(&o, "where");
  if( zWhere && zWhere[0] ) j->zWhere = pt_strdup(zWhere);
  const char *zJob = pt_opts_get(&o, "job");
  j->zJob = zJob ? pt_strdup(zJob) : sqlite3_mprintf("%s -> %s", zSrc, zDst);
  const char *zStage = pt_opts_get(&o, "stage");
  j->zStage = zStage ? pt_strdup(zStage) : 0;
  /* what decides which rows the job copies, to refuse a rerun that differs */
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "columns=");
  for( int i = 0; i < j->nCol; i++ )
    sqlite3_str_appendf(s, "%s%s", i ? "," : "", j->src.azCol[j->aSrcCol[i]]);
  if( j->zWhere ) sqlite3_str_appendf(s, " where='%q'", j->zWhere);
  if( j->fixedChunk ) sqlite3_str_appendf(s, " chunk=%lld", (long long)j->chunkRows);
  sqlite3_str_appendf(s, " mode=%s", j->upsert ? "upsert" : "insert");
  j->zOptions = sqlite3_str_finish(s);
  if( !j->zJob || !j->zOptions ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  for( int i = 0; i < 4; i++ ) {
    if( copy_read_sql(j, i & 1, i & 2, &j->aRead[i]) != SQLITE_OK ) {
      rc = SQLITE_NOMEM;
      goto done;
    }
  }
  pt_ledger_worker(j->zWorker, sizeof j->zWorker);
  rc = SQLITE_OK;
done:
  sqlite3_free(zErr);
  pt_opts_clear(&o);
  return rc;
}
