/*
** end.c — one side of a migration: a pontoon table or a local SQLite table,
** behind one set of calls.
**
**   pt_end src;
**   pt_end_open(db, reg, "old.users", 0, &src, &zErr);   -- or "main.users"
**   pt_end_connect(&src, &zErr);       -- its own connection (leased)
**   pt_end_query(&src, zSql, ...);     -- rows as pt_value
**   pt_end_close(&src);
**
** A pontoon table is read and written on a connection of its own, leased
** from its server (conn.c), never on the connection that SQLite's own
** statements and transactions use: copy, diff and sync commit when they
** choose.  A local table is read and written through the SQLite connection
** itself.  SQL given to pt_end_exec / pt_end_query is in the end's dialect
** with parameters $1..$n (for a local end they are bound by those names).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "migrate.h"

struct pt_end_rows {
  pt_end *pEnd;
  pt_cursor *pCur; /* remote */
  sqlite3_stmt *pStmt; /* local */
  const pt_kind *aKind;
};

struct pt_end_writer {
  pt_end *pEnd;
  int nCol;
  pt_kind *aKind; /* the target columns' kinds */
  pt_bulk *pBulk; /* remote INSERT */
  pt_stmt upsert; /* remote upsert statement, when hasUpsert */
  int hasUpsert;
  sqlite3_stmt *pStmt; /* local INSERT */
  const char **azName; /* the target columns' names, for messages */
  pt_row_batch one; /* pt_end_writer_row's row */
  pt_param *aParam; /* the row being sent */
};

static int local_kind(const char *zType) {
  char z[64];
  int n = 0;
  for( ; zType && zType[n] && n < 63; n++ )
    z[n] = (char)(zType[n] >= 'a' && zType[n] <= 'z' ? zType[n] - 32 : zType[n]);
  z[n] = 0;
  if( strstr(z, "INT") ) return PT_K_INT;
  if( strstr(z, "CHAR") || strstr(z, "CLOB") || strstr(z, "TEXT") ) return PT_K_TEXT;
  if( strstr(z, "BLOB") ) return PT_K_BLOB;
  if( strstr(z, "REAL") || strstr(z, "FLOA") || strstr(z, "DOUB") ) return PT_K_REAL;
  return PT_K_OTHER; /* NUMERIC affinity or none: values keep their type */
}

/* Describe local table zDb.zTable from PRAGMA table_xinfo. */
static int local_describe(pt_end *e, char **pzErr) {
  char *zSql = sqlite3_mprintf("PRAGMA \"%w\".table_xinfo(\"%w\")", e->zDb, e->zTable);
  sqlite3_stmt *st = 0;
  int rc = zSql ? sqlite3_prepare_v2(e->db, zSql, -1, &st, 0) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  int cap = 0, aPk[64];
  while( rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW ) {
    if( sqlite3_column_int(st, 6) ) continue; /* hidden or generated */
    if( e->nCol == cap ) {
      cap = cap ? cap * 2 : 16;
      char **az = sqlite3_realloc64(e->azCol, sizeof(char *) * cap);
      if( az ) e->azCol = az;
      pt_kind *ak = sqlite3_realloc64(e->aKind, sizeof(pt_kind) * cap);
      if( ak ) e->aKind = ak;
      if( !az || !ak ) {
        rc = SQLITE_NOMEM;
        break;
      }
    }
    e->azCol[e->nCol] = pt_strdup((const char *)sqlite3_column_text(st, 1));
    e->aKind[e->nCol] = local_kind((const char *)sqlite3_column_text(st, 2));
    int pk = sqlite3_column_int(st, 5);
    if( pk > 0 && pk <= 64 ) aPk[pk - 1] = e->nCol;
    if( pk > e->nKey ) e->nKey = pk;
    e->nCol++;
  }
  sqlite3_finalize(st);
  if( rc != SQLITE_OK ) {
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(e->db));
    return rc;
  }
  if( e->nCol == 0 ) {
    *pzErr = sqlite3_mprintf("no such table: %s", e->zLabel);
    return SQLITE_ERROR;
  }
  if( e->nKey > 64 ) e->nKey = 0;
  e->aKey = sqlite3_malloc64(sizeof(int) * (e->nKey + 1));
  if( !e->aKey ) return SQLITE_NOMEM;
  for( int i = 0; i < e->nKey; i++ ) e->aKey[i] = aPk[i];
  return SQLITE_OK;
}

/*
** Resolve zName ("t" or "schema.t") to a pontoon table, connecting it if
** no statement has used it yet, or else to a local table.  *e is filled
** (its columns, kinds and key) and must be freed with pt_end_close, also
** on error.  Nothing remote is contacted.
*/
int pt_end_open(sqlite3 *db, pt_registry *r, const char *zName, const char *zKeyOpt, pt_end *e,
                char **pzErr) {
  (void)zKeyOpt;
  memset(e, 0, sizeof(*e));
  e->db = db;
  e->pReg = r;
  e->zLabel = pt_strdup(zName ? zName : "");
  char *zSchema = 0, *zTable = 0, *zErr = 0;
  if( !zName || pt_ident_split(zName, &zSchema, &zTable, &zErr) ) {
    *pzErr = sqlite3_mprintf("cannot read the table name %s: %s", zName ? zName : "NULL",
                             zErr ? zErr : "NULL");
    sqlite3_free(zErr);
    return SQLITE_ERROR;
  }
  pt_vtab *v = pt_table_lookup(r, zSchema, zTable);
  if( !v ) {
    /* a statement naming it connects a pontoon table (xConnect), and
    ** checks that a local one exists */
    char *zSql = zSchema ? sqlite3_mprintf("SELECT 1 FROM \"%w\".\"%w\"", zSchema, zTable)
                         : sqlite3_mprintf("SELECT 1 FROM \"%w\"", zTable);
    sqlite3_stmt *st = 0;
    int rc = zSql ? sqlite3_prepare_v2(db, zSql, -1, &st, 0) : SQLITE_NOMEM;
    sqlite3_free(zSql);
    sqlite3_finalize(st);
    if( rc != SQLITE_OK ) {
      *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
      sqlite3_free(zSchema);
      sqlite3_free(zTable);
      return SQLITE_ERROR;
    }
    v = pt_table_lookup(r, zSchema, zTable);
  }
  int rc = SQLITE_OK;
  if( v ) {
    if( v->zQuery ) {
      *pzErr = sqlite3_mprintf("%s is a query= table: name a table", zName);
      rc = SQLITE_ERROR;
    } else if( !(e->pServer = pt_server_find(r, v->zServer)) ) {
      *pzErr = sqlite3_mprintf("table %s: server '%s' is not registered in this session "
                               "(SELECT pontoon_connect('%s', '...'))",
                               zName, v->zServer, v->zServer);
      rc = SQLITE_ERROR;
    } else {
      e->pTab = v;
      e->pDialect = e->pServer->pDialect;
      e->nCol = v->pDesc->nCol;
      e->azCol = sqlite3_malloc64(sizeof(char *) * (e->nCol + 1));
      e->aKind = sqlite3_malloc64(sizeof(pt_kind) * (e->nCol + 1));
      e->aKey = sqlite3_malloc64(sizeof(int) * (v->nKey + 1));
      if( !e->azCol || !e->aKind || !e->aKey ) {
        e->nCol = 0;
        rc = SQLITE_NOMEM;
      } else {
        for( int i = 0; i < e->nCol; i++ ) {
          e->azCol[i] = pt_strdup(v->pDesc->aCol[i].zName);
          e->aKind[i] = v->pDesc->aCol[i].kind;
        }
        e->nKey = v->nKey;
        for( int i = 0; i < v->nKey; i++ ) e->aKey[i] = v->aKey[i];
      }
    }
  } else {
    /* a local table: find the schema that holds it */
    if( !zSchema ) {
      sqlite3_stmt *st = 0;
      char *zSql = sqlite3_mprintf("SELECT schema FROM pragma_table_list WHERE name = %Q "
                                   "AND schema <> 'temp' OR (schema = 'temp' AND name = %Q) "
                                   "ORDER BY schema = 'temp' DESC, schema = 'main' DESC",
                                   zTable, zTable);
      if( zSql && sqlite3_prepare_v2(db, zSql, -1, &st, 0) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW ) {
        zSchema = pt_strdup((const char *)sqlite3_column_text(st, 0));
      }
      sqlite3_finalize(st);
      sqlite3_free(zSql);
      if( !zSchema ) zSchema = pt_strdup("main");
    }
    e->zDb = zSchema;
    zSchema = 0;
    e->zTable = zTable;
    zTable = 0;
    e->pDialect = &pt_dialect_sqlite;
    rc = local_describe(e, pzErr);
  }
  sqlite3_free(zSchema);
  sqlite3_free(zTable);
  return rc;
}

/*
** Open the source and target ends of zFunc (pontoon_copy, pontoon_diff,
** pontoon_sync); the message names the function, the side and the table.
** Both ends are to be closed by the caller, also on error.
*/
int pt_end_open_pair(sqlite3 *db, pt_registry *r, const char *zFunc, const char *zSrc,
                     const char *zDst, pt_end *pSrc, pt_end *pDst, char **pzErr) {
  const char *az[2] = { zSrc, zDst };
  pt_end *ae[2] = { pSrc, pDst };
  for( int i = 0; i < 2; i++ ) {
    char *zErr = 0;
    int rc = pt_end_open(db, r, az[i], 0, ae[i], &zErr);
    if( rc != SQLITE_OK ) {
      *pzErr = sqlite3_mprintf("%s: %s %s: %s", zFunc, i ? "target" : "source",
                               az[i] ? az[i] : "NULL", zErr ? zErr : sqlite3_errstr(rc));
      sqlite3_free(zErr);
      return rc;
    }
  }
  return SQLITE_OK;
}

/* An end for the server itself, not one of its tables: for reading and
** writing its ledger (pontoon_jobs). */
void pt_end_server(sqlite3 *db, pt_registry *r, pt_server *s, pt_end *e) {
  memset(e, 0, sizeof(*e));
  e->db = db;
  e->pReg = r;
  e->pServer = s;
  e->pDialect = s->pDialect;
  e->zLabel = pt_strdup(s->zName);
}

/* An end for local schema zDb (its ledger). */
void pt_end_local(sqlite3 *db, pt_registry *r, const char *zDb, pt_end *e) {
  memset(e, 0, sizeof(*e));
  e->db = db;
  e->pReg = r;
  e->zDb = pt_strdup(zDb);
  e->pDialect = &pt_dialect_sqlite;
  e->zLabel = pt_strdup(zDb);
}

void pt_end_close(pt_end *e) {
  pt_end_release(e);
  for( int i = 0; e->azCol && i < e->nCol; i++ ) sqlite3_free(e->azCol[i]);
  sqlite3_free(e->azCol);
  sqlite3_free(e->aKind);
  sqlite3_free(e->aKey);
  sqlite3_free(e->azTypes);
  sqlite3_free(e->zLabel);
  sqlite3_free(e->zDb);
  sqlite3_free(e->zTable);
  memset(e, 0, sizeof(*e));
}

/* Lease the end's own connection (a no-op for a local table).  The message
** is prefixed. */
int pt_end_connect(pt_end *e, char **pzErr) {
  if( !e->pServer || e->pConn ) return SQLITE_OK;
  char *zErr = 0;
  int rc = pt_server_lease(e->pServer, &e->pConn, &zErr);
  if( rc != SQLITE_OK ) {
    *pzErr = pt_end_error(e, "connect", zErr);
    return rc;
  }
  e->pDialect = e->pServer->pDialect;
  return SQLITE_OK;
}

/* Give the connection back, rolling back what is open on it. */
void pt_end_release(pt_end *e) {
  if( e->inTxn ) pt_end_rollback(e);
  if( e->pConn ) {
    pt_server_release(e->pServer, e->pConn);
    e->pConn = 0;
  }
}

/*
** The server's type name of each of the end's columns, as its server
** describes the table now (on the end's connection): *pazType gets nCol
** strings (NULL where unknown) in one allocation, sqlite3_free'd by the
** caller.  For a pontoon table of a base table only.
*/
int pt_end_types(pt_end *e, char ***pazType, char **pzErr) {
  *pazType = 0;
  if( !e->pTab || !e->pConn || !e->pTab->zRemoteTable ) return SQLITE_NOTFOUND;
  pt_table_desc *d = 0;
  int rc = e->pServer->pDriver->xDescribe(e->pConn, e->pTab->zRemoteSchema, e->pTab->zRemoteTable,
                                          &d, pzErr);
  if( rc != SQLITE_OK ) return rc;
  size_t nByte = sizeof(char *) * (e->nCol + 1);
  for( int i = 0; i < d->nCol; i++ )
    if( d->aCol[i].zRemoteType ) nByte += strlen(d->aCol[i].zRemoteType) + 1;
  char **az = sqlite3_malloc64(nByte);
  if( !az ) {
    pt_desc_free(d);
    return SQLITE_NOMEM;
  }
  memset(az, 0, sizeof(char *) * (e->nCol + 1));
  char *zOut = (char *)&az[e->nCol + 1];
  for( int i = 0; i < e->nCol; i++ ) {
    for( int k = 0; k < d->nCol; k++ ) {
      if( strcmp(d->aCol[k].zName, e->azCol[i]) != 0 || !d->aCol[k].zRemoteType ) continue;
      size_t n = strlen(d->aCol[k].zRemoteType) + 1;
      memcpy(zOut, d->aCol[k].zRemoteType, n);
      az[i] = zOut;
      zOut += n;
      break;
    }
  }
  pt_desc_free(d);
  *pazType = az;
  return SQLITE_OK;
}

/* Index of column zName (case-insensitive), or -1. */
int pt_end_find_col(const pt_end *e, const char *zName) {
  for( int i = 0; i < e->nCol; i++ )
    if( sqlite3_stricmp(e->azCol[i], zName) == 0 ) return i;
  return -1;
}

/*
** A message about end e: "pontoon: server 'old', table users: <what>:
** <remote text>" for a pontoon table, "pontoon: table main.users: ..." for
** a local one.  Takes zRemote.
*/
char *pt_end_error(pt_end *e, const char *zWhat, char *zRemote) {
  if( e->pServer )
    return pt_server_error(e->pServer, e->pTab ? pt_table_label(e->pTab) : 0, zWhat, zRemote);
  char *z = sqlite3_mprintf("pontoon: table %s.%s: %s: %s", e->zDb, e->zTable, zWhat,
                            zRemote ? zRemote : "out of memory");
  sqlite3_free(zRemote);
  return z;
}

/* zName quoted for the end's engine. */
char *pt_end_ident(pt_end *e, const char *zName) { return pt_deparse_ident(e->pDialect, zName); }

/* The table as SQL names it: "schema"."table". */
char *pt_end_table_sql(pt_end *e) {
  if( e->pTab ) return pt_deparse_from(e->pTab);
  return sqlite3_mprintf("\"%w\".\"%w\"", e->zDb, e->zTable);
}

int pt_end_read_flags(pt_end *e) { return e->pServer ? e->pServer->pDriver->readFlags : 0; }

/* Start a statement for end e: its driver's placeholders, or $n for a
** local table (bound by name). */
void pt_end_sql(pt_end *e, pt_sql *q) {
  pt_sql_init(q, e->pServer ? e->pServer->pDriver->ePlace : PT_PLACE_NUMBERED);
}

/* pt_end_exec of text without parameters. */
int pt_end_exec_text(pt_end *e, const char *zSql, char **pzErr) {
  pt_stmt st;
  memset(&st, 0, sizeof(st));
  st.zSql = (char *)zSql;
  st.nStmt = 1;
  return pt_end_exec(e, &st, 0, 0, 0, pzErr);
}

/* pt_end_query of text without parameters that returns a few rows (a
** count, the bounds of the key, the chunk boundaries): one round trip. */
int pt_end_query_text(pt_end *e, const char *zSql, int nCol, const pt_kind *aKind, pt_end_rows **pp,
                      char **pzErr) {
  pt_stmt st;
  memset(&st, 0, sizeof(st));
  st.zSql = (char *)zSql;
  st.nStmt = 1;
  return pt_end_query_n(e, &st, 0, 0, nCol, aKind, PT_FETCH_FEW, pp, pzErr);
}

/* Bind parameters $1..$n of a local statement. */
static int local_bind(sqlite3_stmt *st, int nParam, const pt_param *aParam) {
  for( int i = 0; i < nParam; i++ ) {
    char zName[16];
    sqlite3_snprintf(sizeof zName, zName, "$%d", i + 1);
    int j = sqlite3_bind_parameter_index(st, zName);
    if( j == 0 ) continue;
    const pt_param *p = &aParam[i];
    int rc;
    if( !p->z )
      rc = sqlite3_bind_null(st, j);
    else if( p->isBinary )
      rc = sqlite3_bind_blob(st, j, p->z, p->n, SQLITE_TRANSIENT);
    else if( p->kind == PT_K_INT || p->kind == PT_K_BOOL )
      rc = sqlite3_bind_int64(st, j, strtoll(p->z, 0, 10));
    else if( p->kind == PT_K_REAL )
      rc = sqlite3_bind_double(st, j, strtod(p->z, 0));
    else
      rc = sqlite3_bind_text(st, j, p->z, p->n, SQLITE_TRANSIENT);
    if( rc != SQLITE_OK ) return rc;
  }
  return SQLITE_OK;
}

/* Run one statement on the end (its leased connection, or the local
** database).  *pnChanged: rows matched.  The message is not prefixed. */
int pt_end_exec(pt_end *e, const pt_stmt *pStmt, int nParam, const pt_param *aParam,
                int64_t *pnChanged, char **pzErr) {
  int64_t nDummy;
  if( !pnChanged ) pnChanged = &nDummy;
  const char *zSql = pStmt->zSql;
  pt_trace("%s: %s", e->zLabel, zSql);
  if( e->pServer ) {
    return e->pServer->pDriver->xExec(e->pConn, pStmt, nParam, aParam, pnChanged, pzErr);
  }
  sqlite3_stmt *st = 0;
  int rc = sqlite3_prepare_v2(e->db, zSql, -1, &st, 0);
  if( rc == SQLITE_OK ) rc = local_bind(st, nParam, aParam);
  if( rc == SQLITE_OK ) {
    rc = sqlite3_step(st);
    if( rc == SQLITE_DONE || rc == SQLITE_ROW ) rc = SQLITE_OK;
  }
  if( rc != SQLITE_OK )
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(e->db));
  else
    *pnChanged = sqlite3_changes(e->db);
  sqlite3_finalize(st);
  return rc;
}

/* Open a query on the end; aKind[nCol] the kinds of its select list. */
int pt_end_query(pt_end *e, const pt_stmt *pStmt, int nParam, const pt_param *aParam, int nCol,
                 const pt_kind *aKind, pt_end_rows **pp, char **pzErr) {
  return pt_end_query_n(e, pStmt, nParam, aParam, nCol, aKind, 0, pp, pzErr);
}

/* pt_end_query of a query that returns a handful of rows (the ledger's):
** read in one round trip where the driver can (PT_FETCH_FEW). */
int pt_end_query_few(pt_end *e, const pt_stmt *pStmt, int nParam, const pt_param *aParam, int nCol,
                     const pt_kind *aKind, pt_end_rows **pp, char **pzErr) {
  return pt_end_query_n(e, pStmt, nParam, aParam, nCol, aKind, PT_FETCH_FEW, pp, pzErr);
}

int pt_end_query_n(pt_end *e, const pt_stmt *pStmt, int nParam, const pt_param *aParam, int nCol,
                   const pt_kind *aKind, int nFetch, pt_end_rows **pp, char **pzErr) {
  const char *zSql = pStmt->zSql;
  pt_end_rows *q = sqlite3_malloc(sizeof(*q));
  *pp = 0;
  if( !q ) return SQLITE_NOMEM;
  memset(q, 0, sizeof(*q));
  q->pEnd = e;
  q->aKind = aKind;
  pt_trace("%s: %s", e->zLabel, zSql);
  int rc;
  if( e->pServer ) {
    rc = e->pServer->pDriver->xOpen(e->pConn, pStmt, nParam, aParam, nCol, aKind, nFetch, &q->pCur,
                                    pzErr);
  } else {
    rc = sqlite3_prepare_v2(e->db, zSql, -1, &q->pStmt, 0);
    if( rc == SQLITE_OK ) rc = local_bind(q->pStmt, nParam, aParam);
    if( rc != SQLITE_OK ) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(e->db));
  }
  if( rc != SQLITE_OK ) {
    q->pCur = 0;
    pt_end_rows_close(q);
    return rc;
  }
  *pp = q;
  return SQLITE_OK;
}

int pt_end_rows_next(pt_end_rows *q, char **pzErr) {
  if( q->pCur ) return q->pEnd->pServer->pDriver->xNext(q->pCur, pzErr);
  int rc = sqlite3_step(q->pStmt);
  if( rc != SQLITE_ROW && rc != SQLITE_DONE )
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(q->pEnd->db));
  return rc;
}

/* Column i of the current row; what it points to lives, for every
** column of the row, until the next row (xColumn's contract). */
void pt_end_rows_column(pt_end_rows *q, int i, pt_value *v) {
  if( q->pCur ) {
    q->pEnd->pServer->pDriver->xColumn(q->pCur, i, v);
    return;
  }
  memset(v, 0, sizeof(*v));
  v->type = sqlite3_column_type(q->pStmt, i);
  switch( v->type ) {
    case SQLITE_INTEGER: v->i = sqlite3_column_int64(q->pStmt, i); break;
    case SQLITE_FLOAT: v->r = sqlite3_column_double(q->pStmt, i); break;
    case SQLITE_TEXT:
      v->p = (const char *)sqlite3_column_text(q->pStmt, i);
      v->n = sqlite3_column_bytes(q->pStmt, i);
      break;
    case SQLITE_BLOB:
      v->p = sqlite3_column_blob(q->pStmt, i);
      v->n = sqlite3_column_bytes(q->pStmt, i);
      break;
  }
}

void pt_end_rows_close(pt_end_rows *q) {
  if( !q ) return;
  if( q->pCur ) q->pEnd->pServer->pDriver->xClose(q->pCur);
  sqlite3_finalize(q->pStmt);
  sqlite3_free(q);
}

/* ---- transactions ---- */

int pt_end_begin(pt_end *e, char **pzErr) {
  int rc;
  if( e->pServer ) {
    rc = e->pServer->pDriver->xBegin(e->pConn, pzErr);
  } else {
    rc = sqlite3_exec(e->db, "BEGIN IMMEDIATE", 0, 0, 0);
    if( rc != SQLITE_OK ) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(e->db));
  }
  if( rc == SQLITE_OK ) e->inTxn = 1;
  return rc;
}

int pt_end_commit(pt_end *e, char **pzErr) {
  int rc;
  if( e->pServer ) {
    rc = e->pServer->pDriver->xCommit(e->pConn, pzErr);
  } else {
    rc = sqlite3_exec(e->db, "COMMIT", 0, 0, 0);
    if( rc != SQLITE_OK ) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(e->db));
  }
  if( rc == SQLITE_OK || !e->pServer ) e->inTxn = rc == SQLITE_OK ? 0 : e->inTxn;
  if( rc != SQLITE_OK && e->pServer ) e->inTxn = 0; /* the server ended it */
  return rc;
}

void pt_end_rollback(pt_end *e) {
  if( !e->inTxn ) return;
  e->inTxn = 0;
  if( e->pServer ) {
    char *zErr = 0;
    if( e->pConn && e->pServer->pDriver->xAlive(e->pConn) )
      e->pServer->pDriver->xRollback(e->pConn, &zErr);
    sqlite3_free(zErr);
  } else if( !sqlite3_get_autocommit(e->db) ) {
    sqlite3_exec(e->db, "ROLLBACK", 0, 0, 0);
  }
}

/* ---- writing rows ---- */

/*
** Append rows to the end's table, columns aCol[nCol] (indexes into the
** end's columns), inside its open transaction: the bulk writer of a
** pontoon table, a prepared INSERT for a local one.  upsert: rows whose
** key exists replace it.
*/
int pt_end_writer_open(pt_end *e, int nCol, const int *aCol, int upsert, pt_end_writer **pp,
                       char **pzErr) {
  pt_end_writer *w = sqlite3_malloc(sizeof(*w));
  *pp = 0;
  if( !w ) return SQLITE_NOMEM;
  memset(w, 0, sizeof(*w));
  w->pEnd = e;
  w->nCol = nCol;
  w->aKind = sqlite3_malloc64(sizeof(pt_kind) * (nCol + 1));
  w->aParam = sqlite3_malloc64(sizeof(pt_param) * (nCol + 1));
  w->azName = sqlite3_malloc64(sizeof(char *) * (nCol + 1));
  char **azCol = sqlite3_malloc64(sizeof(char *) * (nCol + 1));
  char *zTable = pt_end_table_sql(e);
  int rc = w->aKind && w->aParam && w->azName && azCol && zTable ? SQLITE_OK : SQLITE_NOMEM;
  for( int i = 0; rc == SQLITE_OK && i < nCol; i++ ) {
    w->aKind[i] = e->aKind[aCol[i]];
    w->azName[i] = e->azCol[aCol[i]];
    azCol[i] = pt_end_ident(e, e->azCol[aCol[i]]);
    if( !azCol[i] ) {
      rc = SQLITE_NOMEM;
      nCol = i;
    }
  }
  if( rc == SQLITE_OK && e->pServer ) {
    const pt_driver *d = e->pServer->pDriver;
    if( upsert ) {
      if( !e->pDialect->xUpsert || e->nKey == 0 ) {
        *pzErr = sqlite3_mprintf("mode=upsert needs a key on the target and a server that "
                                 "resolves a conflict on it");
        rc = SQLITE_ERROR;
      } else {
        /* the key's positions among the written columns */
        int *aKey = sqlite3_malloc64(sizeof(int) * (e->nKey + 1));
        if( !aKey ) rc = SQLITE_NOMEM;
        for( int k = 0; rc == SQLITE_OK && k < e->nKey; k++ ) {
          aKey[k] = -1;
          for( int i = 0; i < nCol; i++ )
            if( aCol[i] == e->aKey[k] ) aKey[k] = i;
          if( aKey[k] < 0 ) {
            *pzErr =
              sqlite3_mprintf("mode=upsert: the key column %s is not copied", e->azCol[e->aKey[k]]);
            rc = SQLITE_ERROR;
          }
        }
        if( rc == SQLITE_OK ) {
          pt_sql q;
          pt_end_sql(e, &q);
          e->pDialect->xUpsert(&q, zTable, nCol, (const char *const *)azCol, w->aKind, e->nKey,
                               aKey, SQLITE_REPLACE);
          rc = pt_sql_finish(&q, &w->upsert);
          w->hasUpsert = rc == SQLITE_OK;
        }
        sqlite3_free(aKey);
      }
    } else {
      rc = d->xBulkOpen(e->pConn, zTable, nCol, (const char *const *)azCol, w->aKind, &w->pBulk,
                        pzErr);
    }
  } else if( rc == SQLITE_OK ) {
    sqlite3_str *s = sqlite3_str_new(0);
    sqlite3_str_appendf(s, "INSERT%s INTO %s(", upsert ? " OR REPLACE" : "", zTable);
    for( int i = 0; i < nCol; i++ ) sqlite3_str_appendf(s, "%s%s", i ? ", " : "", azCol[i]);
    sqlite3_str_appendall(s, ") VALUES(");
    for( int i = 0; i < nCol; i++ ) sqlite3_str_appendf(s, "%s$%d", i ? ", " : "", i + 1);
    sqlite3_str_appendall(s, ")");
    char *zSql = sqlite3_str_finish(s);
    rc = zSql ? sqlite3_prepare_v2(e->db, zSql, -1, &w->pStmt, 0) : SQLITE_NOMEM;
    if( rc != SQLITE_OK && zSql ) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(e->db));
    sqlite3_free(zSql);
  }
  for( int i = 0; azCol && i < nCol; i++ ) sqlite3_free(azCol[i]);
  sqlite3_free(azCol);
  sqlite3_free(zTable);
  if( rc != SQLITE_OK ) {
    pt_end_writer_close(w);
    return rc;
  }
  *pp = w;
  return SQLITE_OK;
}

/* Bind pt_value v to parameter j of a local statement, as SQLite would
** store the value a pontoon table shows. */
static int local_bind_value(sqlite3_stmt *st, int j, const pt_value *v) {
  switch( v->type ) {
    case PT_V_INT: return sqlite3_bind_int64(st, j, v->i);
    case PT_V_REAL: return sqlite3_bind_double(st, j, v->r);
    case PT_V_TEXT: return sqlite3_bind_text(st, j, v->p ? v->p : "", v->n, SQLITE_TRANSIENT);
    case PT_V_BLOB: return sqlite3_bind_blob(st, j, v->p ? v->p : "", v->n, SQLITE_TRANSIENT);
    case PT_V_DECIMAL: {
      int64_t i;
      double r;
      switch( pt_decimal_classify(v->p, v->n, &i, &r) ) {
        case PT_V_INT: return sqlite3_bind_int64(st, j, i);
        case PT_V_REAL: return sqlite3_bind_double(st, j, r);
        default: return sqlite3_bind_text(st, j, v->p, v->n, SQLITE_TRANSIENT);
      }
    }
    default: return sqlite3_bind_null(st, j);
  }
}

/*
** Encode one row, aVal[nCol] in the writer's column order, into batch b:
** each value in the text form of its target column's kind (value.c).  For
** a remote target only; safe on another thread than the writer's.  An
** error names the column, not yet the table.
*/
int pt_end_writer_encode(pt_end_writer *w, const pt_value *aVal, pt_row_batch *b, char **pzErr) {
  int nCol = w->nCol;
  if( b->nRow == b->nCap ) {
    int nCap = b->nCap ? b->nCap * 2 : 256;
    pt_param *a = sqlite3_realloc64(b->aParam, sizeof(pt_param) * nCap * (nCol > 0 ? nCol : 1));
    if( !a ) return SQLITE_NOMEM;
    b->aParam = a;
    b->nCap = nCap;
  }
  pt_param *aP = &b->aParam[(size_t)b->nRow * nCol];
  for( int i = 0; i < nCol; i++ ) {
    int isBlob = 0;
    char *zErr = 0;
    size_t off = b->buf.n;
    int t = pt_value_write_pv(w->aKind[i], &aVal[i], &b->buf, &isBlob, &zErr);
    if( t < 0 ) {
      *pzErr = sqlite3_mprintf("column %s: %s", w->azName[i], zErr);
      sqlite3_free(zErr);
      return SQLITE_ERROR;
    }
    aP[i].n = (int)(b->buf.n - off);
    aP[i].z = t == PT_V_NULL ? 0 : (const char *)(uintptr_t)(off + 1); /* an offset until sent */
    aP[i].kind = w->aKind[i];
    aP[i].isBinary = isBlob;
    pt_buf_char(&b->buf, 0);
  }
  if( b->buf.oom ) {
    b->buf.oom = 0;
    return SQLITE_NOMEM;
  }
  b->nRow++;
  return SQLITE_OK;
}

/* Send the rows of batch b to the writer's target, then empty b. */
int pt_end_writer_send(pt_end_writer *w, pt_row_batch *b, char **pzErr) {
  pt_end *e = w->pEnd;
  const pt_driver *d = e->pServer->pDriver;
  int rc = SQLITE_OK;
  for( int r = 0; r < b->nRow && rc == SQLITE_OK; r++ ) {
    pt_param *aP = &b->aParam[(size_t)r * w->nCol];
    for( int i = 0; i < w->nCol; i++ ) {
      w->aParam[i] = aP[i];
      if( aP[i].z ) w->aParam[i].z = b->buf.z + ((uintptr_t)aP[i].z - 1);
    }
    int64_t nChanged;
    if( w->hasUpsert )
      rc = d->xExec(e->pConn, &w->upsert, w->nCol, w->aParam, &nChanged, pzErr);
    else
      rc = d->xBulkRow(w->pBulk, w->aParam, pzErr);
  }
  b->nRow = 0;
  b->buf.n = 0;
  return rc;
}

void pt_row_batch_free(pt_row_batch *b) {
  pt_buf_free(&b->buf);
  sqlite3_free(b->aParam);
  memset(b, 0, sizeof(*b));
}

/* Append one row, aVal[nCol] in the writer's column order.  An error
** names the column, not yet the table. */
int pt_end_writer_row(pt_end_writer *w, const pt_value *aVal, char **pzErr) {
  pt_end *e = w->pEnd;
  if( w->pStmt ) {
    for( int i = 0; i < w->nCol; i++ ) local_bind_value(w->pStmt, i + 1, &aVal[i]);
    int rc = sqlite3_step(w->pStmt);
    sqlite3_reset(w->pStmt);
    if( rc != SQLITE_DONE ) {
      *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(e->db));
      return rc == SQLITE_ROW ? SQLITE_ERROR : rc;
    }
    return SQLITE_OK;
  }
  int rc = pt_end_writer_encode(w, aVal, &w->one, pzErr);
  if( rc == SQLITE_OK ) rc = pt_end_writer_send(w, &w->one, pzErr);
  w->one.nRow = 0;
  w->one.buf.n = 0;
  return rc;
}

/* Append raw rows from the source driver's xRawNext (same driver, same
** column types). */
int pt_end_writer_raw(pt_end_writer *w, const char *z, int n, int nRow, char **pzErr) {
  return w->pEnd->pServer->pDriver->xBulkRaw(w->pBulk, z, n, nRow, pzErr);
}

/* Send what is buffered. */
int pt_end_writer_flush(pt_end_writer *w, char **pzErr) {
  if( w->pBulk ) return w->pEnd->pServer->pDriver->xBulkFlush(w->pBulk, pzErr);
  return SQLITE_OK;
}

void pt_end_writer_close(pt_end_writer *w) {
  if( !w ) return;
  if( w->pBulk ) w->pEnd->pServer->pDriver->xBulkClose(w->pBulk);
  sqlite3_finalize(w->pStmt);
  pt_stmt_clear(&w->upsert);
  sqlite3_free(w->aKind);
  sqlite3_free(w->aParam);
  sqlite3_free(w->azName);
  pt_row_batch_free(&w->one);
  sqlite3_free(w);
}

/* ---- values read from an end's rows ---- */

/* A value as an integer: NULL is 0, text and decimals read as numbers. */
int64_t pt_value_int(const pt_value *v) {
  switch( v->type ) {
    case PT_V_INT: return v->i;
    case PT_V_REAL: return (int64_t)v->r;
    case PT_V_NULL: return 0;
    default: {
      char z[32];
      int n = v->n < 31 ? v->n : 31;
      if( n > 0 ) memcpy(z, v->p, (size_t)n);
      z[n > 0 ? n : 0] = 0;
      return strtoll(z, 0, 10);
    }
  }
}

/* A value as a real: NULL is 0. */
double pt_value_real(const pt_value *v) {
  switch( v->type ) {
    case PT_V_INT: return (double)v->i;
    case PT_V_REAL: return v->r;
    case PT_V_NULL: return 0;
    default: {
      char z[64];
      int n = v->n < 63 ? v->n : 63;
      if( n > 0 ) memcpy(z, v->p, (size_t)n);
      z[n > 0 ? n : 0] = 0;
      return strtod(z, 0);
    }
  }
}

/* A value as text (sqlite3_malloc'd), or NULL for NULL. */
char *pt_value_text(const pt_value *v) {
  switch( v->type ) {
    case PT_V_NULL: return 0;
    case PT_V_INT: return sqlite3_mprintf("%lld", (long long)v->i);
    case PT_V_REAL: return sqlite3_mprintf("%.17g", v->r);
    default: return pt_strndup(v->p ? v->p : "", v->n);
  }
}

/* Seconds since the epoch of 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC (the
** ledger's times), or -1. */
double pt_utc_seconds(const char *z) {
  int Y, M, D, h, m;
  double s;
  if( !z || sscanf(z, "%d-%d-%d%*[ T]%d:%d:%lf", &Y, &M, &D, &h, &m, &s) != 6 ) return -1;
  if( Y < 1 || Y > 9999 || M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 24 || m < 0 ||
      m > 59 || !(s >= 0 && s < 62) )
    return -1; /* not a time the ledger writes (and no overflow below) */
  return (double)pt_days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400.0 + h * 3600 + m * 60 + s;
}
