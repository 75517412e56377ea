/*
** plan.c — what is pushed to the server.
**
** The assumptions that make a remote answer equal to SQLite's:
**   - SQLite re-checks every pushed constraint: omit is never set.  A pushed
**     test may therefore keep extra rows (PT_PUSH_SUPERSET) but must never
**     lose one.  Which (kind, operator, collation) may be pushed, and how, is
**     the dialect's table (xPushable, xCondition); anything else stays local.
**   - The right-hand side is converted in xFilter by value.c, by SQLite's
**     affinity rules; a value that would change the answer is not sent (the
**     term is dropped for that run) or proves that no row matches.
**   - ORDER BY is consumed only when every term is a column the driver sorts
**     exactly as SQLite sorts pontoon's values (NULLs first ascending, byte
**     order for text).
**   - idxNum bit 0 says OFFSET's value follows LIMIT's in argv.
**   - LIMIT and OFFSET (SQLite 3.40 offers them in cases where honouring
**     them is wrong: shared notes §3) are used only as a cap of LIMIT+OFFSET
**     rows fetched, never to skip rows, and only when every usable constraint
**     is pushed exactly, the ORDER BY (if any) is consumed and no IN is
**     processed one value at a time.  xFilter drops the cap when it drops a
**     term.
**
** The plan is visible: idxStr is the remote SQL (written by deparse.c),
** with $n for the values xFilter binds in argv order, so EXPLAIN QUERY PLAN
** shows what the server runs.  Plans are cached on the table, keyed by that
** text.
*/
#include <stdio.h>
#include <string.h>
#include "pontoon.h"

static void plan_free(pt_plan *p) {
  if( !p ) return;
  sqlite3_free(p->zSql);
  sqlite3_free(p->aOp);
  sqlite3_free(p->aSel);
  sqlite3_free(p->aOrderCol);
  sqlite3_free(p->aOrderDesc);
  sqlite3_free(p);
}

void pt_plan_free_all(pt_vtab *v) {
  while( v->pPlans ) {
    pt_plan *p = v->pPlans;
    v->pPlans = p->pNext;
    plan_free(p);
  }
}

pt_plan *pt_plan_find(pt_vtab *v, const char *zIdxStr) {
  if( !zIdxStr ) return 0;
  for( pt_plan *p = v->pPlans; p; p = p->pNext ) {
    if( strcmp(p->zSql, zIdxStr) == 0 ) return p;
  }
  return 0;
}

/* Fraction of rows an operator keeps, for the cost estimate. */
static double selectivity(int op) {
  switch( op ) {
    case SQLITE_INDEX_CONSTRAINT_EQ: return 0.01;
    case PT_OP_IN: return 0.05;
    case SQLITE_INDEX_CONSTRAINT_ISNULL: return 0.1;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: return 0.9;
    case SQLITE_INDEX_CONSTRAINT_NE: return 0.9;
    case SQLITE_INDEX_CONSTRAINT_LIKE: return 0.2;
    default: return 0.3;
  }
}

/*
** xBestIndex: choose what of info's constraints, ORDER BY and LIMIT the
** server evaluates, and describe it to SQLite.  No network I/O: it runs at
** prepare time, often, for plans never run.  Contract:
**   - a constraint is pushed only when the driver's xPushable says the
**     remote test keeps every row SQLite would (omit stays 0: SQLite tests
**     again); a usable=0 constraint is never used;
**   - the plan is cached on the table and idxStr is its remote SQL
**     (deparse.c), which xFilter finds the plan by; needToFreeIdxStr is set;
**   - orderByConsumed only when every ORDER BY term sorts remotely exactly as
**     SQLite sorts pontoon's values;
**   - LIMIT (and OFFSET) only as a cap, under the rules at the top.
** What xFilter receives:
**
**   idxNum  bit 0   OFFSET's value follows LIMIT's in argv
**   idxStr          the plan's remote SQL ($1..$n in argv order, then the cap)
**   argv[i]         the right-hand side of the i-th pushed op with a value,
**                   in aOp order (IS NULL / IS NOT NULL take none); an IN op
**                   taken whole is one argv walked with sqlite3_vtab_in_*
**   argv[iLimitArgv]     LIMIT's value, when the plan caps (-1: it does not)
**   argv[iLimitArgv + 1] OFFSET's value, when idxNum bit 0 is set
**
** Returns SQLITE_OK, or SQLITE_NOMEM.
*/
int pt_plan_best_index(pt_vtab *v, sqlite3_index_info *info) {
  pt_server *srv = pt_server_find(v->pReg, v->zServer);
  if( !srv ) {
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg =
      sqlite3_mprintf("pontoon: table %s: server '%s' is not registered in this session; "
                      "call pontoon_connect('%s', uri) first",
                      v->zName, v->zServer, v->zServer);
    return SQLITE_ERROR;
  }
  const pt_dialect *d = srv->pDialect;
  pt_table_desc *t = v->pDesc;
  pt_plan *p = sqlite3_malloc(sizeof(*p));
  if( !p ) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->aOp = sqlite3_malloc64(sizeof(pt_plan_op) * (info->nConstraint + 1));
  p->aSel = sqlite3_malloc64(sizeof(int) * (t->nCol + 1));
  p->aOrderCol = sqlite3_malloc64(sizeof(int) * (info->nOrderBy + 1));
  p->aOrderDesc = sqlite3_malloc64(sizeof(int) * (info->nOrderBy + 1));
  if( !p->aOp || !p->aSel || !p->aOrderCol || !p->aOrderDesc ) {
    plan_free(p);
    return SQLITE_NOMEM;
  }
  p->iLimitArgv = -1;

  int allExact = 1, oneAtATime = 0, nArgv = 0, hasOffset = 0;
  int iLimit = -1, iOffset = -1;
  double nRow = t->nRowEstimate >= 0 ? t->nRowEstimate : 1000000.0;
  if( nRow < 1 ) nRow = 1;
  int nKey = 0, nKeyEq = 0;
  for( int j = 0; j < t->nCol; j++ )
    if( t->aCol[j].iKey ) nKey++;
  unsigned char *aKeyEq = sqlite3_malloc(t->nCol + 1);
  if( !aKeyEq ) {
    plan_free(p);
    return SQLITE_NOMEM;
  }
  memset(aKeyEq, 0, t->nCol + 1);

  for( int i = 0; i < info->nConstraint; i++ ) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if( !c->usable ) continue;
    if( c->op == SQLITE_INDEX_CONSTRAINT_LIMIT ) {
      iLimit = i;
      continue;
    }
    if( c->op == SQLITE_INDEX_CONSTRAINT_OFFSET ) {
      iOffset = i;
      continue;
    }
    if( c->iColumn < 0 || c->iColumn >= t->nCol ) {
      allExact = 0;
      continue;
    }
    pt_kind k = t->aCol[c->iColumn].kind;
    const char *zColl = sqlite3_vtab_collation(info, i);
    int op = c->op;
    if( k == PT_K_DATE || k == PT_K_TIMESTAMP || k == PT_K_TIMESTAMPTZ ) {
      if( op == SQLITE_INDEX_CONSTRAINT_GT || op == SQLITE_INDEX_CONSTRAINT_GE )
        op = PT_OP_DATE_GE;
      else if( op == SQLITE_INDEX_CONSTRAINT_LT || op == SQLITE_INDEX_CONSTRAINT_LE )
        op = PT_OP_DATE_LT;
    }
    int push;
    if( op == SQLITE_INDEX_CONSTRAINT_EQ && d->xArrayParam && sqlite3_vtab_in(info, i, -1) &&
        (push = d->xPushable(k, PT_OP_IN, zColl)) != PT_PUSH_NONE ) {
      sqlite3_vtab_in(info, i, 1);
      op = PT_OP_IN;
    } else {
      push = d->xPushable(k, op, zColl);
      if( push != PT_PUSH_NONE && c->op == SQLITE_INDEX_CONSTRAINT_EQ &&
          sqlite3_vtab_in(info, i, -1) ) {
        oneAtATime = 1;
      }
    }
    if( push == PT_PUSH_NONE ) {
      allExact = 0;
      continue;
    }
    if( push != PT_PUSH_EXACT ) allExact = 0;
    pt_plan_op *o = &p->aOp[p->nOp++];
    o->iCol = c->iColumn;
    o->op = op;
    o->exact = push;
    if( op == SQLITE_INDEX_CONSTRAINT_ISNULL || op == SQLITE_INDEX_CONSTRAINT_ISNOTNULL ) {
      o->iArgv = -1;
    } else {
      o->iArgv = nArgv++;
      info->aConstraintUsage[i].argvIndex = nArgv;
    }
    info->aConstraintUsage[i].omit = 0;
    if( op == SQLITE_INDEX_CONSTRAINT_EQ && t->aCol[c->iColumn].iKey && !aKeyEq[c->iColumn] ) {
      aKeyEq[c->iColumn] = 1;
      nKeyEq++;
    }
    nRow *= selectivity(op);
  }
  sqlite3_free(aKeyEq);

  /* ORDER BY: consumed only when every term sorts exactly as in SQLite. */
  int orderOk = info->nOrderBy > 0 && !oneAtATime;
  for( int i = 0; orderOk && i < info->nOrderBy; i++ ) {
    int col = info->aOrderBy[i].iColumn;
    if( col < 0 || col >= t->nCol || !d->xOrderable(t->aCol[col].kind) ) orderOk = 0;
  }
  if( orderOk ) {
    for( int i = 0; i < info->nOrderBy; i++ ) {
      p->aOrderCol[i] = info->aOrderBy[i].iColumn;
      p->aOrderDesc[i] = info->aOrderBy[i].desc;
    }
    p->nOrder = info->nOrderBy;
    info->orderByConsumed = 1;
  }

  /* LIMIT / OFFSET as a cap only. */
  if( iLimit >= 0 && d->xLimit && allExact && !oneAtATime && (info->nOrderBy == 0 || orderOk) ) {
    p->iLimitArgv = nArgv++;
    info->aConstraintUsage[iLimit].argvIndex = nArgv;
    info->aConstraintUsage[iLimit].omit = 0;
    if( iOffset >= 0 ) {
      hasOffset = 1;
      nArgv++;
      info->aConstraintUsage[iOffset].argvIndex = nArgv;
      info->aConstraintUsage[iOffset].omit = 0;
    }
    sqlite3_int64 nLim = 0;
    sqlite3_value *pv = 0;
    if( sqlite3_vtab_rhs_value(info, iLimit, &pv) == SQLITE_OK && pv ) {
      nLim = sqlite3_value_int64(pv);
      if( nLim >= 0 && nLim < nRow ) nRow = (double)nLim + 1;
    }
  }

  /* The select list: the columns SQLite may read, and always the key
  ** columns: DELETE reads no column (colUsed 0) yet needs each row's key.
  ** A table without a key reads every column: its rowid is made from the
  ** row's content (module.c), the same in every scan of a statement. */
  for( int j = 0; j < t->nCol; j++ ) {
    int bit = j < 63 ? j : 63;
    if( (info->colUsed & ((sqlite3_uint64)1 << bit)) || (v->nKey > 0 && t->aCol[j].iKey) ||
        v->nKey == 0 )
      p->aSel[p->nSel++] = j;
  }

  if( nKey > 0 && nKeyEq == nKey ) {
    info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
    info->estimatedRows = 1;
    info->estimatedCost = 10.0;
  } else {
    if( nRow < 1 ) nRow = 1;
    info->estimatedRows = (sqlite3_int64)nRow;
    info->estimatedCost = 100.0 + nRow;
  }

  p->zSql = pt_plan_sql(v, p, 0, 1);
  if( !p->zSql ) {
    plan_free(p);
    return SQLITE_NOMEM;
  }
  pt_plan *pOld = pt_plan_find(v, p->zSql);
  if( pOld ) {
    plan_free(p);
    p = pOld;
  } else {
    p->pNext = v->pPlans;
    v->pPlans = p;
  }
  info->idxStr = sqlite3_mprintf("%s", p->zSql);
  info->needToFreeIdxStr = 1;
  info->idxNum = hasOffset; /* bit 0: OFFSET follows LIMIT in argv */
  pt_trace("xBestIndex %s: %s (rows %lld)", v->zName, p->zSql, (long long)info->estimatedRows);
  return info->idxStr ? SQLITE_OK : SQLITE_NOMEM;
}

/*
** Bind plan p to xFilter's values (the argv layout is the table above
** pt_plan_best_index): each value becomes a parameter in its column's
** kind (value.c), an IN list one array parameter of the dialect d, and the
** LIMIT cap the last parameter.  A value that cannot be compared as
** planned drops its term for this run (aDrop) and with it the cap, and
** zSql is then the SQL without them; a value that proves that no row
** matches, or a cap of 0, sets empty.  pt_bound_clear frees it all.
*/
int pt_plan_bind(pt_vtab *v, const pt_dialect *d, const pt_plan *p, int idxNum, int argc,
                 sqlite3_value **argv, pt_bound *pb) {
  int rc = SQLITE_OK, empty = 0, anyDrop = 0;
  memset(pb, 0, sizeof(*pb));
  pb->useLimit = p->iLimitArgv >= 0;
  pb->aParam = sqlite3_malloc64(sizeof(pt_param) * (p->nOp + 2));
  pb->azFree = sqlite3_malloc64(sizeof(char *) * (p->nOp + 2));
  pb->aDrop = sqlite3_malloc64(p->nOp + 1);
  if( !pb->aParam || !pb->azFree || !pb->aDrop ) {
    rc = SQLITE_NOMEM;
    goto fail;
  }
  memset(pb->aDrop, 0, p->nOp + 1);

  for( int i = 0; i < p->nOp && !empty; i++ ) {
    const pt_plan_op *o = &p->aOp[i];
    if( o->iArgv < 0 ) continue;
    if( o->iArgv >= argc ) {
      rc = SQLITE_ERROR;
      goto fail;
    }
    pt_kind k = v->pDesc->aCol[o->iCol].kind;
    sqlite3_str *b = sqlite3_str_new(0);
    int isBlob = 0, r;
    if( o->op == PT_OP_IN ) {
      /* collect the elements; values only valid until the next call */
      int nElem = 0, nAlloc = 0, drop = 0;
      pt_param *aElem = 0;
      char **azElem = 0;
      sqlite3_value *pv = 0;
      for( int rcIn = sqlite3_vtab_in_first(argv[o->iArgv], &pv); rcIn == SQLITE_OK && pv;
           rcIn = sqlite3_vtab_in_next(argv[o->iArgv], &pv) ) {
        sqlite3_str *e = sqlite3_str_new(0);
        int eBlob = 0;
        int er = pt_value_param(k, PT_OP_IN, pv, e, &eBlob);
        int n = sqlite3_str_length(e);
        char *z = sqlite3_str_finish(e);
        if( er == PT_DROP ) {
          drop = 1;
          sqlite3_free(z);
          break;
        }
        if( er == PT_EMPTY ) {
          sqlite3_free(z);
          continue;
        }
        if( er == PT_BIND_LOOSE ) anyDrop = 1; /* inexact: no cap */
        if( nElem == nAlloc ) {
          nAlloc = nAlloc ? nAlloc * 2 : 16;
          aElem = sqlite3_realloc64(aElem, sizeof(pt_param) * nAlloc);
          azElem = sqlite3_realloc64(azElem, sizeof(char *) * nAlloc);
          if( !aElem || !azElem ) {
            sqlite3_free(z);
            rc = SQLITE_NOMEM;
            break;
          }
        }
        azElem[nElem] = z;
        aElem[nElem].z = z ? z : "";
        aElem[nElem].n = n;
        aElem[nElem].kind = k;
        aElem[nElem].isBinary = eBlob;
        nElem++;
      }
      if( rc == SQLITE_OK && !drop && nElem > 0 ) { d->xArrayParam(b, k, nElem, aElem); }
      for( int j = 0; j < nElem; j++ ) sqlite3_free(azElem[j]);
      sqlite3_free(aElem);
      sqlite3_free(azElem);
      if( rc != SQLITE_OK ) {
        sqlite3_free(sqlite3_str_finish(b));
        goto fail;
      }
      r = drop ? PT_DROP : nElem == 0 ? PT_EMPTY : PT_BIND;
    } else {
      r = pt_value_param(k, o->op, argv[o->iArgv], b, &isBlob);
    }
    int n = sqlite3_str_length(b);
    char *z = sqlite3_str_finish(b);
    if( r == PT_EMPTY ) {
      sqlite3_free(z);
      empty = 1;
      break;
    }
    if( r == PT_DROP ) {
      sqlite3_free(z);
      pb->aDrop[i] = 1;
      anyDrop = 1;
      continue;
    }
    if( r == PT_BIND_LOOSE ) anyDrop = 1;
    pb->azFree[pb->nParam] = z;
    pb->aParam[pb->nParam].z = z ? z : "";
    pb->aParam[pb->nParam].n = n;
    pb->aParam[pb->nParam].kind = o->op == PT_OP_IN ? PT_K_ARRAY : k; /* an IN list is one array */
    pb->aParam[pb->nParam].isBinary = isBlob;
    pb->nParam++;
  }
  if( empty ) {
    pb->empty = 1;
    return SQLITE_OK;
  }
  if( anyDrop ) pb->useLimit = 0;
  if( pb->useLimit ) {
    sqlite3_int64 nLim = sqlite3_value_int64(argv[p->iLimitArgv]);
    sqlite3_int64 nOff =
      (idxNum & 1) && p->iLimitArgv + 1 < argc ? sqlite3_value_int64(argv[p->iLimitArgv + 1]) : 0;
    if( nOff < 0 ) nOff = 0;
    if( nLim < 0 ) {
      pb->useLimit = 0;
    } else {
      snprintf(pb->zCap, sizeof pb->zCap, "%lld", (long long)(nLim + nOff));
      pb->azFree[pb->nParam] = 0;
      pb->aParam[pb->nParam].z = pb->zCap;
      pb->aParam[pb->nParam].n = (int)strlen(pb->zCap);
      pb->aParam[pb->nParam].kind = PT_K_INT;
      pb->aParam[pb->nParam].isBinary = 0;
      pb->nParam++;
      pb->nCap = nLim + nOff;
      if( pb->nCap == 0 ) {
        pb->empty = 1;
        return SQLITE_OK;
      }
    }
  }
  if( anyDrop || (p->iLimitArgv >= 0 && !pb->useLimit) ) {
    pb->zSql = pt_plan_sql(v, p, pb->aDrop, pb->useLimit);
    if( !pb->zSql ) {
      rc = SQLITE_NOMEM;
      goto fail;
    }
  }
  return SQLITE_OK;

fail:
  pt_bound_clear(pb);
  return rc;
}

void pt_bound_clear(pt_bound *pb) {
  if( pb->azFree )
    for( int j = 0; j < pb->nParam; j++ ) sqlite3_free(pb->azFree[j]);
  sqlite3_free(pb->aParam);
  sqlite3_free(pb->azFree);
  sqlite3_free(pb->aDrop);
  sqlite3_free(pb->zSql);
  memset(pb, 0, sizeof(*pb));
}
