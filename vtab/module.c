/*
** module.c — the `pontoon` virtual-table module: a remote table or query as
** a SQLite table.
**
**   .load ./build/pontoon
**   SELECT pontoon_connect('pg', 'postgresql://app@127.0.0.1/shop');
**   CREATE VIRTUAL TABLE users USING pontoon(pg, public.users);
**   CREATE VIRTUAL TABLE recent USING pontoon(pg, query='SELECT ...');
**   SELECT * FROM users WHERE id = 5;
**
** Arguments: the server name, the remote table (as SQL writes a name), then
** options key=value: query=, columns=, key=, fetch=, readonly.  See
** docs/create-virtual-table.md.  This file holds the sqlite3_module
** callbacks; plan.c decides what is pushed, deparse.c writes the remote
** SQL, write.c does INSERT/UPDATE/DELETE, conn.c owns connections and
** transactions.
**
** Rationale (security):
**   - The module is SQLITE_VTAB_DIRECTONLY: a view or trigger in a database
**     file from someone else cannot make it open a connection or move data.
**   - Arguments name a server, never a URI; a password in an argument is
**     refused, because the arguments are stored in plain text in the file.
**   - xConnect never needs the network when `columns=` is given (what
**     pontoon_import writes), so `.schema` opens no connection.
**   - query= SQL runs in a read-only remote transaction, and only from
**     tables created in this session or kept in temp/:memory: schemas.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pontoon.h"

typedef struct pt_vcursor {
  sqlite3_vtab_cursor base;
  pt_server *pServer;
  pt_scan *pScan; /* the remote read, or NULL */
  int nSel;
  int *aColPos; /* table column -> select-list position, or -1 */
  int eof;
  sqlite3_int64 iRow;
  /* Rowids of a table without a key (ptRowid): content hashes seen in this
  ** scan, with how often, in an open-addressing table. */
  uint64_t *aSeenHash;
  uint32_t *aSeenCount;
  int nSeenSlot, nSeen;
  sqlite3_int64 iRowidRow; /* the iRow whose rowid is iRowid, 0 if none */
  sqlite3_int64 iRowid;
} pt_vcursor;

static const char *affinity_of(pt_kind k) {
  switch( k ) {
    case PT_K_INT:
    case PT_K_BOOL: return "INTEGER";
    case PT_K_REAL: return "REAL";
    case PT_K_DECIMAL: return "NUMERIC";
    case PT_K_BLOB: return "BLOB";
    default: return "TEXT";
  }
}

static void vtab_free(pt_vtab *v) {
  if( !v ) return;
  if( v->pReg ) {
    pt_vtab **pp = &v->pReg->pTables;
    while( *pp && *pp != v ) pp = &(*pp)->pNextTable;
    if( *pp ) *pp = v->pNextTable;
  }
  pt_writer_forget(v);
  pt_plan_free_all(v);
  pt_desc_free(v->pDesc);
  sqlite3_free(v->aKey);
  sqlite3_free(v->aRowParam);
  sqlite3_free(v->aAllCols);
  pt_buf_free(&v->rowBuf);
  sqlite3_free(v->zDb);
  sqlite3_free(v->zName);
  sqlite3_free(v->zServer);
  sqlite3_free(v->zRemoteSchema);
  sqlite3_free(v->zRemoteTable);
  sqlite3_free(v->zQuery);
  sqlite3_free(v->base.zErrMsg);
  sqlite3_free(v);
}

pt_vtab *pt_table_lookup(pt_registry *r, const char *zDb, const char *zName) {
  for( pt_vtab *v = r->pTables; v; v = v->pNextTable ) {
    if( sqlite3_stricmp(v->zName, zName) == 0 && (!zDb || sqlite3_stricmp(v->zDb, zDb) == 0) )
      return v;
  }
  return 0;
}

/*
** xCreate and xConnect.  isCreate distinguishes them: only xCreate trusts a
** query= argument from anywhere (it was typed in this session).
*/
static int table_init(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                      sqlite3_vtab **ppVtab, char **pzErr, int isCreate) {
  pt_registry *reg = pAux;
  pt_vtab *v = sqlite3_malloc(sizeof(*v));
  pt_table_args a;
  int rc = SQLITE_ERROR;
  *ppVtab = 0;
  if( !v ) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->pReg = reg;
  v->zDb = pt_strdup(argv[1]);
  v->zName = pt_strdup(argv[2]);
  if( !v->zDb || !v->zName ) {
    sqlite3_free(v->zDb);
    sqlite3_free(v->zName);
    sqlite3_free(v);
    return SQLITE_NOMEM;
  }
  rc = pt_table_args_parse(v->zName, argc - 3, argv + 3, &a, pzErr);
  if( rc != SQLITE_OK ) {
    vtab_free(v);
    return rc;
  }
  /* the table takes every string; columns= and key= are read below */
  v->zServer = a.zServer;
  a.zServer = 0;
  v->zRemoteSchema = a.zRemoteSchema;
  a.zRemoteSchema = 0;
  v->zRemoteTable = a.zRemoteTable;
  a.zRemoteTable = 0;
  v->zQuery = a.zQuery;
  a.zQuery = 0;
  v->nFetch = a.nFetch;
  v->readOnly = a.readOnly;
  char *zColumns = a.zColumns, *zKeyOpt = a.zKey;
  a.zColumns = a.zKey = 0;
  rc = SQLITE_ERROR;

  if( v->zQuery ) {
    /* the whole definition, server and options included, is what is trusted */
    sqlite3_str *a = sqlite3_str_new(0);
    for( int i = 3; i < argc; i++ ) sqlite3_str_appendf(a, "%d:%s;", (int)strlen(argv[i]), argv[i]);
    char *zArgs = sqlite3_str_finish(a);
    if( !zArgs ) {
      rc = SQLITE_NOMEM;
      goto fail;
    }
    v->readOnly = 1;
    if( isCreate ) {
      pt_trust_table(reg, zArgs);
    } else if( !pt_is_trusted(reg, zArgs) ) {
      const char *zFile = sqlite3_db_filename(db, v->zDb);
      *pzErr = sqlite3_mprintf(
        "pontoon: table %s: query= tables are run only when this session "
        "created them: this one's SQL comes from %s%s, not from this session; re-create the table "
        "in this session to run it",
        v->zName,
        zFile && zFile[0] ? "database file "
                          : "a database "
                            "file or a backup",
        zFile && zFile[0] ? zFile : "");
      sqlite3_free(zArgs);
      goto fail;
    }
    sqlite3_free(zArgs);
  }

  if( zColumns ) {
    char *zE = 0;
    if( pt_columns_parse(zColumns, &v->pDesc, &zE) ) {
      *pzErr = sqlite3_mprintf("pontoon: table %s: %s", v->zName, zE);
      sqlite3_free(zE);
      goto fail;
    }
  } else {
    pt_server *s = pt_server_find(reg, v->zServer);
    pt_conn *c = 0;
    char *zE = 0;
    if( !s ) {
      *pzErr = sqlite3_mprintf("pontoon: table %s: server '%s' is not registered in this "
                               "session; call pontoon_connect('%s', uri) first",
                               v->zName, v->zServer, v->zServer);
      goto fail;
    }
    rc = pt_server_conn(s, v->zQuery != 0, &c, &zE);
    if( rc == SQLITE_OK && v->zQuery ) {
      rc = pt_query_check(s->pDialect, s->pDriver->xLexFlags ? s->pDriver->xLexFlags(c) : 0,
                          "query=", v->zQuery, &zE);
    }
    if( rc == SQLITE_OK ) {
      if( v->zQuery )
        rc = s->pDriver->xDescribeQuery(c, v->zQuery, &v->pDesc, &zE);
      else
        rc = s->pDriver->xDescribe(c, v->zRemoteSchema, v->zRemoteTable, &v->pDesc, &zE);
    }
    if( rc != SQLITE_OK ) {
      *pzErr = pt_server_error(s, pt_table_label(v), 0, zE);
      pt_server_check(s);
      rc = SQLITE_ERROR;
      goto fail;
    }
    if( !v->zRemoteSchema && v->pDesc->zSchema ) v->zRemoteSchema = pt_strdup(v->pDesc->zSchema);
  }

  /* key= names the columns that identify a row, instead of the remote key */
  if( zKeyOpt && !zKeyOpt[strspn(zKeyOpt, " ,")] ) {
    *pzErr = sqlite3_mprintf("pontoon: table %s: key= names no column; name the columns that "
                             "identify a row (key='a,b'), or leave the option out",
                             v->zName);
    goto fail;
  }
  if( zKeyOpt ) {
    for( int i = 0; i < v->pDesc->nCol; i++ ) v->pDesc->aCol[i].iKey = 0;
    const char *z = zKeyOpt;
    int pos = 0;
    while( *z ) {
      while( *z == ' ' || *z == ',' ) z++;
      if( !*z ) break;
      const char *zStart = z;
      int inQuote = 0;
      while( *z && (inQuote || *z != ',') ) {
        if( *z == '"' ) inQuote = !inQuote;
        z++;
      }
      char *zPart = pt_strndup(zStart, (int)(z - zStart));
      char *zName = zPart ? pt_sql_unquote(zPart) : 0;
      sqlite3_free(zPart);
      int found = -1;
      for( int i = 0; zName && i < v->pDesc->nCol; i++ ) {
        if( strcmp(v->pDesc->aCol[i].zName, zName) == 0 ) found = i;
      }
      if( found < 0 ) {
        *pzErr = sqlite3_mprintf("pontoon: table %s: key= names column %s, which the table "
                                 "does not have",
                                 v->zName, zName ? zName : "?");
        sqlite3_free(zName);
        goto fail;
      }
      sqlite3_free(zName);
      v->pDesc->aCol[found].iKey = ++pos;
    }
  }

  /* The key columns in key order. */
  v->aKey = sqlite3_malloc64(sizeof(int) * (v->pDesc->nCol + 1));
  if( !v->aKey ) {
    rc = SQLITE_NOMEM;
    goto fail;
  }
  for( int pos = 1; pos <= v->pDesc->nCol; pos++ ) {
    for( int i = 0; i < v->pDesc->nCol; i++ ) {
      if( v->pDesc->aCol[i].iKey == pos ) v->aKey[v->nKey++] = i;
    }
  }
  if( v->zQuery ) v->nKey = 0;

  /* Declare the columns.  Duplicate names (possible in query=) get a suffix. */
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "CREATE TABLE x(");
  for( int i = 0; i < v->pDesc->nCol; i++ ) {
    const char *zName = v->pDesc->aCol[i].zName;
    int dup = 0;
    for( int j = 0; j < i; j++ )
      if( sqlite3_stricmp(v->pDesc->aCol[j].zName, zName) == 0 ) dup++;
    if( i ) sqlite3_str_appendall(s, ", ");
    if( dup )
      sqlite3_str_appendf(s, "\"%w_%d\" %s", zName, dup + 1, affinity_of(v->pDesc->aCol[i].kind));
    else
      sqlite3_str_appendf(s, "\"%w\" %s", zName, affinity_of(v->pDesc->aCol[i].kind));
  }
  /* A key makes the table WITHOUT ROWID, so UPDATE and DELETE receive it
  ** (SQLite writes only to such a table, and only with a one-column key:
  ** several key columns travel together in the hidden pontoon_key). */
  v->iKeyCol = -1;
  if( v->nKey == 1 ) {
    v->iKeyCol = v->aKey[0];
    sqlite3_str_appendf(s, ", PRIMARY KEY(\"%w\")) WITHOUT ROWID",
                        v->pDesc->aCol[v->iKeyCol].zName);
  } else if( v->nKey > 1 ) {
    v->iKeyCol = v->pDesc->nCol;
    sqlite3_str_appendall(s, ", pontoon_key HIDDEN, PRIMARY KEY(pontoon_key)) WITHOUT ROWID");
  } else {
    sqlite3_str_appendall(s, ")");
  }
  char *zDecl = sqlite3_str_finish(s);
  if( !zDecl ) {
    rc = SQLITE_NOMEM;
    goto fail;
  }
  rc = sqlite3_declare_vtab(db, zDecl);
  sqlite3_free(zDecl);
  if( rc != SQLITE_OK ) {
    *pzErr = sqlite3_mprintf("pontoon: table %s: cannot declare columns: %s", v->zName,
                             sqlite3_errmsg(db));
    goto fail;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  v->pNextTable = reg->pTables;
  reg->pTables = v;
  sqlite3_free(zColumns);
  sqlite3_free(zKeyOpt);
  *ppVtab = &v->base;
  pt_trace("%s %s.%s on server %s", isCreate ? "xCreate" : "xConnect", v->zDb, v->zName,
           v->zServer);
  return SQLITE_OK;

fail:
  sqlite3_free(zColumns);
  sqlite3_free(zKeyOpt);
  vtab_free(v);
  return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

static int ptCreate(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                    sqlite3_vtab **ppVtab, char **pzErr) {
  return table_init(db, pAux, argc, argv, ppVtab, pzErr, 1);
}

static int ptConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                     sqlite3_vtab **ppVtab, char **pzErr) {
  return table_init(db, pAux, argc, argv, ppVtab, pzErr, 0);
}

static int ptDisconnect(sqlite3_vtab *pVtab) {
  vtab_free((pt_vtab *)pVtab);
  return SQLITE_OK;
}

/* DROP TABLE.  Inside a transaction that wrote to its server the table may
** hold that transaction's rows, and once dropped SQLite would never call it
** to COMMIT or ROLLBACK them: refuse, until the transaction ends. */
static int ptDestroy(sqlite3_vtab *pVtab) {
  pt_vtab *v = (pt_vtab *)pVtab;
  pt_server *s = pt_server_find(v->pReg, v->zServer);
  if( s && (s->inTxn || s->inSqlTxn) ) {
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg =
      sqlite3_mprintf("pontoon: table %s: cannot be dropped inside a "
                      "transaction that writes to server '%s'; COMMIT or ROLLBACK first",
                      v->zName, v->zServer);
    return SQLITE_LOCKED;
  }
  vtab_free(v);
  return SQLITE_OK;
}

static int ptBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *info) {
  return pt_plan_best_index((pt_vtab *)pVtab, info);
}

static int ptOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  pt_vcursor *c = sqlite3_malloc(sizeof(*c));
  if( !c ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  c->eof = 1;
  *ppCursor = &c->base;
  return SQLITE_OK;
}

/* Close the remote read, if any, and release the server. */
static void cursor_reset(pt_vcursor *c) {
  pt_scan_close(c->pScan);
  c->pScan = 0;
  sqlite3_free(c->aColPos);
  c->aColPos = 0;
  c->eof = 1;
  sqlite3_free(c->aSeenHash);
  c->aSeenHash = 0;
  sqlite3_free(c->aSeenCount);
  c->aSeenCount = 0;
  c->nSeenSlot = c->nSeen = 0;
  c->iRowidRow = 0;
}

static int ptClose(sqlite3_vtab_cursor *cur) {
  pt_vcursor *c = (pt_vcursor *)cur;
  cursor_reset(c);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int cursor_error(pt_vcursor *c, const char *zWhat, char *zRemote) {
  pt_vtab *v = (pt_vtab *)c->base.pVtab;
  sqlite3_free(v->base.zErrMsg);
  v->base.zErrMsg = pt_server_error(c->pServer, pt_table_label(v), zWhat, zRemote);
  cursor_reset(c);
  return SQLITE_ERROR;
}

static int ptNext(sqlite3_vtab_cursor *cur) {
  pt_vcursor *c = (pt_vcursor *)cur;
  char *zErr = 0;
  int rc = pt_scan_next(c->pScan, &zErr);
  if( rc == SQLITE_ROW ) {
    c->iRow++;
    return SQLITE_OK;
  }
  if( rc == SQLITE_DONE ) {
    /* the server is given back already: the statement may live on */
    c->eof = 1;
    return SQLITE_OK;
  }
  return cursor_error(c, 0, zErr);
}

/*
** xFilter: run plan idxStr (the table's plan cache, plan.c) with the values
** in argv (the layout is the table above pt_plan_best_index) and position
** the cursor on the first row.  Contract:
**   - each value is converted by value.c to its column's kind; a value that
**     cannot match drops its term for this run (PT_DROP: the SQL is written
**     again without it, and the LIMIT cap goes too) or proves that no row
**     matches (PT_EMPTY: the server is not asked);
**   - buffered writes of the server are sent first (read-your-writes);
**   - inside a write transaction the read may lock its rows (xLockRows);
**   - a driver that cannot stream (xPageRows) reads a keyed table in pages;
**   - on error the table's zErrMsg names server and table, and the cursor
**     is at EOF holding nothing.
*/
static int ptFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                    sqlite3_value **argv) {
  pt_vcursor *c = (pt_vcursor *)cur;
  pt_vtab *v = (pt_vtab *)cur->pVtab;
  cursor_reset(c);
  c->iRow = 0;
  pt_plan *p = pt_plan_find(v, idxStr);
  pt_server *s = pt_server_find(v->pReg, v->zServer);
  if( !s ) {
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg = sqlite3_mprintf("pontoon: table %s: server '%s' is not registered in "
                                      "this session; call pontoon_connect('%s', uri) first",
                                      v->zName, v->zServer, v->zServer);
    return SQLITE_ERROR;
  }
  if( !p ) {
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg = sqlite3_mprintf("pontoon: table %s: plan not found", v->zName);
    return SQLITE_ERROR;
  }
  c->pServer = s;
  pt_bound bd;
  int rc = pt_plan_bind(v, s->pDialect, p, idxNum, argc, argv, &bd);
  if( rc != SQLITE_OK ) return rc;
  if( bd.empty ) {
    pt_trace("xFilter %s: no row can match, server not asked", v->zName);
    c->eof = 1;
    pt_bound_clear(&bd);
    return SQLITE_OK;
  }
  const char *zRun = bd.zSql ? bd.zSql : p->zSql;
  int nParam = bd.nParam;
  pt_param *aParam = bd.aParam;
  unsigned char *aDrop = bd.aDrop;
  int useLimit = bd.useLimit;

  c->nSel = p->nSel;
  c->aColPos = sqlite3_malloc64(sizeof(int) * (v->pDesc->nCol + 1));
  pt_kind *aKind = sqlite3_malloc64(sizeof(pt_kind) * (p->nSel + 1));
  if( !c->aColPos || !aKind ) {
    sqlite3_free(aKind);
    pt_bound_clear(&bd);
    return SQLITE_NOMEM;
  }
  for( int j = 0; j < v->pDesc->nCol; j++ ) c->aColPos[j] = -1;
  for( int j = 0; j < p->nSel; j++ ) {
    c->aColPos[p->aSel[j]] = j;
    aKind[j] = v->pDesc->aCol[p->aSel[j]].kind;
  }
  if( p->nSel == 0 ) aKind[0] = PT_K_INT;

  pt_conn *conn = 0;
  char *zErr = 0;
  if( s->pWriters && (rc = pt_server_flush(s, &zErr)) != SQLITE_OK ) {
    /* the message already names the server and table */
    sqlite3_free(aKind);
    pt_bound_clear(&bd);
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg = zErr;
    return rc;
  }
  rc = pt_server_conn(s, v->zQuery != 0, &conn, &zErr);
  if( rc == SQLITE_OK && v->zQuery ) { /* also when columns= spared the description */
    rc = pt_query_check(s->pDialect, s->pDriver->xLexFlags ? s->pDriver->xLexFlags(conn) : 0,
                        "query=", v->zQuery, &zErr);
  }
  if( rc == SQLITE_OK ) {
    int nFetch = v->nFetch;
    if( !nFetch ) {
      /* a unique lookup, or a small cap: one round trip */
      int unique = 1, nKey = 0;
      for( int j = 0; j < v->pDesc->nCol; j++ ) {
        if( !v->pDesc->aCol[j].iKey ) continue;
        nKey++;
        int has = 0;
        for( int q = 0; q < p->nOp; q++ ) {
          if( p->aOp[q].iCol == j && p->aOp[q].op == SQLITE_INDEX_CONSTRAINT_EQ && !aDrop[q] )
            has = 1;
        }
        if( !has ) unique = 0;
      }
      if( nKey > 0 && unique ) nFetch = PT_FETCH_FEW;
    }
    if( !nFetch && useLimit && bd.nCap <= 1000 ) nFetch = PT_FETCH_FEW;
    /* a driver that keeps whole results reads a keyed table in pages */
    int nPage = 0;
    if( s->pDriver->xPageRows && p->nOrder == 0 && nFetch != PT_FETCH_FEW &&
        pt_scan_can_page(v, s->pDialect) && (nPage = s->pDriver->xPageRows(conn)) > 0 ) {
      if( v->nFetch > 0 ) nPage = v->nFetch; /* fetch=: rows per batch, here a page */
      for( int j = 0; j < v->nKey; j++ ) {
        if( c->aColPos[v->aKey[j]] < 0 ) nPage = 0;
      }
      if( useLimit && bd.nCap <= nPage ) nPage = 0;
    }
    if( nPage > 0 ) {
      int *aKeyPos = sqlite3_malloc64(sizeof(int) * (v->nKey + 1));
      if( !aKeyPos ) {
        rc = SQLITE_NOMEM;
      } else {
        for( int j = 0; j < v->nKey; j++ ) aKeyPos[j] = c->aColPos[v->aKey[j]];
        pt_trace("xFilter %s: in pages of %d", v->zName, nPage);
        rc = pt_scan_open_pages(s, v, p, aDrop, useLimit ? nParam - 1 : nParam, aParam, p->nSel,
                                aKind, aKeyPos, nPage, &c->pScan, &zErr);
        sqlite3_free(aKeyPos);
      }
    } else {
      /* numbered placeholders: the plan's text is the statement; else the
      ** statement with the driver's marks */
      pt_stmt st;
      memset(&st, 0, sizeof(st));
      if( s->pDriver->ePlace == PT_PLACE_NUMBERED ) {
        st.zSql = (char *)zRun;
        st.nStmt = 1;
      } else {
        rc = pt_plan_stmt(v, p, aDrop, useLimit, &st);
      }
      pt_trace("xFilter %s: %s", v->zName, zRun);
      if( rc == SQLITE_OK ) {
        rc = pt_scan_open(s, v, v->zQuery != 0, &st, nParam, aParam, p->nSel, aKind, nFetch,
                          &c->pScan, &zErr);
      }
      if( s->pDriver->ePlace != PT_PLACE_NUMBERED ) pt_stmt_clear(&st);
    }
  }
  sqlite3_free(aKind);
  pt_bound_clear(&bd);
  if( rc != SQLITE_OK ) {
    int rc2 = cursor_error(c, 0, zErr);
    pt_server_check(s);
    return rc2;
  }
  c->eof = 0;
  return ptNext(cur);
}

static int ptEof(sqlite3_vtab_cursor *cur) { return ((pt_vcursor *)cur)->eof; }

/*
** xColumn: column i of the current row, converted by pt_value_result.  A
** column the plan did not select (aColPos < 0) is NULL.  i == nCol is the
** hidden pontoon_key of a table with several key columns: their values as
** one JSON array text (pt_key_append), exact decimals kept as text.  In an
** UPDATE a column SQLite will not change is not read (sqlite3_vtab_nochange),
** except the key column (iKeyCol) the row is found by.
*/
static int ptColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  pt_vcursor *c = (pt_vcursor *)cur;
  pt_vtab *v = (pt_vtab *)cur->pVtab;
  if( i != v->iKeyCol && sqlite3_vtab_nochange(ctx) ) return SQLITE_OK; /* UPDATE leaves it */
  if( i == v->pDesc->nCol ) {
    /* the hidden pontoon_key: every key column of this row */
    sqlite3_str *k = sqlite3_str_new(0);
    for( int j = 0; j < v->nKey && c->pScan; j++ ) {
      pt_value val;
      int pos = c->aColPos[v->aKey[j]];
      if( pos < 0 )
        val.type = PT_V_NULL;
      else
        pt_scan_column(c->pScan, pos, &val);
      if( val.type == PT_V_DECIMAL ) {
        /* keep the exact text form */
        val.type = PT_V_TEXT;
      }
      pt_key_append(k, j == 0, &val);
    }
    sqlite3_str_appendchar(k, 1, ']');
    int n = sqlite3_str_length(k);
    sqlite3_result_text(ctx, sqlite3_str_finish(k), n, sqlite3_free);
    return SQLITE_OK;
  }
  if( !c->pScan || !c->aColPos || c->aColPos[i] < 0 ) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  pt_value val;
  pt_scan_column(c->pScan, c->aColPos[i], &val);
  pt_value_result(ctx, &val);
  return SQLITE_OK;
}

/* FNV-1a over bytes, continuing from h. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
  const unsigned char *z = p;
  for( size_t i = 0; i < n; i++ ) {
    h ^= z[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* How many rows with content hash h this scan has already seen: counts
** it.  -1 when out of memory. */
static int64_t seen_before(pt_vcursor *c, uint64_t h) {
  if( (c->nSeen + 1) * 2 > c->nSeenSlot ) {
    int nNew = c->nSeenSlot ? c->nSeenSlot * 2 : 64;
    uint64_t *aH = sqlite3_malloc64(sizeof(uint64_t) * nNew);
    uint32_t *aC = sqlite3_malloc64(sizeof(uint32_t) * nNew);
    if( !aH || !aC ) {
      sqlite3_free(aH);
      sqlite3_free(aC);
      return -1;
    }
    memset(aC, 0, sizeof(uint32_t) * nNew);
    for( int i = 0; i < c->nSeenSlot; i++ ) {
      if( !c->aSeenCount[i] ) continue;
      int j = (int)(c->aSeenHash[i] & (uint64_t)(nNew - 1));
      while( aC[j] ) j = (j + 1) & (nNew - 1);
      aH[j] = c->aSeenHash[i];
      aC[j] = c->aSeenCount[i];
    }
    sqlite3_free(c->aSeenHash);
    sqlite3_free(c->aSeenCount);
    c->aSeenHash = aH;
    c->aSeenCount = aC;
    c->nSeenSlot = nNew;
  }
  int j = (int)(h & (uint64_t)(c->nSeenSlot - 1));
  while( c->aSeenCount[j] && c->aSeenHash[j] != h ) j = (j + 1) & (c->nSeenSlot - 1);
  if( !c->aSeenCount[j] ) {
    c->aSeenHash[j] = h;
    c->nSeen++;
  }
  return c->aSeenCount[j]++;
}

/*
** The rowid.  SQLite relies on it to identify a row across the scans of one
** statement: a MULTI-INDEX OR plan drops rows of a later arm whose rowid an
** earlier arm returned, and `rowid IN (SELECT rowid ...)` compares two
** scans.  A table without a key reads every column (plan.c), and its rowid
** is a hash of the row's content and how many identical rows this scan
** returned before it: the same row gets the same rowid in every scan, and
** identical rows stay distinct.  Tables with a key are WITHOUT ROWID.
*/
static int ptRowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  pt_vcursor *c = (pt_vcursor *)cur;
  pt_vtab *v = (pt_vtab *)cur->pVtab;
  if( v->nKey > 0 || !c->pScan || !c->aColPos ) {
    *pRowid = c->iRow;
    return SQLITE_OK;
  }
  if( c->iRowidRow == c->iRow ) { /* asked again for the same row */
    *pRowid = c->iRowid;
    return SQLITE_OK;
  }
  uint64_t h = 0xcbf29ce484222325ULL;
  for( int i = 0; i < v->pDesc->nCol; i++ ) {
    pt_value val;
    memset(&val, 0, sizeof(val));
    if( c->aColPos[i] >= 0 )
      pt_scan_column(c->pScan, c->aColPos[i], &val);
    else
      val.type = PT_V_NULL;
    unsigned char t = (unsigned char)val.type;
    h = hash_bytes(h, &t, 1);
    switch( val.type ) {
      case PT_V_INT: h = hash_bytes(h, &val.i, sizeof(val.i)); break;
      case PT_V_REAL: h = hash_bytes(h, &val.r, sizeof(val.r)); break;
      case PT_V_NULL: break;
      default:
        h = hash_bytes(h, &val.n, sizeof(val.n));
        if( val.n > 0 ) h = hash_bytes(h, val.p, (size_t)val.n);
        break;
    }
  }
  int64_t n = seen_before(c, h);
  if( n < 0 ) return SQLITE_NOMEM;
  h = hash_bytes(h, &n, sizeof(n));
  *pRowid = c->iRowid = (sqlite3_int64)(h & 0x7fffffffffffffffULL);
  c->iRowidRow = c->iRow;
  return SQLITE_OK;
}

static int ptRename(sqlite3_vtab *pVtab, const char *zNew) {
  pt_vtab *v = (pt_vtab *)pVtab;
  char *z = pt_strdup(zNew);
  if( !z ) return SQLITE_NOMEM;
  sqlite3_free(v->zName);
  v->zName = z;
  return SQLITE_OK;
}

/* ---- writing (write.c does the work) ---- */

static pt_server *vtab_server(pt_vtab *v) {
  pt_server *s = pt_server_find(v->pReg, v->zServer);
  if( !s ) {
    pt_vtab_error(v,
                  sqlite3_mprintf("pontoon: table %s: server '%s' is not registered in this "
                                  "session; call pontoon_connect('%s', uri) first",
                                  v->zName, v->zServer, v->zServer));
  }
  return s;
}

static int ptUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv, sqlite3_int64 *pRowid) {
  pt_vtab *v = (pt_vtab *)pVtab;
  if( v->readOnly ) {
    return pt_vtab_error(v,
                         sqlite3_mprintf("pontoon: table %s is read-only (%s)", v->zName,
                                         v->zQuery ? "a query= table" : "the readonly option"));
  }
  pt_server *s = vtab_server(v);
  if( !s ) return SQLITE_ERROR;
  if( argc > 1 && sqlite3_value_type(argv[0]) == SQLITE_NULL ) {
    int mode = sqlite3_vtab_on_conflict(v->pReg->db);
    *pRowid = 0;
    if( mode == SQLITE_REPLACE || mode == SQLITE_IGNORE )
      return pt_write_upsert(v, s, argv + 2, mode);
    return pt_write_insert(v, s, argv + 2);
  }
  if( v->nKey == 0 ) {
    return pt_vtab_error(
      v,
      sqlite3_mprintf(
        "pontoon: table %s: UPDATE and DELETE need a key: "
        "the remote table %s has no primary key; name the columns that identify a row "
        "with the key= option",
        v->zName, pt_table_label(v)));
  }
  if( sqlite3_value_type(argv[0]) == SQLITE_NULL ) {
    return pt_vtab_error(v,
                         sqlite3_mprintf("pontoon: table %s: cannot address a row whose "
                                         "key is NULL",
                                         v->zName));
  }
  /* a changed key is one of the SET columns; WHERE uses the old key */
  return pt_write_update(v, s, argc, argv);
}

static int ptBegin(sqlite3_vtab *pVtab) {
  pt_vtab *v = (pt_vtab *)pVtab;
  pt_trace("%s xBegin", v->zName);
  pt_server *s = vtab_server(v);
  if( !s ) return SQLITE_ERROR;
  char *zErr = 0;
  int rc = pt_server_begin(s, &zErr);
  if( rc != SQLITE_OK ) pt_vtab_error(v, zErr);
  return rc;
}

/* The remote COMMIT: its error fails the statement or the COMMIT.  Every
** server's rows are sent and the local file's pages written first
** (pt_registry_prepare), so that no server commits before the others and
** the local file can fail. */
static int ptSync(sqlite3_vtab *pVtab) {
  pt_vtab *v = (pt_vtab *)pVtab;
  pt_trace("%s xSync", v->zName);
  pt_server *s = pt_server_find(v->pReg, v->zServer);
  if( !s ) return SQLITE_OK;
  char *zErr = 0;
  int rc = pt_registry_prepare(v->pReg, &zErr);
  if( rc == SQLITE_OK ) rc = pt_server_commit(s, &zErr);
  if( rc != SQLITE_OK ) pt_vtab_error(v, zErr);
  return rc;
}

/* SQLite's transaction is over; SQLite ignores what xCommit returns. */
static int ptCommit(sqlite3_vtab *pVtab) {
  pt_vtab *v = (pt_vtab *)pVtab;
  pt_server *s = pt_server_find(v->pReg, v->zServer);
  if( s ) pt_server_end(s);
  return SQLITE_OK;
}

static int ptRollback(sqlite3_vtab *pVtab) {
  pt_vtab *v = (pt_vtab *)pVtab;
  pt_trace("%s xRollback", v->zName);
  pt_server *s = pt_server_find(v->pReg, v->zServer);
  if( s ) pt_server_rollback(s);
  return SQLITE_OK;
}

static int savepoint_op(sqlite3_vtab *pVtab, int op, int iLevel) {
  pt_vtab *v = (pt_vtab *)pVtab;
  pt_trace("%s %s(%d)", v->zName,
           op == PT_SP_BEGIN       ? "xSavepoint"
             : op == PT_SP_RELEASE ? "xRelease"
                                   : "xRollbackTo",
           iLevel);
  pt_server *s = pt_server_find(v->pReg, v->zServer);
  if( !s ) return SQLITE_OK;
  char *zErr = 0;
  int rc = pt_server_savepoint(s, op, iLevel, &zErr);
  if( rc != SQLITE_OK ) pt_vtab_error(v, zErr);
  return rc;
}

static int ptSavepoint(sqlite3_vtab *p, int i) { return savepoint_op(p, PT_SP_BEGIN, i); }
static int ptRelease(sqlite3_vtab *p, int i) { return savepoint_op(p, PT_SP_RELEASE, i); }
static int ptRollbackTo(sqlite3_vtab *p, int i) { return savepoint_op(p, PT_SP_ROLLBACK, i); }

static sqlite3_module ptModule = {
  /* iVersion    */ 3,
  /* xCreate     */ ptCreate,
  /* xConnect    */ ptConnect,
  /* xBestIndex  */ ptBestIndex,
  /* xDisconnect */ ptDisconnect,
  /* xDestroy    */ ptDestroy,
  /* xOpen       */ ptOpen,
  /* xClose      */ ptClose,
  /* xFilter     */ ptFilter,
  /* xNext       */ ptNext,
  /* xEof        */ ptEof,
  /* xColumn     */ ptColumn,
  /* xRowid      */ ptRowid,
  /* xUpdate     */ ptUpdate,
  /* xBegin      */ ptBegin,
  /* xSync       */ ptSync,
  /* xCommit     */ ptCommit,
  /* xRollback   */ ptRollback,
  /* xFindFunction */ 0,
  /* xRename     */ ptRename,
  /* xSavepoint  */ ptSavepoint,
  /* xRelease    */ ptRelease,
  /* xRollbackTo */ ptRollbackTo,
  /* xShadowName */ 0
};

/* Registers the module; the registry is freed when the connection closes. */
int pt_module_register(sqlite3 *db, pt_registry *reg) {
  return sqlite3_create_module_v2(db, "pontoon", &ptModule, reg, pt_registry_free);
}
