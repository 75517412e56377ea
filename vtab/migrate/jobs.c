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

static int64_t value_int(const pt_value *v) {
  switch( v->type ) {
    case PT_V_INT: return v->i;
    case PT_V_REAL: return (int64_t)v->r;
    case PT_V_NULL: return 0;
    default: return v->p ? strtoll(v->p, 0, 10) : 0;
  }
}

/* Seconds since the epoch of 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC, or -1. */
static double utc_seconds(const char *z) {
  int Y, M, D, h, m;
  double s;
  if( !z || sscanf(z, "%d-%d-%d%*[ T]%d:%d:%lf", &Y, &M, &D, &h, &m, &s) != 6 ) return -1;
  return (double)pt_days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400.0 + h * 3600 + m * 60 + s;
}

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
    if( zF && (!zU || utc_seconds(zF) > utc_seconds(zU)) ) {
      r->az[J_UPDATED] = zF;
      sqlite3_free(zU);
    } else {
      r->az[J_UPDATED] = zU;
      sqlite3_free(zF);
    }
    r->az[J_LEDGER] = pt_strdup(zLedger);
    r->hasTotal = v[6].type != PT_V_NULL;
    r->rowsTotal = value_int(&v[6]);
    r->chunksTotal = value_int(&v[7]);
    r->rowsDone = value_int(&v[11]);
    r->chunksDone = value_int(&v[12]);
    r->rowsMinute = value_int(&v[14]);
    r->done = r->rowsTotal > 0 ? (double)r->rowsDone / r->rowsTotal : r->hasTotal ? 1.0 : 0.0;
    if( r->done > 1 ) r->done = 1;
    if( r->chunksTotal > 0 && r->chunksDone == r->chunksTotal ) r->done = 1;
    /* rows/s over the last minute, or since the start when it is younger */
    double started = utc_seconds(r->az[J_STARTED]);
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
  /* the local databases that hold a ledger */
  sqlite3_stmt *st = 0;
  if( sqlite3_prepare_v2(v->db, "SELECT name FROM pragma_database_list", -1, &st, 0) ==
      SQLITE_OK ) {
    while( sqlite3_step(st) == SQLITE_ROW ) {
      const char *zDb = (const char *)sqlite3_column_text(st, 0);
      char *zCheck =
        sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_master WHERE name = 'pontoon_job'", zDb);
      sqlite3_stmt *ck = 0;
      int has = zCheck && sqlite3_prepare_v2(v->db, zCheck, -1, &ck, 0) == SQLITE_OK &&
        sqlite3_step(ck) == SQLITE_ROW;
      sqlite3_finalize(ck);
      sqlite3_free(zCheck);
      if( !has ) continue;
      pt_end e;
      pt_end_local(v->db, v->pReg, zDb, &e);
      read_ledger(c, &e, zDb, now);
      pt_end_close(&e);
    }
  }
  sqlite3_finalize(st);
  /* every registered server; a database registered under two names shows
  ** its jobs once, under the first */
  char **azSeen = 0;
  int nSeen = 0;
  for( pt_server *s = v->pReg->pServers; s; s = s->pNext ) {
    pt_end e;
    pt_end_server(v->db, v->pReg, s, &e);
    char *zErr = 0;
    if( pt_end_connect(&e, &zErr) == SQLITE_OK ) {
      pt_server_info info;
      memset(&info, 0, sizeof(info));
      s->pDriver->xInfo(e.pConn, &info);
      /* the same database through two drivers (native and ODBC) too */
      char *zWhere =
        sqlite3_mprintf("%s\t%s\t%s", info.zHost ? info.zHost : "", info.zPort ? info.zPort : "",
                        info.zDatabase ? info.zDatabase : "");
      int seen = 0;
      for( int i = 0; zWhere && i < nSeen; i++ )
        if( strcmp(azSeen[i], zWhere) == 0 ) seen = 1;
      char **az = zWhere && !seen ? sqlite3_realloc64(azSeen, sizeof(char *) * (nSeen + 1)) : 0;
      if( az ) {
        azSeen = az;
        azSeen[nSeen++] = zWhere;
        zWhere = 0;
      }
      sqlite3_free(zWhere);
      if( !seen ) read_ledger(c, &e, s->zName, now);
    }
    sqlite3_free(zErr);
    pt_end_close(&e);
  }
  for( int i = 0; i < nSeen; i++ ) sqlite3_free(azSeen[i]);
  sqlite3_free(azSeen);
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
