/*
** entry_fail.c — the entry point when registering the module fails.
**
** issue 11 item 8: sqlite3_create_module_v2() calls the client data's
** destructor itself when it fails, and sqlite3_pontoon_init() used to free
** the registry a second time (a double free).  This program loads the
** built module with an API table whose create_module_v2 fails the way
** SQLite's does, and checks that the init returns the error and that the
** registry is freed exactly once (glibc or the sanitizer abort on a second
** free).
**
**   entry_fail PATH/pontoon.so      prints "N passed, N failed"
*/
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#define SQLITE_CORE 1 /* the API table as a type, without its macros */
#include <sqlite3ext.h>

static sqlite3_api_routines api;
static int nDestroyed;

typedef int (*init_fn)(sqlite3 *, char **, const sqlite3_api_routines *);

/* As SQLite's on failure: the destructor runs, and the error is returned. */
static int failing_create_module_v2(sqlite3 *db, const char *zName, const sqlite3_module *p,
                                    void *pAux, void (*xDestroy)(void *)) {
  (void)db;
  (void)zName;
  (void)p;
  if( xDestroy ) {
    nDestroyed++;
    xDestroy(pAux);
  }
  return SQLITE_NOMEM;
}

/* Grab SQLite's own API table from an auto-extension. */
static int grab_api(sqlite3 *db, char **pzErr, const sqlite3_api_routines *pApi) {
  (void)db;
  (void)pzErr;
  api = *pApi;
  return SQLITE_OK;
}

int main(int argc, char **argv) {
  int pass = 0, fail = 0;
  if( argc < 2 ) {
    fprintf(stderr, "usage: entry_fail PATH/pontoon.so\n");
    return 2;
  }
  sqlite3_auto_extension((void (*)(void))grab_api);
  sqlite3 *db;
  sqlite3_open(":memory:", &db);
  sqlite3_reset_auto_extension();
  api.create_module_v2 = failing_create_module_v2;
  void *h = dlopen(argv[1], RTLD_NOW);
  init_fn init = h ? (init_fn)dlsym(h, "sqlite3_pontoon_init") : 0;
  if( !init ) {
    fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
    return 2;
  }
  char *zErr = 0;
  int rc = init(db, &zErr, &api);
  if( rc == SQLITE_NOMEM ) {
    pass++;
    printf("ok - the init returns the registration's error\n");
  } else {
    fail++;
    printf("not ok - the init returned %d\n", rc);
  }
  if( nDestroyed == 1 ) {
    pass++;
    printf("ok - the registry was freed once, by SQLite\n");
  } else {
    fail++;
    printf("not ok - the destructor ran %d times\n", nDestroyed);
  }
  sqlite3_free(zErr);
  sqlite3_close(db);
  printf("%d passed, %d failed\n", pass, fail);
  return fail != 0;
}
