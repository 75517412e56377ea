/*
** conn.c — named servers and their connections, per SQLite connection.
**
**   SELECT pontoon_connect('old', 'postgresql://app@127.0.0.1/shop');
**
** registers `old` in this SQLite connection's registry and connects.  Tables
** name servers, never URIs: a server is resolved only from this session's
** pontoon_connect() calls, so a database file cannot point a table at a host
** of its choosing, and nothing secret is ever stored in it.
**
** Each server has one connection for reads and writes (so a transaction sees
** its own writes) and, opened only when a query= table is read, a second one
** pinned read-only.  A connection found broken is dropped and replaced at its
** next use: a statement fails cleanly, the next one reconnects.
*/
#include <ctype.h>
#include <string.h>
#include "pontoon.h"

static const pt_driver *const aDriver[] = {
#define PT_DRIVER(name) &name,
#include "pt_drivers.h"
#undef PT_DRIVER
};

const pt_driver *pt_driver_for(const char *zUri) {
  for( size_t i = 0; i < sizeof(aDriver) / sizeof(aDriver[0]); i++ ) {
    if( aDriver[i]->xAccepts(zUri) ) return aDriver[i];
  }
  return 0;
}

pt_registry *pt_registry_new(sqlite3 *db) {
  pt_registry *r = sqlite3_malloc(sizeof(*r));
  if( r ) {
    memset(r, 0, sizeof(*r));
    r->db = db;
  }
  return r;
}

static void server_close(pt_server *s) {
  pt_server_discard(s);
  while( s->pWriters ) pt_writer_forget(s->pWriters);
  if( s->pConn ) s->pDriver->xDisconnect(s->pConn);
  if( s->pRoConn ) s->pDriver->xDisconnect(s->pRoConn);
  s->pConn = s->pRoConn = 0;
  for( int k = 0; k < 2; k++ ) {
    pt_pool *p = &s->aPool[k];
    while( p->nIdle > 0 ) s->pDriver->xDisconnect(p->apIdle[--p->nIdle]);
    if( p->pShared ) s->pDriver->xDisconnect(p->pShared);
    p->pShared = 0;
    p->nShared = 0;
    p->nOpen = 0;
  }
}

static void server_free(pt_server *s) {
  server_close(s);
  sqlite3_free(s->zTxnFailed);
  sqlite3_free(s->zName);
  sqlite3_free(s->zUri);
  sqlite3_free(s->zSecret);
  sqlite3_free(s->zQueuedTable);
  sqlite3_free(s);
}

/* Destructor of the module's client data: runs when the SQLite connection
** closes.  Open remote transactions end with their connections (the server
** rolls them back). */
void pt_registry_free(void *p) {
  pt_registry *r = p;
  if( !r ) return;
  while( r->pServers ) {
    pt_server *s = r->pServers;
    r->pServers = s->pNext;
    server_free(s);
  }
  for( int i = 0; i < r->nTrusted; i++ ) sqlite3_free(r->azTrusted[i]);
  sqlite3_free(r->azTrusted);
  sqlite3_free(r);
}

pt_server *pt_server_find(pt_registry *r, const char *zName) {
  if( !zName ) return 0;
  for( pt_server *s = r->pServers; s; s = s->pNext ) {
    if( sqlite3_stricmp(s->zName, zName) == 0 ) return s;
  }
  return 0;
}

/* "pontoon: server 'x', table t: what: remote text", password scrubbed.
** Takes ownership of zRemote. */
char *pt_server_error(pt_server *s, const char *zTable, const char *zWhat, char *zRemote) {
  char *z;
  const char *zName = s ? s->zName : "?";
  if( zTable ) {
    z = sqlite3_mprintf("pontoon: server '%s', table %s: %s%s%s", zName, zTable, zWhat ? zWhat : "",
                        zWhat && zRemote ? ": " : "", zRemote ? zRemote : "");
  } else {
    z = sqlite3_mprintf("pontoon: server '%s': %s%s%s", zName, zWhat ? zWhat : "",
                        zWhat && zRemote ? ": " : "", zRemote ? zRemote : "");
  }
  sqlite3_free(zRemote);
  if( s ) z = pt_redact(z, s->zSecret);
  return z;
}

/*
** The read-write connection of s died: what was buffered for it is gone, and
** so is the remote part of an open transaction, which can then no longer
** commit.
*/
static void conn_lost(pt_server *s) {
  while( s->pWriters ) pt_writer_forget(s->pWriters); /* they point into it */
  s->nQueued = 0;
  if( s->inTxn ) {
    pt_server_fail(s,
                   "the connection was lost inside this transaction, and the server "
                   "rolled back its part");
    s->failedSp = 0; /* no savepoint survived it */
  }
  s->inTxn = 0;
  s->spOpen = 0;
}

/*
** The connection to use for server s, connecting or reconnecting as needed.
** readOnly picks the read-only connection of query= tables.  On error
** *pzErr is the driver's message (not yet prefixed).
*/
static pt_conn *pool_idle(pt_server *s, pt_pool *p);

int pt_server_conn(pt_server *s, int readOnly, pt_conn **ppConn, char **pzErr) {
  pt_conn **pp = readOnly ? &s->pRoConn : &s->pConn;
  readOnly = readOnly != 0;
  if( *pp && !s->pDriver->xAlive(*pp) && s->anMain[readOnly] > 0 ) {
    /* its cursors still point into it: replaced once they are closed */
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  if( *pp && !s->pDriver->xAlive(*pp) ) {
    pt_trace("server %s: connection lost, reconnecting", s->zName);
    if( !readOnly ) conn_lost(s);
    s->pDriver->xDisconnect(*pp);
    *pp = 0;
  }
  if( !readOnly && s->zTxnFailed ) {
    /* going on would commit only part of what this transaction did */
    *pzErr = sqlite3_mprintf("%s", s->zTxnFailed);
    return SQLITE_ERROR;
  }
  if( !*pp && !readOnly && (*pp = pool_idle(s, &s->aPool[0])) != 0 ) {
    s->aPool[0].nOpen--; /* an idle connection of the pool becomes this one */
  }
  if( !*pp ) {
    int rc = s->pDriver->xConnect(s->zUri, PT_CONNECT_TIMEOUT, readOnly, pp, pzErr);
    if( rc != SQLITE_OK ) {
      *pp = 0;
      if( *pzErr ) *pzErr = pt_redact(*pzErr, s->zSecret);
      return rc;
    }
    if( s->pDriver->xDialect ) s->pDialect = s->pDriver->xDialect(*pp);
  }
  *ppConn = *pp;
  return SQLITE_OK;
}

/* ---- the pool ----
**
** A client library that streams one result per connection (xBusy: MySQL's
** mysql_use_result, ODBC drivers without multiple active statements) needs
** another connection for a second cursor while one streams.  conn.c owns
** them, per server and per kind (read-write, read-only): a cursor takes the
** server's connection of its kind when that can serve it, else an idle one
** of the pool, else a new one while the connections of that kind stay
** within the driver's bound (xMaxConnections, one kept for the shared
** connection), else it reads as a server-side cursor (xOpenShared) on the
** one shared connection.  Connections leased by the migration layer come
** from the read-write pool and go back to it.
*/

/* Open a connection of server s like its others.  The message is the
** driver's, redacted. */
static int conn_open(pt_server *s, int readOnly, pt_conn **ppConn, char **pzErr) {
  int rc = s->pDriver->xConnect(s->zUri, PT_CONNECT_TIMEOUT, readOnly, ppConn, pzErr);
  if( rc != SQLITE_OK ) {
    *ppConn = 0;
    if( *pzErr ) *pzErr = pt_redact(*pzErr, s->zSecret);
    return rc;
  }
  if( s->pDriver->xDialect ) s->pDialect = s->pDriver->xDialect(*ppConn);
  return SQLITE_OK;
}

/* An idle connection of pool p still alive, or NULL; the dead ones found
** are closed. */
static pt_conn *pool_idle(pt_server *s, pt_pool *p) {
  while( p->nIdle > 0 ) {
    pt_conn *c = p->apIdle[--p->nIdle];
    if( s->pDriver->xAlive(c) ) return c;
    s->pDriver->xDisconnect(c);
    p->nOpen--;
  }
  return 0;
}

/* Give c back to pool p: kept while alive and there is room, else closed. */
static void pool_put(pt_server *s, pt_pool *p, pt_conn *c) {
  if( p->nIdle < (int)(sizeof(p->apIdle) / sizeof(p->apIdle[0])) && s->pDriver->xAlive(c) ) {
    p->apIdle[p->nIdle++] = c;
  } else {
    s->pDriver->xDisconnect(c);
    p->nOpen--;
  }
}

/*
** A connection of server s for the caller alone (copy, diff and sync read
** and write on their own connections, outside SQLite's transaction, and
** commit when they choose): an idle one of the read-write pool, or a new
** one.  The caller owns it until pt_server_release, and must end any
** transaction it opened on it first.  On error *pzErr is the driver's
** message, redacted, not yet prefixed.
*/
int pt_server_lease(pt_server *s, pt_conn **ppConn, char **pzErr) {
  pt_pool *p = &s->aPool[0];
  if( (*ppConn = pool_idle(s, p)) != 0 ) return SQLITE_OK;
  if( s->pConn && !s->inTxn && !s->inSqlTxn && !s->anMain[0] && !s->nQueued && !s->pWriters &&
      !s->zTxnFailed && !s->spOpen && s->pDriver->xAlive(s->pConn) ) {
    /* the server's own connection is idle: leased rather than a new one
    ** opened (several round trips over a network); pt_server_conn takes
    ** an idle one of the pool when it next needs its own */
    *ppConn = s->pConn;
    s->pConn = 0;
    p->nOpen++;
    return SQLITE_OK;
  }
  int rc = conn_open(s, 0, ppConn, pzErr);
  if( rc == SQLITE_OK ) p->nOpen++;
  return rc;
}

/* Give back a leased connection: the server's own again when it has none
** (pt_server_lease took it), else kept for the next lease or cursor while
** alive and there is room, else closed.  NULL is a no-op. */
void pt_server_release(pt_server *s, pt_conn *c) {
  if( !c ) return;
  if( !s->pConn && !s->inTxn && !s->anMain[0] && s->pDriver->xAlive(c) ) {
    s->pConn = c;
    s->aPool[0].nOpen--;
    return;
  }
  pool_put(s, &s->aPool[0], c);
}

/*
** A connection of server s for the caller alone, inside a read-only
** transaction with one snapshot for all its reads (xBegin on a connection
** opened read-only: REPEATABLE READ, READ ONLY, or the engine's
** equivalent): one side of a diff, say.  It comes from the read-only pool;
** end it with pt_server_snapshot_end.  On error *pzErr is the driver's
** message, redacted, not yet prefixed.
*/
int pt_server_snapshot_begin(pt_server *s, pt_conn **ppConn, char **pzErr) {
  pt_pool *p = &s->aPool[1];
  pt_conn *c = pool_idle(s, p);
  *ppConn = 0;
  if( !c ) {
    int rc = conn_open(s, 1, &c, pzErr);
    if( rc != SQLITE_OK ) return rc;
    p->nOpen++;
  }
  int rc = s->pDriver->xBegin(c, pzErr);
  if( rc != SQLITE_OK ) {
    if( *pzErr ) *pzErr = pt_redact(*pzErr, s->zSecret);
    pool_put(s, p, c);
    return rc;
  }
  *ppConn = c;
  return SQLITE_OK;
}

/* End the snapshot of pt_server_snapshot_begin (rolled back: it wrote
** nothing) and give its connection back.  NULL is a no-op. */
void pt_server_snapshot_end(pt_server *s, pt_conn *c) {
  if( !c ) return;
  char *zErr = 0;
  if( s->pDriver->xAlive(c) ) s->pDriver->xRollback(c, &zErr);
  sqlite3_free(zErr);
  pool_put(s, &s->aPool[1], c);
}

/*
** Open a cursor of pSt (the other arguments as xOpen's) on connection c, or
** on the shared connection when shared.  A connection that was idle may
** have been dropped by the server (a timeout, a KILL): then it is replaced
** and the statement tried once more (*ppConn is then the new one).
*/
static int cursor_on(pt_server *s, int readOnly, pt_conn **ppConn, int isMain, int retry,
                     int shared, const pt_stmt *pSt, int nParam, const pt_param *aParam, int nCol,
                     const pt_kind *aKind, int nFetch, pt_cursor **ppCur, char **pzErr) {
  const pt_driver *d = s->pDriver;
  pt_pool *p = &s->aPool[readOnly];
  int rc = (shared ? d->xOpenShared : d->xOpen)(*ppConn, pSt, nParam, aParam, nCol, aKind, nFetch,
                                                ppCur, pzErr);
  if( rc == SQLITE_OK || !retry || d->xAlive(*ppConn) ) return rc;
  pt_trace("server %s: connection lost, reconnecting", s->zName);
  pt_conn *c = 0;
  char *zErr = 0;
  if( isMain ) {
    rc = pt_server_conn(s, readOnly, &c, &zErr); /* replaces the dead one */
  } else {
    if( shared )
      p->pShared = 0;
    else
      p->nOpen--;
    d->xDisconnect(*ppConn);
    *ppConn = 0;
    rc = conn_open(s, readOnly, &c, &zErr);
    if( rc == SQLITE_OK ) {
      if( shared )
        p->pShared = c;
      else
        p->nOpen++;
    }
  }
  if( rc != SQLITE_OK ) {
    sqlite3_free(zErr);
    return SQLITE_ERROR; /* with the first attempt's message */
  }
  sqlite3_free(*pzErr);
  *pzErr = 0;
  *ppConn = c;
  return (shared ? d->xOpenShared : d->xOpen)(c, pSt, nParam, aParam, nCol, aKind, nFetch, ppCur,
                                              pzErr);
}

/*
** Open a cursor of pSt for server s on the connection conn.c chooses
** (the pool's policy above); readOnly: one of the read-only kind (query=
** tables).  mayRetry: the statement starts a read (not the next page of
** one), so that a connection found dropped on opening it is replaced and
** the statement run again, once.  The other arguments are xOpen's.  *ppConn is the connection
** it reads on, for pt_server_cursor_done after xClose.  On error *pzErr is
** the driver's message, not prefixed.
*/
int pt_server_cursor(pt_server *s, int readOnly, int mayRetry, const pt_stmt *pSt, int nParam,
                     const pt_param *aParam, int nCol, const pt_kind *aKind, int nFetch,
                     pt_cursor **ppCur, pt_conn **ppConn, char **pzErr) {
  const pt_driver *d = s->pDriver;
  readOnly = readOnly != 0;
  pt_pool *p = &s->aPool[readOnly];
  pt_conn *c;
  *ppCur = 0;
  *ppConn = 0;
  int rc = pt_server_conn(s, readOnly, &c, pzErr);
  if( rc != SQLITE_OK ) return rc;
  if( !d->xBusy || !d->xBusy(c) ) {
    /* the server's own connection; one idle and outside a transaction may
    ** be retried once */
    int retry = mayRetry && s->anMain[readOnly] == 0 && (readOnly || !s->inTxn);
    rc = cursor_on(s, readOnly, &c, 1, retry, 0, pSt, nParam, aParam, nCol, aKind, nFetch, ppCur,
                   pzErr);
    if( rc == SQLITE_OK ) {
      s->anMain[readOnly]++;
      *ppConn = c;
    }
    return rc;
  }
  int shared = 0;
  pt_conn *pFirst = c;
  c = pool_idle(s, p);
  if( !c ) {
    int nMax = d->xMaxConnections ? d->xMaxConnections(pFirst) : 0;
    if( nMax > 0 && d->xOpenShared && 1 + p->nOpen + 1 + 1 > nMax ) {
      /* the bound is reached: a server-side cursor on the shared connection */
      shared = 1;
      if( p->pShared && p->nShared == 0 && !d->xAlive(p->pShared) ) {
        d->xDisconnect(p->pShared);
        p->pShared = 0;
      }
      if( !p->pShared ) {
        rc = conn_open(s, readOnly, &p->pShared, pzErr);
        if( rc != SQLITE_OK ) return rc;
      }
      c = p->pShared;
    } else {
      rc = conn_open(s, readOnly, &c, pzErr);
      if( rc != SQLITE_OK ) return rc;
      p->nOpen++;
    }
  }
  rc = cursor_on(s, readOnly, &c, 0, mayRetry && (!shared || p->nShared == 0), shared, pSt, nParam,
                 aParam, nCol, aKind, nFetch, ppCur, pzErr);
  if( rc != SQLITE_OK ) {
    if( c && !shared ) pool_put(s, p, c);
    return rc;
  }
  if( shared ) p->nShared++;
  *ppConn = c;
  return SQLITE_OK;
}

/* The cursor that pt_server_cursor opened on c has been closed: c is free
** again (back to the pool when it is one of the pool's). */
void pt_server_cursor_done(pt_server *s, int readOnly, pt_conn *c) {
  readOnly = readOnly != 0;
  pt_pool *p = &s->aPool[readOnly];
  if( !c ) return;
  if( c == (readOnly ? s->pRoConn : s->pConn) ) {
    if( s->anMain[readOnly] > 0 ) s->anMain[readOnly]--;
  } else if( c != p->pShared ) {
    pool_put(s, p, c);
  } else if( --p->nShared == 0 && !s->pDriver->xAlive(c) ) {
    s->pDriver->xDisconnect(c);
    p->pShared = 0;
  }
}

/* Drop connections known to be broken (after an error), so the next use
** reconnects. */
void pt_server_check(pt_server *s) {
  if( s->pConn && s->nCursor == 0 && !s->pDriver->xAlive(s->pConn) ) {
    conn_lost(s);
    s->pDriver->xDisconnect(s->pConn);
    s->pConn = 0;
  }
  if( s->pRoConn && s->nCursor == 0 && !s->pDriver->xAlive(s->pRoConn) ) {
    s->pDriver->xDisconnect(s->pRoConn);
    s->pRoConn = 0;
  }
}

static int valid_name(const char *z) {
  if( !z || !z[0] ) return 0;
  for( ; *z; z++ ) {
    if( !isalnum((unsigned char)*z) && *z != '_' ) return 0;
  }
  return 1;
}

/*
** Register (or replace) server zName and connect to it now, so a bad URI
** or an unreachable server is reported by pontoon_connect itself.
*/
int pt_server_add(pt_registry *r, const char *zName, const char *zUri, char **pzErr) {
  if( !valid_name(zName) ) {
    *pzErr = sqlite3_mprintf("pontoon_connect: server name must be letters, digits and _");
    return SQLITE_ERROR;
  }
  const pt_driver *d = pt_driver_for(zUri);
  if( !d ) {
    sqlite3_str *m = sqlite3_str_new(0);
    sqlite3_str_appendf(m, "pontoon_connect: server '%s': unknown kind of connection string; use ",
                        zName);
    for( size_t i = 0; i < sizeof(aDriver) / sizeof(aDriver[0]); i++ ) {
      sqlite3_str_appendf(m, "%s%s", i == 0 ? "" : ", ", aDriver[i]->zSchemes);
    }
    *pzErr = sqlite3_str_finish(m);
    return SQLITE_ERROR;
  }
  pt_server *old = pt_server_find(r, zName);
  if( old && (old->nCursor > 0 || old->inTxn) ) {
    *pzErr = sqlite3_mprintf("pontoon_connect: server '%s' is in use by an open "
                             "transaction or query; finish it first",
                             zName);
    return SQLITE_ERROR;
  }
  pt_server *s = sqlite3_malloc(sizeof(*s));
  if( !s ) return SQLITE_NOMEM;
  memset(s, 0, sizeof(*s));
  s->zName = pt_strdup(zName);
  s->zUri = pt_strdup(zUri);
  s->zSecret = pt_conninfo_password(zUri);
  s->pDriver = d;
  s->pDialect = d->pDialect;
  char *zRemote = 0;
  pt_conn *c;
  int rc = pt_server_conn(s, 0, &c, &zRemote);
  if( rc != SQLITE_OK ) {
    *pzErr = pt_server_error(s, 0, "cannot connect", zRemote);
    server_free(s);
    return rc;
  }
  if( old ) {
    pt_server **pp = &r->pServers;
    while( *pp != old ) pp = &(*pp)->pNext;
    *pp = old->pNext;
    server_free(old);
  }
  s->pNext = r->pServers;
  r->pServers = s;
  return SQLITE_OK;
}

/* Close and forget server zName.  SQLITE_NOTFOUND if there is none. */
int pt_server_remove(pt_registry *r, const char *zName, char **pzErr) {
  pt_server *s = pt_server_find(r, zName);
  if( !s ) return SQLITE_NOTFOUND;
  if( s->nCursor > 0 || s->inTxn ) {
    *pzErr = sqlite3_mprintf("pontoon_disconnect: server '%s' is in use by an open "
                             "transaction or query",
                             zName);
    return SQLITE_ERROR;
  }
  pt_server **pp = &r->pServers;
  while( *pp != s ) pp = &(*pp)->pNext;
  *pp = s->pNext;
  server_free(s);
  return SQLITE_OK;
}

/*
** query= tables created in this session, by their whole argument list
** (server, query, options).  A table whose definition comes from a file or
** a backup is run only if this session created one with the very same
** arguments: then the SQL it runs is the user's own, whatever its name.
*/
void pt_trust_table(pt_registry *r, const char *zArgs) {
  if( !zArgs || pt_is_trusted(r, zArgs) ) return;
  char **a = sqlite3_realloc(r->azTrusted, sizeof(char *) * (r->nTrusted + 1));
  if( !a ) return;
  r->azTrusted = a;
  a[r->nTrusted] = pt_strdup(zArgs);
  if( a[r->nTrusted] ) r->nTrusted++;
}

int pt_is_trusted(pt_registry *r, const char *zArgs) {
  for( int i = 0; zArgs && i < r->nTrusted; i++ ) {
    if( strcmp(r->azTrusted[i], zArgs) == 0 ) return 1;
  }
  return 0;
}

/* ---- writes and remote transactions ----
**
** A SQLite transaction is one remote transaction per server.  Buffered
** INSERT rows live in each table's bulk writer, listed on its server; they
** are sent before anything else uses the connection (pt_server_flush), at
** every savepoint callback and in xSync, and dropped on rollback.  The
** remote COMMIT happens in xSync (pt_server_commit), so an autocommit
** statement's error is that statement's error.  Savepoints map SQLite's
** nesting depth N onto remote SAVEPOINT pt_N; a rollback to a level never
** opened here, or to level -1 (the SAVEPOINT that opened the transaction),
** goes back to pt_begin, made right after BEGIN.
**
** The local file and the servers: xSync first sends every server's
** buffered rows and writes the local file's changed pages (taking its
** lock, pt_registry_prepare), so that neither can fail after a server has
** committed; only then does each server COMMIT.  docs/writing.md says what
** that makes atomic.  A transaction that can no longer commit whole (a lost
** connection, a statement the server applied only in part) is marked
** failed: every later use and the COMMIT fail until SQLite rolls it back.
*/

/* Stop tracking v's bulk writer (its rows are dropped). */
void pt_writer_forget(pt_vtab *v) {
  pt_server *s = v->pBulkServer;
  if( s ) {
    pt_vtab **pp = &s->pWriters;
    while( *pp && *pp != v ) pp = &(*pp)->pNextWriter;
    if( *pp ) *pp = v->pNextWriter;
  }
  if( v->pBulk && s ) s->pDriver->xBulkClose(v->pBulk);
  v->pBulk = 0;
  v->pBulkServer = 0;
  v->pNextWriter = 0;
}

/* The message of an UPDATE or DELETE by key that matched n rows, not one
** (the words of xSettle's contract in driver.h). */
char *pt_rows_matched_error(int64_t n) {
  if( n == 0 ) {
    return sqlite3_mprintf("no row matched the key: the row was changed or deleted on the "
                           "server since it was read");
  }
  return sqlite3_mprintf("%lld rows matched the key: the key does not identify one row "
                         "(key= must name unique columns)",
                         (long long)n);
}

/* Mark the open transaction of s as one that cannot commit (the first cause
** is kept).  Outside a transaction this does nothing: the statement's own
** error is enough, and SQLite rolls it back. */
void pt_server_fail(pt_server *s, const char *zWhy) {
  if( !s->inTxn || s->zTxnFailed ) return;
  if( strncmp(zWhy, "pontoon: ", 9) == 0 ) zWhy += 9; /* it is quoted inside another */
  s->zTxnFailed =
    sqlite3_mprintf("%s; nothing of this transaction can be committed on "
                    "server '%s': ROLLBACK (or ROLLBACK TO a savepoint taken before it)",
                    zWhy, s->zName);
  s->failedSp = s->spOpen;
}

static void clear_failure(pt_server *s) {
  sqlite3_free(s->zTxnFailed);
  s->zTxnFailed = 0;
  s->failedSp = 0;
}

/* Send every buffered row of every table on server s, and wait for the
** UPDATE and DELETE statements sent without waiting. */
int pt_server_flush(pt_server *s, char **pzErr) { return pt_server_flush_rows(s, 1, pzErr); }

/* As pt_server_flush; settle 0 leaves queued statements queued (another
** one is about to join them, and the connection keeps their order).  A
** failure may leave part of the rows applied: the transaction is failed. */
int pt_server_flush_rows(pt_server *s, int settle, char **pzErr) {
  /* queued statements first: they were sent first, so theirs is the cause */
  if( s->nQueued && settle ) {
    char *zErr = 0;
    s->nQueued = 0;
    if( s->pConn && s->pDriver->xSettle(s->pConn, &zErr) != SQLITE_OK ) {
      *pzErr = pt_server_error(s, s->zQueuedTable, "UPDATE or DELETE", zErr);
      pt_server_discard(s);
      pt_server_fail(s, *pzErr);
      return SQLITE_ERROR;
    }
  }
  for( pt_vtab *v = s->pWriters; v; v = v->pNextWriter ) {
    char *zErr = 0;
    if( s->pDriver->xBulkFlush(v->pBulk, &zErr) != SQLITE_OK ) {
      *pzErr = pt_server_error(s, v->zRemoteTable ? v->zRemoteTable : v->zName, "INSERT", zErr);
      pt_server_discard(s);
      pt_server_fail(s, *pzErr);
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

/* Drop buffered rows and forget queued statements (a rollback follows). */
void pt_server_discard(pt_server *s) {
  for( pt_vtab *v = s->pWriters; v; v = v->pNextWriter ) s->pDriver->xBulkDiscard(v->pBulk);
  if( s->nQueued ) {
    char *zErr = 0;
    s->nQueued = 0;
    if( s->pConn ) s->pDriver->xSettle(s->pConn, &zErr);
    sqlite3_free(zErr);
  }
}

/* Open the remote transaction: BEGIN and the savepoint pt_begin.  The
** message is not prefixed. */
static int remote_begin(pt_server *s, char **pzErr) {
  pt_conn *c;
  int rc = pt_server_conn(s, 0, &c, pzErr);
  if( rc == SQLITE_OK ) rc = s->pDriver->xBegin(c, pzErr);
  if( rc == SQLITE_OK ) rc = s->pDriver->xSavepoint(c, PT_SP_BEGIN, -1, pzErr);
  if( rc != SQLITE_OK ) {
    pt_server_check(s);
    return rc;
  }
  s->inTxn = 1;
  s->spOpen = 0;
  return SQLITE_OK;
}

/* xBegin: SQLite's write transaction now includes server s. */
int pt_server_begin(pt_server *s, char **pzErr) {
  s->inSqlTxn = 1;
  if( s->inTxn || s->zTxnFailed ) return SQLITE_OK;
  char *zErr = 0;
  int rc = remote_begin(s, &zErr);
  if( rc != SQLITE_OK ) *pzErr = pt_server_error(s, 0, "BEGIN", zErr);
  return rc;
}

/*
** The connection a write uses.  Inside SQLite's transaction it is always
** inside a remote one: after a COMMIT that SQLite retries (the local file
** was busy) or a ROLLBACK TO the start, SQLite calls no xBegin again, so
** the remote transaction is opened here.  The message is not prefixed.
*/
int pt_server_write_conn(pt_server *s, pt_conn **ppConn, char **pzErr) {
  if( s->inSqlTxn && !s->inTxn && !s->zTxnFailed ) {
    int rc = remote_begin(s, pzErr);
    if( rc != SQLITE_OK ) return rc;
  }
  return pt_server_conn(s, 0, ppConn, pzErr);
}

/*
** First half of xSync, for every server of this SQLite connection: send
** whatever is buffered and refuse a failed transaction, then write the
** local database's changed pages, which takes the lock its commit needs.
** An error here leaves every server uncommitted; SQLITE_BUSY leaves the
** transaction open so that COMMIT can be run again.
*/
int pt_registry_prepare(pt_registry *r, char **pzErr) {
  for( pt_server *s = r->pServers; s; s = s->pNext ) {
    if( s->zTxnFailed ) {
      *pzErr = pt_server_error(s, 0, "COMMIT", sqlite3_mprintf("%s", s->zTxnFailed));
      return SQLITE_ERROR;
    }
    if( s->inTxn && pt_server_flush(s, pzErr) != SQLITE_OK ) return SQLITE_ERROR;
  }
  int rc = sqlite3_db_cacheflush(r->db);
  if( rc == SQLITE_BUSY ) {
    *pzErr = sqlite3_mprintf(
      "pontoon: COMMIT: the local database is locked by another "
      "connection, so nothing was committed, on any server; run COMMIT again when it is "
      "free, or ROLLBACK");
    return SQLITE_BUSY;
  }
  if( rc != SQLITE_OK ) {
    *pzErr = sqlite3_mprintf("pontoon: COMMIT: the local database could not be written "
                             "(%s), so nothing was committed, on any server",
                             sqlite3_errstr(rc));
  }
  return rc;
}

/* Second half of xSync: the remote COMMIT of s. */
int pt_server_commit(pt_server *s, char **pzErr) {
  if( s->zTxnFailed ) {
    *pzErr = pt_server_error(s, 0, "COMMIT", sqlite3_mprintf("%s", s->zTxnFailed));
    return SQLITE_ERROR;
  }
  if( !s->inTxn ) return SQLITE_OK;
  int rc = pt_server_flush(s, pzErr);
  if( rc != SQLITE_OK ) return rc;
  char *zErr = 0;
  rc = s->pDriver->xCommit(s->pConn, &zErr);
  s->inTxn = 0;
  s->spOpen = 0;
  if( rc != SQLITE_OK ) {
    *pzErr = pt_server_error(s, 0, "COMMIT", zErr);
    pt_server_check(s);
  }
  return rc;
}

/* xCommit: SQLite's transaction is over (the remote COMMIT was in xSync). */
void pt_server_end(pt_server *s) {
  if( s->inTxn ) pt_server_rollback(s); /* never leave one open */
  s->inSqlTxn = 0;
  clear_failure(s);
}

/* xRollback. */
void pt_server_rollback(pt_server *s) {
  pt_server_discard(s);
  s->inSqlTxn = 0;
  clear_failure(s);
  if( !s->inTxn ) return;
  char *zErr = 0;
  if( s->pConn && s->pDriver->xAlive(s->pConn) ) s->pDriver->xRollback(s->pConn, &zErr);
  sqlite3_free(zErr);
  s->inTxn = 0;
  s->spOpen = 0;
  pt_server_check(s);
}

/*
** xSavepoint, xRelease, xRollbackTo at nesting level iLevel.  Level -1
** (xRollbackTo only) is the SAVEPOINT that opened the transaction: back to
** its start.
*/
int pt_server_savepoint(pt_server *s, int op, int iLevel, char **pzErr) {
  if( iLevel > 62 || (iLevel < 0 && op != PT_SP_ROLLBACK) ) return SQLITE_OK;
  int toStart = iLevel < 0;
  if( toStart ) iLevel = 0;
  char *zErr = 0;
  int rc = SQLITE_OK;
  /* Rows buffered before a new savepoint go before it; at a release they
  ** may stay buffered (they belong to the enclosing level, and SQLite
  ** drops the message of an error a release returns), and a rollback
  ** drops them. */
  if( op == PT_SP_ROLLBACK ) pt_server_discard(s);
  if( !s->inTxn ) {
    /* the connection died in this transaction: back to the start is the
    ** server's own rollback, which already happened */
    if( op == PT_SP_ROLLBACK && toStart ) clear_failure(s);
    return SQLITE_OK;
  }
  if( op == PT_SP_BEGIN ) rc = pt_server_flush(s, pzErr);
  if( rc != SQLITE_OK ) return rc;
  uint64_t above = ~(((uint64_t)1 << iLevel) - 1); /* levels >= iLevel */
  int lowest = -1;
  for( int i = iLevel; i < 63 && !toStart; i++ )
    if( s->spOpen & ((uint64_t)1 << i) ) {
      lowest = i;
      break;
    }
  switch( op ) {
    case PT_SP_BEGIN:
      if( s->spOpen & ((uint64_t)1 << iLevel) ) return SQLITE_OK;
      rc = s->pDriver->xSavepoint(s->pConn, PT_SP_BEGIN, iLevel, &zErr);
      if( rc == SQLITE_OK ) s->spOpen |= (uint64_t)1 << iLevel;
      break;
    case PT_SP_RELEASE:
      if( lowest >= 0 ) rc = s->pDriver->xSavepoint(s->pConn, PT_SP_RELEASE, lowest, &zErr);
      s->spOpen &= ~above;
      break;
    case PT_SP_ROLLBACK:
      rc = s->pDriver->xSavepoint(s->pConn, PT_SP_ROLLBACK, lowest, &zErr);
      if( rc == SQLITE_OK && s->zTxnFailed &&
          (lowest < 0 || (s->failedSp & ((uint64_t)1 << lowest))) ) {
        clear_failure(s); /* what failed came after that savepoint */
      }
      if( lowest >= 0 )
        s->spOpen &= ~(above & ~((uint64_t)1 << lowest));
      else
        s->spOpen = 0;
      break;
  }
  if( rc != SQLITE_OK ) {
    *pzErr = pt_server_error(s, 0, "SAVEPOINT", zErr);
    pt_server_check(s);
  }
  return rc;
}
