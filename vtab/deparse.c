/*
** deparse.c — every remote statement pontoon writes, in one place.
**
**   SELECT "id", "email" FROM "shop"."users" WHERE "id" = $1::int8
**   UPDATE `shop`.`users` SET `email` = ? WHERE `id` = ?
**
** The bridge decides what a statement does (plan.c, module.c, write.c,
** funcs.c); this file alone turns that into text, asking the server's
** dialect (dialect.h) for what differs between engines: quoting, select
** expressions, conditions, ORDER BY, LIMIT, upserts, locking.  Values never
** appear in the text: they are parameters, written as the driver takes
** them ($n, or ? with a mark saying which parameter, pt_stmt in driver.h)
** by the statement builder below.  A plan's text, for EXPLAIN and for
** finding the plan again, is always written with $n.
**
** The SQL a user writes with parameters (pontoon_exec) is read here too,
** by pt_stmt_user, with the tokenizer of the server's dialect (xSpan); the
** user's SQL without parameters (query=, the where of pontoon_count) is
** passed through as it is.
*/
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "pontoon.h"

/* ---- the statement builder ---- */

void pt_sql_init(pt_sql *q, int ePlace) {
  memset(q, 0, sizeof(*q));
  q->pStr = sqlite3_str_new(0);
  q->ePlace = ePlace;
}

/* Write the placeholder of parameter iParam (1-based), and mark it. */
void pt_sql_place(pt_sql *q, int iParam, int markFlags) {
  if( q->ePlace == PT_PLACE_NUMBERED ) {
    sqlite3_str_appendf(q->pStr, "$%d", iParam);
    return;
  }
  if( q->nMark == q->nAlloc ) {
    int nNew = q->nAlloc ? q->nAlloc * 2 : 8;
    pt_mark *aNew = sqlite3_realloc64(q->aMark, sizeof(pt_mark) * nNew);
    if( !aNew ) {
      q->oom = 1;
      return;
    }
    q->aMark = aNew;
    q->nAlloc = nNew;
  }
  pt_mark *m = &q->aMark[q->nMark++];
  m->iOffset = sqlite3_str_length(q->pStr);
  m->iParam = iParam - 1;
  m->flags = markFlags;
  sqlite3_str_appendchar(q->pStr, 1, '?');
}

void pt_sqlf(pt_sql *q, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  const char *z = zFmt;
  while( *z ) {
    const char *e = strchr(z, '%');
    if( !e ) {
      sqlite3_str_appendall(q->pStr, z);
      break;
    }
    if( e > z ) sqlite3_str_append(q->pStr, z, (int)(e - z));
    switch( e[1] ) {
      case 's': {
        const char *a = va_arg(ap, const char *);
        if( a ) sqlite3_str_appendall(q->pStr, a);
        break;
      }
      case 'd': sqlite3_str_appendf(q->pStr, "%d", va_arg(ap, int)); break;
      case 'P': pt_sql_place(q, va_arg(ap, int), 0); break;
      case '%': sqlite3_str_appendchar(q->pStr, 1, '%'); break;
      default: q->oom = 1; break; /* a format this file does not write */
    }
    z = e[1] ? e + 2 : e + 1;
  }
  va_end(ap);
}

int pt_sql_finish(pt_sql *q, pt_stmt *pOut) {
  int bad = q->oom || sqlite3_str_errcode(q->pStr);
  memset(pOut, 0, sizeof(*pOut));
  pOut->zSql = sqlite3_str_finish(q->pStr);
  q->pStr = 0;
  pOut->nMark = q->nMark;
  pOut->aMark = q->aMark;
  pOut->nStmt = 1;
  q->aMark = 0;
  q->nMark = q->nAlloc = 0;
  if( bad || !pOut->zSql ) {
    pt_stmt_clear(pOut);
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

void pt_stmt_clear(pt_stmt *st) {
  sqlite3_free(st->zSql);
  sqlite3_free(st->aMark);
  memset(st, 0, sizeof(*st));
}

/* ---- the SQL a user writes ---- */

/* 1 if ch may continue an unquoted identifier (every dialect pontoon
** knows takes '$' after the first character: a$1 is a name). */
static int ident_char(int ch) { return isalnum(ch) || ch == '_' || ch == '$' || ch >= 0x80; }

/*
** The statement of a user's zText with parameters $1..$nParam (pontoon_exec)
** for a driver with placeholders ePlace, read by dialect d's tokenizer
** under lexFlags.  Numbered placeholders: the text as it is, the server
** reads them (and checks them).  '?': each $n outside the dialect's
** strings, quoted names and comments, and not continuing a name (a$1),
** becomes a marked '?'; a $n beyond the arguments, or an argument no $n
** uses past the last one used, is refused with PostgreSQL's own words, so
** that pontoon_exec says the same on every engine.  nStmt counts a ';'
** followed by more than spaces and comments as a second statement.
*/
int pt_stmt_user(const pt_dialect *d, int ePlace, int lexFlags, const char *zText, int nParam,
                 pt_stmt *pOut, char **pzErr) {
  memset(pOut, 0, sizeof(*pOut));
  pt_sql q;
  int nMax = 0, semi = 0, nStmt = 1;
  pt_sql_init(&q, ePlace);
  const char *z = zText;
  while( *z ) {
    int nSpan = d->xSpan ? d->xSpan(zText, z, lexFlags) : 0;
    if( nSpan ) {
      sqlite3_str_append(q.pStr, z, nSpan);
      z += nSpan;
      continue;
    }
    if( *z == '$' && isdigit((unsigned char)z[1]) &&
        !(z > zText && ident_char((unsigned char)z[-1])) && ePlace != PT_PLACE_NUMBERED ) {
      long long n = 0;
      z++;
      while( isdigit((unsigned char)*z) ) {
        if( n < 100000000 ) n = n * 10 + (*z - '0');
        z++;
      }
      if( n < 1 ) {
        *pzErr = sqlite3_mprintf("there is no parameter $%lld", n);
        pt_sql_finish(&q, pOut);
        pt_stmt_clear(pOut);
        return SQLITE_ERROR;
      }
      if( n > nMax ) nMax = (int)n;
      pt_sql_place(&q, (int)n, 0);
      continue;
    }
    if( *z == ';' )
      semi = 1;
    else if( semi && !isspace((unsigned char)*z) )
      nStmt = 2;
    sqlite3_str_appendchar(q.pStr, 1, *z);
    z++;
  }
  if( ePlace != PT_PLACE_NUMBERED && nMax != nParam ) {
    *pzErr = sqlite3_mprintf(
      "bind message supplies %d parameters, but prepared statement \"\" requires %d", nParam, nMax);
    pt_sql_finish(&q, pOut);
    pt_stmt_clear(pOut);
    return SQLITE_ERROR;
  }
  int rc = pt_sql_finish(&q, pOut);
  pOut->nStmt = nStmt;
  pOut->isUser = 1;
  return rc;
}

/* ---- the statements of a table ---- */

static pt_server *vtab_server(pt_vtab *v) { return pt_server_find(v->pReg, v->zServer); }

/* The FROM item: "schema"."table", or (query) for query= tables. */
void pt_append_from(sqlite3_str *s, pt_vtab *v) {
  pt_server *srv = vtab_server(v);
  const pt_dialect *d = srv ? srv->pDialect : 0;
  if( v->zQuery ) {
    sqlite3_str_appendf(s, "(%s) AS q", v->zQuery);
    return;
  }
  if( v->zRemoteSchema ) {
    d->xQuoteIdent(s, v->zRemoteSchema);
    sqlite3_str_appendchar(s, 1, '.');
  }
  d->xQuoteIdent(s, v->zRemoteTable);
}

char *pt_deparse_ident(const pt_dialect *d, const char *zName) {
  sqlite3_str *s = sqlite3_str_new(0);
  d->xQuoteIdent(s, zName);
  return sqlite3_str_finish(s);
}

/* Append quoted column iCol of table v. */
static void append_col(sqlite3_str *s, const pt_dialect *d, pt_vtab *v, int iCol) {
  d->xQuoteIdent(s, v->pDesc->aCol[iCol].zName);
}

/*
** The SELECT of plan p into q.  aDrop[i] non-zero leaves op i out;
** useLimit 0 leaves the cap out.  Parameters are numbered in the order
** xFilter binds them: kept ops with a value, then the limit.  page: -1 not
** paged; 0 the first page of a keyset read (ORDER BY key LIMIT n); 1 a
** later page, which adds "key > the last key read" (composite keys as
** (k1 > $a) OR (k1 = $a AND k2 > $b) ...), whose values are the parameters
** after the query's own; the page's row count is the last parameter.
*/
static void build_select(pt_sql *q, pt_vtab *v, const pt_plan *p, const unsigned char *aDrop,
                         int useLimit, int page) {
  pt_server *srv = vtab_server(v);
  const pt_dialect *d = srv->pDialect;
  int readFlags = srv->pDriver->readFlags;
  pt_table_desc *t = v->pDesc;
  sqlite3_str *s = q->pStr;
  sqlite3_str_appendall(s, "SELECT ");
  if( p->nSel == 0 ) sqlite3_str_appendall(s, "1");
  for( int i = 0; i < p->nSel; i++ ) {
    char *zq = pt_deparse_ident(d, t->aCol[p->aSel[i]].zName);
    if( i ) sqlite3_str_appendall(s, ", ");
    d->xSelectExpr(s, zq, t->aCol[p->aSel[i]].kind, readFlags);
    sqlite3_free(zq);
  }
  sqlite3_str_appendall(s, " FROM ");
  pt_append_from(s, v);
  int iParam = 0, nWhere = 0;
  for( int i = 0; i < p->nOp; i++ ) {
    const pt_plan_op *o = &p->aOp[i];
    if( aDrop && aDrop[i] ) continue;
    char *zq = pt_deparse_ident(d, t->aCol[o->iCol].zName);
    sqlite3_str_appendall(s, nWhere++ ? " AND " : " WHERE ");
    if( o->iArgv >= 0 ) iParam++;
    d->xCondition(q, zq, t->aCol[o->iCol].kind, o->op, iParam);
    sqlite3_free(zq);
  }
  if( page >= 0 ) {
    if( page > 0 ) {
      sqlite3_str_appendall(s, nWhere++ ? " AND (" : " WHERE (");
      for( int i = 0; i < v->nKey; i++ ) {
        sqlite3_str_appendall(s, i ? " OR (" : "(");
        for( int j = 0; j <= i; j++ ) {
          pt_column *kc = &t->aCol[v->aKey[j]];
          char *zq = pt_deparse_ident(d, kc->zName);
          if( j ) sqlite3_str_appendall(s, " AND ");
          d->xCondition(q, zq, kc->kind,
                        j < i ? SQLITE_INDEX_CONSTRAINT_EQ : SQLITE_INDEX_CONSTRAINT_GT,
                        iParam + 1 + j);
          sqlite3_free(zq);
        }
        sqlite3_str_appendall(s, ")");
      }
      sqlite3_str_appendall(s, ")");
      iParam += v->nKey;
    }
    for( int i = 0; i < v->nKey; i++ ) {
      pt_column *kc = &t->aCol[v->aKey[i]];
      char *zq = pt_deparse_ident(d, kc->zName);
      sqlite3_str_appendall(s, i ? ", " : " ORDER BY ");
      d->xOrderBy(s, zq, kc->kind, 0); /* SQLite's order: text in bytes */
      sqlite3_free(zq);
    }
    sqlite3_str_appendchar(s, 1, ' ');
    d->xLimit(q, iParam + 1);
    return;
  }
  for( int i = 0; i < p->nOrder; i++ ) {
    char *zq = pt_deparse_ident(d, t->aCol[p->aOrderCol[i]].zName);
    sqlite3_str_appendall(s, i ? ", " : " ORDER BY ");
    d->xOrderBy(s, zq, t->aCol[p->aOrderCol[i]].kind, p->aOrderDesc[i]);
    sqlite3_free(zq);
  }
  if( useLimit && p->iLimitArgv >= 0 ) {
    sqlite3_str_appendchar(s, 1, ' ');
    d->xLimit(q, iParam + 1);
  }
}

/* The text of plan p with $n placeholders (EXPLAIN shows it; plans are
** found again by it): see build_select. */
char *pt_plan_sql(pt_vtab *v, const pt_plan *p, const unsigned char *aDrop, int useLimit) {
  pt_sql q;
  pt_stmt st;
  pt_sql_init(&q, PT_PLACE_NUMBERED);
  build_select(&q, v, p, aDrop, useLimit, -1);
  if( pt_sql_finish(&q, &st) != SQLITE_OK ) return 0;
  return st.zSql;
}

/* The statement of plan p as the table's driver takes it. */
int pt_plan_stmt(pt_vtab *v, const pt_plan *p, const unsigned char *aDrop, int useLimit,
                 pt_stmt *pOut) {
  pt_sql q;
  pt_sql_init(&q, vtab_server(v)->pDriver->ePlace);
  build_select(&q, v, p, aDrop, useLimit, -1);
  return pt_sql_finish(&q, pOut);
}

/* The statement of one keyset page of plan p (after: 0 the first page, 1
** a later one; see build_select), for drivers that cannot stream a result
** (xPageRows). */
int pt_plan_page_stmt(pt_vtab *v, const pt_plan *p, const unsigned char *aDrop, int after,
                      pt_stmt *pOut) {
  pt_sql q;
  pt_sql_init(&q, vtab_server(v)->pDriver->ePlace);
  build_select(&q, v, p, aDrop, 0, after ? 1 : 0);
  return pt_sql_finish(&q, pOut);
}

/* "schema"."table", or (query) AS q: the FROM item, sqlite3_malloc'd. */
char *pt_deparse_from(pt_vtab *v) {
  sqlite3_str *q = sqlite3_str_new(0);
  pt_append_from(q, v);
  return sqlite3_str_finish(q);
}

/*
** The count of pontoon_count: the FROM item and the user's where (as they
** wrote it), which the driver wraps in SELECT count(*).
*/
char *pt_deparse_count(pt_vtab *v, const char *zWhere) {
  sqlite3_str *q = sqlite3_str_new(0);
  pt_append_from(q, v);
  if( zWhere && zWhere[0] ) sqlite3_str_appendf(q, " WHERE %s", zWhere);
  return sqlite3_str_finish(q);
}

/*
** UPDATE of the columns aSet[nSet] (parameters 1..nSet) or, nSet < 0,
** DELETE, of the one row whose key columns equal the parameters that
** follow.
*/
int pt_deparse_write(pt_vtab *v, int nSet, const int *aSet, pt_stmt *pOut) {
  pt_server *srv = vtab_server(v);
  const pt_dialect *d = srv->pDialect;
  pt_sql q;
  pt_sql_init(&q, srv->pDriver->ePlace);
  sqlite3_str_appendall(q.pStr, nSet < 0 ? "DELETE FROM " : "UPDATE ");
  pt_append_from(q.pStr, v);
  if( nSet < 0 ) {
    nSet = 0;
  } else {
    sqlite3_str_appendall(q.pStr, " SET ");
    for( int i = 0; i < nSet; i++ ) {
      if( i ) sqlite3_str_appendall(q.pStr, ", ");
      append_col(q.pStr, d, v, aSet[i]);
      sqlite3_str_appendall(q.pStr, " = ");
      d->xParamExpr(&q, v->pDesc->aCol[aSet[i]].kind, i + 1);
    }
  }
  for( int j = 0; j < v->nKey; j++ ) {
    pt_column *kc = &v->pDesc->aCol[v->aKey[j]];
    char *zKey = pt_deparse_ident(d, kc->zName);
    sqlite3_str_appendall(q.pStr, j ? " AND " : " WHERE ");
    d->xCondition(&q, zKey, kc->kind, SQLITE_INDEX_CONSTRAINT_EQ, nSet + 1 + j);
    sqlite3_free(zKey);
  }
  return pt_sql_finish(&q, pOut);
}

/* A one-row INSERT OR REPLACE / OR IGNORE (mode) of every column, resolved
** by the key.  The dialect must have xUpsert. */
int pt_deparse_upsert(pt_vtab *v, int mode, pt_stmt *pOut) {
  pt_server *srv = vtab_server(v);
  const pt_dialect *d = srv->pDialect;
  int n = v->pDesc->nCol;
  char **azCol = sqlite3_malloc64(sizeof(char *) * (n + 1));
  pt_kind *aKind = sqlite3_malloc64(sizeof(pt_kind) * (n + 1));
  char *zFrom = pt_deparse_from(v);
  int rc = SQLITE_NOMEM;
  memset(pOut, 0, sizeof(*pOut));
  if( azCol && aKind && zFrom ) {
    for( int i = 0; i < n; i++ ) {
      azCol[i] = pt_deparse_ident(d, v->pDesc->aCol[i].zName);
      aKind[i] = v->pDesc->aCol[i].kind;
    }
    pt_sql q;
    pt_sql_init(&q, srv->pDriver->ePlace);
    d->xUpsert(&q, zFrom, n, (const char *const *)azCol, aKind, v->nKey, v->aKey, mode);
    rc = pt_sql_finish(&q, pOut);
    for( int i = 0; i < n; i++ ) sqlite3_free(azCol[i]);
  }
  sqlite3_free(azCol);
  sqlite3_free(aKind);
  sqlite3_free(zFrom);
  return rc;
}

/*
** pSt with the dialect's row-locking clause into *pOut, when this read runs
** on the connection of a write transaction: an UPDATE computed from the
** rows read must not overwrite what another session changed meanwhile
** (lost updates).  SQLITE_DONE when no clause applies (pSt runs as is).
*/
int pt_deparse_locked(pt_vtab *v, pt_server *s, const pt_stmt *pSt, pt_stmt *pOut) {
  memset(pOut, 0, sizeof(*pOut));
  if( v->zQuery || v->pDesc->isView || !s->inTxn || !s->pDialect->xLockRows ) return SQLITE_DONE;
  sqlite3_str *q = sqlite3_str_new(0);
  sqlite3_str_appendall(q, pSt->zSql);
  s->pDialect->xLockRows(q);
  pOut->zSql = sqlite3_str_finish(q);
  pOut->nStmt = 1;
  if( pSt->nMark ) {
    pOut->aMark = sqlite3_malloc64(sizeof(pt_mark) * pSt->nMark);
    if( pOut->aMark ) {
      memcpy(pOut->aMark, pSt->aMark, sizeof(pt_mark) * pSt->nMark);
      pOut->nMark = pSt->nMark;
    }
  }
  if( !pOut->zSql || (pSt->nMark && !pOut->aMark) ) {
    pt_stmt_clear(pOut);
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* ---- pieces shared by several dialects ---- */

/* The statement for savepoint operation op at nesting level iLevel (-1: the
** one made right after BEGIN): "SAVEPOINT pt_3", "RELEASE SAVEPOINT pt_3",
** "ROLLBACK TO SAVEPOINT pt_begin". */
void pt_savepoint_sql(char *zBuf, size_t n, int op, int iLevel) {
  char zName[24];
  if( iLevel < 0 )
    snprintf(zName, sizeof zName, "pt_begin");
  else
    snprintf(zName, sizeof zName, "pt_%d", iLevel);
  snprintf(zBuf, n, "%s %s",
           op == PT_SP_BEGIN       ? "SAVEPOINT"
             : op == PT_SP_RELEASE ? "RELEASE SAVEPOINT"
                                   : "ROLLBACK TO SAVEPOINT",
           zName);
}

/* A one-row INSERT with parameters 1..nCol resolved by the key columns
** aKey[nKey] with the standard-looking ON CONFLICT clause (PostgreSQL,
** SQLite): SQLITE_REPLACE updates the other columns, SQLITE_IGNORE does
** nothing. */
void pt_upsert_on_conflict(pt_sql *q, const char *zTable, int nCol, const char *const *azCol,
                           int nKey, const int *aKey, int onConflict) {
  sqlite3_str *s = q->pStr;
  sqlite3_str_appendf(s, "INSERT INTO %s (", zTable);
  for( int i = 0; i < nCol; i++ ) sqlite3_str_appendf(s, "%s%s", i ? ", " : "", azCol[i]);
  sqlite3_str_appendall(s, ") VALUES (");
  for( int i = 0; i < nCol; i++ ) pt_sqlf(q, "%s%P", i ? ", " : "", i + 1);
  sqlite3_str_appendall(s, ") ON CONFLICT (");
  for( int i = 0; i < nKey; i++ ) sqlite3_str_appendf(s, "%s%s", i ? ", " : "", azCol[aKey[i]]);
  if( onConflict == SQLITE_IGNORE ) {
    sqlite3_str_appendall(s, ") DO NOTHING");
    return;
  }
  sqlite3_str_appendall(s, ") DO UPDATE SET ");
  int first = 1;
  for( int i = 0; i < nCol; i++ ) {
    int isKey = 0;
    for( int j = 0; j < nKey; j++ )
      if( aKey[j] == i ) isKey = 1;
    if( isKey ) continue;
    sqlite3_str_appendf(s, "%s%s = EXCLUDED.%s", first ? "" : ", ", azCol[i], azCol[i]);
    first = 0;
  }
  if( first ) sqlite3_str_appendf(s, "%s = EXCLUDED.%s", azCol[aKey[0]], azCol[aKey[0]]);
}

/* The same in MySQL's form: ON DUPLICATE KEY UPDATE, or INSERT IGNORE. */
void pt_upsert_on_duplicate(pt_sql *q, const char *zTable, int nCol, const char *const *azCol,
                            int onConflict) {
  sqlite3_str *s = q->pStr;
  sqlite3_str_appendf(s, "INSERT%s INTO %s (", onConflict == SQLITE_IGNORE ? " IGNORE" : "",
                      zTable);
  for( int i = 0; i < nCol; i++ ) sqlite3_str_appendf(s, "%s%s", i ? ", " : "", azCol[i]);
  sqlite3_str_appendall(s, ") VALUES (");
  for( int i = 0; i < nCol; i++ ) pt_sqlf(q, "%s%P", i ? ", " : "", i + 1);
  sqlite3_str_appendall(s, ")");
  if( onConflict == SQLITE_IGNORE ) return;
  sqlite3_str_appendall(s, " ON DUPLICATE KEY UPDATE ");
  for( int i = 0; i < nCol; i++ )
    sqlite3_str_appendf(s, "%s%s = VALUES(%s)", i ? ", " : "", azCol[i], azCol[i]);
}

/* xLimit of dialects that take a trailing "LIMIT n". */
void pt_sql_limit(pt_sql *q, int iParam) { pt_sqlf(q, "LIMIT %P", iParam); }

/* xParamExpr of dialects that need no cast: the parameter as it is. */
void pt_sql_param(pt_sql *q, pt_kind k, int iParam) {
  (void)k;
  pt_sql_place(q, iParam, 0);
}
