/*
** pg.c — the PostgreSQL driver, through libpq.
**
**   SELECT pontoon_connect('pg', 'postgresql://app@127.0.0.1:5432/shop');
**   SELECT pontoon_connect('pg', 'host=127.0.0.1 dbname=shop user=app');
**
** Reading: a query runs as a server-side cursor (DECLARE ... CURSOR) fetched
** in batches in binary format, the next batch requested as soon as one
** arrives so the server works while SQLite consumes.  Cursors let several
** scans share the one connection (joins, correlated subqueries, INSERT INTO
** a SELECT FROM b on one server); a cursor needs a transaction, so when none
** is open the first cursor opens a REPEATABLE READ one that the last cursor
** commits, and a later xBegin adopts it.  Lookups expected to return a few
** rows skip the cursor and run in one round trip.  Batches are sized from
** the bytes per row so memory stays bounded (docs/postgresql.md).
**
** The session is pinned at connect: UTC, ISO dates, ISO 8601 intervals,
** exact floats (extra_float_digits=3), UTF-8.
*/
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include "pontoon.h"

typedef struct pg_cursor pg_cursor;
typedef struct pg_bulk pg_bulk;

/* A statement prepared on the server under the name pt_s<id> (stmt_exec). */
#define PG_STMT_MAX 64
typedef struct pg_stmt {
  char *zSql; /* its text; NULL: the slot is free */
  unsigned h; /* hash of zSql */
  unsigned id; /* never reused on one connection */
  int stale; /* the server refused it (0A000): DEALLOCATE first */
  int iPipe; /* its Parse queued in pipeline mode as command
                           ** number iPipe, unanswered; 0 otherwise */
  unsigned long long used; /* last use, for LRU */
} pg_stmt;

typedef struct pg_conn {
  pt_conn base;
  PGconn *pg;
  char *zVersion;
  unsigned nextCursor;
  pg_cursor *pPending; /* owner of the FETCH in flight, or NULL */
  int nCursor; /* declared cursors open */
  int implicitTxn; /* a transaction opened by a cursor, not by xBegin */
  int txnFailed; /* the implicit transaction saw an error */
  int fatal; /* the server said FATAL while idle: it is going away */
  pg_bulk *pCopy; /* bulk writer whose COPY FROM STDIN is open */
  int nQueued; /* statements sent in pipeline mode, unread */
  char *zQueuedErr; /* the first error among them */
  int queuedRc; /* its result code */
  int readOnly; /* the read-only connection of query= tables */
  int nPipeCmd; /* commands sent in pipeline mode (Parse included) */
  int nPipeParse; /* Parse commands among them, unanswered */
  int pipePrepare; /* the pipeline may prepare statements */
  int needResync; /* ask the server which of aStmt it still has */
  unsigned nextStmt; /* id of the next prepared statement */
  unsigned long long clock; /* LRU clock of aStmt */
  pg_stmt aStmt[PG_STMT_MAX];
} pg_conn;

struct pg_cursor {
  pt_cursor base;
  pg_conn *c;
  char zName[24];
  int declared; /* a server-side cursor exists */
  int nFetch; /* rows per FETCH */
  int adaptive; /* nFetch grows toward ~4 MB batches (no fetch=) */
  int nCol;
  pt_kind *aKind;
  Oid *aType;
  PGresult *res; /* current batch */
  int iRow, nRow;
  PGresult *resNext; /* batch drained from the connection early */
  char *zNextErr; /* error drained with it */
  int inFlight; /* a FETCH for this cursor was sent */
  int lastBatch; /* no FETCH after the current batch */
  int firstBatch;
  /* a column's formatted value, one per column so that every column of a
  ** row stays valid until the next row: long ones (numeric text), made when
  ** first needed, and short ones (dates, times, uuids) */
  sqlite3_str **apScratch;
  char (*aScratch)[80];
};

/* ---- errors ---- */

static char *result_error(PGresult *r, PGconn *pg) {
  const char *zState = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : 0;
  const char *zMsg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : 0;
  const char *zDetail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : 0;
  char *z;
  if( zMsg ) {
    z = sqlite3_mprintf("%s%s%s (SQLSTATE %s)", zMsg, zDetail ? ": " : "", zDetail ? zDetail : "",
                        zState ? zState : "?");
  } else {
    z = sqlite3_mprintf("%s", PQerrorMessage(pg));
  }
  if( z ) {
    int n = (int)strlen(z);
    while( n > 0 && (z[n - 1] == '\n' || z[n - 1] == ' ') ) z[--n] = 0;
    for( char *p = z; *p; p++ )
      if( *p == '\n' ) *p = ' ';
  }
  return z;
}

/* ---- the connection ---- */

static int pgAccepts(const char *zUri) {
  if( sqlite3_strnicmp(zUri, "postgresql://", 13) == 0 ) return 1;
  if( sqlite3_strnicmp(zUri, "postgres://", 11) == 0 ) return 1;
  if( strstr(zUri, "://") || sqlite3_strnicmp(zUri, "odbc:", 5) == 0 ) return 0;
  /* a libpq key=value string: word = ... */
  const char *z = zUri;
  while( isspace((unsigned char)*z) ) z++;
  while( isalnum((unsigned char)*z) || *z == '_' ) z++;
  while( isspace((unsigned char)*z) ) z++;
  return z > zUri && *z == '=';
}

static void pg_drain(pg_conn *c);
static int copy_end(pg_bulk *b);
static void pipeline_end(pg_conn *c);
static void pg_input_text(sqlite3_str *out, pt_kind k, const char *z, int n);

/* The first result of the command in flight, the others read and cleared
** (the connection is free afterwards); NULL when there is none. */
static PGresult *first_result(PGconn *pg) {
  PGresult *r, *keep = 0;
  while( (r = PQgetResult(pg)) != 0 ) {
    if( !keep )
      keep = r;
    else
      PQclear(r);
  }
  return keep;
}

static int exec_simple(pg_conn *c, const char *zSql, char **pzErr) {
  pg_drain(c);
  pt_trace("pg: %s", zSql);
  PGresult *r = PQexec(c->pg, zSql);
  ExecStatusType st = PQresultStatus(r);
  if( st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK ) {
    if( pzErr ) *pzErr = result_error(r, c->pg);
    PQclear(r);
    return SQLITE_ERROR;
  }
  PQclear(r);
  return SQLITE_OK;
}

/*
** Rationale (security): on the read-only connection of query= tables, every
** statement runs inside a transaction opened here as READ ONLY and ended
** with ROLLBACK, never COMMIT.  A query cannot leave it: PostgreSQL refuses
** to turn a transaction read-write once it has run a query, and a statement
** inside it cannot COMMIT (functions cannot, procedures called from a query
** cannot, and the query is always wrapped in a SELECT or DECLARE).  Session
** settings the query changes (set_config(..., false)) are undone by the
** ROLLBACK, so no session default decides anything.  What the server lets a
** read-only transaction do outside itself (dblink, another connection made
** by an extension) is beyond any client: docs/security.md.
**
** ro_begin() opens that transaction when the connection is idle and sets
** *pOpened; ro_end() rolls it back if ro_begin() opened it.
*/
static int ro_begin(pg_conn *c, int *pOpened, char **pzErr) {
  *pOpened = 0;
  if( !c->readOnly || PQtransactionStatus(c->pg) != PQTRANS_IDLE ) return SQLITE_OK;
  int rc = exec_simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", pzErr);
  if( rc == SQLITE_OK ) *pOpened = 1;
  return rc;
}
static void ro_end(pg_conn *c, int opened) {
  if( opened ) exec_simple(c, "ROLLBACK", 0);
}

/* ---- prepared statements ----
** Statements pontoon repeats (lookups by key, UPDATE and DELETE by key) are
** prepared once per connection under the names pt_s<N> and then run by
** name: their text travels once and the server parses it once.  At most
** PG_STMT_MAX are kept; the least recently used is evicted by DEALLOCATE.
** They are prepared without parameter types and run with the same formats
** as the unprepared statements were, so answers do not change.
**
** Prepared statements belong to the session and survive ROLLBACK.  What
** takes them away behind pontoon's back: DISCARD ALL or DEALLOCATE through
** pontoon_exec (pgExec sees the word and the cache is then checked against
** pg_prepared_statements: stmt_resync), and a table altered so that a
** statement's result changes type (SQLSTATE 0A000, "cached plan must not
** change result type": the entry turns stale and is prepared anew).  A
** statement run by name that fails with 26000 or 0A000 is run once more by
** its caller when no transaction was open around it; inside a transaction
** the server has already aborted it, so that error stands.  In a failed
** transaction nothing is prepared (the statement gets the transaction's
** error as before).  A new connection starts with an empty cache. */

static unsigned stmt_hash(const char *z) {
  unsigned h = 2166136261u;
  while( *z ) h = (h ^ (unsigned char)*z++) * 16777619u;
  return h;
}

static void stmt_name(char *zBuf, size_t n, const pg_stmt *p) {
  snprintf(zBuf, n, "pt_s%u", p->id);
}

static void stmt_forget(pg_conn *c, pg_stmt *p) {
  if( p->iPipe ) c->nPipeParse--;
  sqlite3_free(p->zSql);
  memset(p, 0, sizeof(*p));
}

/* DEALLOCATE a statement and free its slot, never failing the transaction
** around it (a statement the server no longer has is no matter).  Returns
** 0, slot kept, when the transaction state forbids it. */
static int stmt_deallocate(pg_conn *c, pg_stmt *p) {
  char zName[24], zSql[128];
  stmt_name(zName, sizeof zName, p);
  switch( PQtransactionStatus(c->pg) ) {
    case PQTRANS_IDLE:
      snprintf(zSql, sizeof zSql, "DEALLOCATE %s", zName);
      exec_simple(c, zSql, 0);
      break;
    case PQTRANS_INTRANS:
      snprintf(zSql, sizeof zSql, "SAVEPOINT pt_stmt; DEALLOCATE %s; RELEASE SAVEPOINT pt_stmt",
               zName);
      if( exec_simple(c, zSql, 0) != SQLITE_OK ) {
        exec_simple(c, "ROLLBACK TO SAVEPOINT pt_stmt; RELEASE SAVEPOINT pt_stmt", 0);
      }
      break;
    default: return 0;
  }
  stmt_forget(c, p);
  return 1;
}

/* Keep only the statements the server still has. */
static void stmt_resync(pg_conn *c) {
  const char *zSql = "SELECT name FROM pg_prepared_statements WHERE name LIKE 'pt_s%'";
  c->needResync = 0;
  pt_trace("pg: %s", zSql);
  PGresult *r = PQexec(c->pg, zSql);
  int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  for( int i = 0; i < PG_STMT_MAX; i++ ) {
    pg_stmt *p = &c->aStmt[i];
    char zName[24];
    int found = 0;
    if( !p->zSql ) continue;
    stmt_name(zName, sizeof zName, p);
    for( int j = 0; ok && !found && j < PQntuples(r); j++ )
      found = strcmp(PQgetvalue(r, j, 0), zName) == 0;
    if( !found ) stmt_forget(c, p);
  }
  PQclear(r);
}

static pg_stmt *stmt_find(pg_conn *c, const char *zSql, unsigned h) {
  for( int i = 0; i < PG_STMT_MAX; i++ ) {
    pg_stmt *p = &c->aStmt[i];
    if( p->zSql && p->h == h && strcmp(p->zSql, zSql) == 0 ) {
      p->used = ++c->clock;
      return p;
    }
  }
  return 0;
}

/* A free slot; when none, the least recently used one is evicted if
** canEvict (not in pipeline mode).  NULL: no slot. */
static pg_stmt *stmt_slot(pg_conn *c, int canEvict) {
  pg_stmt *pOld = 0;
  for( int i = 0; i < PG_STMT_MAX; i++ ) {
    pg_stmt *p = &c->aStmt[i];
    if( !p->zSql ) return p;
    if( !p->iPipe && (!pOld || p->used < pOld->used) ) pOld = p;
  }
  if( !pOld || !canEvict || !stmt_deallocate(c, pOld) ) return 0;
  return pOld;
}

/* Fill slot p with zSql under a new name (the caller prepares it). */
static int stmt_fill(pg_conn *c, pg_stmt *p, const char *zSql, unsigned h) {
  char *z = pt_strdup(zSql);
  if( !z ) return 0;
  p->zSql = z;
  p->h = h;
  p->id = ++c->nextStmt;
  p->stale = 0;
  p->iPipe = 0;
  p->used = ++c->clock;
  return 1;
}

/* Prepare p (filled) and run it in one round trip: Parse and Execute sent
** together in pipeline mode, as PQexecParams() sends them unnamed, so a
** statement run once costs what it did unprepared.  When the Parse fails
** the slot is freed and its error returned. */
static PGresult *stmt_prepare_exec(pg_conn *c, pg_stmt *p, const char *zName, int nParam,
                                   const char *const *azVal, const int *anLen, const int *anFmt,
                                   int resultFormat) {
  PGresult *aRes[2] = { 0, 0 };
  pt_trace("pg: PREPARE %s AS %s", zName, p->zSql);
  pt_trace("pg: EXECUTE %s", zName);
  if( PQenterPipelineMode(c->pg) != 1 ) {
    PGresult *r = PQprepare(c->pg, zName, p->zSql, nParam, 0);
    if( PQresultStatus(r) != PGRES_COMMAND_OK ) {
      stmt_forget(c, p);
      return r;
    }
    PQclear(r);
    return PQexecPrepared(c->pg, zName, nParam, azVal, anLen, anFmt, resultFormat);
  }
  if( PQsendPrepare(c->pg, zName, p->zSql, nParam, 0) &&
      PQsendQueryPrepared(c->pg, zName, nParam, azVal, anLen, anFmt, resultFormat) &&
      PQpipelineSync(c->pg) ) {
    int iCmd = 0;
    for( ;; ) {
      PGresult *r = PQgetResult(c->pg);
      if( !r ) {
        if( PQstatus(c->pg) != CONNECTION_OK ) break;
        iCmd++; /* end of one command's results */
        continue;
      }
      if( PQresultStatus(r) == PGRES_PIPELINE_SYNC ) {
        PQclear(r);
        break;
      }
      if( iCmd < 2 && !aRes[iCmd] )
        aRes[iCmd] = r;
      else
        PQclear(r);
    }
  }
  PQexitPipelineMode(c->pg);
  if( PQresultStatus(aRes[0]) != PGRES_COMMAND_OK ) {
    stmt_forget(c, p);
    PQclear(aRes[1]);
    return aRes[0]; /* the statement's own error, as unprepared */
  }
  PQclear(aRes[0]);
  return aRes[1];
}

/* Run zSql as PQexecParams() would, by name once prepared.  *pRetry is set
** when the failure may be the cache's (26000 or 0A000 of a statement run by
** name): the caller may run it once more if no transaction was open. */
static PGresult *stmt_exec(pg_conn *c, const char *zSql, int nParam, const char *const *azVal,
                           const int *anLen, const int *anFmt, int resultFormat, int *pRetry) {
  PGTransactionStatusType ts = PQtransactionStatus(c->pg);
  pg_stmt *p = 0;
  char zName[24];
  *pRetry = 0;
  if( ts == PQTRANS_IDLE || ts == PQTRANS_INTRANS ) {
    unsigned h = stmt_hash(zSql);
    if( c->needResync ) stmt_resync(c);
    p = stmt_find(c, zSql, h);
    if( p && p->stale ) {
      stmt_deallocate(c, p); /* the transaction allows it (ts) */
      p = 0;
    }
    if( !p && (p = stmt_slot(c, 1)) != 0 ) {
      if( !stmt_fill(c, p, zSql, h) ) {
        p = 0;
      } else {
        stmt_name(zName, sizeof zName, p);
        return stmt_prepare_exec(c, p, zName, nParam, azVal, anLen, anFmt, resultFormat);
      }
    }
  }
  if( !p ) {
    pt_trace("pg: %s", zSql);
    return PQexecParams(c->pg, zSql, nParam, 0, azVal, anLen, anFmt, resultFormat);
  }
  stmt_name(zName, sizeof zName, p);
  pt_trace("pg: EXECUTE %s", zName);
  PGresult *r = PQexecPrepared(c->pg, zName, nParam, azVal, anLen, anFmt, resultFormat);
  if( PQresultStatus(r) == PGRES_FATAL_ERROR ) {
    const char *zState = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if( zState && strcmp(zState, "26000") == 0 ) {
      c->needResync = 1;
      *pRetry = 1;
    } else if( zState && strcmp(zState, "0A000") == 0 ) {
      p->stale = 1;
      *pRetry = 1;
    }
  }
  return r;
}

/* Does a user's text name DISCARD or DEALLOCATE (case aside)?  Then it
** may remove prepared statements (pontoon's own statements never do). */
static int drops_statements(const char *z) {
  for( ; *z; z++ ) {
    if( (*z == 'd' || *z == 'D') &&
        (sqlite3_strnicmp(z, "discard", 7) == 0 || sqlite3_strnicmp(z, "deallocate", 10) == 0) ) {
      return 1;
    }
  }
  return 0;
}

/* The library never prints: server notices go to the trace only.  A FATAL
** one (libpq passes on as a notice an error the server sends while the
** connection is idle: it is going away) marks the connection dead. */
static void notice_quiet(void *arg, const char *zMsg) {
  int *pFatal = arg;
  if( pFatal && zMsg && strncmp(zMsg, "FATAL", 5) == 0 ) *pFatal = 1;
  pt_trace("pg notice: %s", zMsg);
}

/* xConnect: libpq with connect_timeout and application_name, the
** dialect's session statements (and read-only ones when readOnly). */
/* The session's settings (the dialect's azSession, azReadOnly) as the
** startup packet carries them (libpq's options: "-c name=value", a space in
** a value escaped), so that a new connection needs no round trip for them;
** a user's own options= in the URI replaces these, and then pgConnect sets
** them with SET, as it does behind a pooler that refuses them. */
static const char zPgStartup[] =
  "-c TimeZone=UTC -c DateStyle=ISO,\\ YMD -c IntervalStyle=iso_8601 "
  "-c extra_float_digits=3";
static const char zPgStartupRo[] = "-c TimeZone=UTC -c DateStyle=ISO,\\ YMD "
                                   "-c IntervalStyle=iso_8601 -c extra_float_digits=3 "
                                   "-c default_transaction_read_only=on";

/* Did the server take zPgStartup?  It reports these settings at startup
** (extra_float_digits, not reported, came in the same options). */
static int startup_taken(PGconn *pg) {
  static const char *const az[] = {
    "client_encoding", "UTF8",          "TimeZone", "UTC", "DateStyle",
    "ISO, YMD",        "IntervalStyle", "iso_8601", 0
  };
  for( int i = 0; az[i]; i += 2 ) {
    const char *z = PQparameterStatus(pg, az[i]);
    if( !z || strcmp(z, az[i + 1]) != 0 ) return 0;
  }
  return 1;
}

static int pgConnect(const char *zUri, int timeout, int readOnly, pt_conn **ppConn, char **pzErr) {
  char zTimeout[16];
  snprintf(zTimeout, sizeof zTimeout, "%d", timeout);
  /* before dbname: what the URI says wins */
  const char *azKey[] = { "connect_timeout", "application_name", "client_encoding",
                          "options",         "dbname",           0 };
  const char *azVal[] = {
    zTimeout, "pontoon", "UTF8", readOnly ? zPgStartupRo : zPgStartup, zUri, 0
  };
  *ppConn = 0;
  PGconn *pg = PQconnectdbParams(azKey, azVal, 1);
  if( pg && PQstatus(pg) != CONNECTION_OK && strstr(PQerrorMessage(pg), "startup parameter") ) {
    /* a pooler that refuses startup options (PgBouncer): without them;
    ** the settings then go with SET */
    PQfinish(pg);
    azKey[2] = "dbname";
    azVal[2] = zUri;
    azKey[3] = 0;
    azVal[3] = 0;
    pg = PQconnectdbParams(azKey, azVal, 1);
  }
  if( !pg ) return SQLITE_NOMEM;
  if( PQstatus(pg) != CONNECTION_OK ) {
    char *z = sqlite3_mprintf("%s", PQerrorMessage(pg));
    if( z ) {
      int n = (int)strlen(z);
      while( n > 0 && (z[n - 1] == '\n' || z[n - 1] == ' ') ) z[--n] = 0;
      for( char *p = z; *p; p++ )
        if( *p == '\n' ) *p = ' ';
    }
    *pzErr = z;
    PQfinish(pg);
    return SQLITE_CANTOPEN;
  }
  PQsetNoticeProcessor(pg, notice_quiet, 0);
  pg_conn *c = sqlite3_malloc(sizeof(*c));
  if( !c ) {
    PQfinish(pg);
    return SQLITE_NOMEM;
  }
  memset(c, 0, sizeof(*c));
  c->base.pDriver = &pt_pg_driver;
  c->pg = pg;
  PQsetNoticeProcessor(pg, notice_quiet, &c->fatal);
  const char *zV = PQparameterStatus(pg, "server_version");
  c->zVersion = sqlite3_mprintf("PostgreSQL %s", zV ? zV : "?");
  /* the session's settings: taken at startup, or else in one round trip
  ** (a link's latency counts once per connection, not once per setting) */
  if( startup_taken(pg) ) {
    c->readOnly = readOnly;
    *ppConn = &c->base;
    return SQLITE_OK;
  }
  sqlite3_str *pin = sqlite3_str_new(0);
  sqlite3_str_appendall(pin, "SET client_encoding = 'UTF8'");
  for( const char *const *az = pt_dialect_postgresql.azSession; *az; az++ ) {
    sqlite3_str_appendf(pin, "; %s", *az);
  }
  for( const char *const *az = pt_dialect_postgresql.azReadOnly; readOnly && *az; az++ ) {
    /* belt and braces: what guarantees read-only is ro_begin() below */
    sqlite3_str_appendf(pin, "; %s", *az);
    c->readOnly = 1;
  }
  char *zPin = sqlite3_str_finish(pin);
  int rc = zPin ? exec_simple(c, zPin, pzErr) : SQLITE_NOMEM;
  sqlite3_free(zPin);
  if( rc != SQLITE_OK ) {
    PQfinish(pg);
    sqlite3_free(c->zVersion);
    sqlite3_free(c);
    return rc;
  }
  *ppConn = &c->base;
  return SQLITE_OK;
}

static void pgDisconnect(pt_conn *p) {
  pg_conn *c = (pg_conn *)p;
  if( !c ) return;
  PQfinish(c->pg);
  for( int i = 0; i < PG_STMT_MAX; i++ ) sqlite3_free(c->aStmt[i].zSql);
  sqlite3_free(c->zVersion);
  sqlite3_free(c->zQueuedErr);
  sqlite3_free(c);
}

/*
** Alive: libpq's status, and for an idle connection (no query, no COPY, no
** transaction) a look at its socket: a server that went away (a restart,
** an administrator's pg_terminate_backend) leaves its farewell or the end
** of the stream there, which libpq learns only when it reads.  Reading it
** now makes the pool drop the connection instead of lending it dead.
*/
static int pgAlive(pt_conn *p) {
  pg_conn *c = (pg_conn *)p;
  if( PQstatus(c->pg) != CONNECTION_OK || c->fatal ) return 0;
  if( c->pPending || c->pCopy || c->nQueued ) return 1; /* pontoon's own command in flight */
  /* busy with nothing of pontoon's in flight: the server sent something on
  ** its own, which it does only as it goes away (FATAL: terminating
  ** connection); libpq keeps the connection "active" until it is read */
  if( PQtransactionStatus(c->pg) == PQTRANS_ACTIVE ) return 0;
  if( PQtransactionStatus(c->pg) != PQTRANS_IDLE ) return 1;
  struct pollfd pfd;
  pfd.fd = PQsocket(c->pg);
  pfd.events = POLLIN;
  pfd.revents = 0;
  if( pfd.fd < 0 ) return 0;
  if( poll(&pfd, 1, 0) > 0 ) {
    if( !PQconsumeInput(c->pg) ) return 0;
    PQisBusy(c->pg); /* parses what was read (PQconsumeInput only reads) */
    if( PQstatus(c->pg) != CONNECTION_OK ) return 0;
    if( PQtransactionStatus(c->pg) == PQTRANS_ACTIVE || c->fatal )
      return 0; /* the same, just read */
    /* a notice or a notification: the connection is fine */
    PGnotify *n;
    while( (n = PQnotifies(c->pg)) != 0 ) PQfreemem(n);
  }
  return 1;
}

static void pgInfo(pt_conn *p, pt_server_info *pInfo) {
  pg_conn *c = (pg_conn *)p;
  pInfo->zHost = PQhost(c->pg);
  pInfo->zPort = PQport(c->pg);
  pInfo->zDatabase = PQdb(c->pg);
  pInfo->zUser = PQuser(c->pg);
  pInfo->zVersion = c->zVersion;
}

/* ---- catalog ---- */

/* The kind of a column from its base type (domains resolved). */
static pt_kind kind_of(Oid base, char typtype, char category, int deterministic) {
  switch( base ) {
    case 16: return PT_K_BOOL;
    case 20:
    case 21:
    case 23:
    case 26: return PT_K_INT;
    case 700:
    case 701: return PT_K_REAL;
    case 1700: return PT_K_DECIMAL;
    case 25:
    case 1043:
    case 19: return deterministic ? PT_K_TEXT : PT_K_OTHER;
    case 1042: return deterministic ? PT_K_CHAR : PT_K_OTHER;
    case 17: return PT_K_BLOB;
    case 1082: return PT_K_DATE;
    case 1083: return PT_K_TIME;
    case 1114: return PT_K_TIMESTAMP;
    case 1184: return PT_K_TIMESTAMPTZ;
    case 1186: return PT_K_INTERVAL;
    case 2950: return PT_K_UUID;
    case 114:
    case 3802: return PT_K_JSON;
    default: break;
  }
  if( typtype == 'e' ) return PT_K_ENUM;
  if( category == 'A' ) return PT_K_ARRAY;
  return PT_K_OTHER;
}

/* Base type, its typtype and category, for each type oid in $1 (oid[]). */
#define BASE_TYPE_SQL \
  "SELECT o.t, b.oid, b.typtype, b.typcategory FROM unnest($1::oid[]) AS o(t) " \
  "JOIN LATERAL (WITH RECURSIVE d(oid, typtype, typbasetype) AS (" \
  "  SELECT oid, typtype, typbasetype FROM pg_type WHERE oid = o.t" \
  "  UNION ALL SELECT p.oid, p.typtype, p.typbasetype FROM pg_type p JOIN d ON p.oid = d.typbasetype" \
  "  WHERE d.typtype = 'd') SELECT oid FROM d WHERE typtype <> 'd') AS base ON true " \
  "JOIN pg_type b ON b.oid = base.oid"

static PGresult *exec_params(pg_conn *c, const char *zSql, int n, const char *const *az,
                             char **pzErr) {
  pg_drain(c);
  pt_trace("pg: %s", zSql);
  PGresult *r = PQexecParams(c->pg, zSql, n, 0, az, 0, 0, 0);
  ExecStatusType st = PQresultStatus(r);
  if( st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK ) {
    *pzErr = result_error(r, c->pg);
    PQclear(r);
    return 0;
  }
  return r;
}

/* Fill kinds of desc columns from type oids (aOid) and collation flags. */
static int classify(pg_conn *c, pt_table_desc *d, const Oid *aOid, const int *aDet, char **pzErr) {
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendchar(s, 1, '{');
  for( int i = 0; i < d->nCol; i++ ) sqlite3_str_appendf(s, "%s%u", i ? "," : "", aOid[i]);
  sqlite3_str_appendchar(s, 1, '}');
  char *zArr = sqlite3_str_finish(s);
  const char *az[1] = { zArr };
  PGresult *r = exec_params(c, BASE_TYPE_SQL, 1, az, pzErr);
  sqlite3_free(zArr);
  if( !r ) return SQLITE_ERROR;
  for( int i = 0; i < d->nCol; i++ ) {
    d->aCol[i].kind = PT_K_OTHER;
    for( int j = 0; j < PQntuples(r); j++ ) {
      if( (Oid)strtoul(PQgetvalue(r, j, 0), 0, 10) == aOid[i] ) {
        d->aCol[i].kind = kind_of((Oid)strtoul(PQgetvalue(r, j, 1), 0, 10), PQgetvalue(r, j, 2)[0],
                                  PQgetvalue(r, j, 3)[0], aDet ? aDet[i] : 1);
        break;
      }
    }
  }
  PQclear(r);
  return SQLITE_OK;
}

static void quote_ident(sqlite3_str *s, const char *z) {
  sqlite3_str_appendchar(s, 1, '"');
  for( ; *z; z++ ) {
    if( *z == '"' ) sqlite3_str_appendchar(s, 1, '"');
    sqlite3_str_appendchar(s, 1, *z);
  }
  sqlite3_str_appendchar(s, 1, '"');
}

/*
** The table zSchema.zTable (the search path's when zSchema is NULL) in one
** round trip: the relation, then a row per column with its type, its base
** type (through domains), its collation's determinism and its place in
** the primary key.  A table without columns gives one row of NULLs.
*/
#define DESCRIBE_SQL \
  "SELECT c.oid, n.nspname, c.relkind, c.reltuples, a.attname, a.atttypid, " \
  "format_type(a.atttypid, a.atttypmod), a.attnotnull, " \
  "coalesce((SELECT collisdeterministic FROM pg_collation WHERE oid = a.attcollation), true), " \
  "coalesce((SELECT k.n FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(att, n) " \
  "          WHERE i.indrelid = a.attrelid AND i.indisprimary AND k.att = a.attnum), 0), " \
  "b.oid, b.typtype, b.typcategory " \
  "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " \
  "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped " \
  "LEFT JOIN LATERAL (WITH RECURSIVE d(oid, typtype, typbasetype) AS (" \
  "  SELECT oid, typtype, typbasetype FROM pg_type WHERE oid = a.atttypid" \
  "  UNION ALL SELECT p.oid, p.typtype, p.typbasetype FROM pg_type p JOIN d ON p.oid = d.typbasetype" \
  "  WHERE d.typtype = 'd') SELECT oid FROM d WHERE typtype <> 'd') AS base ON true " \
  "LEFT JOIN pg_type b ON b.oid = base.oid " \
  "WHERE c.oid = to_regclass($1) ORDER BY a.attnum"

static int pgDescribe(pt_conn *p, const char *zSchema, const char *zTable, pt_table_desc **ppDesc,
                      char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  *ppDesc = 0;
  sqlite3_str *s = sqlite3_str_new(0);
  if( zSchema ) {
    quote_ident(s, zSchema);
    sqlite3_str_appendchar(s, 1, '.');
  }
  quote_ident(s, zTable);
  char *zReg = sqlite3_str_finish(s);
  const char *az[1] = { zReg };
  PGresult *r = exec_params(c, DESCRIBE_SQL, 1, az, pzErr);
  if( !r ) {
    sqlite3_free(zReg);
    return SQLITE_ERROR;
  }
  if( PQntuples(r) == 0 ) {
    *pzErr = sqlite3_mprintf("relation %s does not exist", zReg);
    sqlite3_free(zReg);
    PQclear(r);
    return SQLITE_NOTFOUND;
  }
  sqlite3_free(zReg);
  int n = PQgetisnull(r, 0, 4) ? 0 : PQntuples(r);
  pt_table_desc *d = pt_desc_new(n);
  if( !d ) {
    PQclear(r);
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < n; i++ ) {
    pt_column *col = &d->aCol[i];
    col->zName = pt_strdup(PQgetvalue(r, i, 4));
    col->zRemoteType = pt_strdup(PQgetvalue(r, i, 6));
    col->notNull = PQgetvalue(r, i, 7)[0] == 't';
    col->iKey = atoi(PQgetvalue(r, i, 9));
    col->kind = PQgetisnull(r, i, 10)
      ? PT_K_OTHER
      : kind_of((Oid)strtoul(PQgetvalue(r, i, 10), 0, 10), PQgetvalue(r, i, 11)[0],
                PQgetvalue(r, i, 12)[0], PQgetvalue(r, i, 8)[0] == 't');
  }
  char relkind = PQgetvalue(r, 0, 2)[0];
  d->zSchema = pt_strdup(PQgetvalue(r, 0, 1));
  d->isView = relkind == 'v' || relkind == 'm';
  d->nRowEstimate = d->isView ? -1 : atof(PQgetvalue(r, 0, 3));
  PQclear(r);
  *ppDesc = d;
  return SQLITE_OK;
}

static int describe_query(pg_conn *c, const char *zQuery, pt_table_desc **ppDesc, char **pzErr);
static int pgDescribeQuery(pt_conn *p, const char *zQuery, pt_table_desc **ppDesc, char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  *ppDesc = 0;
  pg_drain(c);
  int opened;
  if( ro_begin(c, &opened, pzErr) != SQLITE_OK ) return SQLITE_ERROR;
  int rc = describe_query(c, zQuery, ppDesc, pzErr);
  ro_end(c, opened);
  return rc;
}

/* The columns of zQuery, from the unnamed statement prepared and
** described without running it. */
static int describe_query(pg_conn *c, const char *zQuery, pt_table_desc **ppDesc, char **pzErr) {
  char *zSql = sqlite3_mprintf("SELECT * FROM (%s) AS q", zQuery);
  PGresult *r = PQprepare(c->pg, "", zSql, 0, 0);
  sqlite3_free(zSql);
  if( PQresultStatus(r) != PGRES_COMMAND_OK ) {
    *pzErr = result_error(r, c->pg);
    PQclear(r);
    return SQLITE_ERROR;
  }
  PQclear(r);
  r = PQdescribePrepared(c->pg, "");
  if( PQresultStatus(r) != PGRES_COMMAND_OK ) {
    *pzErr = result_error(r, c->pg);
    PQclear(r);
    return SQLITE_ERROR;
  }
  int n = PQnfields(r);
  pt_table_desc *d = pt_desc_new(n);
  Oid *aOid = sqlite3_malloc64(sizeof(Oid) * (n + 1));
  if( !d || !aOid ) {
    PQclear(r);
    pt_desc_free(d);
    sqlite3_free(aOid);
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < n; i++ ) {
    d->aCol[i].zName = pt_strdup(PQfname(r, i));
    aOid[i] = PQftype(r, i);
  }
  PQclear(r);
  int rc = n > 0 ? classify(c, d, aOid, 0, pzErr) : SQLITE_OK;
  sqlite3_free(aOid);
  if( rc != SQLITE_OK ) {
    pt_desc_free(d);
    return rc;
  }
  if( n == 0 ) {
    pt_desc_free(d);
    *pzErr = sqlite3_mprintf("the query returns no columns");
    return SQLITE_ERROR;
  }
  *ppDesc = d;
  return SQLITE_OK;
}

static int pgListTables(pt_conn *p, const char *zSchema, const char *zLike, char ***pazName,
                        int *pn, char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  const char *az[2] = { zSchema, zLike };
  *pazName = 0;
  *pn = 0;
  PGresult *r = exec_params(
    c,
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = coalesce($1, current_schema()) AND c.relkind IN ('r','v','m','f','p') "
    "AND NOT c.relispartition AND ($2::text IS NULL OR c.relname LIKE $2) "
    "ORDER BY c.relname COLLATE \"C\"",
    2, az, pzErr);
  if( !r ) return SQLITE_ERROR;
  int n = PQntuples(r);
  if( n == 0 && zSchema ) {
    /* nothing listed: an empty schema, or none at all (an error) */
    PQclear(r);
    r = exec_params(c, "SELECT 1 FROM pg_namespace WHERE nspname = $1", 1, az, pzErr);
    if( !r ) return SQLITE_ERROR;
    int found = PQntuples(r) > 0;
    PQclear(r);
    if( found ) return SQLITE_OK;
    *pzErr = sqlite3_mprintf("schema \"%s\" does not exist", zSchema);
    return SQLITE_NOTFOUND;
  }
  char **a = sqlite3_malloc64(sizeof(char *) * (n + 1));
  if( !a ) {
    PQclear(r);
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < n; i++ ) a[i] = pt_strdup(PQgetvalue(r, i, 0));
  PQclear(r);
  *pazName = a;
  *pn = n;
  return SQLITE_OK;
}

/* ---- reading ---- */

/* Free the connection for another command: end an open COPY (its error
** waits in its bulk writer) and collect the FETCH in flight into its
** cursor. */
static void pg_drain(pg_conn *c) {
  if( c->nQueued ) pipeline_end(c);
  if( c->pCopy ) copy_end(c->pCopy);
  pg_cursor *cur = c->pPending;
  if( !cur ) return;
  c->pPending = 0;
  PGresult *keep = first_result(c->pg);
  cur->inFlight = 0;
  if( !keep || PQresultStatus(keep) != PGRES_TUPLES_OK ) {
    cur->zNextErr = result_error(keep, c->pg);
    PQclear(keep);
    return;
  }
  cur->resNext = keep;
}

static int send_fetch(pg_cursor *cur) {
  char zSql[64];
  if( cur->c->pCopy ) copy_end(cur->c->pCopy);
  snprintf(zSql, sizeof zSql, "FETCH %d FROM %s", cur->nFetch, cur->zName);
  pt_trace("pg (sent): %s", zSql);
  if( !PQsendQueryParams(cur->c->pg, zSql, 0, 0, 0, 0, 0, 1) ) {
    cur->zNextErr = result_error(0, cur->c->pg);
    return SQLITE_ERROR;
  }
  cur->inFlight = 1;
  cur->c->pPending = cur;
  return SQLITE_OK;
}

static void cursor_txn_failed(pg_conn *c) {
  if( c->implicitTxn ) c->txnFailed = 1;
}

static int pgOpen(pt_conn *p, const pt_stmt *pSt, int nParam, const pt_param *aParam, int nCol,
                  const pt_kind *aKind, int nFetch, pt_cursor **ppCur, char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  const char *zSql = pSt->zSql; /* $n: the server numbers the parameters */
  *ppCur = 0;
  pg_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if( !cur ) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  cur->base.pConn = p;
  cur->c = c;
  cur->nCol = nCol;
  cur->aKind = sqlite3_malloc64(sizeof(pt_kind) * (nCol + 1));
  cur->aType = sqlite3_malloc64(sizeof(Oid) * (nCol + 1));
  cur->apScratch = sqlite3_malloc64(sizeof(sqlite3_str *) * (nCol + 1));
  cur->aScratch = sqlite3_malloc64(sizeof(*cur->aScratch) * (nCol + 1));
  if( !cur->aKind || !cur->aType || !cur->apScratch || !cur->aScratch ) {
    sqlite3_free(cur->aKind);
    sqlite3_free(cur->aType);
    sqlite3_free(cur->apScratch);
    sqlite3_free(cur->aScratch);
    sqlite3_free(cur);
    return SQLITE_NOMEM;
  }
  memset(cur->apScratch, 0, sizeof(sqlite3_str *) * (nCol + 1));
  memcpy(cur->aKind, aKind, sizeof(pt_kind) * nCol);
  cur->firstBatch = 1;

  const char **azVal = sqlite3_malloc64(sizeof(char *) * (nParam + 1));
  int *anLen = sqlite3_malloc64(sizeof(int) * (nParam + 1));
  int *anFmt = sqlite3_malloc64(sizeof(int) * (nParam + 1));
  if( !azVal || !anLen || !anFmt ) {
    sqlite3_free(azVal);
    sqlite3_free(anLen);
    sqlite3_free(anFmt);
    pt_pg_driver.xClose(&cur->base);
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < nParam; i++ ) {
    azVal[i] = aParam[i].z;
    anLen[i] = aParam[i].n;
    anFmt[i] = aParam[i].isBinary;
  }
  pg_drain(c);
  int rc = SQLITE_OK;
  if( nFetch == PT_FETCH_FEW ) {
    PGresult *r = 0;
    for( int nTry = 0;; nTry++ ) {
      int opened, retry;
      rc = ro_begin(c, &opened, pzErr);
      if( rc != SQLITE_OK ) break;
      int idle = opened || PQtransactionStatus(c->pg) == PQTRANS_IDLE;
      r = stmt_exec(c, zSql, nParam, azVal, anLen, anFmt, 1, &retry);
      ro_end(c, opened);
      if( !retry || !idle || nTry > 0 ) break;
      PQclear(r); /* the cache's failure, no transaction hurt: once more */
      r = 0;
    }
    if( rc != SQLITE_OK ) {
      /* *pzErr is set */
    } else if( PQresultStatus(r) != PGRES_TUPLES_OK ) {
      *pzErr = result_error(r, c->pg);
      PQclear(r);
      rc = SQLITE_ERROR;
    } else {
      cur->resNext = r;
      cur->lastBatch = 1;
    }
  } else {
    cur->nFetch = nFetch > 0 ? nFetch : 1000;
    cur->adaptive = nFetch <= 0;
    if( PQtransactionStatus(c->pg) == PQTRANS_IDLE ) {
      rc = exec_simple(c,
                       c->readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                   : "BEGIN ISOLATION LEVEL REPEATABLE READ",
                       pzErr);
      if( rc == SQLITE_OK ) {
        c->implicitTxn = 1;
        c->txnFailed = 0;
      }
    }
    if( rc == SQLITE_OK ) {
      snprintf(cur->zName, sizeof cur->zName, "pt_c%u", ++c->nextCursor);
      char *zDecl = sqlite3_mprintf("DECLARE %s NO SCROLL CURSOR FOR %s", cur->zName, zSql);
      pt_trace("pg: %s", zDecl);
      PGresult *r = PQexecParams(c->pg, zDecl, nParam, 0, azVal, anLen, anFmt, 0);
      sqlite3_free(zDecl);
      if( PQresultStatus(r) != PGRES_COMMAND_OK ) {
        *pzErr = result_error(r, c->pg);
        rc = SQLITE_ERROR;
        cursor_txn_failed(c);
      } else {
        cur->declared = 1;
        c->nCursor++;
        if( send_fetch(cur) != SQLITE_OK ) {
          *pzErr = cur->zNextErr;
          cur->zNextErr = 0;
          rc = SQLITE_ERROR;
        }
      }
      PQclear(r);
      if( rc != SQLITE_OK && !cur->declared && c->implicitTxn && c->nCursor == 0 ) {
        exec_simple(c, "ROLLBACK", 0);
        c->implicitTxn = 0;
      }
    }
  }
  sqlite3_free(azVal);
  sqlite3_free(anLen);
  sqlite3_free(anFmt);
  if( rc != SQLITE_OK ) {
    pt_pg_driver.xClose(&cur->base);
    return rc;
  }
  *ppCur = &cur->base;
  return SQLITE_OK;
}

/* xNext: the next row of the current result, else the next batch of the
** cursor (a result already sent for, or the next one asked for). */
static int pgNext(pt_cursor *p, char **pzErr) {
  pg_cursor *cur = (pg_cursor *)p;
  pg_conn *c = cur->c;
  if( cur->res && ++cur->iRow < cur->nRow ) return SQLITE_ROW;
  for( ;; ) {
    PQclear(cur->res);
    cur->res = 0;
    if( !cur->resNext && cur->inFlight ) {
      if( c->pPending == cur ) pg_drain(c);
    }
    if( cur->zNextErr ) {
      *pzErr = cur->zNextErr;
      cur->zNextErr = 0;
      cursor_txn_failed(c);
      return SQLITE_ERROR;
    }
    if( !cur->resNext ) return SQLITE_DONE;
    cur->res = cur->resNext;
    cur->resNext = 0;
    cur->nRow = PQntuples(cur->res);
    cur->iRow = 0;
    if( cur->firstBatch ) {
      cur->firstBatch = 0;
      for( int i = 0; i < cur->nCol && i < PQnfields(cur->res); i++ )
        cur->aType[i] = PQftype(cur->res, i);
    }
    if( !cur->lastBatch ) {
      if( cur->nRow < cur->nFetch ) {
        cur->lastBatch = 1;
      } else {
        /* size the next batch for about 4 MB, then ask for it at once */
        size_t nByte = PQresultMemorySize(cur->res);
        double perRow = cur->nRow ? (double)nByte / cur->nRow : 100.0;
        if( perRow < 1 ) perRow = 1;
        int want = (int)(4.0 * 1024 * 1024 / perRow);
        if( want < 100 ) want = 100;
        if( want > 50000 ) want = 50000;
        if( cur->adaptive && cur->nFetch < want && cur->nFetch < 50000 )
          cur->nFetch = cur->nFetch * 4 < want ? cur->nFetch * 4 : want;
        if( send_fetch(cur) != SQLITE_OK ) {
          *pzErr = cur->zNextErr;
          cur->zNextErr = 0;
          cursor_txn_failed(c);
          return SQLITE_ERROR;
        }
      }
    }
    if( cur->nRow > 0 ) return SQLITE_ROW;
  }
}

static uint16_t get16(const unsigned char *z) { return (uint16_t)(z[0] << 8 | z[1]); }
static uint32_t get32(const unsigned char *z) {
  return (uint32_t)z[0] << 24 | (uint32_t)z[1] << 16 | (uint32_t)z[2] << 8 | z[3];
}
static uint64_t get64(const unsigned char *z) { return (uint64_t)get32(z) << 32 | get32(z + 4); }

/* PostgreSQL's binary numeric as decimal text, as numeric_out writes it. */
static void numeric_text(sqlite3_str *s, const unsigned char *z, int n) {
  if( n < 8 ) {
    sqlite3_str_appendall(s, "NaN");
    return;
  }
  int ndigits = (int16_t)get16(z), weight = (int16_t)get16(z + 2);
  uint16_t sign = get16(z + 4);
  int dscale = (int16_t)get16(z + 6);
  if( sign == 0xC000 ) {
    sqlite3_str_appendall(s, "NaN");
    return;
  }
  if( sign == 0xD000 ) {
    sqlite3_str_appendall(s, "Infinity");
    return;
  }
  if( sign == 0xF000 ) {
    sqlite3_str_appendall(s, "-Infinity");
    return;
  }
  if( n < 8 + 2 * ndigits ) ndigits = (n - 8) / 2;
  if( sign == 0x4000 ) sqlite3_str_appendchar(s, 1, '-');
  /* integer part */
  if( weight < 0 ) {
    sqlite3_str_appendchar(s, 1, '0');
  } else {
    for( int d = 0; d <= weight; d++ ) {
      int dig = d < ndigits ? (int16_t)get16(z + 8 + 2 * d) : 0;
      if( d == 0 )
        sqlite3_str_appendf(s, "%d", dig);
      else
        sqlite3_str_appendf(s, "%04d", dig);
    }
  }
  if( dscale > 0 ) {
    sqlite3_str_appendchar(s, 1, '.');
    int written = 0;
    for( int d = weight + 1; written < dscale; d++ ) {
      int dig = (d >= 0 && d < ndigits) ? (int16_t)get16(z + 8 + 2 * d) : 0;
      char buf[8];
      snprintf(buf, sizeof buf, "%04d", dig);
      int take = dscale - written < 4 ? dscale - written : 4;
      sqlite3_str_append(s, buf, take);
      written += take;
    }
  }
}

static int hexnib(int c) {
  if( c >= '0' && c <= '9' ) return c - '0';
  if( c >= 'a' && c <= 'f' ) return c - 'a' + 10;
  if( c >= 'A' && c <= 'F' ) return c - 'A' + 10;
  return -1;
}

/* Microseconds since 2000-01-01 as pontoon's timestamp text, into out
** (at least 64 bytes); returns the length. */
static int timestamp_chars(char *out, int64_t us, int tz) {
  if( us == INT64_MAX ) {
    memcpy(out, "infinity", 8);
    return 8;
  }
  if( us == INT64_MIN ) {
    memcpy(out, "-infinity", 9);
    return 9;
  }
  int64_t day = us / 86400000000LL, rem = us % 86400000000LL;
  if( rem < 0 ) {
    rem += 86400000000LL;
    day--;
  }
  int n = pt_date_chars(out, day + 10957);
  out[n++] = ' ';
  n += pt_time_chars(out + n, rem);
  if( tz ) {
    memcpy(out + n, "+00:00", 6);
    n += 6;
  }
  return n;
}

static const double aPow10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/*
** A binary numeric straight to INTEGER or REAL when value.c's rule allows
** (whole within int64; at most 15 significant digits), without text.
** Returns 0 when the value needs the exact text path.  M / 10^s with both
** exact is correctly rounded, so the double equals strtod's.
*/
static int numeric_fast(const unsigned char *z, int n, pt_value *v) {
  if( n < 8 ) return 0;
  int nd = (int16_t)get16(z), weight = (int16_t)get16(z + 2);
  uint16_t sign = get16(z + 4);
  if( sign != 0x0000 && sign != 0x4000 ) return 0;
  if( n < 8 + 2 * nd ) return 0;
  while( nd > 0 && get16(z + 8 + 2 * (nd - 1)) == 0 ) nd--;
  if( nd == 0 ) {
    v->type = PT_V_INT;
    v->i = 0;
    return 1;
  }
  if( nd > 5 ) return 0;
  unsigned __int128 m = 0;
  for( int i = 0; i < nd; i++ ) m = m * 10000 + get16(z + 8 + 2 * i);
  int scale = 4 * (nd - 1 - weight); /* decimal places */
  if( scale <= 0 ) {
    for( int i = 0; i < -scale; i++ ) m *= 10;
    if( m > ((unsigned __int128)1 << 63) - (sign == 0x4000 ? 0 : 1) ) return 0;
    v->type = PT_V_INT;
    v->i = sign == 0x4000 ? (int64_t)(0 - (uint64_t)m) : (int64_t)m;
    return 1;
  }
  while( scale > 0 && m % 10 == 0 ) {
    m /= 10;
    scale--;
  }
  if( scale == 0 ) {
    if( m > ((unsigned __int128)1 << 63) - (sign == 0x4000 ? 0 : 1) ) return 0;
    v->type = PT_V_INT;
    v->i = sign == 0x4000 ? (int64_t)(0 - (uint64_t)m) : (int64_t)m;
    return 1;
  }
  if( m >= (unsigned __int128)1000000000000000ULL || scale > 22 ) return 0; /* > 15 digits */
  double r = (double)(uint64_t)m / aPow10[scale];
  v->type = PT_V_REAL;
  v->r = sign == 0x4000 ? -r : r;
  return 1;
}

/* xColumn: column i of the current row, from its text or binary form, as
** pontoon's value of the column's kind (docs/types.md). */
static void pgColumn(pt_cursor *p, int i, pt_value *v) {
  pg_cursor *cur = (pg_cursor *)p;
  PGresult *r = cur->res;
  memset(v, 0, sizeof(*v));
  if( !r || i >= PQnfields(r) || PQgetisnull(r, cur->iRow, i) ) {
    v->type = PT_V_NULL;
    return;
  }
  const unsigned char *z = (const unsigned char *)PQgetvalue(r, cur->iRow, i);
  int n = PQgetlength(r, cur->iRow, i);
  if( i >= cur->nCol ) {
    v->type = PT_V_NULL;
    return;
  }
  char *buf = cur->aScratch[i];
  if( !cur->apScratch[i] ) cur->apScratch[i] = sqlite3_str_new(0);
  sqlite3_str *s = cur->apScratch[i];
  switch( cur->aKind[i] ) {
    case PT_K_INT:
      v->type = PT_V_INT;
      if( n == 2 )
        v->i = (int16_t)get16(z);
      else if( n == 4 )
        v->i = cur->aType[i] == 26 ? (int64_t)get32(z) : (int64_t)(int32_t)get32(z);
      else if( n == 8 )
        v->i = (int64_t)get64(z);
      else
        v->type = PT_V_NULL;
      return;
    case PT_K_BOOL:
      v->type = PT_V_INT;
      v->i = n > 0 && z[0] ? 1 : 0;
      return;
    case PT_K_REAL: {
      double d;
      if( n == 4 ) {
        uint32_t u = get32(z);
        float f;
        memcpy(&f, &u, 4);
        d = f;
      } else if( n == 8 ) {
        uint64_t u = get64(z);
        memcpy(&d, &u, 8);
      } else {
        v->type = PT_V_NULL;
        return;
      }
      if( isnan(d) ) {
        v->type = PT_V_TEXT;
        v->p = "NaN";
        v->n = 3;
        return;
      }
      v->type = PT_V_REAL;
      v->r = d;
      return;
    }
    case PT_K_DECIMAL:
      if( numeric_fast(z, n, v) ) return;
      sqlite3_str_reset(s);
      numeric_text(s, z, n);
      v->type = PT_V_DECIMAL;
      break;
    case PT_K_BLOB:
      v->type = PT_V_BLOB;
      v->p = (const char *)z;
      v->n = n;
      return;
    case PT_K_DATE: {
      if( n != 4 ) {
        v->type = PT_V_NULL;
        return;
      }
      int32_t days = (int32_t)get32(z);
      v->type = PT_V_TEXT;
      v->p = buf;
      if( days == INT32_MAX ) {
        v->p = "infinity";
        v->n = 8;
      } else if( days == INT32_MIN ) {
        v->p = "-infinity";
        v->n = 9;
      } else
        v->n = pt_date_chars(buf, (int64_t)days + 10957);
      return;
    }
    case PT_K_TIME:
      if( n != 8 ) {
        v->type = PT_V_NULL;
        return;
      }
      v->type = PT_V_TEXT;
      v->p = buf;
      v->n = pt_time_chars(buf, (int64_t)get64(z));
      return;
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ:
      if( n != 8 ) {
        v->type = PT_V_NULL;
        return;
      }
      v->type = PT_V_TEXT;
      v->p = buf;
      v->n = timestamp_chars(buf, (int64_t)get64(z), cur->aKind[i] == PT_K_TIMESTAMPTZ);
      return;
    case PT_K_UUID: {
      static const char hex[] = "0123456789abcdef";
      if( n != 16 ) {
        v->type = PT_V_NULL;
        return;
      }
      int o = 0;
      for( int k = 0; k < 16; k++ ) {
        if( k == 4 || k == 6 || k == 8 || k == 10 ) buf[o++] = '-';
        buf[o++] = hex[z[k] >> 4];
        buf[o++] = hex[z[k] & 15];
      }
      v->type = PT_V_TEXT;
      v->p = buf;
      v->n = o;
      return;
    }
    default:
      /* text, char(n), enum, and the kinds selected as ::text */
      v->type = PT_V_TEXT;
      v->p = (const char *)z;
      v->n = n;
      return;
  }
  v->p = sqlite3_str_value(s) ? sqlite3_str_value(s) : "";
  v->n = sqlite3_str_length(s);
}

static void pgClose(pt_cursor *p) {
  pg_cursor *cur = (pg_cursor *)p;
  if( !cur ) return;
  pg_conn *c = cur->c;
  if( c->pPending == cur ) pg_drain(c);
  PQclear(cur->res);
  PQclear(cur->resNext);
  sqlite3_free(cur->zNextErr);
  if( cur->declared ) {
    c->nCursor--;
    if( PQstatus(c->pg) == CONNECTION_OK ) {
      char zSql[96];
      int ok = PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
      if( c->nCursor == 0 && c->implicitTxn ) {
        /* the read-only connection never commits (ro_begin) */
        snprintf(zSql, sizeof zSql,
                 ok && !c->txnFailed && !c->readOnly ? "CLOSE %s; COMMIT" : "ROLLBACK", cur->zName);
        c->implicitTxn = 0;
        c->txnFailed = 0;
        exec_simple(c, zSql, 0);
      } else if( ok ) {
        snprintf(zSql, sizeof zSql, "CLOSE %s", cur->zName);
        exec_simple(c, zSql, 0);
      }
    }
  }
  for( int i = 0; cur->apScratch && i < cur->nCol; i++ ) {
    if( cur->apScratch[i] ) sqlite3_free(sqlite3_str_finish(cur->apScratch[i]));
  }
  sqlite3_free(cur->apScratch);
  sqlite3_free(cur->aScratch);
  sqlite3_free(cur->aKind);
  sqlite3_free(cur->aType);
  sqlite3_free(cur);
}

/* ---- statements ---- */

static int pgExec(pt_conn *p, const pt_stmt *pSt, int nParam, const pt_param *aParam,
                  int64_t *pnChanged, char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  const char *zSql = pSt->zSql;
  const char **azVal = sqlite3_malloc64(sizeof(char *) * (nParam + 1));
  int *anLen = sqlite3_malloc64(sizeof(int) * (nParam + 1));
  int *anFmt = sqlite3_malloc64(sizeof(int) * (nParam + 1));
  if( !azVal || !anLen || !anFmt ) {
    sqlite3_free(azVal);
    sqlite3_free(anLen);
    sqlite3_free(anFmt);
    return SQLITE_NOMEM;
  }
  char **azConv = sqlite3_malloc64(sizeof(char *) * (nParam + 1));
  if( !azConv ) {
    sqlite3_free(azVal);
    sqlite3_free(anLen);
    sqlite3_free(anFmt);
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < nParam; i++ ) {
    azConv[i] = 0;
    azVal[i] = aParam[i].z;
    anLen[i] = aParam[i].n;
    anFmt[i] = aParam[i].isBinary;
    if( aParam[i].z && !aParam[i].isBinary ) {
      sqlite3_str *t = sqlite3_str_new(0);
      pg_input_text(t, aParam[i].kind, aParam[i].z, aParam[i].n);
      anLen[i] = sqlite3_str_length(t);
      azConv[i] = sqlite3_str_finish(t);
      azVal[i] = azConv[i] ? azConv[i] : "";
    }
  }
  pg_drain(c);
  pt_trace("pg: %s", zSql);
  /* without parameters the simple protocol runs several statements, as psql -c */
  PGresult *r = nParam == 0 ? PQexec(c->pg, zSql)
                            : PQexecParams(c->pg, zSql, nParam, 0, azVal, anLen, anFmt, 0);
  if( pSt->isUser && drops_statements(zSql) ) c->needResync = 1;
  for( int i = 0; i < nParam; i++ ) sqlite3_free(azConv[i]);
  sqlite3_free(azConv);
  sqlite3_free(azVal);
  sqlite3_free(anLen);
  sqlite3_free(anFmt);
  ExecStatusType st = PQresultStatus(r);
  if( st == PGRES_EMPTY_QUERY ) { /* only spaces or comments: nothing, as psql */
    PQclear(r);
    *pnChanged = 0;
    return SQLITE_OK;
  }
  if( st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK ) {
    *pzErr = result_error(r, c->pg);
    PQclear(r);
    return SQLITE_ERROR;
  }
  const char *zN = PQcmdTuples(r);
  *pnChanged = zN && zN[0] ? atoll(zN) : -1;
  PQclear(r);
  return SQLITE_OK;
}

/* ---- queued statements (pipeline mode) ----
** UPDATE and DELETE of many rows send one statement per row without waiting:
** the results are read when anything else needs the connection, or every
** PG_QUEUE_MAX statements so the server never blocks writing them. */
#define PG_QUEUE_MAX 1000

/* Record the first error of the queued statements. */
static void queued_error(pg_conn *c, int rc, char *z) {
  if( c->zQueuedErr || c->queuedRc ) {
    sqlite3_free(z);
    return;
  }
  c->zQueuedErr = z;
  c->queuedRc = rc;
}

/* Check that a queued UPDATE or DELETE by key matched exactly one row
** (driver.h, xSettle). */
static void queued_check_rows(pg_conn *c, const char *zTuples) {
  long long n = zTuples && zTuples[0] ? atoll(zTuples) : -1;
  if( n == 1 || n < 0 ) return;
  queued_error(
    c, SQLITE_CONSTRAINT,
    n == 0
      ? sqlite3_mprintf(
          "no row matched the key: the row was changed or deleted on the server since it was read")
      : sqlite3_mprintf(
          "%lld rows matched the key: the key does not identify one row (key= must name unique columns)",
          n));
}

/* The answer to queued command number iCmd, if it was a Parse: its
** statement is now prepared, or forgotten.  Returns 1 for a Parse. */
static int queued_parse_answer(pg_conn *c, int iCmd, int ok) {
  for( int i = 0; i < PG_STMT_MAX; i++ ) {
    pg_stmt *p = &c->aStmt[i];
    if( p->zSql && p->iPipe == iCmd ) {
      if( ok ) {
        p->iPipe = 0;
        c->nPipeParse--;
      } else {
        stmt_forget(c, p);
      }
      return 1;
    }
  }
  return 0;
}

/* Sync the queued statements (xExecQueued) and read every answer: the
** first error and each row count are recorded for xSettle, statements
** whose Parse never answered are forgotten; pipeline mode ends. */
static void pipeline_end(pg_conn *c) {
  if( !c->nQueued ) return;
  c->nQueued = 0;
  if( PQpipelineSync(c->pg) != 1 ) {
    queued_error(c, SQLITE_ERROR, result_error(0, c->pg));
  } else {
    int iCmd = 1; /* the queued command whose results come next */
    for( ;; ) {
      PGresult *r = PQgetResult(c->pg);
      if( !r ) {
        if( PQstatus(c->pg) != CONNECTION_OK ) {
          queued_error(c, SQLITE_ERROR, result_error(0, c->pg));
          break;
        }
        iCmd++;
        continue; /* end of one command's results */
      }
      ExecStatusType st = PQresultStatus(r);
      if( st == PGRES_PIPELINE_SYNC ) {
        PQclear(r);
        break;
      }
      int isParse = c->nPipeParse > 0 && queued_parse_answer(c, iCmd, st == PGRES_COMMAND_OK);
      if( st == PGRES_FATAL_ERROR )
        queued_error(c, SQLITE_ERROR, result_error(r, c->pg));
      else if( st == PGRES_COMMAND_OK && !isParse )
        queued_check_rows(c, PQcmdTuples(r));
      PQclear(r);
    }
  }
  /* Parses never answered (the connection broke): not prepared */
  for( int i = 0; c->nPipeParse > 0 && i < PG_STMT_MAX; i++ ) {
    if( c->aStmt[i].iPipe ) stmt_forget(c, &c->aStmt[i]);
  }
  c->nPipeCmd = 0;
  PQexitPipelineMode(c->pg);
}

/* xExecQueued: send pSt in pipeline mode without waiting, prepared once
** per connection when a cache slot is free (its Parse pipelined with it);
** more than 64 parameters settle the queue and run it the plain way. */
static int pgExecQueued(pt_conn *p, const pt_stmt *pSt, int nParam, const pt_param *aParam,
                        char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  const char *zSql = pSt->zSql;
  unsigned h = stmt_hash(zSql);
  if( !c->nQueued ) {
    pg_drain(c);
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    c->pipePrepare = ts == PQTRANS_IDLE || ts == PQTRANS_INTRANS;
    if( c->pipePrepare ) {
      /* outside pipeline mode a slot can still be freed for this statement */
      if( c->needResync ) stmt_resync(c);
      if( !stmt_find(c, zSql, h) ) stmt_slot(c, 1);
    }
    c->nPipeCmd = 0;
    if( PQenterPipelineMode(c->pg) != 1 ) {
      *pzErr = result_error(0, c->pg);
      return SQLITE_ERROR;
    }
  }
  const char *azVal[64];
  int anLen[64], anFmt[64];
  char *azConv[64];
  if( nParam > 64 ) {
    /* wide rows: settle and run it the plain way */
    pipeline_end(c);
    int64_t n = -1;
    int rc = pt_pg_driver.xExec(p, pSt, nParam, aParam, &n, pzErr);
    if( rc == SQLITE_OK ) {
      char zN[24];
      snprintf(zN, sizeof zN, "%lld", (long long)n);
      queued_check_rows(c, zN);
    }
    return rc;
  }
  for( int i = 0; i < nParam; i++ ) {
    azConv[i] = 0;
    azVal[i] = aParam[i].z;
    anLen[i] = aParam[i].n;
    anFmt[i] = aParam[i].isBinary;
    if( aParam[i].z && !aParam[i].isBinary &&
        (aParam[i].kind == PT_K_ARRAY ||
         ((aParam[i].kind == PT_K_DATE || aParam[i].kind == PT_K_TIMESTAMP ||
           aParam[i].kind == PT_K_TIMESTAMPTZ) &&
          aParam[i].n > 0 && (aParam[i].z[0] == '-' || aParam[i].z[0] == '+'))) ) {
      sqlite3_str *t = sqlite3_str_new(0);
      pg_input_text(t, aParam[i].kind, aParam[i].z, aParam[i].n);
      anLen[i] = sqlite3_str_length(t);
      azConv[i] = sqlite3_str_finish(t);
      azVal[i] = azConv[i] ? azConv[i] : "";
    }
  }
  /* prepared within the pipeline: its Parse is answered in pipeline_end */
  pg_stmt *pStmt = c->pipePrepare ? stmt_find(c, zSql, h) : 0;
  int ok = 1;
  char zName[24];
  if( pStmt && pStmt->stale ) pStmt = 0;
  if( !pStmt && c->pipePrepare && (pStmt = stmt_slot(c, 0)) != 0 ) {
    if( !stmt_fill(c, pStmt, zSql, h) ) {
      pStmt = 0;
    } else {
      stmt_name(zName, sizeof zName, pStmt);
      pt_trace("pg (queued): PREPARE %s AS %s", zName, zSql);
      ok = PQsendPrepare(c->pg, zName, zSql, nParam, 0);
      if( ok ) {
        pStmt->iPipe = ++c->nPipeCmd;
        c->nPipeParse++;
        c->nQueued++; /* so that pipeline_end reads its answer */
      } else {
        stmt_forget(c, pStmt);
      }
    }
  }
  if( !ok ) {
    /* error below */
  } else if( pStmt ) {
    stmt_name(zName, sizeof zName, pStmt);
    pt_trace("pg (queued): EXECUTE %s", zName);
    ok = PQsendQueryPrepared(c->pg, zName, nParam, azVal, anLen, anFmt, 0);
  } else {
    pt_trace("pg (queued): %s", zSql);
    ok = PQsendQueryParams(c->pg, zSql, nParam, 0, azVal, anLen, anFmt, 0);
  }
  if( ok ) c->nPipeCmd++;
  for( int i = 0; i < nParam; i++ ) sqlite3_free(azConv[i]);
  if( !ok ) {
    *pzErr = result_error(0, c->pg);
    return SQLITE_ERROR;
  }
  if( ++c->nQueued >= PG_QUEUE_MAX ) pipeline_end(c);
  return SQLITE_OK;
}

static int pgSettle(pt_conn *p, char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  pipeline_end(c);
  int rc = c->queuedRc;
  if( rc != SQLITE_OK ) {
    *pzErr = c->zQueuedErr;
    c->zQueuedErr = 0;
    c->queuedRc = SQLITE_OK;
  }
  return rc;
}

/*
** Rationale (security): the `where` of pontoon_count is remote SQL typed
** by the user; it runs read-only whatever connection it comes on.  Outside
** a transaction: in a READ ONLY one rolled back afterwards; inside one (the
** write transaction, to see its own rows): in a savepoint made read-only
** with SET LOCAL and rolled back to afterwards.
*/
static int pgCount(pt_conn *p, const char *zFrom, int64_t *pn, char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  char *zSql = sqlite3_mprintf("SELECT count(*) FROM %s", zFrom);
  if( !zSql ) return SQLITE_NOMEM;
  pg_drain(c);
  int inTxn = PQtransactionStatus(c->pg) != PQTRANS_IDLE;
  int rc = exec_simple(c,
                       inTxn ? "SAVEPOINT pt_count; SET LOCAL transaction_read_only = on"
                             : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                       pzErr);
  if( rc != SQLITE_OK ) {
    sqlite3_free(zSql);
    return rc;
  }
  pt_trace("pg: %s", zSql);
  PGresult *r = PQexecParams(c->pg, zSql, 0, 0, 0, 0, 0, 0);
  sqlite3_free(zSql);
  if( PQresultStatus(r) != PGRES_TUPLES_OK ) {
    *pzErr = result_error(r, c->pg);
    rc = SQLITE_ERROR;
  } else {
    *pn = atoll(PQgetvalue(r, 0, 0));
  }
  PQclear(r);
  int rc2 = exec_simple(
    c, inTxn ? "ROLLBACK TO SAVEPOINT pt_count; RELEASE SAVEPOINT pt_count" : "ROLLBACK",
    rc == SQLITE_OK ? pzErr : 0);
  return rc != SQLITE_OK ? rc : rc2;
}

/* ---- transactions ---- */

static int pgBegin(pt_conn *p, char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  if( c->implicitTxn ) {
    c->implicitTxn = 0; /* adopt the cursors' transaction */
    return SQLITE_OK;
  }
  /* one snapshot for the whole SQLite transaction, as postgres_fdw does */
  return exec_simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ", pzErr);
}

/* COMMIT of a transaction that saw an error is a ROLLBACK in PostgreSQL,
** reported as success: catch that, or the writes would vanish silently. */
static int pgCommit(pt_conn *p, char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  if( c->readOnly ) return exec_simple(c, "ROLLBACK", pzErr); /* ro_begin */
  pg_drain(c);
  pt_trace("pg: COMMIT");
  PGresult *r = PQexec(c->pg, "COMMIT");
  if( PQresultStatus(r) != PGRES_COMMAND_OK ) {
    *pzErr = result_error(r, c->pg);
    PQclear(r);
    return SQLITE_ERROR;
  }
  int rolledBack = strcmp(PQcmdStatus(r), "ROLLBACK") == 0;
  PQclear(r);
  if( rolledBack ) {
    *pzErr = sqlite3_mprintf("the remote transaction was rolled back by the server, "
                             "because a statement in it had failed; nothing was committed");
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

static int pgRollback(pt_conn *p, char **pzErr) {
  return exec_simple((pg_conn *)p, "ROLLBACK", pzErr);
}

/* Level -1 is pt_begin, taken right after BEGIN. */
static int pgSavepoint(pt_conn *p, int op, int iLevel, char **pzErr) {
  char zSql[64];
  pt_savepoint_sql(zSql, sizeof zSql, op, iLevel);
  return exec_simple((pg_conn *)p, zSql, pzErr);
}

/* ---- writing: pontoon's text forms into PostgreSQL's input syntax ---- */

/* Append JSON string body z (after the opening quote) unescaped; returns the
** position after the closing quote, or NULL on malformed input. */
static const char *json_string(sqlite3_str *out, const char *z, int forArray) {
  while( *z && *z != '"' ) {
    unsigned c = (unsigned char)*z++;
    if( c == '\\' ) {
      if( !*z ) return 0; /* a backslash at the end */
      c = (unsigned char)*z++;
      switch( c ) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'u': {
          /* four hex digits, each checked before the next is read (the
          ** text may end: found by fuzz_pg_binary) */
          unsigned u = 0;
          for( int i = 0; i < 4; i++ ) {
            int h = hexnib((unsigned char)*z);
            if( h < 0 ) return 0;
            z++;
            u = u * 16 + (unsigned)h;
          }
          if( u >= 0xD800 && u < 0xDC00 && z[0] == '\\' && z[1] == 'u' ) {
            unsigned lo = 0;
            int ok = 1;
            for( int i = 2; i < 6 && ok; i++ ) {
              int h = hexnib((unsigned char)z[i]);
              if( h < 0 )
                ok = 0;
              else
                lo = lo * 16 + (unsigned)h;
            }
            if( ok && lo >= 0xDC00 && lo < 0xE000 ) {
              u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
              z += 6;
            }
          }
          char buf[4];
          int n = 0;
          if( u < 0x80 ) {
            buf[n++] = (char)u;
          } else if( u < 0x800 ) {
            buf[n++] = (char)(0xC0 | u >> 6);
            buf[n++] = (char)(0x80 | (u & 63));
          } else if( u < 0x10000 ) {
            buf[n++] = (char)(0xE0 | u >> 12);
            buf[n++] = (char)(0x80 | (u >> 6 & 63));
            buf[n++] = (char)(0x80 | (u & 63));
          } else {
            buf[n++] = (char)(0xF0 | u >> 18);
            buf[n++] = (char)(0x80 | (u >> 12 & 63));
            buf[n++] = (char)(0x80 | (u >> 6 & 63));
            buf[n++] = (char)(0x80 | (u & 63));
          }
          for( int i = 0; i < n; i++ ) {
            if( forArray && (buf[i] == '"' || buf[i] == '\\') )
              sqlite3_str_appendchar(out, 1, '\\');
            sqlite3_str_appendchar(out, 1, buf[i]);
          }
          continue;
        }
        case 0: return 0;
        default: break; /* \" \\ \/ */
      }
    }
    if( forArray && (c == '"' || c == '\\') ) sqlite3_str_appendchar(out, 1, '\\');
    sqlite3_str_appendchar(out, 1, (char)c);
  }
  return *z == '"' ? z + 1 : 0;
}

/* Convert one JSON value at z into a PostgreSQL array element; returns the
** position after it, or NULL. */
static const char *json_to_array(sqlite3_str *out, const char *z) {
  while( isspace((unsigned char)*z) ) z++;
  if( *z == '[' ) {
    z++;
    sqlite3_str_appendchar(out, 1, '{');
    while( isspace((unsigned char)*z) ) z++;
    if( *z == ']' ) {
      sqlite3_str_appendchar(out, 1, '}');
      return z + 1;
    }
    for( ;; ) {
      z = json_to_array(out, z);
      if( !z ) return 0;
      while( isspace((unsigned char)*z) ) z++;
      if( *z == ',' ) {
        sqlite3_str_appendchar(out, 1, ',');
        z++;
        continue;
      }
      if( *z == ']' ) {
        sqlite3_str_appendchar(out, 1, '}');
        return z + 1;
      }
      return 0;
    }
  }
  if( *z == '"' ) {
    sqlite3_str_appendchar(out, 1, '"');
    z = json_string(out, z + 1, 1);
    sqlite3_str_appendchar(out, 1, '"');
    return z;
  }
  if( *z == '{' ) {
    /* an object element (json[]): its text, quoted */
    const char *start = z;
    int depth = 0, inStr = 0;
    for( ; *z; z++ ) {
      if( inStr ) {
        if( *z == '\\' && z[1] )
          z++;
        else if( *z == '"' )
          inStr = 0;
      } else if( *z == '"' )
        inStr = 1;
      else if( *z == '{' || *z == '[' )
        depth++;
      else if( (*z == '}' || *z == ']') && --depth == 0 ) {
        z++;
        break;
      }
    }
    sqlite3_str_appendchar(out, 1, '"');
    for( const char *c = start; c < z; c++ ) {
      if( *c == '"' || *c == '\\' ) sqlite3_str_appendchar(out, 1, '\\');
      sqlite3_str_appendchar(out, 1, *c);
    }
    sqlite3_str_appendchar(out, 1, '"');
    return z;
  }
  const char *start = z;
  while( *z && *z != ',' && *z != ']' && !isspace((unsigned char)*z) ) z++;
  if( z - start == 4 && memcmp(start, "null", 4) == 0 )
    sqlite3_str_appendall(out, "NULL");
  else
    sqlite3_str_append(out, start, (int)(z - start));
  return z;
}

/*
** Append the PostgreSQL input text of a pontoon value of kind k: arrays
** given as JSON become array literals, signed years become BC or plain.
*/
static void pg_input_text(sqlite3_str *out, pt_kind k, const char *z, int n) {
  if( k == PT_K_ARRAY && n > 0 && z[0] == '[' ) {
    char *zc = pt_strndup(z, n);
    sqlite3_str *tmp = sqlite3_str_new(0);
    const char *end = zc ? json_to_array(tmp, zc) : 0;
    char *zArr = sqlite3_str_finish(tmp);
    if( end ) {
      while( isspace((unsigned char)*end) ) end++;
    }
    if( end && *end == 0 && zArr )
      sqlite3_str_appendall(out, zArr);
    else
      sqlite3_str_append(out, z, n); /* let the server say what is wrong */
    sqlite3_free(zArr);
    sqlite3_free(zc);
    return;
  }
  int nDigit = 0;
  while( 1 + nDigit < n && isdigit((unsigned char)z[1 + nDigit]) ) nDigit++;
  /* a signed year of at most 12 digits (more: passed on as it is, for the
  ** server to refuse; no overflow, found by fuzz_pg_binary) */
  if( (k == PT_K_DATE || k == PT_K_TIMESTAMP || k == PT_K_TIMESTAMPTZ) && n > 1 &&
      (z[0] == '-' || z[0] == '+') && nDigit >= 1 && nDigit <= 12 ) {
    int i = 1;
    long long y = 0;
    while( i < n && isdigit((unsigned char)z[i]) ) y = y * 10 + (z[i++] - '0');
    if( z[0] == '-' ) {
      sqlite3_str_appendf(out, "%04lld%.*s BC", y + 1, n - i, z + i);
    } else {
      sqlite3_str_appendf(out, "%lld%.*s", y, n - i, z + i);
    }
    return;
  }
  sqlite3_str_append(out, z, n);
}

struct pg_bulk {
  pt_bulk base;
  pg_conn *c;
  char *zCopy; /* COPY table (columns) FROM STDIN */
  int nCol;
  pt_kind *aKind;
  pt_buf buf; /* rows in COPY text format, not yet sent */
  sqlite3_str *pTmp;
  int nRow; /* rows since the COPY began */
  char *zErr; /* error of a COPY ended by someone else */
  int binary; /* rows are in COPY's binary format */
  int canBinary; /* every column has a binary form */
  Oid *aType; /* the columns' (base) types, for binary */
  char *zCopyText; /* the text COPY, to fall back to */
  char *zBinary; /* the binary COPY */
  int headerSent; /* binary: the header went with this COPY */
  char *zTable; /* the table, for its column types (bulk_types) */
  char **azCol; /* the quoted column names, for the same */
  int typesRead; /* bulk_types ran: aType and canBinary hold */
};

#define PG_BULK_CHUNK (256 * 1024) /* bytes handed to libpq at a time */

/* Read the target columns' (base) types once, at the first row written:
** binary COPY when every one has a binary form pontoon writes (the server
** parses less: bench/RESULTS.md), else text. */
static void bulk_types(pg_bulk *b) {
  b->typesRead = 1;
  /* Binary COPY when every column's type has a binary form pontoon writes:
  ** the server parses less (measured in bench/RESULTS.md). */
  const char *az[1] = { b->zTable };
  char *zE = 0;
  PGresult *r = exec_params(
    b->c,
    "SELECT a.attname, coalesce(nullif(t.typbasetype, 0), t.oid) FROM pg_attribute a "
    "JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = $1::regclass AND a.attnum > 0 "
    "AND NOT a.attisdropped",
    1, az, &zE);
  sqlite3_free(zE);
  int allBinary = r != 0;
  for( int i = 0; r && i < b->nCol; i++ ) {
    for( int j = 0; j < PQntuples(r); j++ ) {
      sqlite3_str *qn = sqlite3_str_new(0);
      quote_ident(qn, PQgetvalue(r, j, 0));
      char *zq = sqlite3_str_finish(qn);
      if( zq && strcmp(zq, b->azCol[i]) == 0 )
        b->aType[i] = (Oid)strtoul(PQgetvalue(r, j, 1), 0, 10);
      sqlite3_free(zq);
    }
    switch( b->aType[i] ) {
      case 16:
      case 20:
      case 21:
      case 23:
      case 700:
      case 701:
      case 1700:
      case 25:
      case 1043:
      case 1042:
      case 17:
      case 1082:
      case 1114:
      case 1184:
      case 2950:
      case 114:
      case 3802: break;
      default: allBinary = 0;
    }
  }
  PQclear(r);
  if( allBinary && b->nCol > 0 ) {
    if( !b->zBinary ) b->zBinary = sqlite3_mprintf("%s (FORMAT binary)", b->zCopyText);
    if( b->zBinary ) {
      b->canBinary = b->binary = 1;
      b->zCopy = b->zBinary;
    }
  }
}

static int pgBulkOpen(pt_conn *p, const char *zTable, int nCol, const char *const *azCol,
                      const pt_kind *aKind, pt_bulk **pp, char **pzErr) {
  (void)pzErr;
  pg_bulk *b = sqlite3_malloc(sizeof(*b));
  if( !b ) return SQLITE_NOMEM;
  memset(b, 0, sizeof(*b));
  b->base.pConn = p;
  b->c = (pg_conn *)p;
  b->nCol = nCol;
  b->aKind = sqlite3_malloc64(sizeof(pt_kind) * (nCol + 1));
  sqlite3_str *q = sqlite3_str_new(0);
  sqlite3_str_appendf(q, "COPY %s (", zTable);
  for( int i = 0; i < nCol; i++ ) sqlite3_str_appendf(q, "%s%s", i ? ", " : "", azCol[i]);
  sqlite3_str_appendall(q, ") FROM STDIN");
  b->zCopyText = sqlite3_str_finish(q);
  b->pTmp = sqlite3_str_new(0);
  b->aType = sqlite3_malloc64(sizeof(Oid) * (nCol + 1));
  if( !b->aKind || !b->zCopyText || !b->aType ) {
    pt_pg_driver.xBulkClose(&b->base);
    return SQLITE_NOMEM;
  }
  memcpy(b->aKind, aKind, sizeof(pt_kind) * nCol);
  b->zCopy = b->zCopyText;
  memset(b->aType, 0, sizeof(Oid) * (nCol + 1));
  /* the column types are read at the first row written (bulk_types): rows
  ** passed through raw (pgBulkRaw) need none, and save that round trip */
  b->zTable = pt_strdup(zTable);
  b->azCol = sqlite3_malloc64(sizeof(char *) * (nCol + 1));
  if( !b->zTable || !b->azCol ) {
    pt_pg_driver.xBulkClose(&b->base);
    return SQLITE_NOMEM;
  }
  memset(b->azCol, 0, sizeof(char *) * (nCol + 1));
  for( int i = 0; i < nCol; i++ ) {
    if( !(b->azCol[i] = pt_strdup(azCol[i])) ) {
      pt_pg_driver.xBulkClose(&b->base);
      return SQLITE_NOMEM;
    }
  }
  *pp = &b->base;
  return SQLITE_OK;
}

/* ---- binary COPY: pontoon's text forms into PostgreSQL's binary ones ---- */

/* Big-endian integers, written in place (the buffer grows first). */
static void put16(pt_buf *b, int v) {
  if( b->n + 2 > b->cap && pt_buf_grow(b, 2) ) return;
  unsigned char *p = (unsigned char *)b->z + b->n;
  p[0] = (unsigned char)(v >> 8);
  p[1] = (unsigned char)v;
  b->n += 2;
}
static void put32(pt_buf *b, uint32_t v) {
  if( b->n + 4 > b->cap && pt_buf_grow(b, 4) ) return;
  unsigned char *p = (unsigned char *)b->z + b->n;
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
  b->n += 4;
}
static void put64(pt_buf *b, uint64_t v) {
  put32(b, (uint32_t)(v >> 32));
  put32(b, (uint32_t)v);
}

/* Parse an integer that is all of z[0..n): an optional sign and decimal
** digits, in range (anything else: 0, and the caller writes text). */
static int parse_int(const char *z, int n, int64_t *pv) {
  int i = 0, neg = 0;
  if( n <= 0 || n > 20 ) return 0;
  if( z[0] == '-' || z[0] == '+' ) {
    neg = z[0] == '-';
    i++;
  }
  if( i == n ) return 0;
  uint64_t u = 0;
  for( ; i < n; i++ ) {
    unsigned d = (unsigned)((unsigned char)z[i] - '0');
    if( d > 9 || u > (UINT64_MAX - d) / 10 ) return 0;
    u = u * 10 + d;
  }
  if( u > (uint64_t)INT64_MAX + (uint64_t)neg ) return 0;
  *pv = neg ? (int64_t)(0 - u) : (int64_t)u;
  return 1;
}

static int parse_real(const char *z, int n, double *pr) {
  char buf[64];
  if( n <= 0 || n >= (int)sizeof buf ) return 0;
  memcpy(buf, z, n);
  buf[n] = 0;
  if( strcmp(buf, "NaN") == 0 ) {
    *pr = NAN;
    return 1;
  }
  if( strcmp(buf, "Infinity") == 0 ) {
    *pr = INFINITY;
    return 1;
  }
  if( strcmp(buf, "-Infinity") == 0 ) {
    *pr = -INFINITY;
    return 1;
  }
  char *end;
  *pr = strtod(buf, &end);
  return *end == 0 && end != buf && isdigit((unsigned char)buf[n - 1]);
}

/* A decimal 'sign digits [. digits]' as PostgreSQL's binary numeric. */
static int put_numeric(pt_buf *b, const char *z, int n) {
  if( n == 3 && memcmp(z, "NaN", 3) == 0 ) {
    put32(b, 8);
    put16(b, 0);
    put16(b, 0);
    put16(b, 0xC000);
    put16(b, 0);
    return 1;
  }
  int i = 0, neg = 0;
  if( i < n && (z[i] == '-' || z[i] == '+') ) {
    neg = z[i] == '-';
    i++;
  }
  int i0 = i;
  while( i < n && isdigit((unsigned char)z[i]) ) i++;
  int i1 = i, f0 = i, f1 = i;
  if( i < n && z[i] == '.' ) {
    i++;
    f0 = i;
    while( i < n && isdigit((unsigned char)z[i]) ) i++;
    f1 = i;
  }
  if( i != n || (i1 == i0 && f1 == f0) || (i1 - i0) + (f1 - f0) > 4000 ) return 0;
  int dscale = f1 - f0;
  /* digits of the integer part padded left to a multiple of 4, the
  ** fraction padded right */
  int nInt = i1 - i0, padL = (4 - nInt % 4) % 4, nFrac = f1 - f0, padR = (4 - nFrac % 4) % 4;
  int nGroups = (padL + nInt) / 4 + (nFrac + padR) / 4;
  int weight = (padL + nInt) / 4 - 1;
  int16_t grp[1100];
  if( nGroups > 1100 ) return 0;
  for( int g = 0; g < nGroups; g++ ) {
    int v = 0;
    for( int k = 0; k < 4; k++ ) {
      int pos = g * 4 + k - padL; /* index into the concatenated digits */
      int d = 0;
      if( pos >= 0 && pos < nInt )
        d = z[i0 + pos] - '0';
      else if( pos >= nInt && pos - nInt < nFrac )
        d = z[f0 + pos - nInt] - '0';
      v = v * 10 + d;
    }
    grp[g] = (int16_t)v;
  }
  int first = 0, last = nGroups;
  while( first < last && grp[first] == 0 ) {
    first++;
    weight--;
  }
  while( last > first && grp[last - 1] == 0 ) last--;
  int nd = last - first;
  if( nd == 0 ) {
    weight = 0;
    neg = 0;
  }
  put32(b, (uint32_t)(8 + 2 * nd));
  put16(b, nd);
  put16(b, weight);
  put16(b, neg ? 0x4000 : 0);
  put16(b, dscale);
  for( int g = first; g < last; g++ ) put16(b, grp[g]);
  return 1;
}

/* Microseconds since 2000-01-01 UTC of 'YYYY-MM-DD[ T]HH:MM:SS[.f][Z|+HH:MM]'
** (an offset only when tz). */
static int parse_timestamp(const char *z, int n, int tz, int64_t *pus) {
  int y, mo, d;
  if( n == 8 && memcmp(z, "infinity", 8) == 0 ) {
    *pus = INT64_MAX;
    return 1;
  }
  if( n == 9 && memcmp(z, "-infinity", 9) == 0 ) {
    *pus = INT64_MIN;
    return 1;
  }
  if( n < 19 || !pt_parse_date_prefix(z, n, &y, &mo, &d) || (z[10] != ' ' && z[10] != 'T') )
    return 0;
  if( z[13] != ':' || z[16] != ':' ) return 0;
  for( int k = 11; k < 19; k++ )
    if( k != 13 && k != 16 && !isdigit((unsigned char)z[k]) ) return 0;
  int h = (z[11] - '0') * 10 + z[12] - '0', mi = (z[14] - '0') * 10 + z[15] - '0',
      se = (z[17] - '0') * 10 + z[18] - '0';
  if( h > 23 || mi > 59 || se > 59 ) return 0;
  int i = 19, usec = 0;
  if( i < n && z[i] == '.' ) {
    i++;
    int nd = 0;
    while( i < n && isdigit((unsigned char)z[i]) ) {
      if( nd < 6 ) {
        usec = usec * 10 + (z[i] - '0');
        nd++;
      } else
        return 0; /* more than microseconds: let the server round */
      i++;
    }
    if( nd == 0 ) return 0;
    while( nd++ < 6 ) usec *= 10;
  }
  int offset = 0;
  if( i < n ) {
    if( !tz ) return 0;
    if( z[i] == 'Z' && i + 1 == n ) {
      i++;
    } else if( (z[i] == '+' || z[i] == '-') && i + 6 == n && z[i + 3] == ':' &&
               isdigit((unsigned char)z[i + 1]) && isdigit((unsigned char)z[i + 2]) &&
               isdigit((unsigned char)z[i + 4]) && isdigit((unsigned char)z[i + 5]) ) {
      offset = ((z[i + 1] - '0') * 10 + z[i + 2] - '0') * 3600 +
        ((z[i + 4] - '0') * 10 + z[i + 5] - '0') * 60;
      if( z[i] == '-' ) offset = -offset;
      i = n;
    } else
      return 0;
  }
  int64_t days = pt_days_from_civil(y, mo, d) - 10957;
  *pus = ((days * 86400 + h * 3600 + mi * 60 + se - offset) * 1000000LL) + usec;
  return 1;
}

/* One value in binary; 0 when its text has no binary form here (the caller
** falls back to text COPY). */
static int put_binary(pt_buf *b, Oid type, const pt_param *a) {
  const char *z = a->z;
  int n = a->n;
  int64_t v;
  double r;
  switch( type ) {
    case 21:
      if( !parse_int(z, n, &v) || v < -32768 || v > 32767 ) return 0;
      put32(b, 2);
      put16(b, (int)v);
      return 1;
    case 23:
      if( !parse_int(z, n, &v) || v < INT32_MIN || v > INT32_MAX ) return 0;
      put32(b, 4);
      put32(b, (uint32_t)v);
      return 1;
    case 20:
      if( !parse_int(z, n, &v) ) return 0;
      put32(b, 8);
      put64(b, (uint64_t)v);
      return 1;
    case 16:
      if( (n == 4 && memcmp(z, "true", 4) == 0) || (n == 1 && (z[0] == 't' || z[0] == '1')) ) {
        put32(b, 1);
        pt_buf_char(b, 1);
        return 1;
      }
      if( (n == 5 && memcmp(z, "false", 5) == 0) || (n == 1 && (z[0] == 'f' || z[0] == '0')) ) {
        put32(b, 1);
        pt_buf_char(b, 0);
        return 1;
      }
      return 0;
    case 700: {
      if( !parse_real(z, n, &r) ) return 0;
      float f = (float)r;
      uint32_t u;
      memcpy(&u, &f, 4);
      if( isfinite(r) && !isfinite(f) ) return 0; /* out of range: the server's error */
      put32(b, 4);
      put32(b, u);
      return 1;
    }
    case 701: {
      if( !parse_real(z, n, &r) ) return 0;
      uint64_t u;
      memcpy(&u, &r, 8);
      put32(b, 8);
      put64(b, u);
      return 1;
    }
    case 1700: return put_numeric(b, z, n);
    case 1082: {
      int y, mo, d;
      if( n == 8 && memcmp(z, "infinity", 8) == 0 ) {
        put32(b, 4);
        put32(b, (uint32_t)INT32_MAX);
        return 1;
      }
      if( n == 9 && memcmp(z, "-infinity", 9) == 0 ) {
        put32(b, 4);
        put32(b, (uint32_t)INT32_MIN);
        return 1;
      }
      if( n != 10 || !pt_parse_date_prefix(z, n, &y, &mo, &d) ) return 0;
      put32(b, 4);
      put32(b, (uint32_t)(int32_t)(pt_days_from_civil(y, mo, d) - 10957));
      return 1;
    }
    case 1114:
    case 1184:
      if( !parse_timestamp(z, n, type == 1184, &v) ) return 0;
      put32(b, 8);
      put64(b, (uint64_t)v);
      return 1;
    case 2950: {
      unsigned char u[16];
      if( n != 36 ) return 0;
      int k = 0;
      for( int i = 0; i < 36; i++ ) {
        if( i == 8 || i == 13 || i == 18 || i == 23 ) {
          if( z[i] != '-' ) return 0;
          continue;
        }
        int h = hexnib(z[i]);
        if( h < 0 ) return 0;
        if( k % 2 == 0 )
          u[k / 2] = (unsigned char)(h << 4);
        else
          u[k / 2] |= (unsigned char)h;
        k++;
      }
      put32(b, 16);
      pt_buf_append(b, (const char *)u, 16);
      return 1;
    }
    case 3802:
      put32(b, (uint32_t)n + 1);
      pt_buf_char(b, 1);
      pt_buf_append(b, z, n);
      return 1;
    case 1042:
    case 25:
    case 1043:
    case 114:
    case 17:
      if( n < 0 ) return 0;
      put32(b, (uint32_t)n);
      pt_buf_append(b, z, n);
      return 1;
    default: return 0;
  }
}

/* COPY text escaping: backslash, tab, newline and carriage return. */
static void copy_escape(pt_buf *out, const char *z, int n) {
  static const unsigned char special[256] = {
    ['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r'
  };
  int start = 0;
  for( int i = 0; i < n; i++ ) {
    unsigned char e = special[(unsigned char)z[i]];
    if( !e ) continue;
    pt_buf_append(out, z + start, i - start);
    char esc[2] = { '\\', (char)e };
    pt_buf_append(out, esc, 2);
    start = i + 1;
  }
  pt_buf_append(out, z + start, n - start);
}

/*
** Rows stream into one COPY FROM STDIN that stays open while rows come, so
** the server works while SQLite produces them.  It ends (and its error, if
** any, is known) at a flush, or when anything else needs the connection.
*/
static int copy_begin(pg_bulk *b) {
  pg_conn *c = b->c;
  pg_drain(c);
  pt_trace("pg: %s", b->zCopy);
  PGresult *r = PQexec(c->pg, b->zCopy);
  if( PQresultStatus(r) != PGRES_COPY_IN ) {
    sqlite3_free(b->zErr);
    b->zErr = result_error(r, c->pg);
    PQclear(r);
    while( (r = PQgetResult(c->pg)) != 0 ) PQclear(r);
    return SQLITE_ERROR;
  }
  PQclear(r);
  c->pCopy = b;
  b->nRow = 0;
  b->headerSent = 0;
  return SQLITE_OK;
}

/* Send the buffered rows into the open COPY. */
static const char aBinaryHeader[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

static int copy_send(pg_bulk *b) {
  if( b->buf.n == 0 ) return SQLITE_OK;
  if( b->c->pCopy != b && copy_begin(b) != SQLITE_OK ) {
    b->buf.n = 0;
    return SQLITE_ERROR;
  }
  if( b->binary && !b->headerSent ) {
    PQputCopyData(b->c->pg, aBinaryHeader, (int)sizeof aBinaryHeader);
    b->headerSent = 1;
  }
  int ok = PQputCopyData(b->c->pg, b->buf.z, (int)b->buf.n) == 1;
  b->buf.n = 0;
  if( !ok ) {
    sqlite3_free(b->zErr);
    b->zErr = result_error(0, b->c->pg);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* End the open COPY; a failure is kept in b->zErr. */
static int copy_end(pg_bulk *b) {
  pg_conn *c = b->c;
  if( c->pCopy != b ) return SQLITE_OK;
  int rc = copy_send(b);
  if( b->binary ) {
    if( !b->headerSent ) {
      PQputCopyData(c->pg, aBinaryHeader, (int)sizeof aBinaryHeader);
      b->headerSent = 1;
    }
    PQputCopyData(c->pg, "\377\377", 2); /* the trailer: a field count of -1 */
  }
  c->pCopy = 0;
  pt_trace("pg: end of COPY (%d rows)", b->nRow);
  int ok = PQputCopyEnd(c->pg, 0) == 1;
  PGresult *keep = first_result(c->pg);
  if( rc == SQLITE_OK && (!ok || !keep || PQresultStatus(keep) != PGRES_COMMAND_OK) ) {
    sqlite3_free(b->zErr);
    b->zErr = result_error(keep, c->pg);
    rc = SQLITE_ERROR;
  }
  PQclear(keep);
  b->nRow = 0;
  return rc;
}

static int take_error(pg_bulk *b, char **pzErr) {
  if( !b->zErr ) return SQLITE_OK;
  *pzErr = b->zErr;
  b->zErr = 0;
  return SQLITE_ERROR;
}

/* Send what is buffered and end the COPY; an error waits in b->zErr. */
static void bulk_finish(pg_bulk *b) {
  if( b->buf.n > 0 && b->c->pCopy != b ) copy_begin(b);
  copy_end(b);
  b->buf.n = 0;
}

static int pgBulkFlush(pt_bulk *p, char **pzErr) {
  pg_bulk *b = (pg_bulk *)p;
  if( !b ) return SQLITE_OK;
  bulk_finish(b);
  if( b->canBinary ) {
    b->binary = 1;
    b->zCopy = b->zBinary;
  } /* try binary again */
  return take_error(b, pzErr);
}

/* xBulkRow: the row in COPY's binary format when every column has one,
** else in its text format; sent when the buffer passes its size. */
static int pgBulkRow(pt_bulk *p, const pt_param *a, char **pzErr) {
  static const char hex[] = "0123456789abcdef";
  pg_bulk *b = (pg_bulk *)p;
  pt_buf *out = &b->buf;
  if( !b->typesRead && b->c->pCopy != b ) bulk_types(b);
  if( b->binary ) {
    size_t mark = out->n;
    int ok = 1;
    put16(out, b->nCol);
    for( int i = 0; i < b->nCol && ok; i++ ) {
      if( !a[i].z )
        put32(out, 0xFFFFFFFFu);
      else
        ok = put_binary(out, b->aType[i], &a[i]);
    }
    if( ok && !out->oom ) {
      b->nRow++;
      if( out->n >= PG_BULK_CHUNK ) copy_send(b);
      return take_error(b, pzErr);
    }
    /* a value with no binary form here: end the binary COPY (same
    ** transaction) and go on in text, where the server reads any form */
    out->n = mark;
    out->oom = 0;
    bulk_finish(b);
    b->binary = 0;
    b->zCopy = b->zCopyText;
    if( b->zErr ) return take_error(b, pzErr);
  }
  for( int i = 0; i < b->nCol; i++ ) {
    if( i ) pt_buf_char(out, '\t');
    if( !a[i].z ) {
      pt_buf_append(out, "\\N", 2);
      continue;
    }
    if( a[i].isBinary ) {
      pt_buf_append(out, "\\\\x", 3);
      if( out->n + 2 * (size_t)a[i].n > out->cap && pt_buf_grow(out, 2 * (size_t)a[i].n) ) break;
      for( int j = 0; j < a[i].n; j++ ) {
        unsigned char ch = (unsigned char)a[i].z[j];
        out->z[out->n++] = hex[ch >> 4];
        out->z[out->n++] = hex[ch & 15];
      }
      continue;
    }
    pt_kind k = b->aKind[i];
    if( k == PT_K_ARRAY ||
        ((k == PT_K_DATE || k == PT_K_TIMESTAMP || k == PT_K_TIMESTAMPTZ) && a[i].n > 0 &&
         (a[i].z[0] == '-' || a[i].z[0] == '+')) ) {
      sqlite3_str_reset(b->pTmp);
      pg_input_text(b->pTmp, k, a[i].z, a[i].n);
      copy_escape(out, sqlite3_str_value(b->pTmp) ? sqlite3_str_value(b->pTmp) : "",
                  sqlite3_str_length(b->pTmp));
    } else {
      copy_escape(out, a[i].z, a[i].n);
    }
  }
  pt_buf_char(out, '\n');
  if( out->oom ) {
    out->oom = 0;
    out->n = 0;
    b->nRow = 0;
    *pzErr = sqlite3_mprintf("out of memory buffering rows");
    return SQLITE_NOMEM;
  }
  b->nRow++;
  if( out->n >= PG_BULK_CHUNK ) copy_send(b);
  return take_error(b, pzErr);
}

/* Drop what was buffered; an open COPY is ended with an error, so the
** server keeps none of its rows. */
static void pgBulkDiscard(pt_bulk *p) {
  pg_bulk *b = (pg_bulk *)p;
  if( !b ) return;
  b->buf.n = 0;
  if( b->c->pCopy == b ) {
    pg_conn *c = b->c;
    c->pCopy = 0;
    PQputCopyEnd(c->pg, "rolled back by pontoon");
    PGresult *r;
    while( (r = PQgetResult(c->pg)) != 0 ) PQclear(r);
  }
  sqlite3_free(b->zErr);
  b->zErr = 0;
  b->nRow = 0;
}

static void pgBulkClose(pt_bulk *p) {
  pg_bulk *b = (pg_bulk *)p;
  if( !b ) return;
  pgBulkDiscard(p);
  pt_buf_free(&b->buf);
  sqlite3_free(sqlite3_str_finish(b->pTmp));
  sqlite3_free(b->zBinary);
  sqlite3_free(b->zCopyText);
  sqlite3_free(b->aType);
  sqlite3_free(b->aKind);
  for( int i = 0; b->azCol && i < b->nCol; i++ ) sqlite3_free(b->azCol[i]);
  sqlite3_free(b->azCol);
  sqlite3_free(b->zTable);
  sqlite3_free(b);
}

/* ---- raw rows: binary COPY passed through ----
**
**   COPY (SELECT "id", "email" FROM "public"."users" WHERE ...) TO STDOUT (FORMAT binary)
**
** A copy from PostgreSQL to PostgreSQL whose columns have the same types
** hands each CopyData message of the source, one row, to the target's
** binary COPY FROM STDIN as it is: no value is decoded or encoded.  The
** source's header and trailer are dropped (the writer sends its own).
*/
typedef struct pg_raw {
  pt_cursor base;
  pg_conn *c;
  char *pMsg; /* the last CopyData message, PQfreemem'd at the next */
  int headerDone;
  int ended;
} pg_raw;

static const char aSignature[11] = "PGCOPY\n\377\r\n\0";

static int pgRawOpen(pt_conn *p, const char *zQuery, pt_cursor **pp, char **pzErr) {
  pg_conn *c = (pg_conn *)p;
  *pp = 0;
  if( c->pPending || c->pCopy ) {
    *pzErr = sqlite3_mprintf("the connection is busy");
    return SQLITE_MISUSE;
  }
  char *zSql = sqlite3_mprintf("COPY (%s) TO STDOUT (FORMAT binary)", zQuery);
  if( !zSql ) return SQLITE_NOMEM;
  pt_trace("pg: %s", zSql);
  PGresult *r = PQexec(c->pg, zSql);
  sqlite3_free(zSql);
  if( PQresultStatus(r) != PGRES_COPY_OUT ) {
    *pzErr = result_error(r, c->pg);
    PQclear(r);
    while( (r = PQgetResult(c->pg)) != 0 ) PQclear(r);
    return SQLITE_ERROR;
  }
  PQclear(r);
  pg_raw *x = sqlite3_malloc(sizeof(*x));
  if( !x ) {
    /* read the COPY to its end, so that the connection is usable */
    char *m;
    while( PQgetCopyData(c->pg, &m, 0) > 0 ) PQfreemem(m);
    while( (r = PQgetResult(c->pg)) != 0 ) PQclear(r);
    return SQLITE_NOMEM;
  }
  memset(x, 0, sizeof(*x));
  x->base.pConn = p;
  x->c = c;
  *pp = &x->base;
  return SQLITE_OK;
}

static int pgRawNext(pt_cursor *p, const char **pz, int *pn, int *pnRow, char **pzErr) {
  pg_raw *x = (pg_raw *)p;
  pg_conn *c = x->c;
  while( 1 ) {
    if( x->pMsg ) {
      PQfreemem(x->pMsg);
      x->pMsg = 0;
    }
    if( x->ended ) return SQLITE_DONE;
    int n = PQgetCopyData(c->pg, &x->pMsg, 0);
    if( n == -1 ) {
      x->ended = 1;
      PGresult *keep = first_result(c->pg);
      int ok = keep && PQresultStatus(keep) == PGRES_COMMAND_OK;
      if( !ok ) *pzErr = result_error(keep, c->pg);
      PQclear(keep);
      return ok ? SQLITE_DONE : SQLITE_ERROR;
    }
    if( n < 0 ) {
      x->ended = 1;
      *pzErr = result_error(0, c->pg);
      PGresult *r;
      while( (r = PQgetResult(c->pg)) != 0 ) PQclear(r);
      return SQLITE_ERROR;
    }
    const char *z = x->pMsg;
    if( !x->headerDone ) {
      /* signature, flags, header extension length and extension */
      if( n < 19 || memcmp(z, aSignature, sizeof aSignature) != 0 ) {
        *pzErr = sqlite3_mprintf("the server's binary COPY has no signature");
        return SQLITE_ERROR;
      }
      uint32_t ext = ((uint32_t)(unsigned char)z[15] << 24) |
        ((uint32_t)(unsigned char)z[16] << 16) | ((uint32_t)(unsigned char)z[17] << 8) |
        (uint32_t)(unsigned char)z[18];
      if( ext > (uint32_t)(n - 19) ) {
        *pzErr = sqlite3_mprintf("the server's binary COPY header is longer than its message");
        return SQLITE_ERROR;
      }
      z += 19 + ext;
      n -= 19 + (int)ext;
      x->headerDone = 1;
    }
    if( n == 0 ) continue;
    if( n == 2 && (unsigned char)z[0] == 0xFF && (unsigned char)z[1] == 0xFF )
      continue; /* trailer */
    *pz = z;
    *pn = n;
    *pnRow = 1;
    return SQLITE_ROW;
  }
}

static void pgRawClose(pt_cursor *p) {
  pg_raw *x = (pg_raw *)p;
  if( !x ) return;
  const char *z;
  int n, nRow;
  char *zErr = 0;
  while( pgRawNext(p, &z, &n, &nRow, &zErr) == SQLITE_ROW ) {}
  sqlite3_free(zErr);
  if( x->pMsg ) PQfreemem(x->pMsg);
  sqlite3_free(x);
}

/* xBulkRaw: rows of a binary COPY TO of the same column types, as they
** came: the writer goes to binary COPY whatever its columns' types.  No
** rows (n == 0): the COPY FROM STDIN opens now, so that its round trip
** passes while the rows are read. */
static int pgBulkRaw(pt_bulk *p, const char *z, int n, int nRow, char **pzErr) {
  pg_bulk *b = (pg_bulk *)p;
  if( !b->binary ) {
    if( b->buf.n > 0 || b->c->pCopy == b ) {
      *pzErr = sqlite3_mprintf("raw rows cannot follow rows in COPY's text format");
      return SQLITE_MISUSE;
    }
    if( !b->zBinary ) b->zBinary = sqlite3_mprintf("%s (FORMAT binary)", b->zCopyText);
    if( !b->zBinary ) return SQLITE_NOMEM;
    b->binary = 1;
    b->zCopy = b->zBinary;
  }
  if( n == 0 ) {
    if( b->c->pCopy == b ) return SQLITE_OK;
    if( copy_begin(b) != SQLITE_OK ) return take_error(b, pzErr);
    PQputCopyData(b->c->pg, aBinaryHeader, (int)sizeof aBinaryHeader);
    b->headerSent = 1;
    return SQLITE_OK;
  }
  pt_buf_append(&b->buf, z, (size_t)n);
  if( b->buf.oom ) {
    b->buf.oom = 0;
    b->buf.n = 0;
    *pzErr = sqlite3_mprintf("out of memory buffering rows");
    return SQLITE_NOMEM;
  }
  b->nRow += nRow;
  if( b->buf.n >= PG_BULK_CHUNK ) copy_send(b);
  return take_error(b, pzErr);
}

const pt_driver pt_pg_driver = {
  .iVersion = 1,
  .zName = "postgresql",
  .zSchemes = "postgresql://..., postgres://... or libpq key=value pairs",
  .xAccepts = pgAccepts,
  .xConnect = pgConnect,
  .xDisconnect = pgDisconnect,
  .xAlive = pgAlive,
  .xInfo = pgInfo,
  .xDescribe = pgDescribe,
  .xDescribeQuery = pgDescribeQuery,
  .xListTables = pgListTables,
  .xOpen = pgOpen,
  .xNext = pgNext,
  .xColumn = pgColumn,
  .xClose = pgClose,
  .xExec = pgExec,
  .xExecQueued = pgExecQueued,
  .xSettle = pgSettle,
  .xCount = pgCount,
  .xBegin = pgBegin,
  .xCommit = pgCommit,
  .xRollback = pgRollback,
  .xSavepoint = pgSavepoint,
  .xBulkOpen = pgBulkOpen,
  .xBulkRow = pgBulkRow,
  .xBulkFlush = pgBulkFlush,
  .xBulkDiscard = pgBulkDiscard,
  .xBulkClose = pgBulkClose,
  .xRawOpen = pgRawOpen,
  .xRawNext = pgRawNext,
  .xRawClose = pgRawClose,
  .xBulkRaw = pgBulkRaw,
  .pDialect = &pt_dialect_postgresql,
  .ePlace = PT_PLACE_NUMBERED,
};
