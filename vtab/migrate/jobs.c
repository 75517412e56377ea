/*
** jobs.c — the eponymous table pontoon_jobs: every job in the ledgers this
** connection can see, with its progress.
**
**   SELECT job, stage, state, rows_done, rows_total, round(done, 3), rows_per_second, eta
**     FROM pontoon_jobs;
**   SELECT stage, sum(rows_done), sum(rows_total) FROM pontoon_jobs GROUP BY stage;
**
** The ledgers are those of every registered server (each read on a
** connection of its own) and of every SQLite database of this connection
** (main and attached) that has one.  A server without a ledger, or that
** cannot be reached, shows no jobs.  Jobs run by other shells and other
** machines show as they commit their chunks.  The rate is over the last
** minute, from the chunks' finish times (the workers' clocks, in UTC).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include "migrate.h"

enum {
  J_JOB,
  J_STAGE,
  J_KIND,
  J_SRC,
  J_DST,
  J_STATE,
  J_ROWS_DONE,
  J_ROWS_TOTAL,
  J_DONE,
  J_RATE,
  J_ETA,
  J_CHUNKS_DONE,
  J_CHUNKS_TOTAL,
  J_STARTED,
  J_UPDATED,
  J_ERROR,
  J_LEDGER,
  J_NCOL
};

/* The text columns of one job row; numbers kept as numbers. */
typedef struct job_row {
  char *az[J_NCOL];
  int64_t rowsDone, rowsTotal, chunksDone, chunksTotal, rowsMinute;
  int hasTotal;
  double rate, eta, done;
  int hasRate;
} job_row;

typedef struct jobs_vtab {
  sqlite3_vtab base;
  sqlite3 *db;
  pt_registry *pReg;
} jobs_vtab;

typedef struct jobs_cursor {
  sqlite3_vtab_cursor base;
  job_row *aRow;
  int nRow, nAlloc, iRow;
} jobs_cursor;

/* Read the jobs of the ledger of end e (labelled zLedger) into c. */
static void read_ledger(jobs_cursor *c, pt_end *e, const char *zLedger, double now) {
  char *zJob = pt_ledger_name(e, "job");
  char *zChunk = pt_ledger_name(e, "chunk");
  pt_sql qs;
  pt_stmt st;
  pt_end_sql(e, &qs);
  pt_sqlf(
    &qs,
    "SELECT j.job, j.stage, j.kind, j.src, j.dst, j.state, j.rows_total, j.chunks_total, "
    "j.started, j.updated, j.error, "
    "(SELECT sum(c.rows_copied) FROM %s c WHERE c.job = j.job AND c.state = 'done'), "
    "(SELECT count(*) FROM %s c WHERE c.job = j.job AND c.state = 'done'), "
    "(SELECT max(c.finished) FROM %s c WHERE c.job = j.job), "
    "(SELECT sum(c.rows_copied) FROM %s c WHERE c.job = j.job AND c.state = 'done' AND c.finished >= %P) "
    "FROM %s j ORDER BY j.started, j.job",
    zChunk, zChunk, zChunk, zChunk, 1, zJob);
  sqlite3_free(zJob);
  sqlite3_free(zChunk);
  char *zSql = pt_sql_finish(&qs, &st) == SQLITE_OK ? st.zSql : 0;
  if( !zSql ) return;
  static const pt_kind aKind[] = { PT_K_TEXT,      PT_K_TEXT,      PT_K_TEXT,
                                   PT_K_TEXT,      PT_K_TEXT,      PT_K_TEXT,
                                   PT_K_INT,       PT_K_INT,       PT_K_TIMESTAMP,
                                   PT_K_TIMESTAMP, PT_K_TEXT,      PT_K_DECIMAL /* sum() */,
                                   PT_K_INT,       PT_K_TIMESTAMP, PT_K_DECIMAL };
  char zSince[40];
  {
    time_t t = (time_t)(now - 60);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(zSince, sizeof zSince, "%Y-%m-%d %H:%M:%S", &tm);
  }
  pt_param p = { zSince, (int)strlen(zSince), PT_K_TIMESTAMP, 0 };
  pt_end_rows *q = 0;
  char *zErr = 0;
  int rc = pt_end_query(e, &st, 1, &p, 15, aKind, &q, &zErr);
  pt_stmt_clear(&st);
  if( rc != SQLITE_OK ) {
    sqlite3_free(zErr); /* no ledger there */
    return;
  }
  while( pt_end_rows_next(q, &zErr) == SQLITE_ROW ) {
    if( c->nRow == c->nAlloc ) {
      int n = c->nAlloc ? c->nAlloc * 2 : 8;
      job_row *a = sqlite3_realloc64(c->aRow, sizeof(job_row) * n);
      if( !a ) break;
      c->aRow = a;
      c->nAlloc = n;
    }
    job_row *r = &c->aRow[c->nRow++];
    memset(r, 0, sizeof(*r));
    pt_value v[15];
    for( int i = 0; i < 15; i++ ) pt_end_rows_column(q, i, &v[i]);
    static const int aText[][2] = {
      { 0, J_JOB }, { 1, J_STAGE }, { 2, J_KIND },    { 3, J_SRC },
      { 4, J_DST }, { 5, J_STATE }, { 8, J_STARTED }, { 10, J_ERROR }
    };
    for( size_t i = 0; i < sizeof(aText) / sizeof(aText[0]); i++ ) {
      const pt_value *x = &v[aText[i][0]];
      if( x->type != PT_V_NULL ) r->az[aText[i][1]] = pt_strndup(x->p ? x->p : "", x->n);
    }
    /* updated: the later of the job's own time and its last chunk's */
    const pt_value *u = &v[9], *f = &v[13];
    char *zU = u->type == PT_V_NULL ? 0 : pt_strndup(u->p, u->n);
    char *zF = f->type == PT_V_NULL ? 0 : pt_strndup(f->p, f->n);
    if( zF && (!zU || pt_utc_seconds(zF) > pt_utc_seconds(zU)) ) {
      r->az[J_UPDATED] = zF;
      sqlite3_free(zU);
    } else {
      r->az[J_UPDATED] = zU;
      sqlite3_free(zF);
    }
    r->az[J_LEDGER] = pt_strdup(zLedger);
    r->hasTotal = v[6].type != PT_V_NULL;
    r->rowsTotal = pt_value_int(&v[6]);
    r->chunksTotal = pt_value_int(&v[7]);
    r->rowsDone = pt_value_int(&v[11]);
    r->chunksDone = pt_value_int(&v[12]);
    r->rowsMinute = pt_value_int(&v[14]);
    r->done = r->rowsTotal > 0 ? (double)r->rowsDone / r->rowsTotal : r->hasTotal ? 1.0 : 0.0;
    if( r->done > 1 ) r->done = 1;
    if( r->chunksTotal > 0 && r->chunksDone == r->chunksTotal ) r->done = 1;
    /* rows/s over the last minute, or since the start when it is younger */
    double started = pt_utc_seconds(r->az[J_STARTED]);
    double window = started > 0 && now - started < 60 ? now - started : 60;
    if( r->rowsMinute > 0 && window > 0 ) {
      r->hasRate = 1;
      r->rate = r->rowsMinute / window;
      r->eta = r->rowsTotal > r->rowsDone ? (r->rowsTotal - r->rowsDone) / r->rate : 0;
    }
  }
  sqlite3_free(zErr);
  pt_end_rows_close(q);
}

/* pt_ledger_each's callback: one ledger's jobs (an unreachable server has
** none to show) */
typedef struct jobs_read {
  jobs_cursor *c;
  double now;
} jobs_read;
static int jobs_read_one(void *p, pt_end *e, const char *zName, pt_server *s) {
  jobs_read *r = p;
  (void)s;
  if( e ) read_ledger(r->c, e, zName, r->now);
  return SQLITE_OK;
}

static int jobsConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  int rc = sqlite3_declare_vtab(
    db,
    "CREATE TABLE x(job TEXT, stage TEXT, kind TEXT, src TEXT, "
    "dst TEXT, state TEXT, rows_done INTEGER, rows_total INTEGER, done REAL, "
    "rows_per_second REAL, eta REAL, chunks_done INTEGER, chunks_total INTEGER, "
    "started TEXT, updated TEXT, error TEXT, ledger TEXT)");
  if( rc != SQLITE_OK ) return rc;
  jobs_vtab *v = sqlite3_malloc(sizeof(*v));
  if( !v ) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->db = db;
  v->pReg = pAux;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &v->base;
  return SQLITE_OK;
}

static int jobsDisconnect(sqlite3_vtab *p) {
  sqlite3_free(p);
  return SQLITE_OK;
}

static int jobsBestIndex(sqlite3_vtab *p, sqlite3_index_info *info) {
  (void)p;
  info->estimatedCost = 1000;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

static int jobsOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **pp) {
  (void)p;
  jobs_cursor *c = sqlite3_malloc(sizeof(*c));
  if( !c ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *pp = &c->base;
  return SQLITE_OK;
}

static void rows_free(jobs_cursor *c) {
  for( int i = 0; i < c->nRow; i++ ) {
    for( int k = 0; k < J_NCOL; k++ ) sqlite3_free(c->aRow[i].az[k]);
  }
  sqlite3_free(c->aRow);
  c->aRow = 0;
  c->nRow = c->nAlloc = c->iRow = 0;
}

static int jobsClose(sqlite3_vtab_cursor *cur) {
  rows_free((jobs_cursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* xFilter: read every ledger now (local databases first, then each
** registered server once) into the cursor's rows. */
static int jobsFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  (void)idxNum;
  (void)idxStr;
  (void)argc;
  (void)argv;
  jobs_cursor *c = (jobs_cursor *)cur;
  jobs_vtab *v = (jobs_vtab *)cur->pVtab;
  rows_free(c);
  struct timeval tv;
  gettimeofday(&tv, 0);
  double now = (double)tv.tv_sec + tv.tv_usec / 1e6;
  jobs_read r = { c, now };
  pt_ledger_each(v->db, v->pReg, jobs_read_one, &r);
  c->iRow = 0;
  return SQLITE_OK;
}

static int jobsNext(sqlite3_vtab_cursor *cur) {
  ((jobs_cursor *)cur)->iRow++;
  return SQLITE_OK;
}
static int jobsEof(sqlite3_vtab_cursor *cur) {
  jobs_cursor *c = (jobs_cursor *)cur;
  return c->iRow >= c->nRow;
}

static int jobsColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  jobs_cursor *c = (jobs_cursor *)cur;
  job_row *r = &c->aRow[c->iRow];
  switch( i ) {
    case J_ROWS_DONE: sqlite3_result_int64(ctx, r->rowsDone); break;
    case J_ROWS_TOTAL:
      if( r->hasTotal ) sqlite3_result_int64(ctx, r->rowsTotal);
      break;
    case J_DONE: sqlite3_result_double(ctx, r->done); break;
    case J_RATE:
      if( r->hasRate ) sqlite3_result_double(ctx, r->rate);
      break;
    case J_ETA:
      if( r->hasRate ) sqlite3_result_double(ctx, r->eta);
      break;
    case J_CHUNKS_DONE: sqlite3_result_int64(ctx, r->chunksDone); break;
    case J_CHUNKS_TOTAL:
      if( r->hasTotal ) sqlite3_result_int64(ctx, r->chunksTotal);
      break;
    default:
      if( i < J_NCOL && r->az[i] ) sqlite3_result_text(ctx, r->az[i], -1, SQLITE_TRANSIENT);
      break;
  }
  return SQLITE_OK;
}

static int jobsRowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *p) {
  *p = ((jobs_cursor *)cur)->iRow + 1;
  return SQLITE_OK;
}

static sqlite3_module jobsModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,
  /* xConnect    */ jobsConnect,
  /* xBestIndex  */ jobsBestIndex,
  /* xDisconnect */ jobsDisconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ jobsOpen,
  /* xClose      */ jobsClose,
  /* xFilter     */ jobsFilter,
  /* xNext       */ jobsNext,
  /* xEof        */ jobsEof,
  /* xColumn     */ jobsColumn,
  /* xRowid      */ jobsRowid,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0
};

int pt_jobs_register(sqlite3 *db, pt_registry *reg) {
  return sqlite3_create_module_v2(db, "pontoon_jobs", &jobsModule, reg, 0);
}
