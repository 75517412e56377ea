/*
** servers.c — the eponymous table pontoon_servers: the servers registered
** in this SQLite connection.
**
**   SELECT name, driver, host, database, user, connected FROM pontoon_servers;
**
** It never shows a password: there is no column for one, and the URI itself
** is not a column.
*/
#include <string.h>
#include "pontoon.h"

typedef struct srv_vtab {
  sqlite3_vtab base;
  pt_registry *pReg;
} srv_vtab;

typedef struct srv_cursor {
  sqlite3_vtab_cursor base;
  pt_server *pCur;
  sqlite3_int64 iRow;
} srv_cursor;

enum {
  COL_NAME,
  COL_DRIVER,
  COL_HOST,
  COL_PORT,
  COL_DATABASE,
  COL_USER,
  COL_VERSION,
  COL_CONNECTED,
  COL_IN_TXN,
  COL_CURSORS,
  COL_POOLED
};

static int srvConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                      sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  int rc =
    sqlite3_declare_vtab(db,
                         "CREATE TABLE x(name TEXT, driver TEXT, host TEXT, "
                         "port TEXT, database TEXT, user TEXT, version TEXT, connected INTEGER, "
                         "in_transaction INTEGER, cursors INTEGER, pooled INTEGER)");
  if( rc != SQLITE_OK ) return rc;
  srv_vtab *v = sqlite3_malloc(sizeof(*v));
  if( !v ) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->pReg = pAux;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &v->base;
  return SQLITE_OK;
}

static int srvDisconnect(sqlite3_vtab *p) {
  sqlite3_free(p);
  return SQLITE_OK;
}

static int srvBestIndex(sqlite3_vtab *p, sqlite3_index_info *info) {
  (void)p;
  info->estimatedCost = 10;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

static int srvOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **pp) {
  (void)p;
  srv_cursor *c = sqlite3_malloc(sizeof(*c));
  if( !c ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *pp = &c->base;
  return SQLITE_OK;
}

static int srvClose(sqlite3_vtab_cursor *c) {
  sqlite3_free(c);
  return SQLITE_OK;
}

static int srvFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                     sqlite3_value **argv) {
  (void)idxNum;
  (void)idxStr;
  (void)argc;
  (void)argv;
  srv_cursor *c = (srv_cursor *)cur;
  c->pCur = ((srv_vtab *)cur->pVtab)->pReg->pServers;
  c->iRow = 1;
  return SQLITE_OK;
}

static int srvNext(sqlite3_vtab_cursor *cur) {
  srv_cursor *c = (srv_cursor *)cur;
  c->pCur = c->pCur->pNext;
  c->iRow++;
  return SQLITE_OK;
}

static int srvEof(sqlite3_vtab_cursor *cur) { return ((srv_cursor *)cur)->pCur == 0; }

static void result_opt(sqlite3_context *ctx, const char *z) {
  if( z && z[0] )
    sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
  else
    sqlite3_result_null(ctx);
}

static int srvColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  pt_server *s = ((srv_cursor *)cur)->pCur;
  pt_server_info info;
  memset(&info, 0, sizeof(info));
  int alive = s->pConn && s->pDriver->xAlive(s->pConn);
  if( alive ) s->pDriver->xInfo(s->pConn, &info);
  switch( i ) {
    case COL_NAME: result_opt(ctx, s->zName); break;
    case COL_DRIVER: result_opt(ctx, s->pDriver->zName); break;
    case COL_HOST: result_opt(ctx, info.zHost); break;
    case COL_PORT: result_opt(ctx, info.zPort); break;
    case COL_DATABASE: result_opt(ctx, info.zDatabase); break;
    case COL_USER: result_opt(ctx, info.zUser); break;
    case COL_VERSION: result_opt(ctx, info.zVersion); break;
    case COL_CONNECTED: sqlite3_result_int(ctx, alive); break;
    case COL_IN_TXN: sqlite3_result_int(ctx, s->inTxn); break;
    case COL_CURSORS: sqlite3_result_int(ctx, s->nCursor); break;
    case COL_POOLED: {
      /* conn.c's pools: idle, reading a cursor, leased, or shared */
      int n = 0;
      for( int k = 0; k < 2; k++ ) n += s->aPool[k].nOpen + (s->aPool[k].pShared != 0);
      sqlite3_result_int(ctx, n);
      break;
    }
  }
  return SQLITE_OK;
}

static int srvRowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *p) {
  *p = ((srv_cursor *)cur)->iRow;
  return SQLITE_OK;
}

static sqlite3_module srvModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,
  /* xConnect    */ srvConnect,
  /* xBestIndex  */ srvBestIndex,
  /* xDisconnect */ srvDisconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ srvOpen,
  /* xClose      */ srvClose,
  /* xFilter     */ srvFilter,
  /* xNext       */ srvNext,
  /* xEof        */ srvEof,
  /* xColumn     */ srvColumn,
  /* xRowid      */ srvRowid,
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

int pt_servers_register(sqlite3 *db, pt_registry *reg) {
  return sqlite3_create_module_v2(db, "pontoon_servers", &srvModule, reg, 0);
}
