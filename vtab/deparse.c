/*
** deparse.c — every remote statement pontoon writes, in one place.
**
**   SELECT "id", "email" FROM "shop"."users" WHERE "id" = $1::int8
**   UPDATE "shop"."users" SET "email" = $1 WHERE "id" = $2::int8
**
** The bridge decides what a statement does (plan.c, module.c, write.c,
** funcs.c); this file alone turns that into text, asking the server's
** dialect (dialect.h) for what differs between engines: quoting, select
** expressions, conditions, ORDER BY, LIMIT, upserts, locking.  Values never
** appear in the text: they are parameters $1..$n, which each driver sends
** in its own way.  The text a user writes (query=, pontoon_exec, the where
** of pontoon_count) is passed through as it is.
*/
#include <stdio.h>
#include <string.h>
#include "pontoon.h"

static const pt_dialect *vtab_dialect(pt_vtab *v){
  pt_server *s = pt_server_find(v->pReg, v->zServer);
  return s ? s->pDialect : 0;
}

static int vtab_read_flags(pt_vtab *v){
  pt_server *s = pt_server_find(v->pReg, v->zServer);
  return s ? s->pDriver->readFlags : 0;
}

/* The FROM item: "schema"."table", or (query) for query= tables. */
void pt_append_from(sqlite3_str *s, pt_vtab *v){
  const pt_dialect *d = vtab_dialect(v);
  if( v->zQuery ){
    sqlite3_str_appendf(s, "(%s) AS q", v->zQuery);
    return;
  }
  if( v->zRemoteSchema ){
    d->xQuoteIdent(s, v->zRemoteSchema);
    sqlite3_str_appendchar(s, 1, '.');
  }
  d->xQuoteIdent(s, v->zRemoteTable);
}

char *pt_deparse_ident(const pt_dialect *d, const char *zName){
  sqlite3_str *s = sqlite3_str_new(0);
  d->xQuoteIdent(s, zName);
  return sqlite3_str_finish(s);
}

static char *build_sql(pt_vtab *v, const pt_plan *p, const unsigned char *aDrop, int useLimit,
                       int page);

/*
** The remote SQL of plan p.  aDrop[i] non-zero leaves op i out; useLimit 0
** leaves the cap out.  Parameters are numbered in the order xFilter binds
** them: kept ops with a value, then the limit.
*/
char *pt_plan_sql(pt_vtab *v, const pt_plan *p, const unsigned char *aDrop, int useLimit){
  return build_sql(v, p, aDrop, useLimit, -1);
}

/*
** The SQL of one page of plan p read in key order, for drivers that cannot
** stream a result (xPageRows): after 0 is the first page; after 1 adds
** "key > the last key read", whose values are the parameters that follow
** the query's own.  The page's row count is the last parameter.
*/
char *pt_plan_page_sql(pt_vtab *v, const pt_plan *p, const unsigned char *aDrop, int after){
  return build_sql(v, p, aDrop, 0, after ? 1 : 0);
}

/* page: -1 not paged; 0 the first page; 1 a later page (see above). */
static char *build_sql(pt_vtab *v, const pt_plan *p, const unsigned char *aDrop, int useLimit,
                       int page){
  const pt_dialect *d = vtab_dialect(v);
  pt_table_desc *t = v->pDesc;
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "SELECT ");
  if( p->nSel == 0 ) sqlite3_str_appendall(s, "1");
  for(int i = 0; i < p->nSel; i++){
    char *zq = pt_deparse_ident(d, t->aCol[p->aSel[i]].zName);
    if( i ) sqlite3_str_appendall(s, ", ");
    d->xSelectExpr(s, zq, t->aCol[p->aSel[i]].kind, vtab_read_flags(v));
    sqlite3_free(zq);
  }
  sqlite3_str_appendall(s, " FROM ");
  pt_append_from(s, v);
  int iParam = 0, nWhere = 0;
  for(int i = 0; i < p->nOp; i++){
    const pt_plan_op *o = &p->aOp[i];
    if( aDrop && aDrop[i] ) continue;
    char *zq = pt_deparse_ident(d, t->aCol[o->iCol].zName);
    sqlite3_str_appendall(s, nWhere++ ? " AND " : " WHERE ");
    if( o->iArgv >= 0 ) iParam++;
    d->xCondition(s, zq, t->aCol[o->iCol].kind, o->op, iParam);
    sqlite3_free(zq);
  }
  if( page >= 0 ){
    /* (k1 > $a) OR (k1 = $a AND k2 > $b) OR ...: after the last key read */
    if( page > 0 ){
      sqlite3_str_appendall(s, nWhere++ ? " AND (" : " WHERE (");
      for(int i = 0; i < v->nKey; i++){
        sqlite3_str_appendall(s, i ? " OR (" : "(");
        for(int j = 0; j <= i; j++){
          pt_column *kc = &t->aCol[v->aKey[j]];
          char *zq = pt_deparse_ident(d, kc->zName);
          if( j ) sqlite3_str_appendall(s, " AND ");
          d->xCondition(s, zq, kc->kind, j < i ? SQLITE_INDEX_CONSTRAINT_EQ : SQLITE_INDEX_CONSTRAINT_GT,
                        iParam + 1 + j);
          sqlite3_free(zq);
        }
        sqlite3_str_appendall(s, ")");
      }
      sqlite3_str_appendall(s, ")");
      iParam += v->nKey;
    }
    for(int i = 0; i < v->nKey; i++){
      pt_column *kc = &t->aCol[v->aKey[i]];
      char *zq = pt_deparse_ident(d, kc->zName);
      sqlite3_str_appendall(s, i ? ", " : " ORDER BY ");
      d->xOrderBy(s, zq, kc->kind, 0);   /* SQLite's order: text in bytes */
      sqlite3_free(zq);
    }
    sqlite3_str_appendchar(s, 1, ' ');
    d->xLimit(s, iParam + 1);
    return sqlite3_str_finish(s);
  }
  for(int i = 0; i < p->nOrder; i++){
    char *zq = pt_deparse_ident(d, t->aCol[p->aOrderCol[i]].zName);
    sqlite3_str_appendall(s, i ? ", " : " ORDER BY ");
    d->xOrderBy(s, zq, t->aCol[p->aOrderCol[i]].kind, p->aOrderDesc[i]);
    sqlite3_free(zq);
  }
  if( useLimit && p->iLimitArgv >= 0 ){
    sqlite3_str_appendchar(s, 1, ' ');
    d->xLimit(s, iParam + 1);
  }
  return sqlite3_str_finish(s);
}

/* "schema"."table", or (query) AS q: the FROM item, sqlite3_malloc'd. */
char *pt_deparse_from(pt_vtab *v){
  sqlite3_str *q = sqlite3_str_new(0);
  pt_append_from(q, v);
  return sqlite3_str_finish(q);
}

/*
** The count of pontoon_count: the FROM item and the user's where (as they
** wrote it), which the driver wraps in SELECT count(*).
*/
char *pt_deparse_count(pt_vtab *v, const char *zWhere){
  sqlite3_str *q = sqlite3_str_new(0);
  pt_append_from(q, v);
  if( zWhere && zWhere[0] ) sqlite3_str_appendf(q, " WHERE %s", zWhere);
  return sqlite3_str_finish(q);
}

/*
** UPDATE of the columns aSet[nSet] (parameters $1..$nSet) or, nSet < 0,
** DELETE, of the one row whose key columns equal the parameters that
** follow.
*/
char *pt_deparse_write(pt_vtab *v, int nSet, const int *aSet){
  const pt_dialect *d = vtab_dialect(v);
  sqlite3_str *q = sqlite3_str_new(0);
  char *zFrom = pt_deparse_from(v);
  if( nSet < 0 ){
    sqlite3_str_appendf(q, "DELETE FROM %s", zFrom);
    nSet = 0;
  }else{
    sqlite3_str_appendf(q, "UPDATE %s SET ", zFrom);
    for(int i = 0; i < nSet; i++){
      if( i ) sqlite3_str_appendall(q, ", ");
      d->xQuoteIdent(q, v->pDesc->aCol[aSet[i]].zName);
      sqlite3_str_appendf(q, " = ");
      d->xParamExpr(q, v->pDesc->aCol[aSet[i]].kind, i + 1);
    }
  }
  sqlite3_free(zFrom);
  for(int j = 0; j < v->nKey; j++){
    pt_column *kc = &v->pDesc->aCol[v->aKey[j]];
    char *zKey = pt_deparse_ident(d, kc->zName);
    sqlite3_str_appendall(q, j ? " AND " : " WHERE ");
    d->xCondition(q, zKey, kc->kind, SQLITE_INDEX_CONSTRAINT_EQ, nSet + 1 + j);
    sqlite3_free(zKey);
  }
  return sqlite3_str_finish(q);
}

/* A one-row INSERT OR REPLACE / OR IGNORE (mode) of every column, resolved
** by the key, or NULL when the dialect has no such statement. */
char *pt_deparse_upsert(pt_vtab *v, int mode){
  const pt_dialect *d = vtab_dialect(v);
  int n = v->pDesc->nCol;
  if( !d->xUpsert ) return 0;
  char **azCol = sqlite3_malloc64(sizeof(char*) * (n + 1));
  pt_kind *aKind = sqlite3_malloc64(sizeof(pt_kind) * (n + 1));
  char *zFrom = pt_deparse_from(v);
  char *zSql = 0;
  if( azCol && aKind && zFrom ){
    for(int i = 0; i < n; i++){
      azCol[i] = pt_deparse_ident(d, v->pDesc->aCol[i].zName);
      aKind[i] = v->pDesc->aCol[i].kind;
    }
    sqlite3_str *q = sqlite3_str_new(0);
    d->xUpsert(q, zFrom, n, (const char *const*)azCol, aKind, v->nKey, v->aKey, mode);
    zSql = sqlite3_str_finish(q);
    for(int i = 0; i < n; i++) sqlite3_free(azCol[i]);
  }
  sqlite3_free(azCol); sqlite3_free(aKind); sqlite3_free(zFrom);
  return zSql;
}

/*
** zSql with the driver's row-locking clause, when this read runs on the
** connection of a write transaction: an UPDATE computed from the rows read
** must not overwrite what another session changed meanwhile (lost updates).
** NULL when no clause applies (or out of memory: then zSql runs as is).
*/
char *pt_deparse_locked(pt_vtab *v, pt_server *s, const char *zSql){
  if( v->zQuery || v->pDesc->isView || !s->inTxn || !s->pDialect->xLockRows ) return 0;
  sqlite3_str *q = sqlite3_str_new(0);
  sqlite3_str_appendall(q, zSql);
  s->pDialect->xLockRows(q);
  return sqlite3_str_finish(q);
}

/* ---- pieces shared by several dialects ---- */

/* The statement for savepoint operation op at nesting level iLevel (-1: the
** one made right after BEGIN): "SAVEPOINT pt_3", "RELEASE SAVEPOINT pt_3",
** "ROLLBACK TO SAVEPOINT pt_begin". */
void pt_savepoint_sql(char *zBuf, size_t n, int op, int iLevel){
  char zName[24];
  if( iLevel < 0 ) snprintf(zName, sizeof zName, "pt_begin");
  else snprintf(zName, sizeof zName, "pt_%d", iLevel);
  snprintf(zBuf, n, "%s %s", op == PT_SP_BEGIN ? "SAVEPOINT"
           : op == PT_SP_RELEASE ? "RELEASE SAVEPOINT" : "ROLLBACK TO SAVEPOINT", zName);
}

/* A one-row INSERT with $1..$nCol resolved by the key columns aKey[nKey]
** with the standard-looking ON CONFLICT clause (PostgreSQL, SQLite):
** SQLITE_REPLACE updates the other columns, SQLITE_IGNORE does nothing. */
void pt_upsert_on_conflict(sqlite3_str *s, const char *zTable, int nCol, const char *const *azCol,
                           int nKey, const int *aKey, int onConflict){
  sqlite3_str_appendf(s, "INSERT INTO %s (", zTable);
  for(int i = 0; i < nCol; i++) sqlite3_str_appendf(s, "%s%s", i ? ", " : "", azCol[i]);
  sqlite3_str_appendall(s, ") VALUES (");
  for(int i = 0; i < nCol; i++) sqlite3_str_appendf(s, "%s$%d", i ? ", " : "", i + 1);
  sqlite3_str_appendall(s, ") ON CONFLICT (");
  for(int i = 0; i < nKey; i++) sqlite3_str_appendf(s, "%s%s", i ? ", " : "", azCol[aKey[i]]);
  if( onConflict == SQLITE_IGNORE ){
    sqlite3_str_appendall(s, ") DO NOTHING");
    return;
  }
  sqlite3_str_appendall(s, ") DO UPDATE SET ");
  int first = 1;
  for(int i = 0; i < nCol; i++){
    int isKey = 0;
    for(int j = 0; j < nKey; j++) if( aKey[j] == i ) isKey = 1;
    if( isKey ) continue;
    sqlite3_str_appendf(s, "%s%s = EXCLUDED.%s", first ? "" : ", ", azCol[i], azCol[i]);
    first = 0;
  }
  if( first ) sqlite3_str_appendf(s, "%s = EXCLUDED.%s", azCol[aKey[0]], azCol[aKey[0]]);
}

/* The same in MySQL's form: ON DUPLICATE KEY UPDATE, or INSERT IGNORE. */
void pt_upsert_on_duplicate(sqlite3_str *s, const char *zTable, int nCol, const char *const *azCol,
                            int onConflict){
  sqlite3_str_appendf(s, "INSERT%s INTO %s (", onConflict == SQLITE_IGNORE ? " IGNORE" : "", zTable);
  for(int i = 0; i < nCol; i++) sqlite3_str_appendf(s, "%s%s", i ? ", " : "", azCol[i]);
  sqlite3_str_appendall(s, ") VALUES (");
  for(int i = 0; i < nCol; i++) sqlite3_str_appendf(s, "%s$%d", i ? ", " : "", i + 1);
  sqlite3_str_appendall(s, ")");
  if( onConflict == SQLITE_IGNORE ) return;
  sqlite3_str_appendall(s, " ON DUPLICATE KEY UPDATE ");
  for(int i = 0; i < nCol; i++) sqlite3_str_appendf(s, "%s%s = VALUES(%s)", i ? ", " : "", azCol[i], azCol[i]);
}

/* xLimit of dialects that take a trailing "LIMIT n". */
void pt_sql_limit(sqlite3_str *s, int iParam){
  sqlite3_str_appendf(s, "LIMIT $%d", iParam);
}

/* xParamExpr of dialects that need no cast: the parameter as it is. */
void pt_sql_param(sqlite3_str *s, pt_kind k, int iParam){
  (void)k;
  sqlite3_str_appendf(s, "$%d", iParam);
}

