/*
** funcs.c — the SQL functions:
**
**   SELECT pontoon_connect('pg', 'postgresql://app@127.0.0.1/shop');
**   SELECT pontoon_disconnect('pg');
**   SELECT pontoon_import('pg', 'old' [, 'public' [, 'user%']]);
**   SELECT pontoon_count('old.users' [, 'id > 100']);
**   SELECT pontoon_exec('new', 'CREATE INDEX ON users (email)');
**
** Rationale (security): every function here reaches the network or changes
** the servers this connection knows, so a database file from someone else
** must never get to call one.  Each is registered SQLITE_DIRECTONLY, which
** keeps views and triggers of a file from calling it; but SQLite 3.40.1
** still runs a DIRECTONLY function in a CHECK constraint of a file (on
** INSERT and on PRAGMA integrity_check), whatever PRAGMA trusted_schema says
** (measured: tests/scripts/sec_hostile_file.sh).  So each function also
** checks where the call comes from before doing anything (call_allowed):
**
**   1. the text of a statement this connection is running must name the
**      function as a call (pt_sql_calls): a call typed by the user does, a
**      CHECK, generated column, DEFAULT or index expression of a file never
**      does, since its text is not a statement's;
**   2. no table or index of any attached database may have the function in
**      its definition (pt_sql_may_call, which errs on the side of seeing
**      one): this closes the gap of 1, a statement typed by the user that
**      both names the function and writes into a table whose CHECK calls it.
**
** What stays possible: a TEMP trigger or view made by the user in this
** session may not call these functions either (rule 1); call them from the
** statement itself.  docs/security.md states the rules and their tests.
*/
#include <string.h>
#include "pontoon.h"

/* in util.c (SQL text readers) */

/* The functions that reach a server or change the registry. */
static const char *const azNetFunc[] = { "pontoon_connect", "pontoon_disconnect", "pontoon_import",
                                         "pontoon_count",   "pontoon_exec",       0 };

/*
** 0 (with an error set on ctx) unless this call of zFunc comes from the text
** of a statement the connection is running and no table or index definition
** in any attached database calls a pontoon function.  See the Rationale
** above.
*/
static int call_allowed(sqlite3_context *ctx, const char *zFunc) {
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  int typed = 0;
  for( sqlite3_stmt *p = sqlite3_next_stmt(db, 0); p && !typed; p = sqlite3_next_stmt(db, p) ) {
    const char *zSql = sqlite3_stmt_busy(p) ? sqlite3_sql(p) : 0;
    if( zSql && pt_sql_calls(zSql, zFunc) ) typed = 1;
  }
  if( !typed ) {
    char *z = sqlite3_mprintf("%s: refused: only a statement that calls %s itself may run it, "
                              "not a CHECK constraint, generated column, DEFAULT, index or trigger "
                              "(a database file must not reach a server)",
                              zFunc, zFunc);
    sqlite3_result_error(ctx, z ? z : "pontoon: out of memory", -1);
    sqlite3_free(z);
    return 0;
  }
  sqlite3_stmt *pDb = 0;
  int ok = 1;
  if( sqlite3_prepare_v2(db, "SELECT name FROM pragma_database_list", -1, &pDb, 0) != SQLITE_OK ) {
    sqlite3_result_error(ctx, sqlite3_errmsg(db), -1);
    return 0;
  }
  while( ok && sqlite3_step(pDb) == SQLITE_ROW ) {
    const char *zSchema = (const char *)sqlite3_column_text(pDb, 0);
    char *zQ = sqlite3_mprintf("SELECT name, sql FROM \"%w\".sqlite_schema "
                               "WHERE type IN ('table','index') AND sql LIKE '%%pontoon%%'",
                               zSchema ? zSchema : "main");
    sqlite3_stmt *pObj = 0;
    if( !zQ || sqlite3_prepare_v2(db, zQ, -1, &pObj, 0) != SQLITE_OK ) {
      sqlite3_free(zQ);
      continue; /* a schema that cannot be read cannot run anything either */
    }
    sqlite3_free(zQ);
    while( ok && sqlite3_step(pObj) == SQLITE_ROW ) {
      const char *zSql = (const char *)sqlite3_column_text(pObj, 1);
      for( int i = 0; zSql && azNetFunc[i]; i++ ) {
        if( pt_sql_may_call(zSql, azNetFunc[i]) ) {
          char *z = sqlite3_mprintf(
            "%s: refused: %s.%s calls %s in its definition "
            "(a CHECK constraint, generated column, DEFAULT or index); pontoon's functions "
            "do not run while such a table or index is attached",
            zFunc, zSchema, (const char *)sqlite3_column_text(pObj, 0), azNetFunc[i]);
          sqlite3_result_error(ctx, z ? z : "pontoon: out of memory", -1);
          sqlite3_free(z);
          ok = 0;
          break;
        }
      }
    }
    sqlite3_finalize(pObj);
  }
  sqlite3_finalize(pDb);
  return ok;
}

/*
** Text argument v of zFunc in *pz (NULL for SQL NULL).  0, with an error set
** on ctx, if the text holds a NUL byte: everything after it would be dropped
** silently (a connection string losing "?sslmode=require", a WHERE losing a
** condition), so such text is refused.
*/
static int arg_text_ok(sqlite3_context *ctx, sqlite3_value *v, const char *zFunc, const char *zWhat,
                       const char **pz) {
  *pz = 0;
  if( sqlite3_value_type(v) == SQLITE_NULL ) return 1;
  const char *z = (const char *)sqlite3_value_text(v);
  if( !z ) {
    sqlite3_result_error_nomem(ctx);
    return 0;
  }
  if( (int)strlen(z) != sqlite3_value_bytes(v) ) {
    char *zE = sqlite3_mprintf("%s: the %s contains a NUL byte (char(0)); it would be cut there",
                               zFunc, zWhat);
    sqlite3_result_error(ctx, zE ? zE : "pontoon: out of memory", -1);
    sqlite3_free(zE);
    return 0;
  }
  *pz = z;
  return 1;
}

static void result_error(sqlite3_context *ctx, char *z) {
  sqlite3_result_error(ctx, z ? z : "pontoon: out of memory", -1);
  sqlite3_free(z);
}

/* pontoon_connect(name, uri): register and connect; returns the driver name. */
static void fnConnect(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  pt_registry *r = sqlite3_user_data(ctx);
  const char *zName, *zUri;
  char *zErr = 0;
  if( !call_allowed(ctx, "pontoon_connect") ) return;
  if( !arg_text_ok(ctx, argv[0], "pontoon_connect", "server name", &zName) ||
      !arg_text_ok(ctx, argv[1], "pontoon_connect", "connection string", &zUri) )
    return;
  if( !zName || !zUri ) {
    sqlite3_result_error(ctx, "pontoon_connect(name, uri): both arguments are required", -1);
    return;
  }
  if( pt_server_add(r, zName, zUri, &zErr) != SQLITE_OK ) {
    result_error(ctx, zErr);
    return;
  }
  sqlite3_result_text(ctx, pt_server_find(r, zName)->pDriver->zName, -1, SQLITE_STATIC);
}

/* pontoon_disconnect(name): 1 if it was registered, 0 if not. */
static void fnDisconnect(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  pt_registry *r = sqlite3_user_data(ctx);
  const char *zName;
  char *zErr = 0;
  if( !call_allowed(ctx, "pontoon_disconnect") ) return;
  if( !arg_text_ok(ctx, argv[0], "pontoon_disconnect", "server name", &zName) ) return;
  int rc = pt_server_remove(r, zName, &zErr);
  if( rc == SQLITE_NOTFOUND ) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  if( rc != SQLITE_OK ) {
    result_error(ctx, zErr);
    return;
  }
  sqlite3_result_int(ctx, 1);
}

static pt_server *server_arg(sqlite3_context *ctx, pt_registry *r, sqlite3_value *v,
                             const char *zFunc) {
  const char *zName;
  if( !arg_text_ok(ctx, v, zFunc, "server name", &zName) ) return 0;
  pt_server *s = pt_server_find(r, zName);
  if( !s ) {
    char *z = sqlite3_mprintf("%s: server '%s' is not registered in this session; call "
                              "pontoon_connect('%s', uri) first",
                              zFunc, zName ? zName : "", zName ? zName : "");
    result_error(ctx, z);
  }
  return s;
}

/*
** pontoon_import(server, local_schema [, remote_schema [, like]]): one
** virtual table per remote table and view, created in local_schema with the
** column list in its arguments (so reopening the file needs no network).
** Returns the number of tables created.  All or nothing: every name is
** checked for a collision with an existing local table, view or index
** before anything is created, and the error names every collision; a
** remote schema that does not exist is an error.
*/
static void fnImport(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  pt_registry *r = sqlite3_user_data(ctx);
  if( !call_allowed(ctx, "pontoon_import") ) return;
  pt_server *s = server_arg(ctx, r, argv[0], "pontoon_import");
  if( !s ) return;
  const char *zLocal, *zRemote = 0, *zLike = 0;
  if( !arg_text_ok(ctx, argv[1], "pontoon_import", "local schema", &zLocal) ||
      (argc > 2 && !arg_text_ok(ctx, argv[2], "pontoon_import", "remote schema", &zRemote)) ||
      (argc > 3 && !arg_text_ok(ctx, argv[3], "pontoon_import", "LIKE pattern", &zLike)) )
    return;
  if( !zLocal ) {
    sqlite3_result_error(
      ctx, "pontoon_import: the local schema is required ('main', or an attached database)", -1);
    return;
  }
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  pt_conn *c;
  char *zErr = 0;
  char **azName = 0;
  char **azSql = 0;
  int nName = 0, nMade = 0;
  int rc = pt_server_conn(s, 0, &c, &zErr);
  if( rc == SQLITE_OK ) rc = s->pDriver->xListTables(c, zRemote, zLike, &azName, &nName, &zErr);
  if( rc != SQLITE_OK ) {
    if( rc == SQLITE_NOTFOUND && zRemote ) {
      sqlite3_free(zErr);
      zErr = sqlite3_mprintf("remote schema '%s' does not exist", zRemote);
    }
    result_error(ctx, pt_server_error(s, 0, "pontoon_import", zErr));
    pt_server_check(s);
    return;
  }

  /* the ledger's own tables (a MySQL or SQLite target's pontoon_job ...)
  ** are not the user's data: they are not imported */
  {
    int k = 0;
    for( int i = 0; i < nName; i++ ) {
      if( pt_is_ledger_table(azName[i]) )
        sqlite3_free(azName[i]);
      else
        azName[k++] = azName[i];
    }
    nName = k;
  }

  /* 1. the local names: none may be taken, in the schema or twice here */
  sqlite3_str *pColl = sqlite3_str_new(0);
  int nColl = 0;
  sqlite3_stmt *pTaken = 0;
  char *zQ =
    sqlite3_mprintf("SELECT type FROM \"%w\".sqlite_schema WHERE name = ?1 COLLATE NOCASE", zLocal);
  rc = zQ ? sqlite3_prepare_v2(db, zQ, -1, &pTaken, 0) : SQLITE_NOMEM;
  sqlite3_free(zQ);
  if( rc != SQLITE_OK ) {
    result_error(ctx, sqlite3_mprintf("pontoon_import: %s", sqlite3_errmsg(db)));
    goto done;
  }
  for( int i = 0; i < nName; i++ ) {
    const char *zType = 0;
    sqlite3_bind_text(pTaken, 1, azName[i], -1, SQLITE_STATIC);
    if( sqlite3_step(pTaken) == SQLITE_ROW ) zType = (const char *)sqlite3_column_text(pTaken, 0);
    int dup = 0;
    for( int j = 0; j < i && !dup; j++ ) dup = sqlite3_stricmp(azName[i], azName[j]) == 0;
    if( zType || dup ) {
      if( zType ) {
        sqlite3_str_appendf(pColl, "%scannot create %s.%s: %s \"%s\" already exists",
                            nColl ? "; " : "", zLocal, azName[i], zType, azName[i]);
      } else {
        sqlite3_str_appendf(pColl,
                            "%scannot create %s.%s: the server has two tables named so "
                            "but for case",
                            nColl ? "; " : "", zLocal, azName[i]);
      }
      nColl++;
    }
    sqlite3_reset(pTaken);
  }
  sqlite3_finalize(pTaken);
  if( nColl ) {
    char *zList = sqlite3_str_finish(pColl);
    pColl = 0;
    result_error(ctx, sqlite3_mprintf("pontoon_import: %s", zList ? zList : ""));
    sqlite3_free(zList);
    goto done;
  }

  /* 2. describe everything before creating anything */
  azSql = sqlite3_malloc64(sizeof(char *) * ((sqlite3_uint64)nName + 1));
  if( !azSql ) {
    sqlite3_result_error_nomem(ctx);
    goto done;
  }
  memset(azSql, 0, sizeof(char *) * (nName + 1));
  for( int i = 0; i < nName; i++ ) {
    pt_table_desc *d = 0;
    rc = s->pDriver->xDescribe(c, zRemote, azName[i], &d, &zErr);
    if( rc != SQLITE_OK ) {
      char *zT = sqlite3_mprintf("%s", azName[i]);
      result_error(ctx, pt_server_error(s, zT, "pontoon_import: nothing imported", zErr));
      sqlite3_free(zT);
      pt_server_check(s);
      goto done;
    }
    char *zCols = pt_columns_format(d);
    sqlite3_str *q = sqlite3_str_new(0);
    if( d->zSchema ) sqlite3_str_appendf(q, "\"%w\".", d->zSchema);
    sqlite3_str_appendf(q, "\"%w\"", azName[i]);
    char *zRemoteName = sqlite3_str_finish(q);
    azSql[i] =
      sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\".\"%w\" USING pontoon(%s, %s, columns=%Q)",
                      zLocal, azName[i], s->zName, zRemoteName, zCols);
    pt_desc_free(d);
    sqlite3_free(zCols);
    sqlite3_free(zRemoteName);
    if( !azSql[i] ) {
      sqlite3_result_error_nomem(ctx);
      goto done;
    }
  }

  /* 3. create them; on a failure, drop the ones made */
  for( int i = 0; i < nName; i++ ) {
    char *zE = 0;
    rc = sqlite3_exec(db, azSql[i], 0, 0, &zE);
    if( rc != SQLITE_OK ) {
      result_error(ctx,
                   sqlite3_mprintf("pontoon_import: nothing imported: cannot create %s.%s: %s",
                                   zLocal, azName[i], zE ? zE : sqlite3_errmsg(db)));
      sqlite3_free(zE);
      for( int j = 0; j < i; j++ ) {
        char *zDrop = sqlite3_mprintf("DROP TABLE \"%w\".\"%w\"", zLocal, azName[j]);
        if( zDrop ) sqlite3_exec(db, zDrop, 0, 0, 0);
        sqlite3_free(zDrop);
      }
      goto done;
    }
    nMade++;
  }
  sqlite3_result_int(ctx, nMade);

done:
  if( pColl ) sqlite3_free(sqlite3_str_finish(pColl));
  for( int i = 0; i < nName; i++ ) {
    sqlite3_free(azName[i]);
    if( azSql ) sqlite3_free(azSql[i]);
  }
  sqlite3_free(azName);
  sqlite3_free(azSql);
}

/*
** Find the pontoon table named by "name" or "schema.name", connecting it
** (xConnect) if no statement has used it yet.
*/
static pt_vtab *table_arg(sqlite3_context *ctx, pt_registry *r, const char *zArg,
                          const char *zFunc) {
  char *zSchema = 0, *zName = 0, *zErr = 0;
  if( !zArg || pt_ident_split(zArg, &zSchema, &zName, &zErr) ) {
    result_error(
      ctx, sqlite3_mprintf("%s: cannot read the table name: %s", zFunc, zErr ? zErr : "NULL"));
    sqlite3_free(zErr);
    return 0;
  }
  pt_vtab *v = pt_table_lookup(r, zSchema, zName);
  if( !v ) {
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    char *zSql = zSchema ? sqlite3_mprintf("SELECT 1 FROM \"%w\".\"%w\"", zSchema, zName)
                         : sqlite3_mprintf("SELECT 1 FROM \"%w\"", zName);
    sqlite3_stmt *st = 0;
    int rc = sqlite3_prepare_v2(db, zSql, -1, &st, 0);
    sqlite3_free(zSql);
    if( rc != SQLITE_OK ) {
      result_error(ctx, sqlite3_mprintf("%s: %s", zFunc, sqlite3_errmsg(db)));
      sqlite3_finalize(st);
      sqlite3_free(zSchema);
      sqlite3_free(zName);
      return 0;
    }
    sqlite3_finalize(st);
    v = pt_table_lookup(r, zSchema, zName);
    if( !v ) result_error(ctx, sqlite3_mprintf("%s: %s is not a pontoon table", zFunc, zArg));
  }
  sqlite3_free(zSchema);
  sqlite3_free(zName);
  return v;
}

/*
** pontoon_count(table [, where]): count(*) computed by the server; `where`
** is remote SQL.  It runs read-only: on the read-only connection, or,
** inside a SQLite transaction that writes to the server (so that it counts
** that transaction's own rows), on the write connection in a part of the
** remote transaction the driver makes read-only and undoes (pg.c pgCount).
*/
static void fnCount(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  pt_registry *r = sqlite3_user_data(ctx);
  const char *zTable, *zWhere = 0;
  if( !call_allowed(ctx, "pontoon_count") ) return;
  if( !arg_text_ok(ctx, argv[0], "pontoon_count", "table name", &zTable) ||
      (argc > 1 && !arg_text_ok(ctx, argv[1], "pontoon_count", "where", &zWhere)) )
    return;
  pt_vtab *v = table_arg(ctx, r, zTable, "pontoon_count");
  if( !v ) return;
  pt_server *s = pt_server_find(r, v->zServer);
  if( !s ) {
    result_error(ctx,
                 sqlite3_mprintf("pontoon_count: table %s: server '%s' is not registered "
                                 "in this session; call pontoon_connect('%s', uri) first",
                                 v->zName, v->zServer, v->zServer));
    return;
  }
  char *zFrom = pt_deparse_count(v, zWhere);
  pt_conn *c;
  char *zErr = 0;
  int64_t n = 0;
  int rc = pt_server_flush(s, &zErr);
  if( rc != SQLITE_OK ) {
    sqlite3_free(zFrom);
    result_error(ctx, zErr);
    return;
  }
  rc = pt_server_conn(s, v->zQuery != 0 || !s->inTxn, &c, &zErr);
  if( rc == SQLITE_OK ) {
    int lexFlags = s->pDriver->xLexFlags ? s->pDriver->xLexFlags(c) : 0;
    if( v->zQuery ) rc = pt_query_check(s->pDialect, lexFlags, "query=", v->zQuery, &zErr);
    if( rc == SQLITE_OK && zWhere )
      rc = pt_query_check(s->pDialect, lexFlags, "where", zWhere, &zErr);
  }
  if( rc == SQLITE_OK ) rc = s->pDriver->xCount(c, zFrom, &n, &zErr);
  sqlite3_free(zFrom);
  if( rc != SQLITE_OK ) {
    result_error(
      ctx, pt_server_error(s, v->zRemoteTable ? v->zRemoteTable : v->zName, "pontoon_count", zErr));
    pt_server_check(s);
    return;
  }
  sqlite3_result_int64(ctx, n);
}

/*
** pontoon_exec(server, sql [, params ...]): remote SQL, with the arguments
** bound as $1, $2 ... (text; BLOBs as bytes).  Returns the rows affected (0
** for DDL).  Inside a SQLite transaction that writes to the server it runs
** in that remote transaction, so it may not end or split it: statements
** that control transactions (pt_sql_txn_control) are refused there.  SQL
** with no statement in it (spaces, comments) does nothing and returns 0,
** as psql does.
*/
static void fnExec(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  pt_registry *r = sqlite3_user_data(ctx);
  if( !call_allowed(ctx, "pontoon_exec") ) return;
  if( argc < 2 ) {
    sqlite3_result_error(
      ctx, "pontoon_exec(server, sql [, params ...]): server and sql are required", -1);
    return;
  }
  pt_server *s = server_arg(ctx, r, argv[0], "pontoon_exec");
  if( !s ) return;
  const char *zSql;
  if( !arg_text_ok(ctx, argv[1], "pontoon_exec", "sql", &zSql) ) return;
  if( !zSql ) {
    sqlite3_result_error(ctx, "pontoon_exec(server, sql [, params ...]): sql is required", -1);
    return;
  }
  if( pt_sql_empty(zSql) ) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  if( s->inTxn ) {
    /* read as the server's engine reads it; an engine pontoon does not
    ** know (ANSI, SQLite) is read every way */
    int dialect = strcmp(s->pDialect->zName, "postgresql") == 0 ? PT_DIALECT_PG
      : strcmp(s->pDialect->zName, "mysql") == 0                ? PT_DIALECT_MYSQL
                                                                : 0;
    const char *zWord = pt_sql_txn_control(zSql, dialect);
    if( zWord ) {
      result_error(
        ctx,
        sqlite3_mprintf(
          "pontoon_exec: server '%s': %s is refused inside a SQLite "
          "transaction that writes to this server: it would end or split the remote transaction "
          "apart from the local one; use SQLite's own COMMIT, ROLLBACK or SAVEPOINT",
          s->zName, zWord));
      return;
    }
  }
  int nParam = argc - 2;
  pt_param *aParam = sqlite3_malloc64(sizeof(pt_param) * (nParam + 1));
  if( !aParam ) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  for( int i = 0; i < nParam; i++ ) {
    sqlite3_value *v = argv[2 + i];
    int t = sqlite3_value_type(v);
    aParam[i].kind = PT_K_OTHER;
    aParam[i].isBinary = t == SQLITE_BLOB;
    aParam[i].z = t == SQLITE_NULL ? 0
      : t == SQLITE_BLOB           ? (const char *)sqlite3_value_blob(v)
                                   : (const char *)sqlite3_value_text(v);
    if( aParam[i].z == 0 && t == SQLITE_BLOB ) aParam[i].z = "";
    aParam[i].n = sqlite3_value_bytes(v);
  }
  pt_conn *c;
  char *zErr = 0;
  int64_t n = -1;
  int rc = pt_server_flush(s, &zErr);
  if( rc != SQLITE_OK ) {
    sqlite3_free(aParam);
    result_error(ctx, zErr);
    return;
  }
  rc = pt_server_conn(s, 0, &c, &zErr);
  if( rc == SQLITE_OK ) {
    /* the user's $n as the driver takes them, read by the server's dialect */
    pt_stmt st;
    int lexFlags = s->pDriver->xLexFlags ? s->pDriver->xLexFlags(c) : 0;
    rc = pt_stmt_user(s->pDialect, s->pDriver->ePlace, lexFlags, zSql, nParam, &st, &zErr);
    if( rc == SQLITE_OK ) rc = s->pDriver->xExec(c, &st, nParam, aParam, &n, &zErr);
    pt_stmt_clear(&st);
  }
  sqlite3_free(aParam);
  if( rc != SQLITE_OK ) {
    result_error(ctx, pt_server_error(s, 0, "pontoon_exec", zErr));
    pt_server_check(s);
    return;
  }
  sqlite3_result_int64(ctx, n < 0 ? 0 : n);
}

int pt_funcs_register(sqlite3 *db, pt_registry *r) {
  static const struct {
    const char *zName;
    int nArg;
    void (*xFunc)(sqlite3_context *, int, sqlite3_value **);
  } aFunc[] = {
    { "pontoon_connect", 2, fnConnect }, { "pontoon_disconnect", 1, fnDisconnect },
    { "pontoon_import", 2, fnImport },   { "pontoon_import", 3, fnImport },
    { "pontoon_import", 4, fnImport },   { "pontoon_count", 1, fnCount },
    { "pontoon_count", 2, fnCount },     { "pontoon_exec", -1, fnExec },
  };
  int rc = SQLITE_OK;
  for( size_t i = 0; rc == SQLITE_OK && i < sizeof(aFunc) / sizeof(aFunc[0]); i++ ) {
    rc = sqlite3_create_function_v2(db, aFunc[i].zName, aFunc[i].nArg,
                                    SQLITE_UTF8 | SQLITE_DIRECTONLY, r, aFunc[i].xFunc, 0, 0, 0);
  }
  return rc;
}
