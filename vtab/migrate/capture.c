/*
** capture.c — pontoon_capture, pontoon_capture_stop, pontoon_freeze and
** pontoon_thaw: what pontoon installs on a source's server so that a
** migration needs no downtime (DESIGN §5.4, docs/capture.md).
**
**   SELECT pontoon_capture('old.users');        -- 1: installed, 0: it was
**   SELECT pontoon_capture_stop('old.users');   -- 1: removed, 0: none
**   SELECT pontoon_freeze('old.users', 'new.users');   -- writes refused
**   SELECT pontoon_thaw('old.users', 'new.users');     -- allowed again
**
** Capture installs AFTER INSERT / UPDATE / DELETE row triggers that append
** (seq, tbl, op, k, at) to the server's change table: only the key, as a
** JSON array, the old key too when an UPDATE changes it.  The change table
** and the list of captured tables (pontoon.changes and pontoon.captures on
** PostgreSQL, pontoon_changes and pontoon_captures in a MySQL database) are
** created by the first capture and dropped by the last capture_stop; the
** statements are the dialect's (xCaptureTriggers, xFreezeTrigger).
** pontoon_sync (sync.c) reads and deletes the change rows.
**
** Freeze adds a trigger that refuses every write to the table with a
** message naming the migration; with the target named too, the job's state
** in the target's ledger becomes 'frozen' (thaw: back to 'syncing').
**
** Rationale: these change a server's schema, so they are SQLITE_DIRECTONLY.
** What capture installs is recorded in the capture list, so that
** capture_stop removes exactly that and nothing else.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "migrate.h"

/* The name pontoon gives the objects it creates for a table: the label in
** lower case, [a-z0-9_] only, at most 40 bytes, and a hash of the label
** (two labels never share it in practice). */
static char *capture_object_name(const char *zLabel) {
  char z[41];
  int n = 0;
  for( const char *p = zLabel; *p && n < 40; p++ ) {
    char c = *p;
    if( c >= 'A' && c <= 'Z' ) c = (char)(c - 'A' + 'a');
    if( !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ) c = '_';
    z[n++] = c;
  }
  z[n] = 0;
  uint32_t h = 2166136261u;
  for( const unsigned char *p = (const unsigned char *)zLabel; *p; p++ ) {
    h ^= *p;
    h *= 16777619u;
  }
  return sqlite3_mprintf("%s_%08x", z, h);
}

void pt_capture_info_clear(pt_capture_info *p) {
  sqlite3_free(p->zLabel);
  sqlite3_free(p->zName);
  sqlite3_free(p->zChanges);
  sqlite3_free(p->zCaptures);
  sqlite3_free(p->azKey);
  memset(p, 0, sizeof(*p));
}

/*
** Fill p for source end src, a pontoon table of a base table with a key on
** a server whose engine has capture triggers; refuse anything else, the
** message beginning with zFunc.
*/
int pt_capture_info_init(pt_end *src, pt_capture_info *p, const char *zFunc, char **pzErr) {
  memset(p, 0, sizeof(*p));
  if( !src->pTab || !src->pTab->zRemoteTable ) {
    *pzErr = sqlite3_mprintf("%s: %s is not a remote table: capture needs a pontoon table on a "
                             "PostgreSQL or MySQL server",
                             zFunc, src->zLabel);
    return SQLITE_ERROR;
  }
  const pt_dialect *d = src->pDialect;
  if( !d->xCaptureTriggers || !d->xFreezeTrigger ) {
    *pzErr = sqlite3_mprintf("%s: %s: the %s engine has no capture triggers in pontoon", zFunc,
                             src->zLabel, d->zName);
    return SQLITE_ERROR;
  }
  if( src->nKey == 0 ) {
    *pzErr = sqlite3_mprintf("%s: %s has no primary key: the changes are recorded by key, so "
                             "name the columns that identify a row with key= in its CREATE "
                             "VIRTUAL TABLE",
                             zFunc, src->zLabel);
    return SQLITE_ERROR;
  }
  for( int i = 0; i < src->nKey; i++ ) {
    if( src->aKind[src->aKey[i]] == PT_K_BLOB ) {
      *pzErr = sqlite3_mprintf("%s: %s: the key column %s is binary, which capture cannot "
                               "record",
                               zFunc, src->zLabel, src->azCol[src->aKey[i]]);
      return SQLITE_ERROR;
    }
  }
  pt_vtab *v = src->pTab;
  p->zLabel = v->zRemoteSchema ? sqlite3_mprintf("%s.%s", v->zRemoteSchema, v->zRemoteTable)
                               : sqlite3_mprintf("%s", v->zRemoteTable);
  p->zName = p->zLabel ? capture_object_name(p->zLabel) : 0;
  if( d->zLedgerSchema ) {
    p->zChanges = pt_ledger_name(src, "changes");
    p->zCaptures = pt_ledger_name(src, "captures");
  } else {
    /* beside the table, in its database */
    sqlite3_str *a = sqlite3_str_new(0), *b = sqlite3_str_new(0);
    if( v->zRemoteSchema ) {
      d->xQuoteIdent(a, v->zRemoteSchema);
      sqlite3_str_appendchar(a, 1, '.');
      d->xQuoteIdent(b, v->zRemoteSchema);
      sqlite3_str_appendchar(b, 1, '.');
    }
    d->xQuoteIdent(a, "pontoon_changes");
    d->xQuoteIdent(b, "pontoon_captures");
    p->zChanges = sqlite3_str_finish(a);
    p->zCaptures = sqlite3_str_finish(b);
  }
  p->azKey = sqlite3_malloc64(sizeof(char *) * (src->nKey + 1));
  if( !p->zLabel || !p->zName || !p->zChanges || !p->zCaptures || !p->azKey ) {
    pt_capture_info_clear(p);
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < src->nKey; i++ ) p->azKey[i] = src->azCol[src->aKey[i]];
  p->c.zSchema = v->zRemoteSchema;
  p->c.zTable = v->zRemoteTable;
  p->c.zLabel = p->zLabel;
  p->c.zName = p->zName;
  p->c.nKey = src->nKey;
  p->c.azKey = (const char *const *)p->azKey;
  p->c.zChanges = p->zChanges;
  p->c.zCaptures = p->zCaptures;
  return SQLITE_OK;
}

/* Run the statements of the dialect's xCaptureTriggers(op) (freeze < 0)
** or xFreezeTrigger(freeze) on end e, one by one.  The message is
** prefixed. */
static int run_statements(pt_end *e, const pt_capture *c, int op, int freeze, char **pzErr) {
  const pt_dialect *d = e->pDialect;
  for( int i = 0;; i++ ) {
    sqlite3_str *s = sqlite3_str_new(0);
    int more = freeze < 0 ? d->xCaptureTriggers(s, op, c, i) : d->xFreezeTrigger(s, freeze, c, i);
    char *zSql = sqlite3_str_finish(s);
    if( !more ) {
      sqlite3_free(zSql);
      return SQLITE_OK;
    }
    if( !zSql ) return SQLITE_NOMEM;
    char *zErr = 0;
    int rc = pt_end_exec_text(e, zSql, &zErr);
    sqlite3_free(zSql);
    if( rc != SQLITE_OK ) {
      *pzErr = pt_end_error(e, freeze < 0 ? "capture" : freeze ? "freeze" : "thaw", zErr);
      return rc;
    }
  }
}

static pt_param text_param(const char *z) {
  pt_param p;
  p.z = z;
  p.n = z ? (int)strlen(z) : 0;
  p.kind = PT_K_TEXT;
  p.isBinary = 0;
  return p;
}

/*
** Whether table c is in the capture list: 1 yes, 0 no, -1 there is no
** capture list on the server (nothing is captured there).
*/
static int capture_listed(pt_end *e, const pt_capture *c) {
  pt_sql q;
  pt_stmt st;
  pt_end_sql(e, &q);
  pt_sqlf(&q, "SELECT count(*) FROM %s WHERE tbl = %P", c->zCaptures, 1);
  if( pt_sql_finish(&q, &st) != SQLITE_OK ) return -1;
  static const pt_kind aKind[] = { PT_K_INT };
  pt_param p = text_param(c->zLabel);
  pt_end_rows *r = 0;
  char *zErr = 0;
  int found = -1;
  if( pt_end_query_few(e, &st, 1, &p, 1, aKind, &r, &zErr) == SQLITE_OK ) {
    if( pt_end_rows_next(r, &zErr) == SQLITE_ROW ) {
      pt_value v;
      pt_end_rows_column(r, 0, &v);
      found = (v.type == PT_V_INT ? v.i : v.p ? atoll(v.p) : 0) > 0;
    }
    pt_end_rows_close(r);
  }
  sqlite3_free(zErr);
  pt_stmt_clear(&st);
  return found;
}

/* How many of table c's capture triggers are missing on its server (a
** table dropped and created again loses them); -1 when unknown. */
static int capture_missing(pt_end *e, const pt_capture *c) {
  sqlite3_str *s = sqlite3_str_new(0);
  int has = e->pDialect->xCaptureTriggers(s, PT_CAPTURE_MISSING, c, 0);
  char *zSql = sqlite3_str_finish(s);
  static const pt_kind aKind[] = { PT_K_INT };
  pt_end_rows *r = 0;
  char *zErr = 0;
  int n = -1;
  if( has && zSql && pt_end_query_text(e, zSql, 1, aKind, &r, &zErr) == SQLITE_OK ) {
    if( pt_end_rows_next(r, &zErr) == SQLITE_ROW ) {
      pt_value v;
      pt_end_rows_column(r, 0, &v);
      n = (int)(v.type == PT_V_INT ? v.i : v.p ? atoll(v.p) : -1);
    }
    pt_end_rows_close(r);
  }
  sqlite3_free(zErr);
  sqlite3_free(zSql);
  return n;
}

/* Run ledger-style template zFmt (%s: zTable, %1..: parameters) on e. */
static int exec_fmt(pt_end *e, const char *zFmt, const char *zTable, int nParam,
                    const pt_param *aParam, char **pzErr) {
  pt_sql q;
  pt_stmt st;
  pt_end_sql(e, &q);
  pt_ledger_sqlf(&q, zFmt, zTable);
  int rc = pt_sql_finish(&q, &st);
  char *zErr = 0;
  if( rc == SQLITE_OK ) rc = pt_end_exec(e, &st, nParam, aParam, 0, &zErr);
  if( rc != SQLITE_OK && zErr ) *pzErr = pt_end_error(e, "capture", zErr);
  pt_stmt_clear(&st);
  return rc;
}

/* Report rc / zErr of one of these functions, or its result. */
static void finish(sqlite3_context *ctx, int rc, char *zErr, int64_t iResult) {
  if( rc == SQLITE_OK ) {
    sqlite3_result_int64(ctx, iResult);
  } else if( rc == SQLITE_NOMEM ) {
    sqlite3_result_error_nomem(ctx);
  } else {
    sqlite3_result_error(ctx, zErr ? zErr : sqlite3_errstr(rc), -1);
  }
  sqlite3_free(zErr);
}

/* Open and connect the source end named by pName for function zFunc. */
static int source_open(sqlite3_context *ctx, sqlite3_value *pName, const char *zFunc, pt_end *e,
                       pt_capture_info *ci, char **pzErr) {
  pt_registry *r = sqlite3_user_data(ctx);
  const char *zName = (const char *)sqlite3_value_text(pName);
  char *zErr = 0;
  memset(ci, 0, sizeof(*ci));
  if( !zName ) {
    *pzErr = sqlite3_mprintf("%s(src): name a table", zFunc);
    memset(e, 0, sizeof(*e));
    return SQLITE_ERROR;
  }
  int rc = pt_end_open(sqlite3_context_db_handle(ctx), r, zName, 0, e, &zErr);
  if( rc != SQLITE_OK ) {
    *pzErr = sqlite3_mprintf("%s: %s: %s", zFunc, zName, zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    return rc;
  }
  rc = pt_capture_info_init(e, ci, zFunc, pzErr);
  if( rc == SQLITE_OK ) rc = pt_end_connect(e, pzErr);
  return rc;
}

/* pontoon_capture(src): 1 when installed now, 0 when src was captured
** already (its triggers are checked: a table dropped and created again has
** lost them, and gets them again). */
static void captureFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  pt_end e;
  pt_capture_info ci;
  char *zErr = 0;
  int64_t iResult = 0;
  int rc = source_open(ctx, argv[0], "pontoon_capture", &e, &ci, &zErr);
  if( rc == SQLITE_OK ) rc = run_statements(&e, &ci.c, PT_CAPTURE_TABLES, -1, &zErr);
  int listed = rc == SQLITE_OK ? capture_listed(&e, &ci.c) : 0;
  if( rc == SQLITE_OK && (listed != 1 || capture_missing(&e, &ci.c) != 0) ) {
    /* the triggers and the entry in the capture list, in one transaction
    ** where the engine's DDL is transactional (PostgreSQL) */
    rc = pt_end_begin(&e, &zErr);
    if( rc != SQLITE_OK ) zErr = pt_end_error(&e, "BEGIN", zErr);
    if( rc == SQLITE_OK ) rc = run_statements(&e, &ci.c, PT_CAPTURE_INSTALL, -1, &zErr);
    if( rc == SQLITE_OK ) {
      sqlite3_str *s = sqlite3_str_new(0);
      for( int i = 0; i < ci.c.nKey; i++ )
        sqlite3_str_appendf(s, "%s%s", i ? "," : "", ci.c.azKey[i]);
      char *zKeys = sqlite3_str_finish(s);
      char zNow[40];
      pt_ledger_now(zNow);
      pt_param a[3] = { text_param(ci.zLabel), text_param(zKeys), text_param(zNow) };
      a[2].kind = PT_K_TIMESTAMP;
      if( listed == 1 )
        rc = exec_fmt(&e, "DELETE FROM %s WHERE tbl = %1", ci.zCaptures, 1, a, &zErr);
      if( rc == SQLITE_OK )
        rc = exec_fmt(&e, "INSERT INTO %s (tbl, key_columns, started) VALUES (%1, %2, %3)",
                      ci.zCaptures, 3, a, &zErr);
      sqlite3_free(zKeys);
    }
    if( rc == SQLITE_OK ) {
      rc = pt_end_commit(&e, &zErr);
      if( rc != SQLITE_OK ) zErr = pt_end_error(&e, "COMMIT", zErr);
    }
    if( rc != SQLITE_OK ) pt_end_rollback(&e);
    iResult = 1;
  }
  pt_capture_info_clear(&ci);
  pt_end_close(&e);
  finish(ctx, rc, zErr, iResult);
}

/*
** pontoon_capture_stop(src): removes src's triggers and functions, its
** change rows and its entry in the capture list; the last one out drops
** the change table and the list (and PostgreSQL's schema pontoon when
** nothing else is in it).  1 when src was captured, else 0.
*/
static void captureStopFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  pt_end e;
  pt_capture_info ci;
  char *zErr = 0;
  int64_t iResult = 0;
  int rc = source_open(ctx, argv[0], "pontoon_capture_stop", &e, &ci, &zErr);
  int listed = rc == SQLITE_OK ? capture_listed(&e, &ci.c) : -1;
  if( rc == SQLITE_OK ) {
    rc = pt_end_begin(&e, &zErr);
    if( rc != SQLITE_OK ) zErr = pt_end_error(&e, "BEGIN", zErr);
    if( rc == SQLITE_OK ) rc = run_statements(&e, &ci.c, PT_CAPTURE_REMOVE, -1, &zErr);
    if( rc == SQLITE_OK && listed >= 0 ) {
      pt_param a = text_param(ci.zLabel);
      rc = exec_fmt(&e, "DELETE FROM %s WHERE tbl = %1", ci.zChanges, 1, &a, &zErr);
      if( rc == SQLITE_OK )
        rc = exec_fmt(&e, "DELETE FROM %s WHERE tbl = %1", ci.zCaptures, 1, &a, &zErr);
    }
    if( rc == SQLITE_OK ) {
      rc = pt_end_commit(&e, &zErr);
      if( rc != SQLITE_OK ) zErr = pt_end_error(&e, "COMMIT", zErr);
    }
    if( rc != SQLITE_OK ) pt_end_rollback(&e);
    iResult = listed == 1;
  }
  if( rc == SQLITE_OK && listed >= 0 ) {
    /* the last captured table: the change table and the list go too */
    pt_sql q;
    pt_stmt st;
    pt_end_sql(&e, &q);
    pt_sqlf(&q, "SELECT count(*) FROM %s", ci.zCaptures);
    static const pt_kind aKind[] = { PT_K_INT };
    int64_t nLeft = 1;
    if( pt_sql_finish(&q, &st) == SQLITE_OK ) {
      pt_end_rows *r = 0;
      char *zE = 0;
      if( pt_end_query_few(&e, &st, 0, 0, 1, aKind, &r, &zE) == SQLITE_OK ) {
        if( pt_end_rows_next(r, &zE) == SQLITE_ROW ) {
          pt_value v;
          pt_end_rows_column(r, 0, &v);
          nLeft = v.type == PT_V_INT ? v.i : v.p ? atoll(v.p) : 1;
        }
        pt_end_rows_close(r);
      }
      sqlite3_free(zE);
      pt_stmt_clear(&st);
    }
    if( nLeft == 0 ) rc = run_statements(&e, &ci.c, PT_CAPTURE_DROP_TABLES, -1, &zErr);
  }
  pt_capture_info_clear(&ci);
  pt_end_close(&e);
  finish(ctx, rc, zErr, iResult);
}

/*
** Set the state of job zJob in end dst's ledger to zState when it is one
** of the states azFrom; no ledger or no such job: nothing.  The message is
** prefixed.
*/
static int job_state(pt_end *dst, const char *zJob, const char *zState, const char *zFrom,
                     char **pzErr) {
  int rc = pt_end_connect(dst, pzErr);
  if( rc != SQLITE_OK ) return rc;
  char zNow[40];
  pt_ledger_now(zNow);
  pt_param a[3] = { text_param(zState), text_param(zNow), text_param(zJob) };
  a[1].kind = PT_K_TIMESTAMP;
  char *zT = pt_ledger_name(dst, "job");
  char *zFmt = sqlite3_mprintf("UPDATE %%s SET state = %%1, updated = %%2 WHERE job = %%3 "
                               "AND state IN (%s)",
                               zFrom);
  pt_sql q;
  pt_stmt st;
  pt_end_sql(dst, &q);
  pt_ledger_sqlf(&q, zFmt ? zFmt : "", zT);
  sqlite3_free(zFmt);
  sqlite3_free(zT);
  char *zErr = 0;
  rc = pt_sql_finish(&q, &st);
  if( rc == SQLITE_OK && pt_end_exec(dst, &st, 3, a, 0, &zErr) != SQLITE_OK ) {
    /* no ledger there: a freeze outside a migration job */
    sqlite3_free(zErr);
  }
  pt_stmt_clear(&st);
  return rc;
}

/*
** pontoon_freeze(src [, dst [, options]]) and pontoon_thaw(src [, dst [,
** options]]): install or remove the trigger that refuses writes to src.
** With dst, the message names the job src -> dst (or job=) and the job's
** state follows: 'frozen', and back to 'syncing' on thaw.
*/
static void freezeOrThaw(sqlite3_context *ctx, int argc, sqlite3_value **argv, int freeze) {
  const char *zFunc = freeze ? "pontoon_freeze" : "pontoon_thaw";
  pt_end e, dst;
  pt_capture_info ci;
  char *zErr = 0, *zJob = 0, *zMsg = 0;
  memset(&dst, 0, sizeof(dst));
  int rc = source_open(ctx, argv[0], zFunc, &e, &ci, &zErr);
  const char *zDst = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  if( rc == SQLITE_OK && zDst ) {
    char *zE = 0;
    rc = pt_end_open(sqlite3_context_db_handle(ctx), sqlite3_user_data(ctx), zDst, 0, &dst, &zE);
    if( rc != SQLITE_OK ) zErr = sqlite3_mprintf("%s: target %s: %s", zFunc, zDst, zE);
    sqlite3_free(zE);
  }
  if( rc == SQLITE_OK && argc > 2 ) {
    /* options: job= names the job when it is not src -> dst */
    static const char *const azOpt[] = { "job", 0 };
    pt_opts o;
    rc = pt_opts_parse((const char *)sqlite3_value_text(argv[2]), zFunc, azOpt, &o, &zErr);
    if( rc == SQLITE_OK ) {
      const char *z = pt_opts_get(&o, "job");
      if( z ) zJob = sqlite3_mprintf("%s", z);
      pt_opts_clear(&o);
    }
  }
  if( rc == SQLITE_OK ) {
    if( !zJob )
      zJob = zDst ? sqlite3_mprintf("%s -> %s", e.zLabel, zDst) : sqlite3_mprintf("%s", e.zLabel);
    zMsg = sqlite3_mprintf("pontoon: %s is frozen for the migration '%s': writes are refused "
                           "until pontoon_thaw",
                           ci.zLabel, zJob ? zJob : "");
    if( !zJob || !zMsg ) rc = SQLITE_NOMEM;
    ci.c.zMessage = zMsg;
  }
  if( rc == SQLITE_OK ) {
    rc = pt_end_begin(&e, &zErr);
    if( rc != SQLITE_OK ) zErr = pt_end_error(&e, "BEGIN", zErr);
    if( rc == SQLITE_OK ) rc = run_statements(&e, &ci.c, 0, freeze, &zErr);
    if( rc == SQLITE_OK ) {
      rc = pt_end_commit(&e, &zErr);
      if( rc != SQLITE_OK ) zErr = pt_end_error(&e, "COMMIT", zErr);
    }
    if( rc != SQLITE_OK ) pt_end_rollback(&e);
  }
  if( rc == SQLITE_OK && zDst ) {
    rc = freeze
      ? job_state(&dst, zJob, "frozen", "'copied', 'syncing', 'verified', 'frozen'", &zErr)
      : job_state(&dst, zJob, "syncing", "'frozen'", &zErr);
  }
  sqlite3_free(zJob);
  sqlite3_free(zMsg);
  pt_capture_info_clear(&ci);
  pt_end_close(&e);
  pt_end_close(&dst);
  finish(ctx, rc, zErr, 1);
}

static void freezeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  freezeOrThaw(ctx, argc, argv, 1);
}
static void thawFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  freezeOrThaw(ctx, argc, argv, 0);
}

int pt_capture_register(sqlite3 *db, pt_registry *reg) {
  const int f = SQLITE_UTF8 | SQLITE_DIRECTONLY;
  int rc = sqlite3_create_function_v2(db, "pontoon_capture", 1, f, reg, captureFunc, 0, 0, 0);
  if( rc == SQLITE_OK )
    rc =
      sqlite3_create_function_v2(db, "pontoon_capture_stop", 1, f, reg, captureStopFunc, 0, 0, 0);
  for( int n = 1; n <= 3 && rc == SQLITE_OK; n++ ) {
    rc = sqlite3_create_function_v2(db, "pontoon_freeze", n, f, reg, freezeFunc, 0, 0, 0);
    if( rc == SQLITE_OK )
      rc = sqlite3_create_function_v2(db, "pontoon_thaw", n, f, reg, thawFunc, 0, 0, 0);
  }
  return rc;
}
