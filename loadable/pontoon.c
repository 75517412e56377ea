/*
** pontoon.c — the loadable extension's entry point.
**
**   sqlite3 shell:  .load ./build/pontoon
**   Python:         con.enable_load_extension(True); con.load_extension("./build/pontoon")
**
** Creates this connection's registry of servers and registers the module,
** pontoon_servers and the SQL functions.  The registry is freed with the
** connection (the module's destructor).
*/
#include "pontoon.h"
#include "migrate/migrate.h"
SQLITE_EXTENSION_INIT1

__attribute__((visibility("default"))) int sqlite3_pontoon_init(sqlite3 *db, char **pzErrMsg,
                                                                const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  pt_registry *reg = pt_registry_new(db);
  if( !reg ) return SQLITE_NOMEM;
  /* SQLite owns reg from here on: when registering fails, it has already
  ** called the destructor (pt_registry_free) */
  int rc = pt_module_register(db, reg);
  if( rc == SQLITE_OK ) rc = pt_servers_register(db, reg);
  if( rc == SQLITE_OK ) rc = pt_funcs_register(db, reg);
  if( rc == SQLITE_OK ) rc = pt_copy_register(db, reg);
  if( rc == SQLITE_OK ) rc = pt_jobs_register(db, reg);
  if( rc == SQLITE_OK ) rc = pt_checksum_register(db, reg);
  if( rc == SQLITE_OK ) rc = pt_diff_register(db, reg);
  if( rc == SQLITE_OK ) rc = pt_ddl_register(db, reg);
  if( rc == SQLITE_OK ) rc = pt_capture_register(db, reg);
  if( rc == SQLITE_OK ) rc = pt_sync_register(db, reg);
  if( rc == SQLITE_OK ) rc = pt_report_register(db, reg);
  if( rc != SQLITE_OK && pzErrMsg )
    *pzErrMsg = sqlite3_mprintf("pontoon: cannot register: %s", sqlite3_errmsg(db));
  return rc;
}
