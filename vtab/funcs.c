/*
** funcs.c — the SQL functions:
**
**   SELECT pontoon_connect('pg', 'postgresql://app@127.0.0.1/shop');
**   SELECT pontoon_disconnect('pg');
**   SELECT pontoon_import('pg', 'old' [, 'public' [, 'user%']]);
**   SELECT pontoon_count('old.users' [, 'id > 100']);
**   SELECT pontoon_exec('new', 'CREATE INDEX ON users (email)');
**
** Rationale (security): every function here reaches the network, so each is
** registered SQLITE_DIRECTONLY: a view or trigger in a database file cannot
** call it.
*/
#include <string.h>
#include "pontoon.h"

static const char *arg_text(sqlite3_value *v){
  return sqlite3_value_type(v) == SQLITE_NULL ? 0 : (const char*)sqlite3_value_text(v);
}

static void result_error(sqlite3_context *ctx, char *z){
  sqlite3_result_error(ctx, z ? z : "pontoon: out of memory", -1);
  sqlite3_free(z);
}

/* pontoon_connect(name, uri): register and connect; returns the driver name. */
static void fnConnect(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc;
  pt_registry *r = sqlite3_user_data(ctx);
  const char *zName = arg_text(argv[0]);
  const char *zUri = arg_text(argv[1]);
  char *zErr = 0;
  if( !zName || !zUri ){
    sqlite3_result_error(ctx, "pontoon_connect(name, uri): both arguments are required", -1);
    return;
  }
  if( pt_server_add(r, zName, zUri, &zErr) != SQLITE_OK ){
    result_error(ctx, zErr);
    return;
  }
  sqlite3_result_text(ctx, pt_server_find(r, zName)->pDriver->zName, -1, SQLITE_STATIC);
}

/* pontoon_disconnect(name): 1 if it was registered, 0 if not. */
static void fnDisconnect(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc;
  pt_registry *r = sqlite3_user_data(ctx);
  char *zErr = 0;
  int rc = pt_server_remove(r, arg_text(argv[0]), &zErr);
  if( rc == SQLITE_NOTFOUND ){ sqlite3_result_int(ctx, 0); return; }
  if( rc != SQLITE_OK ){ result_error(ctx, zErr); return; }
  sqlite3_result_int(ctx, 1);
}

static pt_server *server_arg(sqlite3_context *ctx, pt_registry *r, sqlite3_value *v, const char *zFunc){
  const char *zName = arg_text(v);
  pt_server *s = pt_server_find(r, zName);
  if( !s ){
    char *z = sqlite3_mprintf("%s: server '%s' is not registered in this session; call "
      "pontoon_connect('%s', uri) first", zFunc, zName ? zName : "", zName ? zName : "");
    result_error(ctx, z);
  }
  return s;
}

/*
** pontoon_import(server, local_schema [, remote_schema [, like]]): one
** virtual table per remote table and view, created in local_schema with the
** column list in its arguments (so reopening the file needs no network).
** Returns the number of tables created.
*/
static void fnImport(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  pt_registry *r = sqlite3_user_data(ctx);
  pt_server *s = server_arg(ctx, r, argv[0], "pontoon_import");
  if( !s ) return;
  const char *zLocal = arg_text(argv[1]);
  const char *zRemote = argc > 2 ? arg_text(argv[2]) : 0;
  const char *zLike = argc > 3 ? arg_text(argv[3]) : 0;
  if( !zLocal ){
    sqlite3_result_error(ctx, "pontoon_import: the local schema is required ('main', or an attached database)", -1);
    return;
  }
  pt_conn *c;
  char *zErr = 0;
  char **azName = 0;
  int nName = 0, nMade = 0;
  int rc = pt_server_conn(s, 0, &c, &zErr);
  if( rc == SQLITE_OK ) rc = s->pDriver->xListTables(c, zRemote, zLike, &azName, &nName, &zErr);
  if( rc != SQLITE_OK ){
    result_error(ctx, pt_server_error(s, 0, "pontoon_import", zErr));
    pt_server_check(s);
    return;
  }
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  for(int i = 0; i < nName && rc == SQLITE_OK; i++){
    pt_table_desc *d = 0;
    rc = s->pDriver->xDescribe(c, zRemote, azName[i], &d, &zErr);
    if( rc != SQLITE_OK ){
      char *zT = sqlite3_mprintf("%s", azName[i]);
      result_error(ctx, pt_server_error(s, zT, "pontoon_import", zErr));
      sqlite3_free(zT);
      break;
    }
    char *zCols = pt_columns_format(d);
    sqlite3_str *q = sqlite3_str_new(0);
    if( d->zSchema ) sqlite3_str_appendf(q, "\"%w\".", d->zSchema);
    sqlite3_str_appendf(q, "\"%w\"", azName[i]);
    char *zRemoteName = sqlite3_str_finish(q);
    char *zSql = sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\".\"%w\" USING pontoon(%s, %s, columns=%Q)",
                                 zLocal, azName[i], s->zName, zRemoteName, zCols);
    pt_desc_free(d);
    sqlite3_free(zCols);
    sqlite3_free(zRemoteName);
    char *zE = 0;
    rc = sqlite3_exec(db, zSql, 0, 0, &zE);
    sqlite3_free(zSql);
    if( rc != SQLITE_OK ){
      result_error(ctx, sqlite3_mprintf("pontoon_import: cannot create %s.%s: %s", zLocal, azName[i], zE ? zE : sqlite3_errmsg(db)));
      sqlite3_free(zE);
      break;
    }
    nMade++;
  }
  for(int i = 0; i < nName; i++) sqlite3_free(azName[i]);
  sqlite3_free(azName);
  if( rc == SQLITE_OK ) sqlite3_result_int(ctx, nMade);
}

/*
** Find the pontoon table named by "name" or "schema.name", connecting it
** (xConnect) if no statement has used it yet.
*/
static pt_vtab *table_arg(sqlite3_context *ctx, pt_registry *r, const char *zArg, const char *zFunc){
  char *zSchema = 0, *zName = 0, *zErr = 0;
  if( !zArg || pt_ident_split(zArg, &zSchema, &zName, &zErr) ){
    result_error(ctx, sqlite3_mprintf("%s: cannot read the table name: %s", zFunc, zErr ? zErr : "NULL"));
    sqlite3_free(zErr);
    return 0;
  }
  pt_vtab *v = pt_table_lookup(r, zSchema, zName);
  if( !v ){
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    char *zSql = zSchema ? sqlite3_mprintf("SELECT 1 FROM \"%w\".\"%w\"", zSchema, zName)
                         : sqlite3_mprintf("SELECT 1 FROM \"%w\"", zName);
    sqlite3_stmt *st = 0;
    int rc = sqlite3_prepare_v2(db, zSql, -1, &st, 0);
    sqlite3_free(zSql);
    if( rc != SQLITE_OK ){
      result_error(ctx, sqlite3_mprintf("%s: %s", zFunc, sqlite3_errmsg(db)));
      sqlite3_finalize(st);
      sqlite3_free(zSchema); sqlite3_free(zName);
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

/* pontoon_count(table [, where]): count(*) computed by the server; `where`
** is remote SQL. */
static void fnCount(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  pt_registry *r = sqlite3_user_data(ctx);
  pt_vtab *v = table_arg(ctx, r, arg_text(argv[0]), "pontoon_count");
  if( !v ) return;
  pt_server *s = pt_server_find(r, v->zServer);
  if( !s ){
    result_error(ctx, sqlite3_mprintf("pontoon_count: table %s: server '%s' is not registered "
      "in this session; call pontoon_connect('%s', uri) first", v->zName, v->zServer, v->zServer));
    return;
  }
  const char *zWhere = argc > 1 ? arg_text(argv[1]) : 0;
  sqlite3_str *q = sqlite3_str_new(0);
  pt_append_from(q, v);
  if( zWhere && zWhere[0] ) sqlite3_str_appendf(q, " WHERE %s", zWhere);
  char *zFrom = sqlite3_str_finish(q);
  pt_conn *c;
  char *zErr = 0;
  int64_t n = 0;
  int rc = pt_server_flush(s, &zErr);
  if( rc != SQLITE_OK ){ sqlite3_free(zFrom); result_error(ctx, zErr); return; }
  rc = pt_server_conn(s, v->zQuery != 0, &c, &zErr);
  if( rc == SQLITE_OK ) rc = s->pDriver->xCount(c, zFrom, 0, 0, &n, &zErr);
  sqlite3_free(zFrom);
  if( rc != SQLITE_OK ){
    result_error(ctx, pt_server_error(s, v->zRemoteTable ? v->zRemoteTable : v->zName, "pontoon_count", zErr));
    pt_server_check(s);
    return;
  }
  sqlite3_result_int64(ctx, n);
}

/*
** pontoon_exec(server, sql [, params ...]): one remote statement, with the
** arguments bound as $1, $2 ... (text; BLOBs as bytes).  Returns the rows
** affected (0 for DDL).  Inside a SQLite transaction that writes to the
** server it runs in that remote transaction.
*/
static void fnExec(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  pt_registry *r = sqlite3_user_data(ctx);
  if( argc < 2 ){
    sqlite3_result_error(ctx, "pontoon_exec(server, sql [, params ...]): server and sql are required", -1);
    return;
  }
  pt_server *s = server_arg(ctx, r, argv[0], "pontoon_exec");
  if( !s ) return;
  const char *zSql = arg_text(argv[1]);
  if( !zSql ){
    sqlite3_result_error(ctx, "pontoon_exec(server, sql [, params ...]): sql is required", -1);
    return;
  }
  int nParam = argc - 2;
  pt_param *aParam = sqlite3_malloc64(sizeof(pt_param) * (nParam + 1));
  if( !aParam ){ sqlite3_result_error_nomem(ctx); return; }
  for(int i = 0; i < nParam; i++){
    sqlite3_value *v = argv[2 + i];
    int t = sqlite3_value_type(v);
    aParam[i].kind = PT_K_OTHER;
    aParam[i].isBinary = t == SQLITE_BLOB;
    aParam[i].z = t == SQLITE_NULL ? 0 : t == SQLITE_BLOB ? (const char*)sqlite3_value_blob(v)
                                                          : (const char*)sqlite3_value_text(v);
    if( aParam[i].z == 0 && t == SQLITE_BLOB ) aParam[i].z = "";
    aParam[i].n = sqlite3_value_bytes(v);
  }
  pt_conn *c;
  char *zErr = 0;
  int64_t n = -1;
  int rc = pt_server_flush(s, &zErr);
  if( rc != SQLITE_OK ){ sqlite3_free(aParam); result_error(ctx, zErr); return; }
  rc = pt_server_conn(s, 0, &c, &zErr);
  if( rc == SQLITE_OK ) rc = s->pDriver->xExec(c, zSql, nParam, aParam, &n, &zErr);
  sqlite3_free(aParam);
  if( rc != SQLITE_OK ){
    result_error(ctx, pt_server_error(s, 0, "pontoon_exec", zErr));
    pt_server_check(s);
    return;
  }
  sqlite3_result_int64(ctx, n < 0 ? 0 : n);
}

int pt_funcs_register(sqlite3 *db, pt_registry *r){
  static const struct {
    const char *zName;
    int nArg;
    void (*xFunc)(sqlite3_context*, int, sqlite3_value**);
  } aFunc[] = {
    { "pontoon_connect", 2, fnConnect },
    { "pontoon_disconnect", 1, fnDisconnect },
    { "pontoon_import", 2, fnImport },
    { "pontoon_import", 3, fnImport },
    { "pontoon_import", 4, fnImport },
    { "pontoon_count", 1, fnCount },
    { "pontoon_count", 2, fnCount },
    { "pontoon_exec", -1, fnExec },
  };
  int rc = SQLITE_OK;
  for(size_t i = 0; rc == SQLITE_OK && i < sizeof(aFunc) / sizeof(aFunc[0]); i++){
    rc = sqlite3_create_function_v2(db, aFunc[i].zName, aFunc[i].nArg,
                                    SQLITE_UTF8 | SQLITE_DIRECTONLY, r,
                                    aFunc[i].xFunc, 0, 0, 0);
  }
  return rc;
}
