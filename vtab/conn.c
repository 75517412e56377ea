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
  &pt_pg_driver,
#ifdef PT_WITH_MYSQL
  &pt_mysql_driver,
#endif
#ifdef PT_WITH_ODBC
  &pt_odbc_driver,
#endif
};

const pt_driver *pt_driver_for(const char *zUri){
  for(size_t i = 0; i < sizeof(aDriver) / sizeof(aDriver[0]); i++){
    if( aDriver[i]->xAccepts(zUri) ) return aDriver[i];
  }
  return 0;
}

pt_registry *pt_registry_new(sqlite3 *db){
  pt_registry *r = sqlite3_malloc(sizeof(*r));
  if( r ){
    memset(r, 0, sizeof(*r));
    r->db = db;
  }
  return r;
}

static void server_close(pt_server *s){
  pt_server_discard(s);
  while( s->pWriters ) pt_writer_forget(s->pWriters);
  if( s->pConn ) s->pDriver->xDisconnect(s->pConn);
  if( s->pRoConn ) s->pDriver->xDisconnect(s->pRoConn);
  s->pConn = s->pRoConn = 0;
}

static void server_free(pt_server *s){
  server_close(s);
  sqlite3_free(s->zName);
  sqlite3_free(s->zUri);
  sqlite3_free(s->zSecret);
  sqlite3_free(s->zQueuedTable);
  sqlite3_free(s);
}

/* Destructor of the module's client data: runs when the SQLite connection
** closes.  Open remote transactions end with their connections (the server
** rolls them back). */
void pt_registry_free(void *p){
  pt_registry *r = p;
  if( !r ) return;
  while( r->pServers ){
    pt_server *s = r->pServers;
    r->pServers = s->pNext;
    server_free(s);
  }
  for(int i = 0; i < r->nTrusted; i++) sqlite3_free(r->azTrusted[i]);
  sqlite3_free(r->azTrusted);
  sqlite3_free(r);
}

pt_server *pt_server_find(pt_registry *r, const char *zName){
  if( !zName ) return 0;
  for(pt_server *s = r->pServers; s; s = s->pNext){
    if( sqlite3_stricmp(s->zName, zName) == 0 ) return s;
  }
  return 0;
}

/* "pontoon: server 'x', table t: what: remote text", password scrubbed.
** Takes ownership of zRemote. */
char *pt_server_error(pt_server *s, const char *zTable, const char *zWhat, char *zRemote){
  char *z;
  const char *zName = s ? s->zName : "?";
  if( zTable ){
    z = sqlite3_mprintf("pontoon: server '%s', table %s: %s%s%s", zName, zTable,
                        zWhat ? zWhat : "", zWhat && zRemote ? ": " : "", zRemote ? zRemote : "");
  }else{
    z = sqlite3_mprintf("pontoon: server '%s': %s%s%s", zName,
                        zWhat ? zWhat : "", zWhat && zRemote ? ": " : "", zRemote ? zRemote : "");
  }
  sqlite3_free(zRemote);
  if( s ) z = pt_redact(z, s->zSecret);
  return z;
}

/*
** The connection to use for server s, connecting or reconnecting as needed.
** readOnly picks the read-only connection of query= tables.  On error
** *pzErr is the driver's message (not yet prefixed).
*/
int pt_server_conn(pt_server *s, int readOnly, pt_conn **ppConn, char **pzErr){
  pt_conn **pp = readOnly ? &s->pRoConn : &s->pConn;
  if( *pp && !s->pDriver->xAlive(*pp) ){
    pt_trace("server %s: connection lost, reconnecting", s->zName);
    if( !readOnly ){
      while( s->pWriters ) pt_writer_forget(s->pWriters);   /* they point into it */
      s->nQueued = 0;
      if( s->inTxn ) s->txnLost = 1;
      s->inTxn = 0;
      s->spOpen = 0;
    }
    s->pDriver->xDisconnect(*pp);
    *pp = 0;
  }
  if( !readOnly && s->txnLost ){
    /* the writes made so far died with the connection: going on in a new
    ** one would commit only the rest */
    *pzErr = sqlite3_mprintf("the connection was lost inside this transaction, and the "
                             "server rolled back its part; ROLLBACK and run it again");
    return SQLITE_ERROR;
  }
  if( !*pp ){
    int rc = s->pDriver->xConnect(s->zUri, PT_CONNECT_TIMEOUT, readOnly, pp, pzErr);
    if( rc != SQLITE_OK ){
      *pp = 0;
      if( *pzErr ) *pzErr = pt_redact(*pzErr, s->zSecret);
      return rc;
    }
    if( s->pDriver->xSpecialize ) s->pDriver = s->pDriver->xSpecialize(*pp);
  }
  *ppConn = *pp;
  return SQLITE_OK;
}

/* Drop connections known to be broken (after an error), so the next use
** reconnects. */
void pt_server_check(pt_server *s){
  if( s->pConn && s->nCursor == 0 && !s->pDriver->xAlive(s->pConn) ){
    while( s->pWriters ) pt_writer_forget(s->pWriters);
    s->nQueued = 0;
    s->pDriver->xDisconnect(s->pConn);
    s->pConn = 0;
    if( s->inTxn ) s->txnLost = 1;
    s->inTxn = 0;
    s->spOpen = 0;
  }
  if( s->pRoConn && s->nCursor == 0 && !s->pDriver->xAlive(s->pRoConn) ){
    s->pDriver->xDisconnect(s->pRoConn);
    s->pRoConn = 0;
  }
}

static int valid_name(const char *z){
  if( !z || !z[0] ) return 0;
  for(; *z; z++){
    if( !isalnum((unsigned char)*z) && *z != '_' ) return 0;
  }
  return 1;
}

/*
** Register (or replace) server zName and connect to it now, so a bad URI
** or an unreachable server is reported by pontoon_connect itself.
*/
int pt_server_add(pt_registry *r, const char *zName, const char *zUri, char **pzErr){
  if( !valid_name(zName) ){
    *pzErr = sqlite3_mprintf("pontoon_connect: server name must be letters, digits and _");
    return SQLITE_ERROR;
  }
  const pt_driver *d = pt_driver_for(zUri);
  if( !d ){
    *pzErr = sqlite3_mprintf("pontoon_connect: server '%s': unknown kind of connection "
      "string; use postgresql://..., postgres://... or libpq key=value pairs%s", zName,
#ifdef PT_WITH_MYSQL
      ", mysql://... or mariadb://..."
#else
      ""
#endif
#ifdef PT_WITH_ODBC
      ", odbc:DSN=... or odbc:Driver={...};..."
#else
      ""
#endif
      );
    return SQLITE_ERROR;
  }
  pt_server *old = pt_server_find(r, zName);
  if( old && (old->nCursor > 0 || old->inTxn) ){
    *pzErr = sqlite3_mprintf("pontoon_connect: server '%s' is in use by an open "
      "transaction or query; finish it first", zName);
    return SQLITE_ERROR;
  }
  pt_server *s = sqlite3_malloc(sizeof(*s));
  if( !s ) return SQLITE_NOMEM;
  memset(s, 0, sizeof(*s));
  s->zName = pt_strdup(zName);
  s->zUri = pt_strdup(zUri);
  s->zSecret = pt_conninfo_password(zUri);
  s->pDriver = d;
  char *zRemote = 0;
  pt_conn *c;
  int rc = pt_server_conn(s, 0, &c, &zRemote);
  if( rc != SQLITE_OK ){
    *pzErr = pt_server_error(s, 0, "cannot connect", zRemote);
    server_free(s);
    return rc;
  }
  if( old ){
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
int pt_server_remove(pt_registry *r, const char *zName, char **pzErr){
  pt_server *s = pt_server_find(r, zName);
  if( !s ) return SQLITE_NOTFOUND;
  if( s->nCursor > 0 || s->inTxn ){
    *pzErr = sqlite3_mprintf("pontoon_disconnect: server '%s' is in use by an open "
      "transaction or query", zName);
    return SQLITE_ERROR;
  }
  pt_server **pp = &r->pServers;
  while( *pp != s ) pp = &(*pp)->pNext;
  *pp = s->pNext;
  server_free(s);
  return SQLITE_OK;
}

/* query= tables created in this session, by "db.name". */
void pt_trust_table(pt_registry *r, const char *zDb, const char *zName){
  if( pt_is_trusted(r, zDb, zName) ) return;
  char **a = sqlite3_realloc(r->azTrusted, sizeof(char*) * (r->nTrusted + 1));
  if( !a ) return;
  r->azTrusted = a;
  a[r->nTrusted] = sqlite3_mprintf("%s.%s", zDb, zName);
  if( a[r->nTrusted] ) r->nTrusted++;
}

int pt_is_trusted(pt_registry *r, const char *zDb, const char *zName){
  char *z = sqlite3_mprintf("%s.%s", zDb, zName);
  int found = 0;
  for(int i = 0; z && i < r->nTrusted && !found; i++){
    found = sqlite3_stricmp(r->azTrusted[i], z) == 0;
  }
  sqlite3_free(z);
  return found;
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
** opened here goes back to pt_begin, made right after BEGIN.
*/

/* Stop tracking v's bulk writer (its rows are dropped). */
void pt_writer_forget(pt_vtab *v){
  pt_server *s = v->pBulkServer;
  if( s ){
    pt_vtab **pp = &s->pWriters;
    while( *pp && *pp != v ) pp = &(*pp)->pNextWriter;
    if( *pp ) *pp = v->pNextWriter;
  }
  if( v->pBulk && s ) s->pDriver->xBulkClose(v->pBulk);
  v->pBulk = 0;
  v->pBulkServer = 0;
  v->pNextWriter = 0;
}

/* Send every buffered row of every table on server s, and wait for the
** UPDATE and DELETE statements sent without waiting. */
int pt_server_flush(pt_server *s, char **pzErr){
  return pt_server_flush_rows(s, 1, pzErr);
}

/* As pt_server_flush; settle 0 leaves queued statements queued (another
** one is about to join them, and the connection keeps their order). */
int pt_server_flush_rows(pt_server *s, int settle, char **pzErr){
  /* queued statements first: they were sent first, so theirs is the cause */
  if( s->nQueued && settle ){
    char *zErr = 0;
    s->nQueued = 0;
    if( s->pConn && s->pDriver->xSettle(s->pConn, &zErr) != SQLITE_OK ){
      *pzErr = pt_server_error(s, s->zQueuedTable, "UPDATE or DELETE", zErr);
      pt_server_discard(s);
      return SQLITE_ERROR;
    }
  }
  for(pt_vtab *v = s->pWriters; v; v = v->pNextWriter){
    char *zErr = 0;
    if( s->pDriver->xBulkFlush(v->pBulk, &zErr) != SQLITE_OK ){
      *pzErr = pt_server_error(s, v->zRemoteTable ? v->zRemoteTable : v->zName, "INSERT", zErr);
      pt_server_discard(s);
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

/* Drop buffered rows and forget queued statements (a rollback follows). */
void pt_server_discard(pt_server *s){
  for(pt_vtab *v = s->pWriters; v; v = v->pNextWriter) s->pDriver->xBulkDiscard(v->pBulk);
  if( s->nQueued ){
    char *zErr = 0;
    s->nQueued = 0;
    if( s->pConn ) s->pDriver->xSettle(s->pConn, &zErr);
    sqlite3_free(zErr);
  }
}

int pt_server_begin(pt_server *s, char **pzErr){
  if( s->inTxn ) return SQLITE_OK;
  pt_conn *c;
  char *zErr = 0;
  int rc = pt_server_conn(s, 0, &c, &zErr);
  if( rc == SQLITE_OK ) rc = s->pDriver->xBegin(c, 0, &zErr);
  if( rc == SQLITE_OK ) rc = s->pDriver->xSavepoint(c, PT_SP_BEGIN, -1, &zErr);
  if( rc != SQLITE_OK ){
    *pzErr = pt_server_error(s, 0, "BEGIN", zErr);
    pt_server_check(s);
    return rc;
  }
  s->inTxn = 1;
  s->spOpen = 0;
  return SQLITE_OK;
}

int pt_server_commit(pt_server *s, char **pzErr){
  if( s->txnLost ){
    s->txnLost = 0;
    *pzErr = pt_server_error(s, 0, "COMMIT", sqlite3_mprintf("the connection was lost "
      "inside this transaction, and the server rolled back its part; nothing is committed"));
    return SQLITE_ERROR;
  }
  if( !s->inTxn ) return SQLITE_OK;
  int rc = pt_server_flush(s, pzErr);
  if( rc != SQLITE_OK ){
    pt_server_rollback(s);
    return rc;
  }
  char *zErr = 0;
  rc = s->pDriver->xCommit(s->pConn, &zErr);
  s->inTxn = 0;
  s->spOpen = 0;
  if( rc != SQLITE_OK ){
    *pzErr = pt_server_error(s, 0, "COMMIT", zErr);
    pt_server_check(s);
  }
  return rc;
}

void pt_server_rollback(pt_server *s){
  pt_server_discard(s);
  s->txnLost = 0;
  if( !s->inTxn ) return;
  char *zErr = 0;
  if( s->pConn && s->pDriver->xAlive(s->pConn) ) s->pDriver->xRollback(s->pConn, &zErr);
  sqlite3_free(zErr);
  s->inTxn = 0;
  s->spOpen = 0;
  pt_server_check(s);
}

int pt_server_savepoint(pt_server *s, int op, int iLevel, char **pzErr){
  if( !s->inTxn || iLevel < 0 || iLevel > 62 ) return SQLITE_OK;
  char *zErr = 0;
  int rc = SQLITE_OK;
  /* Rows buffered before a new savepoint go before it; at a release they
  ** may stay buffered (they belong to the enclosing level, and SQLite
  ** drops the message of an error a release returns), and a rollback
  ** drops them. */
  if( op == PT_SP_ROLLBACK ) pt_server_discard(s);
  else if( op == PT_SP_BEGIN ) rc = pt_server_flush(s, pzErr);
  if( rc != SQLITE_OK ) return rc;
  uint64_t above = ~(((uint64_t)1 << iLevel) - 1);   /* levels >= iLevel */
  int lowest = -1;
  for(int i = iLevel; i < 63; i++) if( s->spOpen & ((uint64_t)1 << i) ){ lowest = i; break; }
  switch( op ){
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
      if( lowest >= 0 ) s->spOpen &= ~(above & ~((uint64_t)1 << lowest));
      else s->spOpen = 0;
      break;
  }
  if( rc != SQLITE_OK ){
    *pzErr = pt_server_error(s, 0, "SAVEPOINT", zErr);
    pt_server_check(s);
  }
  return rc;
}
