/*
** ledger.c — the ledger: plain tables in the target database that say what
** each migration job did (docs/ledger.md).
**
**   PostgreSQL:   pontoon.job, pontoon.chunk, pontoon.sync_batch   (schema pontoon)
**   MySQL:        pontoon_job, pontoon_chunk, pontoon_sync_batch   (the target's database)
**   SQLite:       pontoon_job, pontoon_chunk, pontoon_sync_batch   (the target's schema)
**
** It lives beside the data it describes, so that a chunk's rows and the
** ledger row that says it is done commit in one transaction: a copy killed
** at any instant leaves either both or neither.  The tables are created on
** first use, with the types the target's dialect names (azLedgerType), and
** anyone may query them.  Every statement on them is written here.
**
** Rationale: the ledger holds table names, key values of chunk boundaries
** and error messages; never a connection string or a password.
*/
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "migrate.h"

/* The ledger table zTable ("job", "chunk") of end e, quoted for its engine. */
char *pt_ledger_name(pt_end *e, const char *zTable) {
  const pt_dialect *d = e->pDialect;
  sqlite3_str *s = sqlite3_str_new(0);
  if( e->zDb ) {
    /* a local target: the schema that holds it */
    sqlite3_str_appendf(s, "\"%w\".", e->zDb);
  }
  if( d->zLedgerSchema ) {
    d->xQuoteIdent(s, d->zLedgerSchema);
    sqlite3_str_appendchar(s, 1, '.');
    d->xQuoteIdent(s, zTable);
  } else {
    char *z = sqlite3_mprintf("pontoon_%s", zTable);
    if( z ) d->xQuoteIdent(s, z);
    sqlite3_free(z);
  }
  return sqlite3_str_finish(s);
}

/* The current time, UTC, as 'YYYY-MM-DD HH:MM:SS.ffffff' (zBuf: 40 bytes). */
void pt_ledger_now(char *zBuf) {
  struct timeval tv;
  struct tm tm;
  gettimeofday(&tv, 0);
  time_t t = tv.tv_sec;
  gmtime_r(&t, &tm);
  char zTmp[96];
  snprintf(zTmp, sizeof zTmp, "%04d-%02d-%02d %02d:%02d:%02d.%06d", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (int)(tv.tv_usec % 1000000));
  memcpy(zBuf, zTmp, 26);
  zBuf[26] = 0;
}

/* Who is working: "host:pid". */
void pt_ledger_worker(char *zBuf, int n) {
  char zHost[64];
  if( gethostname(zHost, sizeof zHost) != 0 ) strcpy(zHost, "?");
  zHost[sizeof zHost - 1] = 0;
  snprintf(zBuf, n, "%s:%ld", zHost, (long)getpid());
}

/*
** Create the ledger's tables in end e's database if they are not there,
** each statement in its own transaction (PostgreSQL: a failed CREATE would
** end the transaction).  Two sessions creating them at once is harmless:
** the loser's error is ignored when the table is there afterwards.  The
** message is not prefixed.
*/
int pt_ledger_create(pt_end *e, char **pzErr) {
  const pt_dialect *d = e->pDialect;
  const char *const *T = d->azLedgerType;
  char *zJob = pt_ledger_name(e, "job");
  char *zChunk = pt_ledger_name(e, "chunk");
  char *azSql[3] = { 0, 0, 0 };
  int n = 0;
  if( d->zLedgerSchema && !e->zDb ) {
    sqlite3_str *s = sqlite3_str_new(0);
    sqlite3_str_appendall(s, "CREATE SCHEMA IF NOT EXISTS ");
    d->xQuoteIdent(s, d->zLedgerSchema);
    azSql[n++] = sqlite3_str_finish(s);
  }
  /* the chunk table first: the job table, whose absence makes
  ** copy_job_start create the ledger, is the last made, so a session
  ** killed between the two statements leaves a ledger that is made again */
  azSql[n++] = sqlite3_mprintf(
    "CREATE TABLE IF NOT EXISTS %s ("
    "job %s NOT NULL, chunk %s NOT NULL, lo %s, hi %s, state %s, rows_copied %s, "
    "started %s, finished %s, seconds %s, worker %s, error %s, PRIMARY KEY (job, chunk))",
    zChunk, T[PT_LEDGER_NAME], T[PT_LEDGER_INT], T[PT_LEDGER_TEXT], T[PT_LEDGER_TEXT],
    T[PT_LEDGER_NAME], T[PT_LEDGER_INT], T[PT_LEDGER_TIME], T[PT_LEDGER_TIME], T[PT_LEDGER_REAL],
    T[PT_LEDGER_NAME], T[PT_LEDGER_TEXT]);
  azSql[n++] =
    sqlite3_mprintf("CREATE TABLE IF NOT EXISTS %s ("
                    "job %s NOT NULL PRIMARY KEY, kind %s, stage %s, src %s, dst %s, options %s, "
                    "state %s, rows_total %s, chunks_total %s, chunk_rows %s, "
                    "started %s, updated %s, error %s, checksum %s, verified %s)",
                    zJob, T[PT_LEDGER_NAME], T[PT_LEDGER_NAME], T[PT_LEDGER_NAME],
                    T[PT_LEDGER_TEXT], T[PT_LEDGER_TEXT], T[PT_LEDGER_TEXT], T[PT_LEDGER_NAME],
                    T[PT_LEDGER_INT], T[PT_LEDGER_INT], T[PT_LEDGER_INT], T[PT_LEDGER_TIME],
                    T[PT_LEDGER_TIME], T[PT_LEDGER_TEXT], T[PT_LEDGER_NAME], T[PT_LEDGER_TIME]);
  int rc = SQLITE_OK;
  for( int i = 0; i < n && rc == SQLITE_OK; i++ ) {
    if( !azSql[i] ) {
      rc = SQLITE_NOMEM;
      break;
    }
    char *zErr = 0;
    rc = pt_end_exec_text(e, azSql[i], &zErr);
    if( rc != SQLITE_OK ) {
      /* another session may have created it at the same moment */
      sqlite3_free(zErr);
      zErr = 0;
      rc = pt_end_exec_text(e, azSql[i], &zErr);
      if( rc != SQLITE_OK ) *pzErr = sqlite3_mprintf("cannot create the ledger: %s", zErr);
      sqlite3_free(zErr);
    }
  }
  for( int i = 0; i < n; i++ ) sqlite3_free(azSql[i]);
  sqlite3_free(zJob);
  sqlite3_free(zChunk);
  return rc;
}

/*
** The ledger with its table sync_batch (one row per batch pontoon_sync
** committed, sync.c), created if missing, outside any transaction (MySQL
** commits at CREATE TABLE).  The message is not prefixed.
*/
int pt_ledger_create_sync(pt_end *e, char **pzErr) {
  int rc = pt_ledger_create(e, pzErr);
  if( rc != SQLITE_OK ) return rc;
  const char *const *T = e->pDialect->azLedgerType;
  char *zSync = pt_ledger_name(e, "sync_batch");
  char *zSql = sqlite3_mprintf(
    "CREATE TABLE IF NOT EXISTS %s ("
    "job %s NOT NULL, batch %s NOT NULL, applied %s, inserted %s, updated %s, deleted %s, "
    "first_seq %s, last_seq %s, finished %s, seconds %s, worker %s, lag_seconds %s, "
    "PRIMARY KEY (job, batch))",
    zSync, T[PT_LEDGER_NAME], T[PT_LEDGER_INT], T[PT_LEDGER_INT], T[PT_LEDGER_INT],
    T[PT_LEDGER_INT], T[PT_LEDGER_INT], T[PT_LEDGER_INT], T[PT_LEDGER_INT], T[PT_LEDGER_TIME],
    T[PT_LEDGER_REAL], T[PT_LEDGER_NAME], T[PT_LEDGER_REAL]);
  sqlite3_free(zSync);
  if( !zSql ) return SQLITE_NOMEM;
  char *zErr = 0;
  rc = pt_end_exec_text(e, zSql, &zErr);
  if( rc != SQLITE_OK ) {
    /* another session may have created it at the same moment */
    sqlite3_free(zErr);
    zErr = 0;
    rc = pt_end_exec_text(e, zSql, &zErr);
    if( rc != SQLITE_OK ) *pzErr = sqlite3_mprintf("cannot create the ledger: %s", zErr);
    sqlite3_free(zErr);
  }
  sqlite3_free(zSql);
  return rc;
}

/*
** Append ledger statement template zFmt to q: %s is zTable (the ledger
** table's quoted name), %1 .. %9 the placeholder of that parameter, %% a
** percent sign.  The templates are constants of this layer.
*/
void pt_ledger_sqlf(pt_sql *q, const char *zFmt, const char *zTable) {
  for( const char *z = zFmt; *z; z++ ) {
    if( z[0] == '%' && z[1] == 's' ) {
      sqlite3_str_appendall(q->pStr, zTable ? zTable : "");
      z++;
    } else if( z[0] == '%' && z[1] >= '1' && z[1] <= '9' ) {
      pt_sql_place(q, z[1] - '0', 0);
      z++;
    } else if( z[0] == '%' && z[1] == '%' ) {
      sqlite3_str_appendchar(q->pStr, 1, '%');
      z++;
    } else {
      sqlite3_str_appendchar(q->pStr, 1, *z);
    }
  }
}

/* Run ledger statement template zFmt (pt_ledger_sqlf) on ledger table
** zTable ("job", "chunk") of end e.  The message is not prefixed. */
int pt_ledger_exec(pt_end *e, const char *zTable, const char *zFmt, int nParam,
                   const pt_param *aParam, int64_t *pnChanged, char **pzErr) {
  char *zT = pt_ledger_name(e, zTable);
  pt_sql q;
  pt_stmt st;
  pt_end_sql(e, &q);
  pt_ledger_sqlf(&q, zFmt, zT);
  sqlite3_free(zT);
  int rc = pt_sql_finish(&q, &st);
  if( rc == SQLITE_OK ) rc = pt_end_exec(e, &st, nParam, aParam, pnChanged, pzErr);
  pt_stmt_clear(&st);
  return rc;
}

/*
** Call x(pArg, e, zName, s) for every ledger connection db can see: each
** SQLite database that holds a pontoon_job table (s NULL, zName the
** schema), then each registered server (zName its name), connected, once
** per database: one registered under two names, or reached by two drivers
** (native and ODBC), is passed under the first.  A server that cannot be
** reached is passed with e NULL.  Stops at the first x that does not
** return SQLITE_OK, and returns that.
*/
int pt_ledger_each(sqlite3 *db, pt_registry *reg,
                   int (*x)(void *, pt_end *, const char *, pt_server *), void *pArg) {
  int rc = SQLITE_OK;
  sqlite3_stmt *st = 0;
  if( sqlite3_prepare_v2(db, "SELECT name FROM pragma_database_list", -1, &st, 0) == SQLITE_OK ) {
    while( rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW ) {
      const char *zDb = (const char *)sqlite3_column_text(st, 0);
      char *zCheck =
        sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_master WHERE name = 'pontoon_job'", zDb);
      sqlite3_stmt *ck = 0;
      int has = zCheck && sqlite3_prepare_v2(db, zCheck, -1, &ck, 0) == SQLITE_OK &&
        sqlite3_step(ck) == SQLITE_ROW;
      sqlite3_finalize(ck);
      sqlite3_free(zCheck);
      if( !has ) continue;
      pt_end e;
      pt_end_local(db, reg, zDb, &e);
      rc = x(pArg, &e, zDb, 0);
      pt_end_close(&e);
    }
  }
  sqlite3_finalize(st);
  char **azSeen = 0;
  int nSeen = 0;
  for( pt_server *s = reg->pServers; s && rc == SQLITE_OK; s = s->pNext ) {
    pt_end e;
    pt_end_server(db, reg, s, &e);
    char *zErr = 0;
    if( pt_end_connect(&e, &zErr) == SQLITE_OK ) {
      pt_server_info info;
      memset(&info, 0, sizeof(info));
      s->pDriver->xInfo(e.pConn, &info);
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
      if( !seen ) rc = x(pArg, &e, s->zName, s);
    } else {
      rc = x(pArg, 0, s->zName, s);
    }
    sqlite3_free(zErr);
    pt_end_close(&e);
  }
  for( int i = 0; i < nSeen; i++ ) sqlite3_free(azSeen[i]);
  sqlite3_free(azSeen);
  return rc;
}
