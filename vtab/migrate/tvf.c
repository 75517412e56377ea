/*
** tvf.c — what the migration layer's table-valued functions share
** (pontoon_copy, pontoon_diff, pontoon_sync): a vtab that knows the
** connection and the registry, declared DIRECTONLY; arguments as hidden
** columns taken only as equality constraints; the cursor's error.
*/
#include <string.h>
#include "migrate.h"

/* xConnect of a function whose table is zSchema (its arguments the last,
** hidden columns).  DIRECTONLY: it writes to servers, so a view or a
** trigger in a stranger's database file cannot run it. */
int pt_tvf_connect(sqlite3 *db, void *pAux, const char *zSchema, sqlite3_vtab **ppVtab) {
  int rc = sqlite3_declare_vtab(db, zSchema);
  if( rc != SQLITE_OK ) return rc;
  pt_tvf_vtab *v = sqlite3_malloc(sizeof(*v));
  if( !v ) return SQLITE_NOMEM;
  memset(v, 0, sizeof(*v));
  v->db = db;
  v->pReg = pAux;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &v->base;
  return SQLITE_OK;
}

int pt_tvf_disconnect(sqlite3_vtab *p) {
  sqlite3_free(p);
  return SQLITE_OK;
}

/*
** xBestIndex: the arguments are the nArg hidden columns from iFirstArg,
** each given as `column = value`; idxNum bit k says argument k was given
** (argv holds them in order).  A missing one is xFilter's to refuse, with
** a message that says what the function takes.
*/
int pt_tvf_best_index(sqlite3_index_info *info, int iFirstArg, int nArg) {
  int aIdx[8];
  for( int k = 0; k < nArg && k < 8; k++ ) aIdx[k] = -1;
  for( int i = 0; i < info->nConstraint; i++ ) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if( c->iColumn < iFirstArg || c->iColumn >= iFirstArg + nArg ) continue;
    if( c->op != SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( !c->usable ) return SQLITE_CONSTRAINT;
    aIdx[c->iColumn - iFirstArg] = i;
  }
  int n = 0, idxNum = 0;
  for( int k = 0; k < nArg && k < 8; k++ ) {
    if( aIdx[k] < 0 ) continue;
    info->aConstraintUsage[aIdx[k]].argvIndex = ++n;
    info->aConstraintUsage[aIdx[k]].omit = 1;
    idxNum |= 1 << k;
  }
  info->idxNum = idxNum;
  info->estimatedCost = 1e9;
  info->estimatedRows = 1000;
  return SQLITE_OK;
}

/* The arguments xFilter got, as text, into az[nArg] (NULL: not given). */
void pt_tvf_args(int idxNum, int argc, sqlite3_value **argv, int nArg, const char **az) {
  for( int k = 0, i = 0; k < nArg; k++ ) {
    az[k] = 0;
    if( (idxNum & (1 << k)) && i < argc ) az[k] = (const char *)sqlite3_value_text(argv[i++]);
  }
}

/* Make zMsg (sqlite3_malloc'd; NULL: out of memory) the statement's
** error. */
int pt_tvf_error(sqlite3_vtab_cursor *cur, char *zMsg) {
  sqlite3_vtab *v = cur->pVtab;
  sqlite3_free(v->zErrMsg);
  v->zErrMsg = zMsg;
  return zMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}
