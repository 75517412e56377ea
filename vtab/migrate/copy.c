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
** This file is the table-valued function and its progress display;
** copy_plan.c the job, its plan and its SQL; copy_chunks.c the workers.
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
#include "copy.h"

/* ---- progress on stderr ---- */

static void draw_progress(copy_job *j, int64_t rowsDone, int final) {
  if( !j->progress ) return;
  double t = copy_now();
  if( !final && t - j->tProgress < 0.25 ) return;
  j->tProgress = t;
  double el = t - j->t0;
  double rate = el > 0 ? j->rowsThisCall / el : 0;
  char zEta[32] = "";
  if( rate > 0 && j->rowsTotal > rowsDone ) {
    double eta = (j->rowsTotal - rowsDone) / rate;
    snprintf(zEta, sizeof zEta, " ETA %dm%02ds", (int)(eta / 60), (int)fmod(eta, 60));
  }
  double pct = j->rowsTotal > 0 ? 100.0 * rowsDone / j->rowsTotal : 100.0;
  fprintf(stderr, "\r%s: %lld / %lld rows (%.1f%%), %.0f rows/s%s\033[K%s", j->zJob,
          (long long)rowsDone, (long long)j->rowsTotal, pct > 100 ? 100 : pct, rate, zEta,
          final ? "\n" : "");
}

/* ---- the table-valued function ---- */

enum {
  COL_JOB,
  COL_STAGE,
  COL_CHUNK,
  COL_ROWS,
  COL_ROWS_DONE,
  COL_ROWS_TOTAL,
  COL_SECONDS,
  COL_NOTE,
  COL_SRC,
  COL_DST,
  COL_OPTIONS
};

typedef struct copy_cursor {
  sqlite3_vtab_cursor base;
  copy_job *pJob;
  copy_worker *aWorker;
  int nWorker;
  int threads; /* the workers run in threads */
  copy_out cur;
  int eof;
  int64_t iRow;
  int nBusy; /* claims that failed in a row */
  char *zNote;
} copy_cursor;

static int copyConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  return pt_tvf_connect(db, pAux,
                        "CREATE TABLE x(job TEXT, stage TEXT, chunk INTEGER, "
                        "rows INTEGER, rows_done INTEGER, rows_total INTEGER, seconds REAL, "
                        "note TEXT, src HIDDEN, dst HIDDEN, options HIDDEN)",
                        ppVtab);
}

/* src, dst, options: idxNum bit 1, 2, 4 */
static int copyBestIndex(sqlite3_vtab *p, sqlite3_index_info *info) {
  (void)p;
  return pt_tvf_best_index(info, COL_SRC, 3);
}

static int copyOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **pp) {
  (void)p;
  copy_cursor *c = sqlite3_malloc(sizeof(*c));
  if( !c ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *pp = &c->base;
  return SQLITE_OK;
}

/* Stop the workers, give their connections back, free the job. */
static void cursor_reset(copy_cursor *c) {
  copy_job *j = c->pJob;
  if( j ) {
    pthread_mutex_lock(&j->mutex);
    j->stop = 1;
    pthread_mutex_unlock(&j->mutex);
    copy_lanes_ready(j);
  }
  for( int i = 0; i < c->nWorker; i++ ) {
    copy_worker *w = &c->aWorker[i];
    if( w->started ) pthread_join(w->thread, 0);
    char *zErr = 0;
    copy_worker_settle(w, &zErr); /* a claim still ending: it ends */
    sqlite3_free(zErr);
    for( int l = 0; l < 2; l++ ) {
      pt_end *d = &w->aDst[l];
      pt_end_writer_close(w->apWriter[l]);
      w->apWriter[l] = 0;
      if( d->inTxn ) pt_end_rollback(d);
      if( d->pConn ) pt_server_release(d->pServer, d->pConn);
    }
    if( w->src.pConn ) pt_server_release(w->src.pServer, w->src.pConn);
    sqlite3_free(w->zErr);
  }
  sqlite3_free(c->aWorker);
  c->aWorker = 0;
  c->nWorker = 0;
  copy_job_free(j);
  c->pJob = 0;
  sqlite3_free(c->zNote);
  c->zNote = 0;
}

static int copyClose(sqlite3_vtab_cursor *cur) {
  cursor_reset((copy_cursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int cursor_error(copy_cursor *c, char *zMsg) { return pt_tvf_error(&c->base, zMsg); }

/*
** The next output row: one a worker has produced, else (without threads)
** the next step run here, else the end.  A worker's error is the
** statement's error.
*/
static int copyNext(sqlite3_vtab_cursor *cur) {
  copy_cursor *c = (copy_cursor *)cur;
  copy_job *j = c->pJob;
  c->iRow++;
  if( !j ) {
    c->eof = 1;
    return SQLITE_OK;
  }
  while( 1 ) {
    pthread_mutex_lock(&j->mutex);
    if( j->iOut < j->nOut ) {
      c->cur = j->aOut[j->iOut++];
      pthread_mutex_unlock(&j->mutex);
      if( !c->threads ) copy_lanes_ready(j); /* SQLite may use the pools again */
      draw_progress(j, c->cur.rowsDone, 0);
      return SQLITE_OK;
    }
    if( c->threads ) {
      if( j->nRunning > 0 ) {
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
    if( rc == SQLITE_BUSY && c->nBusy++ < 50 ) {
      sqlite3_free(zErr);
      usleep(20000 + (useconds_t)(rand() % 50000));
      continue;
    }
    c->nBusy = 0;
    if( rc == SQLITE_DONE ) {
      j->stop = 1;
      continue;
    }
    if( rc != SQLITE_OK ) {
      w->zErr = zErr;
      j->stop = 1;
      break;
    }
    copy_throttle(j);
  }
  copy_lanes_ready(j);
  /* finished: a worker's error, or the end (a claim still ending, ended) */
  for( int i = 0; i < c->nWorker && !c->threads; i++ ) {
    char *zErr = 0;
    if( copy_worker_settle(&c->aWorker[i], &zErr) != SQLITE_OK ) {
      if( !c->aWorker[i].zErr )
        c->aWorker[i].zErr = zErr;
      else
        sqlite3_free(zErr);
    }
  }
  for( int i = 0; i < c->nWorker; i++ ) {
    if( c->aWorker[i].zErr ) {
      char *z = c->aWorker[i].zErr;
      c->aWorker[i].zErr = 0;
      if( j->progress ) fputc('\n', stderr);
      return cursor_error(c, z);
    }
  }
  /* the job is complete when no chunk is left undone, in any session */
  pt_end *dst = &c->aWorker[0].aDst[0];
  char zNow[40];
  pt_ledger_now(zNow);
  pt_param a[2] = { copy_param(zNow, PT_K_TIMESTAMP), copy_param(j->zJob, PT_K_TEXT) };
  char *zChunk = pt_ledger_name(dst, "chunk");
  char *zJobT = pt_ledger_name(dst, "job");
  pt_sql qf;
  pt_stmt stf;
  pt_end_sql(dst, &qf);
  pt_ledger_sqlf(&qf,
                 "UPDATE %s SET state = 'copied', updated = %1 WHERE job = %2 "
                 "AND state = 'copying' AND NOT EXISTS (SELECT 1 FROM ",
                 zJobT);
  pt_ledger_sqlf(&qf, "%s WHERE job = %2 AND state <> 'done')", zChunk);
  sqlite3_free(zChunk);
  sqlite3_free(zJobT);
  char *zErr = 0;
  int rc = pt_sql_finish(&qf, &stf);
  if( rc == SQLITE_OK ) rc = pt_end_exec(dst, &stf, 2, a, 0, &zErr);
  pt_stmt_clear(&stf);
  if( rc != SQLITE_OK ) return cursor_error(c, pt_end_error(dst, "writing the ledger", zErr));
  if( c->iRow == 1 && j->nOut == 0 && !c->zNote ) {
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
** The target connections each worker uses: two (its transactions overlap,
** copy_chunks.c) when the target is a server whose claims skip the rows
** another transaction has locked (SKIP LOCKED), so that a worker's next
** claim passes over the chunks its previous transaction is still
** committing; else one.  PONTOON_COPY_NO_OVERLAP=1 asks for one
** (docs/copy.md: for measurements).  Only where the dialect says
** overlapClaims (PostgreSQL): on MariaDB the next
** claim's ledger write waits on the row locks of the transaction still
** committing (InnoDB locks the index records a locking read scans, skipped
** or not), and the copy stalled until the lock wait timeout (seen copying
** 100,000 rows into MariaDB: tests/scripts/diff_engines.sh).
*/
static int copy_lanes(copy_job *j) {
  if( !j->dst.pServer || !j->dst.pDialect || !j->dst.pDialect->zSkipLocked ) return 1;
  if( !j->dst.pDialect->overlapClaims ) return 1;
  const char *z = getenv("PONTOON_COPY_NO_OVERLAP");
  if( z && z[0] && strcmp(z, "0") != 0 ) return 1;
  return 2;
}

/* Lease connections for every worker: its source (src), or its target on
** lane iLane, with that lane's writer opened (a writer that cannot open
** here is opened again, and its error reported, by the first claim). */
typedef struct lease_task {
  copy_cursor *c;
  int src;
  int iLane;
  int rc;
  char *zErr;
  char **azType; /* worker 0's end's column types, for copy_decide_raw */
  pthread_t thread;
  int threaded;
} lease_task;

static void *lease_side(void *p) {
  lease_task *t = p;
  copy_job *j = t->c->pJob;
  for( int i = 0; i < t->c->nWorker && t->rc == SQLITE_OK; i++ ) {
    copy_worker *w = &t->c->aWorker[i];
    int wantTypes = i == 0 && t->iLane == 0 && copy_raw_candidate(j);
    char *zErr = 0;
    if( t->src ) {
      t->rc = pt_end_connect(&w->src, &t->zErr);
      if( t->rc == SQLITE_OK && wantTypes ) pt_end_types(&w->src, &t->azType, &zErr);
      sqlite3_free(zErr);
      continue;
    }
    if( t->iLane >= w->nLane ) continue;
    pt_end *d = &w->aDst[t->iLane];
    t->rc = pt_end_connect(d, &t->zErr);
    if( t->rc == SQLITE_OK && wantTypes ) pt_end_types(d, &t->azType, &zErr);
    sqlite3_free(zErr);
    if( t->rc == SQLITE_OK && d->pServer ) {
      zErr = 0;
      if( pt_end_writer_open(d, j->nCol, j->aDstCol, j->upsert, &w->apWriter[t->iLane], &zErr) )
        w->apWriter[t->iLane] = 0;
      sqlite3_free(zErr);
    }
  }
  return 0;
}

/*
** Wait for the workers' second target connections (lease_all leases them
** on a thread while the job is planned and the first claim copied); a
** worker that did not get one keeps one lane.  Called on the thread that
** runs pontoon_copy, before worker threads start or a step needs lane 1.
*/
void copy_lanes_ready(copy_job *j) {
  lease_task *t = j->pLeaser;
  if( !t ) return;
  j->pLeaser = 0;
  if( t->threaded ) pthread_join(t->thread, 0);
  for( int i = 0; i < t->c->nWorker; i++ ) {
    copy_worker *w = &t->c->aWorker[i];
    if( w->nLane == 2 && (t->rc != SQLITE_OK || !w->aDst[1].pConn) ) {
      pt_end_writer_close(w->apWriter[1]);
      w->apWriter[1] = 0;
      if( w->aDst[1].pConn ) pt_server_release(w->aDst[1].pServer, w->aDst[1].pConn);
      w->aDst[1].pConn = 0;
      w->nLane = 1; /* a step on lane 1 goes back to lane 0 (copy_step) */
    }
  }
  sqlite3_free(t->zErr);
  sqlite3_free(t);
}

/*
** Lease every worker's connections.  Over a network a connection's opening
** is several round trips, so they open at once where that is safe (a
** server's pool is touched by one thread at a time): the sources on one
** thread and the targets' first lane on this one when they are two
** servers, and the targets' second lane on a thread of its own that runs
** on while the job is planned and the first claim copied
** (copy_lanes_ready waits for it).
*/
static int lease_all(copy_cursor *c, char **pzErr) {
  copy_job *j = c->pJob;
  lease_task aTask[2];
  memset(aTask, 0, sizeof(aTask));
  aTask[0].c = aTask[1].c = c;
  aTask[0].src = 1;
  int threaded = j->src.pServer && j->dst.pServer && j->src.pServer != j->dst.pServer &&
    pthread_create(&aTask[0].thread, 0, lease_side, &aTask[0]) == 0;
  if( !threaded ) lease_side(&aTask[0]);
  lease_side(&aTask[1]);
  if( threaded ) pthread_join(aTask[0].thread, 0);
  copy_decide_raw(j, aTask[0].azType, aTask[1].azType);
  for( int k = 0; k < 2; k++ ) {
    sqlite3_free(aTask[k].azType);
    if( aTask[k].rc != SQLITE_OK && !*pzErr ) {
      *pzErr = aTask[k].zErr;
      aTask[k].zErr = 0;
    }
    sqlite3_free(aTask[k].zErr);
  }
  if( *pzErr ) return SQLITE_ERROR;
  int nLane = 1;
  for( int i = 0; i < c->nWorker; i++ ) {
    copy_worker *w = &c->aWorker[i];
    if( w->nLane == 2 && !w->aDst[0].pDialect->zSkipLocked ) w->nLane = 1;
    if( w->nLane == 2 ) nLane = 2;
  }
  if( nLane == 2 ) {
    /* the second lanes: no pool is touched by another thread until
    ** copy_lanes_ready, which runs before any row goes back to SQLite */
    lease_task *t = sqlite3_malloc(sizeof(*t));
    if( t ) {
      memset(t, 0, sizeof(*t));
      t->c = c;
      t->iLane = 1;
      t->threaded = pthread_create(&t->thread, 0, lease_side, t) == 0;
      if( !t->threaded ) lease_side(t);
      j->pLeaser = t;
    }
  }
  return SQLITE_OK;
}

/*
** xFilter: pontoon_copy(src, dst, options) starts.  The job is set up
** (everything refusable refused), each worker leases its connections
** (lease_all), the ledger is created if need be, the job found or planned,
** and with workers > 1 their threads start; then the first output row is
** produced (copyNext).  Errors are the statement's, with the message.
*/
static int copyFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  (void)idxStr;
  copy_cursor *c = (copy_cursor *)cur;
  pt_tvf_vtab *v = (pt_tvf_vtab *)cur->pVtab;
  cursor_reset(c);
  c->eof = 0;
  c->iRow = 0;
  const char *az[3];
  pt_tvf_args(idxNum, argc, argv, 3, az);
  if( !(idxNum & 1) || !(idxNum & 2) ) {
    return cursor_error(c,
                        sqlite3_mprintf("pontoon_copy(src, dst [, options]): name the source "
                                        "and the target tables"));
  }
  if( !sqlite3_get_autocommit(v->db) ) {
    return cursor_error(c,
                        sqlite3_mprintf("pontoon_copy commits each chunk as it goes, so it "
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
  int rc = copy_job_setup(j, v->pReg, az[0], az[1], az[2], &zErr);
  if( rc != SQLITE_OK )
    return cursor_error(c, zErr ? zErr : sqlite3_mprintf("pontoon_copy: %s", sqlite3_errstr(rc)));
  /* workers: their own connections, leased here */
  c->aWorker = sqlite3_malloc64(sizeof(copy_worker) * j->nWorker);
  if( !c->aWorker ) return SQLITE_NOMEM;
  memset(c->aWorker, 0, sizeof(copy_worker) * j->nWorker);
  int nLane = copy_lanes(j);
  for( int i = 0; i < j->nWorker; i++ ) {
    copy_worker *w = &c->aWorker[i];
    c->nWorker++;
    w->pJob = j;
    w->nClaim = j->fixedChunk ? 1 : 8; /* without chunk=: adapted after each claim */
    w->nLane = nLane;
    w->src = j->src;
    w->src.pConn = 0;
    w->src.inTxn = 0;
    for( int l = 0; l < nLane; l++ ) {
      w->aDst[l] = j->dst;
      w->aDst[l].pConn = 0;
      w->aDst[l].inTxn = 0;
    }
  }
  if( lease_all(c, &zErr) ) return cursor_error(c, zErr);
  copy_worker *w0 = &c->aWorker[0];
  /* the job's planning runs on worker 0's connections */
  pt_end src0 = j->src, dst0 = j->dst;
  j->src.pConn = w0->src.pConn;
  j->dst.pConn = w0->aDst[0].pConn;
  int done = 0;
  rc = copy_job_start(j, &done, &zErr);
  w0->aDst[0].inTxn = 0;
  j->src.pConn = src0.pConn;
  j->dst.pConn = dst0.pConn;
  if( rc != SQLITE_OK ) return cursor_error(c, zErr);
  j->t0 = copy_now();
  if( done ) {
    j->stop = 1;
  } else if( j->nWorker > 1 ) {
    copy_lanes_ready(j); /* before the workers' threads use them */
    c->threads = 1;
    for( int i = 0; i < j->nWorker; i++ ) {
      copy_worker *w = &c->aWorker[i];
      pthread_mutex_lock(&j->mutex);
      j->nRunning++;
      pthread_mutex_unlock(&j->mutex);
      if( pthread_create(&w->thread, 0, copy_worker_main, w) != 0 ) {
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

static int copyEof(sqlite3_vtab_cursor *cur) { return ((copy_cursor *)cur)->eof; }

static int copyColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  copy_cursor *c = (copy_cursor *)cur;
  copy_job *j = c->pJob;
  switch( i ) {
    case COL_JOB: sqlite3_result_text(ctx, j->zJob, -1, SQLITE_TRANSIENT); break;
    case COL_STAGE:
      if( j->zStage ) sqlite3_result_text(ctx, j->zStage, -1, SQLITE_TRANSIENT);
      break;
    case COL_CHUNK:
      if( c->cur.chunk >= 0 ) sqlite3_result_int64(ctx, c->cur.chunk);
      break;
    case COL_ROWS: sqlite3_result_int64(ctx, c->cur.rows); break;
    case COL_ROWS_DONE:
      if( c->cur.rowsDone >= 0 ) sqlite3_result_int64(ctx, c->cur.rowsDone);
      break;
    case COL_ROWS_TOTAL:
      if( j->rowsTotal >= 0 ) sqlite3_result_int64(ctx, j->rowsTotal);
      break;
    case COL_SECONDS: sqlite3_result_double(ctx, c->cur.seconds); break;
    case COL_NOTE:
      if( c->cur.chunk < 0 && c->zNote ) sqlite3_result_text(ctx, c->zNote, -1, SQLITE_TRANSIENT);
      break;
    default: break;
  }
  return SQLITE_OK;
}

static int copyRowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *p) {
  *p = ((copy_cursor *)cur)->iRow;
  return SQLITE_OK;
}

static sqlite3_module copyModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,
  /* xConnect    */ copyConnect,
  /* xBestIndex  */ copyBestIndex,
  /* xDisconnect */ pt_tvf_disconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ copyOpen,
  /* xClose      */ copyClose,
  /* xFilter     */ copyFilter,
  /* xNext       */ copyNext,
  /* xEof        */ copyEof,
  /* xColumn     */ copyColumn,
  /* xRowid      */ copyRowid,
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

int pt_copy_register(sqlite3 *db, pt_registry *reg) {
  return sqlite3_create_module_v2(db, "pontoon_copy", &copyModule, reg, 0);
}
