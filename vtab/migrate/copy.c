/*
** copy.c — pontoon_copy: a chunked, resumable, exactly-once copy of one
** table into another, on any pair of servers or local SQLite tables.
**
**   SELECT * FROM pontoon_copy('old.users', 'new.users', 'stage=1 workers=2');
**   job                    stage chunk rows  rows_done rows_total seconds note
**   old.users -> new.users 1     0     10000 10000     25000      0.21
**   ...
**
** A job (DESIGN §5.1) is planned once: the source's key space is cut into
** chunks at key values read from the source (keyset ranges, never OFFSET
** on the copy itself), each recorded in the target's ledger (ledger.c)
** with state 'todo'.  A worker then claims chunks in a target transaction
** (SELECT ... FOR UPDATE SKIP LOCKED where the engine has it), reads each
** chunk's rows from the source on its own connection, writes them with the
** target's bulk writer, marks the chunks done, and commits: rows and ledger
** entry together.  Killed at any instant, the target rolls the transaction
** back and the chunk stays 'todo'; the same call run again copies what is
** left, so the target ends with exactly the source's rows.  Several shells,
** on several machines, may run the same job at once: the database is the
** coordinator.
**
** Rows travel from the source driver to the target's bulk writer as
** pt_values (value.c turns each into the target column's text form), never
** through SQLite's row machinery.
**
** Rationale: pontoon_copy writes to servers, so it is SQLITE_DIRECTONLY (a
** view or trigger in a stranger's database file cannot run it), and it
** refuses to run inside a SQLite transaction, since it commits per chunk.
*/
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "migrate.h"

#define COPY_DEFAULT_CHUNK 10000   /* rows per planned chunk without chunk= */
#define COPY_MAX_CLAIM 64          /* chunks claimed at once when adapting */

static const char *const azCopyOption[] = {
  "chunk", "workers", "where", "columns", "mode", "max_rate", "job", "stage", "progress", 0
};

/* One output row: a chunk committed by this call. */
typedef struct copy_out {
  int64_t chunk;             /* -1: the note row of a call that did nothing */
  int64_t rows;
  int64_t rowsDone;
  double seconds;
} copy_out;

typedef struct copy_job copy_job;

/* A worker: its own connections to both ends (ends share the description). */
typedef struct copy_worker {
  copy_job *pJob;
  pt_end src, dst;           /* shallow copies of the job's ends, own pConn */
  int nClaim;                /* chunks claimed at once */
  char *zErr;                /* why it stopped, or NULL */
  pthread_t thread;
  int started;
} copy_worker;

struct copy_job {
  sqlite3 *db;
  pt_end src, dst;
  int nCol;
  int *aSrcCol, *aDstCol;    /* the columns copied, as indexes of each end */
  pt_kind *aSelKind;         /* kinds of the source select list */
  pt_kind *aKeyKind;         /* kinds of the source key columns */
  char *zJob, *zStage, *zWhere, *zOptions;
  int64_t chunkRows;
  int fixedChunk;            /* chunk= given: claim one chunk at a time */
  int nWorker;
  double maxRate;            /* rows/s, 0 = unlimited */
  int upsert;
  int raw;                   /* rows pass through undecoded (xRawOpen, xBulkRaw) */
  int progress;
  int64_t rowsTotal;
  char zWorker[96];
  pt_stmt aRead[4];          /* range reads: [hasLo + 2*hasHi] */
  /* results, shared with worker threads */
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  copy_out *aOut;
  int nOut, nOutAlloc, iOut;
  int nRunning;              /* worker threads not finished */
  int64_t rowsThisCall;
  double t0;
  double tProgress;
  int stop;                  /* a worker failed: the others stop */
};

static double now_seconds(void){
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
static void append_key_bound(pt_sql *q, pt_end *e, const pt_kind *aKind, int upper, int iParam){
  const pt_dialect *d = e->pDialect;
  sqlite3_str *s = q->pStr;
  sqlite3_str_appendchar(s, 1, '(');
  for(int i = 0; i < e->nKey; i++){
    sqlite3_str_appendall(s, i ? " OR (" : "(");
    for(int j = 0; j <= i; j++){
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
static void append_select_list(sqlite3_str *s, pt_end *e, int n, const int *aCol){
  for(int i = 0; i < n; i++){
    char *zq = pt_end_ident(e, e->azCol[aCol[i]]);
    if( i ) sqlite3_str_appendall(s, ", ");
    e->pDialect->xSelectExpr(s, zq ? zq : "", e->aKind[aCol[i]], pt_end_read_flags(e));
    sqlite3_free(zq);
  }
}

/* " WHERE (where) AND key > lo AND key <= hi", the parts that apply. */
static void append_where(pt_sql *q, copy_job *j, int hasLo, int hasHi){
  sqlite3_str *s = q->pStr;
  int n = 0;
  if( j->zWhere ){
    sqlite3_str_appendf(s, " WHERE (%s)", j->zWhere);
    n++;
  }
  if( hasLo ){
    sqlite3_str_appendall(s, n++ ? " AND " : " WHERE ");
    append_key_bound(q, &j->src, j->aKeyKind, 0, 0);
  }
  if( hasHi ){
    sqlite3_str_appendall(s, n++ ? " AND " : " WHERE ");
    append_key_bound(q, &j->src, j->aKeyKind, 1, hasLo ? j->src.nKey : 0);
  }
}

/* SELECT of the copied columns of the rows of one chunk. */
static int read_sql(copy_job *j, int hasLo, int hasHi, pt_stmt *pOut){
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
static char *boundary_sql(copy_job *j, int64_t nRows){
  pt_end *e = &j->src;
  pt_sql q;
  pt_end_sql(e, &q);
  sqlite3_str *s = q.pStr;
  char *zFrom = pt_end_table_sql(e);
  sqlite3_str_appendall(s, "SELECT ");
  for(int i = 0; i < e->nKey; i++){
    char zAlias[24];
    snprintf(zAlias, sizeof zAlias, "pt_k%d", i);
    char *zq = pt_end_ident(e, zAlias);
    if( i ) sqlite3_str_appendall(s, ", ");
    e->pDialect->xSelectExpr(s, zq ? zq : "", j->aKeyKind[i], pt_end_read_flags(e));
    sqlite3_free(zq);
  }
  sqlite3_str_appendall(s, " FROM (SELECT ");
  for(int i = 0; i < e->nKey; i++){
    char zAlias[24];
    snprintf(zAlias, sizeof zAlias, "pt_k%d", i);
    char *zq = pt_end_ident(e, e->azCol[e->aKey[i]]);
    char *za = pt_end_ident(e, zAlias);
    sqlite3_str_appendf(s, "%s AS %s, ", zq ? zq : "", za ? za : "");
    sqlite3_free(zq);
    sqlite3_free(za);
  }
  sqlite3_str_appendall(s, "row_number() OVER (ORDER BY ");
  for(int i = 0; i < e->nKey; i++){
    char *zq = pt_end_ident(e, e->azCol[e->aKey[i]]);
    sqlite3_str_appendf(s, "%s%s", i ? ", " : "", zq ? zq : "");   /* the key's own order */
    sqlite3_free(zq);
  }
  sqlite3_str_appendf(s, ") AS pt_rn FROM %s", zFrom ? zFrom : "");
  append_where(&q, j, 0, 0);
  sqlite3_str_appendf(s, ") pt_q WHERE pt_rn %% %lld = 0 ORDER BY pt_rn", (long long)nRows);
  sqlite3_free(zFrom);
  pt_stmt st;
  if( pt_sql_finish(&q, &st) != SQLITE_OK ) return 0;
  return st.zSql;   /* no parameters */
}

static char *count_sql(copy_job *j){
  pt_sql q;
  pt_end_sql(&j->src, &q);
  char *zFrom = pt_end_table_sql(&j->src);
  sqlite3_str_appendf(q.pStr, "SELECT count(*) FROM %s", zFrom ? zFrom : "");
  append_where(&q, j, 0, 0);
  sqlite3_free(zFrom);
  pt_stmt st;
  if( pt_sql_finish(&q, &st) != SQLITE_OK ) return 0;
  return st.zSql;   /* no parameters */
}

/* ---- parameters ---- */

static pt_param text_param(const char *z, pt_kind k){
  pt_param p;
  p.z = z;
  p.n = z ? (int)strlen(z) : 0;
  p.kind = k;
  p.isBinary = 0;
  return p;
}

/* Decode an encoded key (pt_key_append's form) into nKey parameters;
** azVal receives what they point to (free with free_key). */
static int key_params(copy_job *j, const char *zKey, pt_param *aParam, char **azVal){
  int an[64];
  int nKey = j->src.nKey;
  if( pt_key_decode(zKey, (int)strlen(zKey), nKey, j->aKeyKind, azVal, an) ) return SQLITE_ERROR;
  for(int i = 0; i < nKey; i++){
    aParam[i].z = azVal[i];
    aParam[i].n = an[i];
    aParam[i].kind = j->aKeyKind[i];
    aParam[i].isBinary = j->aKeyKind[i] == PT_K_BLOB;
  }
  return SQLITE_OK;
}

static void free_key(char **azVal, int n){
  for(int i = 0; i < n; i++){ sqlite3_free(azVal[i]); azVal[i] = 0; }
}

/* ---- the job in the ledger ---- */

/* Read the job's row: *pzOptions, *pzSrc, *pzDst, *pzState (each
** sqlite3_malloc'd, NULL when absent).  SQLITE_NOTFOUND when there is no
** row. */
static int job_read(pt_end *dst, const char *zJob, char **pzSrc, char **pzDst, char **pzOptions,
                    char **pzState, int64_t *pnTotal, char **pzErr){
  char *zT = pt_ledger_name(dst, "job");
  pt_sql qs;
  pt_stmt st;
  pt_end_sql(dst, &qs);
  pt_ledger_sqlf(&qs, "SELECT src, dst, options, state, rows_total FROM %s WHERE job = %1", zT);
  sqlite3_free(zT);
  static const pt_kind aKind[] = { PT_K_TEXT, PT_K_TEXT, PT_K_TEXT, PT_K_TEXT, PT_K_INT };
  pt_param p = text_param(zJob, PT_K_TEXT);
  pt_end_rows *q = 0;
  int rc = pt_sql_finish(&qs, &st);
  if( rc == SQLITE_OK ) rc = pt_end_query_few(dst, &st, 1, &p, 5, aKind, &q, pzErr);
  pt_stmt_clear(&st);
  if( rc != SQLITE_OK ) return rc;
  rc = pt_end_rows_next(q, pzErr);
  if( rc == SQLITE_ROW ){
    char **az[4] = { pzSrc, pzDst, pzOptions, pzState };
    for(int i = 0; i < 4; i++){
      pt_value v;
      pt_end_rows_column(q, i, &v);
      *az[i] = v.type == PT_V_NULL ? 0 : pt_strndup(v.p ? v.p : "", v.n);
    }
    pt_value v;
    pt_end_rows_column(q, 4, &v);
    *pnTotal = v.type == PT_V_INT ? v.i : v.type == PT_V_NULL ? -1 : (int64_t)v.r;
    rc = SQLITE_OK;
  }else if( rc == SQLITE_DONE ){
    rc = SQLITE_NOTFOUND;
  }
  pt_end_rows_close(q);
  return rc;
}

#define ledger_exec pt_ledger_exec

/* Record one planned chunk. */
static int plan_chunk(copy_job *j, int64_t iChunk, const char *zLo, const char *zHi, char **pzErr){
  char zChunk[24];
  snprintf(zChunk, sizeof zChunk, "%lld", (long long)iChunk);
  pt_param a[4] = { text_param(j->zJob, PT_K_TEXT), text_param(zChunk, PT_K_INT),
                    text_param(zLo, PT_K_TEXT), text_param(zHi, PT_K_TEXT) };
  return ledger_exec(&j->dst, "chunk",
    "INSERT INTO %s (job, chunk, lo, hi, state, rows_copied) VALUES (%1, %2, %3, %4, 'todo', 0)",
    4, a, 0, pzErr);
}

static int count_rows(copy_job *j, int64_t *pn, char **pzErr);

static int64_t value_i64(const pt_value *v){
  switch( v->type ){
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
static int plan_int(copy_job *j, int64_t *pnChunk, char **pzErr){
  pt_end *src = &j->src;
  pt_sql qs;
  pt_end_sql(src, &qs);
  char *zFrom = pt_end_table_sql(src);
  char *zq = pt_end_ident(src, src->azCol[src->aKey[0]]);
  sqlite3_str_appendf(qs.pStr, "SELECT min(%s), max(%s), count(*) FROM %s", zq ? zq : "", zq ? zq : "",
                      zFrom ? zFrom : "");
  append_where(&qs, j, 0, 0);
  sqlite3_free(zFrom);
  sqlite3_free(zq);
  pt_stmt st;
  char *zSql = pt_sql_finish(&qs, &st) == SQLITE_OK ? st.zSql : 0;
  static const pt_kind aKind[] = { PT_K_INT, PT_K_INT, PT_K_INT };   /* min, max: the key; count(*): bigint */
  pt_end_rows *q = 0;
  char *zErr = 0;
  int64_t lo = 0, hi = -1, n = 0;
  int rc = zSql ? pt_end_query_text(src, zSql, 3, aKind, &q, &zErr) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if( rc == SQLITE_OK && (rc = pt_end_rows_next(q, &zErr)) == SQLITE_ROW ){
    pt_value v[3];
    for(int i = 0; i < 3; i++) pt_end_rows_column(q, i, &v[i]);
    n = value_i64(&v[2]);
    if( n > 0 ){
      lo = value_i64(&v[0]);
      hi = value_i64(&v[1]);
    }
    rc = SQLITE_OK;
  }else if( rc == SQLITE_DONE ){
    rc = SQLITE_OK;
  }
  pt_end_rows_close(q);
  if( rc != SQLITE_OK ){
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
  for(double b = (double)lo - 1 + step; rc == SQLITE_OK && n > 0 && b < (double)hi; b += step){
    char *zHi = sqlite3_mprintf("[%lld]", (long long)b);
    if( !zHi ){ rc = SQLITE_NOMEM; break; }
    rc = plan_chunk(j, iChunk++, zPrev, zHi, &zErr);
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->dst, "writing the ledger", zErr);
    sqlite3_free(zPrev);
    zPrev = zHi;
  }
  if( rc == SQLITE_OK ){
    rc = plan_chunk(j, iChunk++, zPrev, 0, &zErr);
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->dst, "writing the ledger", zErr);
  }
  sqlite3_free(zPrev);
  *pnChunk = iChunk;
  return rc;
}

/*
** Plan the job inside the target transaction that inserted its row: read
** the source's chunk boundaries (a key every chunkRows rows, in key
** order) and record each chunk as a ledger row.  The last chunk is open
** above.  *pnChunk: how many.
*/
static int plan(copy_job *j, int64_t *pnChunk, char **pzErr){
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
  if( rc != SQLITE_OK ){
    *pzErr = pt_end_error(src, "reading the key to plan the chunks", zErr);
    return rc;
  }
  /* the boundaries are few (one per chunk): read them all before writing,
  ** since source and target may share nothing but this thread */
  char **azHi = 0;
  int64_t nHi = 0, nAlloc = 0;
  while( (rc = pt_end_rows_next(q, &zErr)) == SQLITE_ROW ){
    sqlite3_str *s = sqlite3_str_new(0);
    for(int i = 0; i < nKey; i++){
      pt_value v;
      pt_end_rows_column(q, i, &v);
      pt_key_append(s, i == 0, &v);
    }
    sqlite3_str_appendchar(s, 1, ']');
    char *zHi = sqlite3_str_finish(s);
    if( nHi == nAlloc ){
      nAlloc = nAlloc ? nAlloc * 2 : 64;
      char **az = sqlite3_realloc64(azHi, sizeof(char*) * nAlloc);
      if( !az ){ sqlite3_free(zHi); rc = SQLITE_NOMEM; break; }
      azHi = az;
    }
    if( !zHi ){ rc = SQLITE_NOMEM; break; }
    azHi[nHi++] = zHi;
  }
  pt_end_rows_close(q);
  if( rc == SQLITE_DONE ){
    rc = SQLITE_OK;
  }else{
    *pzErr = pt_end_error(src, "reading the key to plan the chunks", zErr);
    zErr = 0;
  }
  for(int64_t i = 0; rc == SQLITE_OK && i <= nHi; i++){
    const char *zHi = i < nHi ? azHi[i] : 0;
    rc = plan_chunk(j, iChunk++, zLo, zHi, &zErr);
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->dst, "writing the ledger", zErr);
    zLo = (char*)zHi;
  }
  for(int64_t i = 0; i < nHi; i++) sqlite3_free(azHi[i]);
  sqlite3_free(azHi);
  *pnChunk = iChunk;
  return rc;
}

/* The exact row count of the source (with where=), counted when planned. */
static int count_rows(copy_job *j, int64_t *pn, char **pzErr){
  char *zSql = count_sql(j);
  static const pt_kind aKind[] = { PT_K_INT };
  pt_end_rows *q = 0;
  char *zErr = 0;
  int rc = zSql ? pt_end_query_text(&j->src, zSql, 1, aKind, &q, &zErr) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if( rc == SQLITE_OK && (rc = pt_end_rows_next(q, &zErr)) == SQLITE_ROW ){
    pt_value v;
    pt_end_rows_column(q, 0, &v);
    *pn = v.type == PT_V_INT ? v.i : (int64_t)v.r;
    if( v.type == PT_V_TEXT || v.type == PT_V_DECIMAL ) *pn = strtoll(v.p, 0, 10);
    rc = SQLITE_OK;
  }else if( rc == SQLITE_DONE ){
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
static int job_start(copy_job *j, int *pDone, char **pzErr){
  pt_end *dst = &j->dst;
  char zNow[40];
  char *zErr = 0;
  int rc;
  for(int attempt = 0; ; attempt++){
    char *zSrc = 0, *zDst = 0, *zOpt = 0, *zState = 0;
    int64_t nTotal = -1;
    rc = job_read(dst, j->zJob, &zSrc, &zDst, &zOpt, &zState, &nTotal, &zErr);
    if( rc == SQLITE_OK ){
      if( sqlite3_stricmp(zSrc ? zSrc : "", j->src.zLabel) != 0
       || sqlite3_stricmp(zDst ? zDst : "", j->dst.zLabel) != 0
       || strcmp(zOpt ? zOpt : "", j->zOptions) != 0 ){
        *pzErr = sqlite3_mprintf("pontoon_copy: job '%s' was started as pontoon_copy('%s', '%s', "
          "'%s'), not with these arguments ('%s'): run it as it was started, or name another job "
          "with job=", j->zJob, zSrc ? zSrc : "", zDst ? zDst : "", zOpt ? zOpt : "", j->zOptions);
        rc = SQLITE_ERROR;
      }else{
        j->rowsTotal = nTotal;
        *pDone = zState && (strcmp(zState, "copied") == 0 || strcmp(zState, "syncing") == 0
                            || strcmp(zState, "verified") == 0 || strcmp(zState, "frozen") == 0
                            || strcmp(zState, "switched") == 0);
        if( zState && strcmp(zState, "failed") == 0 ){
          /* run again: its failed chunks are claimed like the others */
          pt_ledger_now(zNow);
          pt_param a[2] = { text_param(zNow, PT_K_TIMESTAMP), text_param(j->zJob, PT_K_TEXT) };
          rc = ledger_exec(dst, "job", "UPDATE %s SET state = 'copying', error = NULL, updated = %1 "
                           "WHERE job = %2", 2, a, 0, &zErr);
          if( rc != SQLITE_OK ) *pzErr = pt_end_error(dst, "writing the ledger", zErr);
        }
      }
      sqlite3_free(zSrc); sqlite3_free(zDst); sqlite3_free(zOpt); sqlite3_free(zState);
      return rc;
    }
    sqlite3_free(zSrc); sqlite3_free(zDst); sqlite3_free(zOpt); sqlite3_free(zState);
    if( rc != SQLITE_NOTFOUND ){
      *pzErr = pt_end_error(dst, "reading the ledger", zErr);
      return rc;
    }
    sqlite3_free(zErr);
    zErr = 0;
    /* Not there: insert it and plan, in one transaction.  Another session
    ** inserting it at the same moment makes ours wait, then match nothing
    ** (or fail, at REPEATABLE READ): read it again. */
    rc = pt_end_begin(dst, &zErr);
    if( rc != SQLITE_OK ){
      *pzErr = pt_end_error(dst, "BEGIN", zErr);
      return rc;
    }
    pt_ledger_now(zNow);
    const pt_dialect *d = dst->pDialect;
    char *zT = pt_ledger_name(dst, "job");
    pt_sql qi;
    pt_stmt sti;
    pt_end_sql(dst, &qi);
    static const char *const azJobCol[] = { "job", "kind", "stage", "src", "dst", "options", "state",
                                            "started", "updated" };
    static const pt_kind aJobKind[] = { PT_K_TEXT, PT_K_TEXT, PT_K_TEXT, PT_K_TEXT, PT_K_TEXT,
                                        PT_K_TEXT, PT_K_TEXT, PT_K_TIMESTAMP, PT_K_TIMESTAMP };
    static const int aJobKey[] = { 0 };
    d->xUpsert(&qi, zT ? zT : "", 9, azJobCol, aJobKind, 1, aJobKey, SQLITE_IGNORE);
    sqlite3_free(zT);
    pt_param a[9] = { text_param(j->zJob, PT_K_TEXT), text_param("copy", PT_K_TEXT),
                      text_param(j->zStage, PT_K_TEXT), text_param(j->src.zLabel, PT_K_TEXT),
                      text_param(j->dst.zLabel, PT_K_TEXT), text_param(j->zOptions, PT_K_TEXT),
                      text_param("planning", PT_K_TEXT), text_param(zNow, PT_K_TIMESTAMP),
                      text_param(zNow, PT_K_TIMESTAMP) };
    int64_t nIns = 0;
    rc = pt_sql_finish(&qi, &sti);
    if( rc == SQLITE_OK ) rc = pt_end_exec(dst, &sti, 9, a, &nIns, &zErr);
    pt_stmt_clear(&sti);
    if( rc != SQLITE_OK || nIns != 1 ){
      pt_end_rollback(dst);
      if( attempt < 20 ){
        sqlite3_free(zErr);
        zErr = 0;
        usleep(100000);
        continue;
      }
      *pzErr = pt_end_error(dst, "writing the ledger", zErr ? zErr : sqlite3_mprintf("job '%s' "
                            "is being planned by another session", j->zJob));
      return SQLITE_ERROR;
    }
    int64_t nChunk = 0;
    rc = plan(j, &nChunk, pzErr);
    if( rc == SQLITE_OK ){
      char zTotal[24], zChunks[24], zRows[24];
      snprintf(zTotal, sizeof zTotal, "%lld", (long long)j->rowsTotal);
      snprintf(zChunks, sizeof zChunks, "%lld", (long long)nChunk);
      snprintf(zRows, sizeof zRows, "%lld", (long long)j->chunkRows);
      pt_param u[4] = { text_param(zTotal, PT_K_INT), text_param(zChunks, PT_K_INT),
                        text_param(zRows, PT_K_INT), text_param(j->zJob, PT_K_TEXT) };
      rc = ledger_exec(dst, "job", "UPDATE %s SET state = 'copying', rows_total = %1, "
                       "chunks_total = %2, chunk_rows = %3 WHERE job = %4", 4, u, 0, &zErr);
      if( rc != SQLITE_OK ) *pzErr = pt_end_error(dst, "writing the ledger", zErr);
    }
    if( rc == SQLITE_OK ){
      rc = pt_end_commit(dst, &zErr);
      if( rc != SQLITE_OK ) *pzErr = pt_end_error(dst, "COMMIT", zErr);
    }
    if( rc != SQLITE_OK ) pt_end_rollback(dst);
    *pDone = 0;
    return rc;
  }
}

/* ---- copying chunks ---- */

typedef struct claimed {
  int64_t iChunk;
  char *zLo, *zHi;
} claimed;

/*
** A chunk read and written at once: a reader thread reads the source's rows
** and encodes them for the target into one of two batches while this
** thread sends the other, so that the source and the target work at the
** same time, as a COPY TO | COPY FROM pipe does.  The source connection is
** the reader's alone meanwhile, the target's this thread's.
*/
#define PIPE_BATCH_ROWS 2000
#define PIPE_BATCH_BYTES (1 << 20)

typedef struct copy_pipe {
  copy_job *pJob;
  copy_worker *pWorker;
  pt_end_writer *pWriter;
  const claimed *aClaim;     /* the chunks, read in turn */
  int nClaim;
  int iCur;                  /* the chunk being read */
  int64_t *aRows;            /* rows read of each */
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  pt_row_batch aBatch[2];
  int aFull[2];
  int done;                  /* the reader has handed over its last batch */
  int stop;                  /* the writer failed: the reader stops */
  int rcRead;
  char *zErrRead;            /* the reader's error (prefixed) */
} copy_pipe;

static int open_chunk(copy_worker *w, const claimed *c, pt_end_rows **pq, char **pzErr);

/* The reader thread: reads the claimed chunks' rows in turn, each encoded
** for the target into the batch the writer is not sending, and hands it
** over when full; stops at the end, at its own error (cp->zErrRead), or
** when the writer says stop.  Owns the source connection meanwhile. */
static void *pipe_reader(void *p){
  copy_pipe *cp = p;
  copy_job *j = cp->pJob;
  pt_value aVal[j->nCol > 0 ? j->nCol : 1];
  int idx = 0, rc = SQLITE_OK, end = 0, iChunk = 0;
  char *zErr = 0;
  pt_end_rows *q = 0;
  while( !end ){
    pthread_mutex_lock(&cp->mutex);
    while( cp->aFull[idx] && !cp->stop ) pthread_cond_wait(&cp->cond, &cp->mutex);
    int stop = cp->stop;
    pthread_mutex_unlock(&cp->mutex);
    if( stop ) break;
    pt_row_batch *b = &cp->aBatch[idx];
    while( b->nRow < PIPE_BATCH_ROWS && b->buf.n < PIPE_BATCH_BYTES ){
      if( !q ){
        /* the next chunk's rows */
        if( iChunk == cp->nClaim ){ end = 1; break; }
        cp->iCur = iChunk;
        rc = open_chunk(cp->pWorker, &cp->aClaim[iChunk], &q, &cp->zErrRead);
        if( rc != SQLITE_OK ){ end = 1; break; }
      }
      rc = pt_end_rows_next(q, &zErr);
      if( rc != SQLITE_ROW ){
        pt_end_rows_close(q);
        q = 0;
        if( rc == SQLITE_DONE ){
          rc = SQLITE_OK;
          iChunk++;
          continue;
        }
        cp->zErrRead = pt_end_error(&j->src, "reading a chunk", zErr);
        end = 1;
        break;
      }
      for(int i = 0; i < j->nCol; i++) pt_end_rows_column(q, i, &aVal[i]);
      char *zE = 0;
      rc = pt_end_writer_encode(cp->pWriter, aVal, b, &zE);
      if( rc != SQLITE_OK ){
        cp->zErrRead = pt_end_error(&j->dst, "INSERT", zE);
        end = 1;
        break;
      }
      cp->aRows[iChunk]++;
    }
    pthread_mutex_lock(&cp->mutex);
    cp->rcRead = rc;
    cp->aFull[idx] = 1;
    if( end ) cp->done = 1;
    pthread_cond_broadcast(&cp->cond);
    pthread_mutex_unlock(&cp->mutex);
    idx ^= 1;
  }
  pt_end_rows_close(q);
  pthread_mutex_lock(&cp->mutex);
  cp->done = 1;
  pthread_cond_broadcast(&cp->cond);
  pthread_mutex_unlock(&cp->mutex);
  return 0;
}

/* Send the batches the reader hands over until it is done; the first
** error, the reader's or the target's. */
static int pipe_write(copy_pipe *cp, char **pzErr){
  copy_job *j = cp->pJob;
  int idx = 0, rc = SQLITE_OK;
  while( 1 ){
    pthread_mutex_lock(&cp->mutex);
    while( !cp->aFull[idx] && !cp->done ) pthread_cond_wait(&cp->cond, &cp->mutex);
    int full = cp->aFull[idx];
    pthread_mutex_unlock(&cp->mutex);
    if( !full ) break;
    char *zErr = 0;
    rc = pt_end_writer_send(cp->pWriter, &cp->aBatch[idx], &zErr);
    if( rc != SQLITE_OK ){
      *pzErr = pt_end_error(&j->dst, "INSERT", zErr);
      break;
    }
    pthread_mutex_lock(&cp->mutex);
    cp->aFull[idx] = 0;
    pthread_cond_broadcast(&cp->cond);
    pthread_mutex_unlock(&cp->mutex);
    idx ^= 1;
  }
  if( rc != SQLITE_OK ){
    pthread_mutex_lock(&cp->mutex);
    cp->stop = 1;
    pthread_cond_broadcast(&cp->cond);
    pthread_mutex_unlock(&cp->mutex);
  }
  return rc;
}

/* Open the read of one chunk's rows on the worker's source connection.
** On error *pzErr is the prefixed message. */
static int open_chunk(copy_worker *w, const claimed *c, pt_end_rows **pq, char **pzErr){
  copy_job *j = w->pJob;
  int nKey = j->src.nKey;
  pt_param aParam[128];
  char *azLo[64] = { 0 }, *azHi[64] = { 0 };
  int nParam = 0;
  *pq = 0;
  if( c->zLo ){
    if( key_params(j, c->zLo, aParam, azLo) ) goto corrupt;
    nParam += nKey;
  }
  if( c->zHi ){
    if( key_params(j, c->zHi, aParam + nParam, azHi) ) goto corrupt;
    nParam += nKey;
  }
  const pt_stmt *pRead = &j->aRead[(c->zLo ? 1 : 0) + (c->zHi ? 2 : 0)];
  char *zErr = 0;
  int rc = pt_end_query(&w->src, pRead, nParam, aParam, j->nCol, j->aSelKind, pq, &zErr);
  free_key(azLo, nKey);
  free_key(azHi, nKey);
  if( rc != SQLITE_OK ) *pzErr = pt_end_error(&w->src, "reading a chunk", zErr);
  return rc;
corrupt:
  free_key(azLo, nKey);
  free_key(azHi, nKey);
  *pzErr = sqlite3_mprintf("pontoon_copy: job '%s': the ledger's key of chunk %lld cannot be read",
                           j->zJob, (long long)c->iChunk);
  return SQLITE_CORRUPT;
}

/*
** Whether rows may pass from source to target undecoded: the same driver
** on both ends with raw rows (PostgreSQL's binary COPY), every copied
** column of the same type on both sides as the servers describe them now,
** an integer key (its bounds are written into the SQL as numbers, COPY
** taking no parameters), and plain inserts.
*/
static void decide_raw(copy_job *j, copy_worker *w){
  const pt_driver *ds = j->src.pServer ? j->src.pServer->pDriver : 0;
  const pt_driver *dd = j->dst.pServer ? j->dst.pServer->pDriver : 0;
  if( !ds || ds != dd || !ds->xRawOpen || !ds->xBulkRaw || j->upsert ) return;
  if( getenv("PONTOON_COPY_NO_RAW") ) return;   /* docs/copy.md: for measurements */
  for(int i = 0; i < j->src.nKey; i++) if( j->aKeyKind[i] != PT_K_INT ) return;
  char **azSrc = 0, **azDst = 0, *zErr = 0;
  if( pt_end_types(&w->src, &azSrc, &zErr) == SQLITE_OK
   && pt_end_types(&w->dst, &azDst, &zErr) == SQLITE_OK ){
    int same = 1;
    for(int i = 0; i < j->nCol && same; i++){
      const char *a = azSrc[j->aSrcCol[i]], *b = azDst[j->aDstCol[i]];
      same = a && b && strcmp(a, b) == 0;
    }
    j->raw = same;
  }
  sqlite3_free(zErr);
  sqlite3_free(azSrc);
  sqlite3_free(azDst);
}

/* The SELECT of one chunk for a raw read: the bounds as integers in the
** text (validated as such), the columns as they are. */
static char *raw_sql(copy_job *j, const claimed *pFirst, const claimed *pLast){
  pt_end *e = &j->src;
  const char *azBound[2] = { pFirst->zLo, pLast->zHi };
  char *azVal[2][64] = { { 0 }, { 0 } };
  int an[64];
  for(int b = 0; b < 2; b++){
    if( !azBound[b] ) continue;
    if( pt_key_decode(azBound[b], (int)strlen(azBound[b]), e->nKey, j->aKeyKind, azVal[b], an) ) goto bad;
    for(int k = 0; k < e->nKey; k++){
      if( !azVal[b][k] || !pt_is_number(azVal[b][k], (int)strlen(azVal[b][k]), 1) ) goto bad;
    }
  }
  sqlite3_str *s = sqlite3_str_new(0);
  char *zFrom = pt_end_table_sql(e);
  sqlite3_str_appendall(s, "SELECT ");
  for(int i = 0; i < j->nCol; i++){
    char *zq = pt_end_ident(e, e->azCol[j->aSrcCol[i]]);
    sqlite3_str_appendf(s, "%s%s", i ? ", " : "", zq ? zq : "");
    sqlite3_free(zq);
  }
  sqlite3_str_appendf(s, " FROM %s WHERE %s%s%s", zFrom ? zFrom : "", j->zWhere ? "(" : "",
                      j->zWhere ? j->zWhere : "", j->zWhere ? ")" : "TRUE");
  for(int b = 0; b < 2; b++){
    if( !azBound[b] ) continue;
    /* (k1, k2) > (a, b): the key's order, composite keys included */
    sqlite3_str_appendall(s, " AND (");
    for(int k = 0; k < e->nKey; k++){
      char *zq = pt_end_ident(e, e->azCol[e->aKey[k]]);
      sqlite3_str_appendf(s, "%s%s", k ? ", " : "", zq ? zq : "");
      sqlite3_free(zq);
    }
    sqlite3_str_appendf(s, ") %s (", b == 0 ? ">" : "<=");
    for(int k = 0; k < e->nKey; k++) sqlite3_str_appendf(s, "%s%s", k ? ", " : "", azVal[b][k]);
    sqlite3_str_appendall(s, ")");
  }
  sqlite3_free(zFrom);
  for(int b = 0; b < 2; b++) free_key(azVal[b], e->nKey);
  return sqlite3_str_finish(s);
bad:
  for(int b = 0; b < 2; b++) free_key(azVal[b], e->nKey);
  return 0;
}

/* The integer in a binary COPY row's field iField (int2, int4 or int8),
** into *pV; 0 when the row is not that. */
static int raw_int_field(const char *z, int n, int iField, int64_t *pV){
  const unsigned char *p = (const unsigned char*)z, *end = p + n;
  if( n < 2 ) return 0;
  int nField = (p[0] << 8) | p[1];
  p += 2;
  for(int f = 0; f < nField; f++){
    if( end - p < 4 ) return 0;
    int32_t len = (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]);
    p += 4;
    if( f == iField ){
      if( len != 2 && len != 4 && len != 8 ) return 0;
      if( end - p < len ) return 0;
      uint64_t u = 0;
      for(int i = 0; i < len; i++) u = (u << 8) | p[i];
      if( len == 2 ) *pV = (int16_t)u;
      else if( len == 4 ) *pV = (int32_t)u;
      else *pV = (int64_t)u;
      return 1;
    }
    if( len > 0 ){
      if( end - p < len ) return 0;
      p += len;
    }
  }
  return 0;
}

/*
** Copy chunks by raw rows: each run of consecutive chunks read by one
** COPY TO (one round trip, however many chunks), its rows handed to the
** target's writer as they come.  With a one-column integer key each row is
** counted in its chunk by its key (decoded from the binary row); else each
** chunk is read on its own.
*/
static int copy_chunks_raw(copy_worker *w, pt_end_writer *wr, const claimed *aClaim, int nClaim,
                           int64_t *aRows, int *piFail, char **pzErr){
  copy_job *j = w->pJob;
  const pt_driver *d = j->src.pServer->pDriver;
  int iKeyField = -1;        /* the key's position among the copied columns */
  if( j->src.nKey == 1 ){
    for(int i = 0; i < j->nCol; i++) if( j->aSrcCol[i] == j->src.aKey[0] ) iKeyField = i;
  }
  int rc = SQLITE_OK;
  for(int c = 0; rc == SQLITE_OK && c < nClaim; ){
    /* the run of consecutive chunks from c */
    int e = c;
    while( iKeyField >= 0 && e + 1 < nClaim && aClaim[e + 1].iChunk == aClaim[e].iChunk + 1 ) e++;
    int64_t aHi[COPY_MAX_CLAIM];
    for(int k = c; k <= e; k++){
      aHi[k] = aClaim[k].zHi ? strtoll(aClaim[k].zHi + 1, 0, 10) : INT64_MAX;   /* "[123]" */
    }
    *piFail = c;
    char *zSql = raw_sql(j, &aClaim[c], &aClaim[e]);
    if( !zSql ){
      *pzErr = sqlite3_mprintf("pontoon_copy: job '%s': the ledger's key of chunk %lld is not an integer",
                               j->zJob, (long long)aClaim[c].iChunk);
      return SQLITE_CORRUPT;
    }
    pt_trace("%s: %s", j->src.zLabel, zSql);
    pt_cursor *cur = 0;
    char *zErr = 0;
    rc = d->xRawOpen(w->src.pConn, zSql, &cur, &zErr);
    sqlite3_free(zSql);
    if( rc != SQLITE_OK ){
      *pzErr = pt_end_error(&w->src, "reading a chunk", zErr);
      break;
    }
    const char *z;
    int n, nRow;
    while( (rc = d->xRawNext(cur, &z, &n, &nRow, &zErr)) == SQLITE_ROW ){
      char *zW = 0;
      rc = pt_end_writer_raw(wr, z, n, nRow, &zW);
      if( rc != SQLITE_OK ){
        *pzErr = pt_end_error(&w->dst, "INSERT", zW);
        break;
      }
      int k = c;
      int64_t v;
      if( e > c && raw_int_field(z, n, iKeyField, &v) ){
        int lo = c, hi = e;          /* the first chunk whose hi >= v */
        while( lo < hi ){
          int mid = (lo + hi) / 2;
          if( aHi[mid] >= v ) hi = mid; else lo = mid + 1;
        }
        k = lo;
      }
      aRows[k] += nRow;
    }
    if( rc == SQLITE_DONE ) rc = SQLITE_OK;
    else if( zErr ) *pzErr = pt_end_error(&w->src, "reading a chunk", zErr);
    d->xRawClose(cur);
    c = e + 1;
  }
  return rc;
}

/*
** Copy the rows of chunks aClaim[nClaim] into the open writer, aRows[i]
** counting those of chunk i; *piFail is the chunk an error came from.
*/
static int copy_chunks(copy_worker *w, pt_end_writer *wr, const claimed *aClaim, int nClaim,
                       int64_t *aRows, int *piFail, char **pzErr){
  copy_job *j = w->pJob;
  int rc = SQLITE_OK;
  for(int i = 0; i < nClaim; i++) aRows[i] = 0;
  *piFail = 0;
  if( j->raw ) return copy_chunks_raw(w, wr, aClaim, nClaim, aRows, piFail, pzErr);
  if( w->dst.pServer ){
    /* a remote target: read and write at once */
    copy_pipe cp;
    memset(&cp, 0, sizeof(cp));
    cp.pJob = j;
    cp.pWorker = w;
    cp.pWriter = wr;
    cp.aClaim = aClaim;
    cp.nClaim = nClaim;
    cp.aRows = aRows;
    pthread_mutex_init(&cp.mutex, 0);
    pthread_cond_init(&cp.cond, 0);
    pthread_t reader;
    if( pthread_create(&reader, 0, pipe_reader, &cp) != 0 ){
      rc = SQLITE_ERROR;
      *pzErr = sqlite3_mprintf("pontoon_copy: cannot start a thread");
    }else{
      rc = pipe_write(&cp, pzErr);
      pthread_join(reader, 0);
      if( rc == SQLITE_OK && cp.zErrRead ){
        rc = cp.rcRead != SQLITE_OK ? cp.rcRead : SQLITE_ERROR;
        *pzErr = cp.zErrRead;
        cp.zErrRead = 0;
      }
    }
    *piFail = cp.iCur;
    sqlite3_free(cp.zErrRead);
    pt_row_batch_free(&cp.aBatch[0]);
    pt_row_batch_free(&cp.aBatch[1]);
    pthread_mutex_destroy(&cp.mutex);
    pthread_cond_destroy(&cp.cond);
    return rc;
  }
  pt_value aVal[j->nCol > 0 ? j->nCol : 1];
  for(int c = 0; rc == SQLITE_OK && c < nClaim; c++){
    pt_end_rows *q = 0;
    char *zErr = 0;
    *piFail = c;
    rc = open_chunk(w, &aClaim[c], &q, pzErr);
    while( rc == SQLITE_OK ){
      rc = pt_end_rows_next(q, &zErr);
      if( rc == SQLITE_DONE ){ rc = SQLITE_OK; break; }
      if( rc != SQLITE_ROW ){
        *pzErr = pt_end_error(&w->src, "reading a chunk", zErr);
        break;
      }
      for(int i = 0; i < j->nCol; i++) pt_end_rows_column(q, i, &aVal[i]);
      char *zW = 0;
      rc = pt_end_writer_row(wr, aVal, &zW);
      if( rc != SQLITE_OK ) *pzErr = pt_end_error(&w->dst, "INSERT", zW);
      else aRows[c]++;
    }
    pt_end_rows_close(q);
  }
  return rc;
}

static void add_output(copy_job *j, const copy_out *o){
  pthread_mutex_lock(&j->mutex);
  if( j->nOut == j->nOutAlloc ){
    int n = j->nOutAlloc ? j->nOutAlloc * 2 : 16;
    copy_out *a = sqlite3_realloc64(j->aOut, sizeof(copy_out) * n);
    if( a ){ j->aOut = a; j->nOutAlloc = n; }
  }
  if( j->nOut < j->nOutAlloc ) j->aOut[j->nOut++] = *o;
  j->rowsThisCall += o->rows;
  pthread_cond_broadcast(&j->cond);
  pthread_mutex_unlock(&j->mutex);
}

/* Mark the chunk and the job failed, in a transaction of their own. */
static void record_failure(copy_worker *w, int64_t iChunk, const char *zWhy){
  copy_job *j = w->pJob;
  char zChunk[24], *zErr = 0;
  snprintf(zChunk, sizeof zChunk, "%lld", (long long)iChunk);
  pt_end_rollback(&w->dst);
  if( pt_end_begin(&w->dst, &zErr) != SQLITE_OK ){ sqlite3_free(zErr); return; }
  pt_param a[3] = { text_param(zWhy, PT_K_TEXT), text_param(j->zJob, PT_K_TEXT),
                    text_param(zChunk, PT_K_INT) };
  int rc = ledger_exec(&w->dst, "chunk", "UPDATE %s SET state = 'failed', error = %1 "
                       "WHERE job = %2 AND chunk = %3 AND state <> 'done'", 3, a, 0, &zErr);
  if( rc == SQLITE_OK ){
    rc = ledger_exec(&w->dst, "job", "UPDATE %s SET state = 'failed', error = %1 WHERE job = %2",
                     2, a, 0, &zErr);
  }
  if( rc == SQLITE_OK ) rc = pt_end_commit(&w->dst, &zErr);
  if( rc != SQLITE_OK ) pt_end_rollback(&w->dst);
  sqlite3_free(zErr);
}

/*
** One step of a worker: claim up to nClaim chunks in a target transaction,
** copy them, mark them done and commit.  SQLITE_DONE when no chunk is left
** to claim.  On error the transaction is rolled back and the failure
** recorded in the ledger.
*/
static int copy_step(copy_worker *w, char **pzErr){
  copy_job *j = w->pJob;
  pt_end *dst = &w->dst;
  char *zErr = 0;
  int rc = pt_end_begin(dst, &zErr);
  if( rc != SQLITE_OK ){
    *pzErr = pt_end_error(dst, "BEGIN", zErr);
    return rc;
  }
  /* claim */
  char *zT = pt_ledger_name(dst, "chunk");
  pt_sql qc;
  pt_stmt stc;
  pt_end_sql(dst, &qc);
  pt_ledger_sqlf(&qc, "SELECT chunk, lo, hi, (SELECT sum(d.rows_copied) FROM %s d "
                 "WHERE d.job = %1 AND d.state = 'done') FROM %s WHERE job = %1 "
                 "AND state <> 'done' ORDER BY chunk ", zT);
  if( dst->pDialect->xLimit ) dst->pDialect->xLimit(&qc, 2);   /* else the first rows read */
  if( dst->pDialect->zSkipLocked ) sqlite3_str_appendall(qc.pStr, dst->pDialect->zSkipLocked);
  sqlite3_free(zT);
  char zLimit[16];
  snprintf(zLimit, sizeof zLimit, "%d", w->nClaim);
  pt_param a[2] = { text_param(j->zJob, PT_K_TEXT), text_param(zLimit, PT_K_INT) };
  static const pt_kind aKind[] = { PT_K_INT, PT_K_TEXT, PT_K_TEXT, PT_K_DECIMAL /* sum() */ };
  claimed aClaim[COPY_MAX_CLAIM];
  int nClaim = 0;
  int64_t rowsBefore = 0;    /* the job's rows done when claimed */
  pt_end_rows *q = 0;
  rc = pt_sql_finish(&qc, &stc);
  if( rc == SQLITE_OK ) rc = pt_end_query_few(dst, &stc, dst->pDialect->xLimit ? 2 : 1, a, 4, aKind, &q, &zErr);
  pt_stmt_clear(&stc);
  while( rc == SQLITE_OK && nClaim < w->nClaim ){
    rc = pt_end_rows_next(q, &zErr);
    if( rc != SQLITE_ROW ){
      if( rc == SQLITE_DONE ) rc = SQLITE_OK;
      break;
    }
    pt_value v[4];
    for(int i = 0; i < 4; i++) pt_end_rows_column(q, i, &v[i]);
    rowsBefore = value_i64(&v[3]);
    claimed *c = &aClaim[nClaim++];
    c->iChunk = v[0].type == PT_V_INT ? v[0].i : strtoll(v[0].p ? v[0].p : "0", 0, 10);
    c->zLo = v[1].type == PT_V_NULL ? 0 : pt_strndup(v[1].p, v[1].n);
    c->zHi = v[2].type == PT_V_NULL ? 0 : pt_strndup(v[2].p, v[2].n);
    rc = SQLITE_OK;
  }
  pt_end_rows_close(q);
  if( rc != SQLITE_OK ){
    /* PostgreSQL at REPEATABLE READ: a chunk another worker committed
    ** after this snapshot began; the caller claims again */
    for(int i = 0; i < nClaim; i++){ sqlite3_free(aClaim[i].zLo); sqlite3_free(aClaim[i].zHi); }
    pt_end_rollback(dst);
    *pzErr = pt_end_error(dst, "claiming chunks in the ledger", zErr);
    return SQLITE_BUSY;
  }
  if( nClaim == 0 ){
    pt_end_rollback(dst);
    return SQLITE_DONE;
  }
  /* copy */
  double t0 = now_seconds();
  char zStarted[40];
  pt_ledger_now(zStarted);
  pt_end_writer *wr = 0;
  rc = pt_end_writer_open(dst, j->nCol, j->aDstCol, j->upsert, &wr, &zErr);
  if( rc != SQLITE_OK ) *pzErr = pt_end_error(dst, "INSERT", zErr);
  int64_t aRows[COPY_MAX_CLAIM];
  int iFail = 0;
  if( rc == SQLITE_OK ) rc = copy_chunks(w, wr, aClaim, nClaim, aRows, &iFail, pzErr);
  if( rc == SQLITE_OK ){
    zErr = 0;
    rc = pt_end_writer_flush(wr, &zErr);
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(dst, "INSERT", zErr);
  }
  pt_end_writer_close(wr);
  /* mark done */
  double t1 = now_seconds();
  char zFinished[40], zSeconds[32];
  pt_ledger_now(zFinished);
  snprintf(zSeconds, sizeof zSeconds, "%.6f", (t1 - t0) / nClaim);
  /* every claimed chunk done, in one statement: its rows by CASE */
  if( rc == SQLITE_OK ){
    char zChunk[COPY_MAX_CLAIM][24], zRows[COPY_MAX_CLAIM][24];
    pt_param u[5 + 2 * COPY_MAX_CLAIM + 1];
    u[0] = text_param(zStarted, PT_K_TIMESTAMP);
    u[1] = text_param(zFinished, PT_K_TIMESTAMP);
    u[2] = text_param(zSeconds, PT_K_REAL);
    u[3] = text_param(j->zWorker, PT_K_TEXT);
    u[4] = text_param(j->zJob, PT_K_TEXT);
    char *zT2 = pt_ledger_name(dst, "chunk");
    pt_sql q2;
    pt_stmt st2;
    pt_end_sql(dst, &q2);
    pt_ledger_sqlf(&q2, "UPDATE %s SET state = 'done', started = %1, finished = %2, seconds = %3, "
                   "worker = %4, error = NULL, rows_copied = CASE chunk", zT2);
    sqlite3_free(zT2);
    for(int i = 0; i < nClaim; i++){
      snprintf(zChunk[i], sizeof zChunk[i], "%lld", (long long)aClaim[i].iChunk);
      snprintf(zRows[i], sizeof zRows[i], "%lld", (long long)aRows[i]);
      u[5 + 2 * i] = text_param(zChunk[i], PT_K_INT);
      u[6 + 2 * i] = text_param(zRows[i], PT_K_INT);
      sqlite3_str_appendall(q2.pStr, " WHEN ");
      dst->pDialect->xParamExpr(&q2, PT_K_INT, 6 + 2 * i);
      sqlite3_str_appendall(q2.pStr, " THEN 0 + ");   /* a number on every engine (PostgreSQL: not text) */
      dst->pDialect->xParamExpr(&q2, PT_K_INT, 7 + 2 * i);
    }
    pt_ledger_sqlf(&q2, " END WHERE job = %5 AND state <> 'done' AND chunk IN (", 0);
    for(int i = 0; i < nClaim; i++){
      if( i ) sqlite3_str_appendall(q2.pStr, ", ");
      dst->pDialect->xParamExpr(&q2, PT_K_INT, 6 + 2 * i);
    }
    sqlite3_str_appendall(q2.pStr, ")");
    int64_t nMatched = 0;
    zErr = 0;
    rc = pt_sql_finish(&q2, &st2);
    if( rc == SQLITE_OK ) rc = pt_end_exec(dst, &st2, 5 + 2 * nClaim, u, &nMatched, &zErr);
    pt_stmt_clear(&st2);
    if( rc == SQLITE_OK && nMatched != nClaim ){
      zErr = sqlite3_mprintf("a chunk was copied by another session at the same time "
                             "(the ledger's engine cannot lock it): nothing of this claim was kept");
      rc = SQLITE_ERROR;
    }
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(dst, "writing the ledger", zErr);
  }
  /* rows done: as the ledger said when the chunks were claimed, and these */
  int64_t rowsDone = rowsBefore;
  for(int i = 0; i < nClaim; i++) rowsDone += aRows[i];
  if( rc == SQLITE_OK ){
    rc = pt_end_commit(dst, &zErr);
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(dst, "COMMIT", zErr);
  }
  if( rc != SQLITE_OK ){
    record_failure(w, aClaim[iFail].iChunk, *pzErr ? *pzErr : "error");
  }else{
    double per = (t1 - t0) / nClaim;
    int64_t done = rowsBefore;
    for(int i = 0; i < nClaim; i++){
      done += aRows[i];
      copy_out o = { aClaim[i].iChunk, aRows[i], done, per };
      add_output(j, &o);
    }
    (void)rowsDone;
    /* adapt the claim toward a few seconds of work per transaction */
    if( !j->fixedChunk ){
      double t = t1 - t0;
      if( t < 1.0 && w->nClaim < COPY_MAX_CLAIM ) w->nClaim *= 2;
      else if( t > 4.0 && w->nClaim > 1 ) w->nClaim /= 2;
    }
  }
  for(int i = 0; i < nClaim; i++){ sqlite3_free(aClaim[i].zLo); sqlite3_free(aClaim[i].zHi); }
  return rc;
}

/* Sleep as long as max_rate asks. */
static void throttle(copy_job *j){
  if( j->maxRate <= 0 ) return;
  pthread_mutex_lock(&j->mutex);
  double due = j->t0 + j->rowsThisCall / j->maxRate;
  pthread_mutex_unlock(&j->mutex);
  double wait = due - now_seconds();
  if( wait > 0 ) usleep((useconds_t)(wait * 1e6));
}

/* Run steps until no chunk is left or an error; returns the error. */
static int worker_run(copy_worker *w){
  copy_job *j = w->pJob;
  int nBusy = 0;
  while( 1 ){
    pthread_mutex_lock(&j->mutex);
    int stop = j->stop;
    pthread_mutex_unlock(&j->mutex);
    if( stop ) return SQLITE_OK;
    char *zErr = 0;
    int rc = copy_step(w, &zErr);
    if( rc == SQLITE_DONE ) return SQLITE_OK;
    if( rc == SQLITE_BUSY && nBusy++ < 50 ){
      sqlite3_free(zErr);
      usleep(20000 + (useconds_t)(rand() % 50000));
      continue;
    }
    if( rc != SQLITE_OK ){
      w->zErr = zErr;
      pthread_mutex_lock(&j->mutex);
      j->stop = 1;
      pthread_cond_broadcast(&j->cond);
      pthread_mutex_unlock(&j->mutex);
      return rc;
    }
    nBusy = 0;
    throttle(j);
  }
}

static void *worker_main(void *p){
  copy_worker *w = p;
  worker_run(w);
  copy_job *j = w->pJob;
  pthread_mutex_lock(&j->mutex);
  j->nRunning--;
  pthread_cond_broadcast(&j->cond);
  pthread_mutex_unlock(&j->mutex);
  return 0;
}

/* ---- the job's setup ---- */

static void job_free(copy_job *j){
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
  for(int i = 0; i < 4; i++) pt_stmt_clear(&j->aRead[i]);
  sqlite3_free(j->aOut);
  pthread_mutex_destroy(&j->mutex);
  pthread_cond_destroy(&j->cond);
  sqlite3_free(j);
}

/* 1 if values of kind from can be written into a column of kind to without
** being refused or changed in meaning. */
static int kinds_compatible(pt_kind from, pt_kind to){
  if( from == to || to == PT_K_TEXT || to == PT_K_OTHER || from == PT_K_OTHER ) return 1;
  switch( to ){
    case PT_K_INT: case PT_K_DECIMAL: case PT_K_REAL:
      return from == PT_K_INT || from == PT_K_BOOL || from == PT_K_DECIMAL || from == PT_K_REAL;
    case PT_K_BOOL: return from == PT_K_INT;
    case PT_K_CHAR: case PT_K_ENUM: case PT_K_JSON: case PT_K_UUID:
      return from == PT_K_TEXT || from == PT_K_CHAR || from == PT_K_ENUM || from == PT_K_UUID
          || from == PT_K_JSON || from == PT_K_ARRAY;
    case PT_K_TIMESTAMP: case PT_K_TIMESTAMPTZ:
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
static int job_setup(copy_job *j, pt_registry *r, const char *zSrc, const char *zDst,
                     const char *zOpts, char **pzErr){
  pt_opts o;
  int rc = pt_opts_parse(zOpts, "pontoon_copy", azCopyOption, &o, pzErr);
  if( rc != SQLITE_OK ) return rc;
  char *zErr = 0;
  rc = pt_end_open(j->db, r, zSrc, 0, &j->src, &zErr);
  if( rc != SQLITE_OK ){
    *pzErr = sqlite3_mprintf("pontoon_copy: source %s: %s", zSrc ? zSrc : "NULL", zErr);
    goto done;
  }
  rc = pt_end_open(j->db, r, zDst, 0, &j->dst, &zErr);
  if( rc != SQLITE_OK ){
    *pzErr = sqlite3_mprintf("pontoon_copy: target %s: %s", zDst ? zDst : "NULL", zErr);
    goto done;
  }
  rc = SQLITE_ERROR;
  if( j->src.nKey == 0 ){
    *pzErr = sqlite3_mprintf("pontoon_copy: source %s has no primary key: chunks are key ranges, "
      "so name the columns that identify a row with key= in its CREATE VIRTUAL TABLE", zSrc);
    goto done;
  }
  if( j->src.nKey > 64 ) goto done;
  j->aKeyKind = sqlite3_malloc64(sizeof(pt_kind) * j->src.nKey);
  if( !j->aKeyKind ){ rc = SQLITE_NOMEM; goto done; }
  for(int i = 0; i < j->src.nKey; i++){
    pt_kind k = j->src.aKind[j->src.aKey[i]];
    j->aKeyKind[i] = k;
  }
  /* the columns */
  const char *zCols = pt_opts_get(&o, "columns");
  j->aSrcCol = sqlite3_malloc64(sizeof(int) * (j->src.nCol + 1));
  j->aDstCol = sqlite3_malloc64(sizeof(int) * (j->src.nCol + 1));
  j->aSelKind = sqlite3_malloc64(sizeof(pt_kind) * (j->src.nCol + 1));
  if( !j->aSrcCol || !j->aDstCol || !j->aSelKind ){ rc = SQLITE_NOMEM; goto done; }
  if( zCols ){
    const char *z = zCols;
    while( *z ){
      while( *z == ' ' || *z == ',' ) z++;
      if( !*z ) break;
      const char *zStart = z;
      while( *z && *z != ',' ) z++;
      int n = (int)(z - zStart);
      while( n > 0 && zStart[n-1] == ' ' ) n--;
      char *zName = pt_strndup(zStart, n);
      int i = zName ? pt_end_find_col(&j->src, zName) : -1;
      if( i < 0 ){
        *pzErr = sqlite3_mprintf("pontoon_copy: columns=: the source %s has no column %s", zSrc,
                                 zName ? zName : "");
        sqlite3_free(zName);
        goto done;
      }
      sqlite3_free(zName);
      if( j->nCol < j->src.nCol ) j->aSrcCol[j->nCol++] = i;
    }
    for(int k = 0; k < j->src.nKey; k++){
      int found = 0;
      for(int i = 0; i < j->nCol; i++) if( j->aSrcCol[i] == j->src.aKey[k] ) found = 1;
      if( !found ){
        *pzErr = sqlite3_mprintf("pontoon_copy: columns= must include the key column %s",
                                 j->src.azCol[j->src.aKey[k]]);
        goto done;
      }
    }
  }else{
    for(int i = 0; i < j->src.nCol; i++) j->aSrcCol[j->nCol++] = i;
  }
  for(int i = 0; i < j->nCol; i++){
    const char *zName = j->src.azCol[j->aSrcCol[i]];
    int d = pt_end_find_col(&j->dst, zName);
    if( d < 0 ){
      *pzErr = sqlite3_mprintf("pontoon_copy: the target %s has no column %s (the source %s has it)",
                               zDst, zName, zSrc);
      goto done;
    }
    j->aDstCol[i] = d;
    j->aSelKind[i] = j->src.aKind[j->aSrcCol[i]];
    pt_kind from = j->aSelKind[i], to = j->dst.aKind[d];
    if( j->dst.pTab && j->src.pTab && !kinds_compatible(from, to) ){
      *pzErr = sqlite3_mprintf("pontoon_copy: column %s: the source's %s values cannot be written "
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
  if( (!j->src.pTab || !j->dst.pTab) && j->nWorker > 1 ) j->nWorker = 1;   /* docs/copy.md */
  if( j->nWorker > 1 && !j->dst.pDialect->zSkipLocked ) j->nWorker = 1;
  v = 0;
  if( pt_opts_int(&o, "max_rate", 0, INT64_MAX, &v, "pontoon_copy", pzErr) ) goto done;
  j->maxRate = (double)v;
  v = -1;
  if( pt_opts_int(&o, "progress", 0, 1, &v, "pontoon_copy", pzErr) ) goto done;
  j->progress = v < 0 ? isatty(2) : (int)v;
  const char *zMode = pt_opts_get(&o, "mode");
  if( zMode && strcmp(zMode, "insert") != 0 && strcmp(zMode, "upsert") != 0 ){
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
  for(int i = 0; i < j->nCol; i++) sqlite3_str_appendf(s, "%s%s", i ? "," : "", j->src.azCol[j->aSrcCol[i]]);
  if( j->zWhere ) sqlite3_str_appendf(s, " where='%q'", j->zWhere);
  if( j->fixedChunk ) sqlite3_str_appendf(s, " chunk=%lld", (long long)j->chunkRows);
  sqlite3_str_appendf(s, " mode=%s", j->upsert ? "upsert" : "insert");
  j->zOptions = sqlite3_str_finish(s);
  if( !j->zJob || !j->zOptions ){ rc = SQLITE_NOMEM; goto done; }
  for(int i = 0; i < 4; i++){
    if( read_sql(j, i & 1, i & 2, &j->aRead[i]) != SQLITE_OK ){ rc = SQLITE_NOMEM; goto done; }
  }
  pt_ledger_worker(j->zWorker, sizeof j->zWorker);
  rc = SQLITE_OK;
done:
  sqlite3_free(zErr);
  pt_opts_clear(&o);
  return rc;
}

/* ---- progress on stderr ---- */

static void draw_progress(copy_job *j, int64_t rowsDone, int final){
  if( !j->progress ) return;
  double t = now_seconds();
  if( !final && t - j->tProgress < 0.25 ) return;
  j->tProgress = t;
  double el = t - j->t0;
  double rate = el > 0 ? j->rowsThisCall / el : 0;
  char zEta[32] = "";
  if( rate > 0 && j->rowsTotal > rowsDone ){
    double eta = (j->rowsTotal - rowsDone) / rate;
    snprintf(zEta, sizeof zEta, " ETA %dm%02ds", (int)(eta / 60), (int)fmod(eta, 60));
  }
  double pct = j->rowsTotal > 0 ? 100.0 * rowsDone / j->rowsTotal : 100.0;
  fprintf(stderr, "\r%s: %lld / %lld rows (%.1f%%), %.0f rows/s%s\033[K%s", j->zJob,
          (long long)rowsDone, (long long)j->rowsTotal, pct > 100 ? 100 : pct, rate, zEta,
          final ? "\n" : "");
}

/* ---- the table-valued function ---- */

enum { COL_JOB, COL_STAGE, COL_CHUNK, COL_ROWS, COL_ROWS_DONE, COL_ROWS_TOTAL, COL_SECONDS,
       COL_NOTE, COL_SRC, COL_DST, COL_OPTIONS };

typedef struct copy_vtab {
  sqlite3_vtab base;
  sqlite3 *db;
  pt_registry *pReg;
} copy_vtab;

typedef struct copy_cursor {
  sqlite3_vtab_cursor base;
  copy_job *pJob;
  copy_worker *aWorker;
  int nWorker;
  int threads;               /* the workers run in threads */
  copy_out cur;
  int eof;
  int64_t iRow;
  int nBusy;                 /* claims that failed in a row */
  char *zNote;
} copy_cursor;

static int copyConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr){
  (void)argc; (void)argv; (void)pzErr;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(job TEXT, stage TEXT, chunk INTEGER, "
    "rows INTEGER, rows_done INTEGER, rows_total INTEGER, seconds REAL, note TEXT, "
    "src HIDDEN, dst HIDDEN, options HIDDEN)");
  if( rc != SQLITE_OK ) return rc;
  copy_vtab *v = sqlite3_malloc(sizeof(*v));
  if( !v ) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->db = db;
  v->pReg = pAux;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &v->base;
  return SQLITE_OK;
}

static int copyDisconnect(sqlite3_vtab *p){ sqlite3_free(p); return SQLITE_OK; }

/* idxNum bit 1: src, 2: dst, 4: options; argv in that order. */
static int copyBestIndex(sqlite3_vtab *p, sqlite3_index_info *info){
  (void)p;
  int aIdx[3] = { -1, -1, -1 };
  for(int i = 0; i < info->nConstraint; i++){
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if( c->iColumn < COL_SRC ) continue;
    if( c->op != SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( !c->usable ) return SQLITE_CONSTRAINT;
    aIdx[c->iColumn - COL_SRC] = i;
  }
  /* src or dst missing: xFilter says what pontoon_copy takes */
  int n = 0, idxNum = 0;
  for(int k = 0; k < 3; k++){
    if( aIdx[k] < 0 ) continue;
    info->aConstraintUsage[aIdx[k]].argvIndex = ++n;
    info->aConstraintUsage[aIdx[k]].omit = 1;
    idxNum |= 1 << k;
  }
  info->idxNum = idxNum;
  info->estimatedCost = 1e9;
  info->estimatedRows = 1000;
  return SQLITE_OK;
}

static int copyOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **pp){
  (void)p;
  copy_cursor *c = sqlite3_malloc(sizeof(*c));
  if( !c ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *pp = &c->base;
  return SQLITE_OK;
}

/* Stop the workers, give their connections back, free the job. */
static void cursor_reset(copy_cursor *c){
  copy_job *j = c->pJob;
  if( j ){
    pthread_mutex_lock(&j->mutex);
    j->stop = 1;
    pthread_mutex_unlock(&j->mutex);
  }
  for(int i = 0; i < c->nWorker; i++){
    copy_worker *w = &c->aWorker[i];
    if( w->started ) pthread_join(w->thread, 0);
    if( w->dst.inTxn ) pt_end_rollback(&w->dst);
    if( w->src.pConn ) pt_server_release(w->src.pServer, w->src.pConn);
    if( w->dst.pConn ) pt_server_release(w->dst.pServer, w->dst.pConn);
    sqlite3_free(w->zErr);
  }
  sqlite3_free(c->aWorker);
  c->aWorker = 0;
  c->nWorker = 0;
  job_free(j);
  c->pJob = 0;
  sqlite3_free(c->zNote);
  c->zNote = 0;
}

static int copyClose(sqlite3_vtab_cursor *cur){
  cursor_reset((copy_cursor*)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int cursor_error(copy_cursor *c, char *zMsg){
  sqlite3_vtab *v = c->base.pVtab;
  sqlite3_free(v->zErrMsg);
  v->zErrMsg = zMsg;
  return SQLITE_ERROR;
}

/*
** The next output row: one a worker has produced, else (without threads)
** the next step run here, else the end.  A worker's error is the
** statement's error.
*/
static int copyNext(sqlite3_vtab_cursor *cur){
  copy_cursor *c = (copy_cursor*)cur;
  copy_job *j = c->pJob;
  c->iRow++;
  if( !j ){ c->eof = 1; return SQLITE_OK; }
  while( 1 ){
    pthread_mutex_lock(&j->mutex);
    if( j->iOut < j->nOut ){
      c->cur = j->aOut[j->iOut++];
      pthread_mutex_unlock(&j->mutex);
      draw_progress(j, c->cur.rowsDone, 0);
      return SQLITE_OK;
    }
    if( c->threads ){
      if( j->nRunning > 0 ){
        pthread_cond_wait(&j->cond, &j->mutex);
        pthread_mutex_unlock(&j->mutex);
        continue;
      }
      pthread_mutex_unlock(&j->mutex);
      break;
    }
    int stop = j->stop;
    pthread_mutex_unlock(&j->mutex);
    if( stop ) break;
    /* no threads: one step of the only worker, here */
    copy_worker *w = &c->aWorker[0];
    char *zErr = 0;
    int rc = copy_step(w, &zErr);
    if( rc == SQLITE_BUSY && c->nBusy++ < 50 ){
      sqlite3_free(zErr);
      usleep(20000 + (useconds_t)(rand() % 50000));
      continue;
    }
    c->nBusy = 0;
    if( rc == SQLITE_DONE ){ j->stop = 1; continue; }
    if( rc != SQLITE_OK ){
      w->zErr = zErr;
      j->stop = 1;
      break;
    }
    throttle(j);
  }
  /* finished: a worker's error, or the end */
  for(int i = 0; i < c->nWorker; i++){
    if( c->aWorker[i].zErr ){
      char *z = c->aWorker[i].zErr;
      c->aWorker[i].zErr = 0;
      if( j->progress ) fputc('\n', stderr);
      return cursor_error(c, z);
    }
  }
  /* the job is complete when no chunk is left undone, in any session */
  pt_end *dst = &c->aWorker[0].dst;
  char zNow[40];
  pt_ledger_now(zNow);
  pt_param a[2] = { text_param(zNow, PT_K_TIMESTAMP), text_param(j->zJob, PT_K_TEXT) };
  char *zChunk = pt_ledger_name(dst, "chunk");
  char *zJobT = pt_ledger_name(dst, "job");
  pt_sql qf;
  pt_stmt stf;
  pt_end_sql(dst, &qf);
  pt_ledger_sqlf(&qf, "UPDATE %s SET state = 'copied', updated = %1 WHERE job = %2 "
                 "AND state = 'copying' AND NOT EXISTS (SELECT 1 FROM ", zJobT);
  pt_ledger_sqlf(&qf, "%s WHERE job = %2 AND state <> 'done')", zChunk);
  sqlite3_free(zChunk);
  sqlite3_free(zJobT);
  char *zErr = 0;
  int rc = pt_sql_finish(&qf, &stf);
  if( rc == SQLITE_OK ) rc = pt_end_exec(dst, &stf, 2, a, 0, &zErr);
  pt_stmt_clear(&stf);
  if( rc != SQLITE_OK ) return cursor_error(c, pt_end_error(dst, "writing the ledger", zErr));
  if( c->iRow == 1 && j->nOut == 0 && !c->zNote ){
    /* nothing was committed by this call: say why, in one row */
    c->zNote = sqlite3_mprintf("nothing to copy: every chunk of this job is done");
    c->cur.chunk = -1;
    c->cur.rows = 0;
    c->cur.rowsDone = j->rowsTotal;
    c->cur.seconds = 0;
    return SQLITE_OK;
  }
  if( j->nOut > 0 ) draw_progress(j, j->aOut[j->nOut - 1].rowsDone, 1);
  c->eof = 1;
  return SQLITE_OK;
}

/*
** xFilter: pontoon_copy(src, dst, options) starts.  The job is set up
** (everything refusable refused), each worker leases its pair of
** connections, the ledger is created if need be, the job found or planned,
** and with workers > 1 their threads start; then the first output row is
** produced (copyNext).  Errors are the statement's, with the message.
*/
static int copyFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                      int argc, sqlite3_value **argv){
  (void)idxStr;
  copy_cursor *c = (copy_cursor*)cur;
  copy_vtab *v = (copy_vtab*)cur->pVtab;
  cursor_reset(c);
  c->eof = 0;
  c->iRow = 0;
  const char *az[3] = { 0, 0, 0 };
  for(int k = 0, i = 0; k < 3 && i < argc; k++){
    if( idxNum & (1 << k) ) az[k] = (const char*)sqlite3_value_text(argv[i++]);
  }
  if( !(idxNum & 1) || !(idxNum & 2) ){
    return cursor_error(c, sqlite3_mprintf("pontoon_copy(src, dst [, options]): name the source "
                                           "and the target tables"));
  }
  if( !sqlite3_get_autocommit(v->db) ){
    return cursor_error(c, sqlite3_mprintf("pontoon_copy commits each chunk as it goes, so it "
                                           "cannot run inside a transaction: COMMIT first"));
  }
  copy_job *j = sqlite3_malloc(sizeof(*j));
  if( !j ) return SQLITE_NOMEM;
  memset(j, 0, sizeof(*j));
  pthread_mutex_init(&j->mutex, 0);
  pthread_cond_init(&j->cond, 0);
  j->db = v->db;
  c->pJob = j;
  char *zErr = 0;
  int rc = job_setup(j, v->pReg, az[0], az[1], az[2], &zErr);
  if( rc != SQLITE_OK ) return cursor_error(c, zErr ? zErr : sqlite3_mprintf("pontoon_copy: %s",
                                                                             sqlite3_errstr(rc)));
  /* workers: their own connections, leased here on this thread */
  c->aWorker = sqlite3_malloc64(sizeof(copy_worker) * j->nWorker);
  if( !c->aWorker ) return SQLITE_NOMEM;
  memset(c->aWorker, 0, sizeof(copy_worker) * j->nWorker);
  for(int i = 0; i < j->nWorker; i++){
    copy_worker *w = &c->aWorker[i];
    c->nWorker++;
    w->pJob = j;
    w->nClaim = 1;
    w->src = j->src;
    w->dst = j->dst;
    w->src.pConn = w->dst.pConn = 0;
    w->src.inTxn = w->dst.inTxn = 0;
    if( pt_end_connect(&w->src, &zErr) || pt_end_connect(&w->dst, &zErr) ){
      return cursor_error(c, zErr);
    }
  }
  copy_worker *w0 = &c->aWorker[0];
  decide_raw(j, w0);
  rc = pt_ledger_create(&w0->dst, &zErr);
  if( rc != SQLITE_OK ) return cursor_error(c, pt_end_error(&w0->dst, "ledger", zErr));
  /* the job's planning runs on worker 0's connections */
  pt_end src0 = j->src, dst0 = j->dst;
  j->src.pConn = w0->src.pConn; j->dst.pConn = w0->dst.pConn;
  int done = 0;
  rc = job_start(j, &done, &zErr);
  w0->dst.inTxn = 0;
  j->src.pConn = src0.pConn; j->dst.pConn = dst0.pConn;
  if( rc != SQLITE_OK ) return cursor_error(c, zErr);
  j->t0 = now_seconds();
  if( done ){
    j->stop = 1;
  }else if( j->nWorker > 1 ){
    c->threads = 1;
    for(int i = 0; i < j->nWorker; i++){
      copy_worker *w = &c->aWorker[i];
      pthread_mutex_lock(&j->mutex);
      j->nRunning++;
      pthread_mutex_unlock(&j->mutex);
      if( pthread_create(&w->thread, 0, worker_main, w) != 0 ){
        pthread_mutex_lock(&j->mutex);
        j->nRunning--;
        pthread_mutex_unlock(&j->mutex);
        break;
      }
      w->started = 1;
    }
  }
  c->iRow = 0;
  return copyNext(cur);
}

static int copyEof(sqlite3_vtab_cursor *cur){ return ((copy_cursor*)cur)->eof; }

static int copyColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  copy_cursor *c = (copy_cursor*)cur;
  copy_job *j = c->pJob;
  switch( i ){
    case COL_JOB: sqlite3_result_text(ctx, j->zJob, -1, SQLITE_TRANSIENT); break;
    case COL_STAGE:
      if( j->zStage ) sqlite3_result_text(ctx, j->zStage, -1, SQLITE_TRANSIENT);
      break;
    case COL_CHUNK: if( c->cur.chunk >= 0 ) sqlite3_result_int64(ctx, c->cur.chunk); break;
    case COL_ROWS: sqlite3_result_int64(ctx, c->cur.rows); break;
    case COL_ROWS_DONE: if( c->cur.rowsDone >= 0 ) sqlite3_result_int64(ctx, c->cur.rowsDone); break;
    case COL_ROWS_TOTAL: if( j->rowsTotal >= 0 ) sqlite3_result_int64(ctx, j->rowsTotal); break;
    case COL_SECONDS: sqlite3_result_double(ctx, c->cur.seconds); break;
    case COL_NOTE: if( c->cur.chunk < 0 && c->zNote ) sqlite3_result_text(ctx, c->zNote, -1, SQLITE_TRANSIENT); break;
    default: break;
  }
  return SQLITE_OK;
}

static int copyRowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *p){
  *p = ((copy_cursor*)cur)->iRow;
  return SQLITE_OK;
}

static sqlite3_module copyModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,
  /* xConnect    */ copyConnect,
  /* xBestIndex  */ copyBestIndex,
  /* xDisconnect */ copyDisconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ copyOpen,
  /* xClose      */ copyClose,
  /* xFilter     */ copyFilter,
  /* xNext       */ copyNext,
  /* xEof        */ copyEof,
  /* xColumn     */ copyColumn,
  /* xRowid      */ copyRowid,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

int pt_copy_register(sqlite3 *db, pt_registry *reg){
  return sqlite3_create_module_v2(db, "pontoon_copy", &copyModule, reg, 0);
}
