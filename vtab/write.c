/*
** write.c — INSERT, INSERT OR REPLACE / OR IGNORE, UPDATE and DELETE of a
** remote table, called by module.c's xUpdate.
**
**   INSERT INTO users VALUES (...)         rows buffered in the driver's bulk
**                                          writer (COPY, LOAD DATA, arrays)
**   INSERT OR REPLACE INTO users ...       one upsert statement per row
**   UPDATE users SET ... WHERE id = 5      one statement per row, by key,
**   DELETE FROM users WHERE id = 5         which must match exactly one row
**
** Values become parameters here (value.c gives each its column's text
** form); deparse.c writes the statements; conn.c owns the connection, the
** remote transaction and the flush points of buffered rows.
*/
#include <stdint.h>
#include <string.h>
#include "pontoon.h"

/* Turn argv values into parameters for columns aCol[n], their text kept in
** pBuf (reset first; the parameters point into it until its next use, each
** followed by a NUL byte that n does not count).  On
** error returns SQLITE_ERROR with the table's message set. */
static int params_from(pt_vtab *v, int n, const int *aCol, sqlite3_value **aVal, pt_param *aParam,
                       pt_buf *pBuf) {
  pBuf->n = 0;
  for( int i = 0; i < n; i++ ) {
    pt_column *col = &v->pDesc->aCol[aCol[i]];
    int isBlob = 0;
    char *zErr = 0;
    size_t off = pBuf->n;
    int t = pt_value_write(col->kind, aVal[i], pBuf, &isBlob, &zErr);
    if( t < 0 ) {
      return pt_vtab_error(v,
                           sqlite3_mprintf("pontoon: server '%s', table %s, column %s: %s",
                                           v->zServer, pt_table_label(v), col->zName, zErr));
    }
    aParam[i].z = t == PT_V_NULL ? 0 : (const char *)(uintptr_t)(off + 1); /* offset for now */
    aParam[i].n = (int)(pBuf->n - off);
    pt_buf_char(pBuf, 0); /* text parameters are C strings too */
    aParam[i].kind = col->kind;
    aParam[i].isBinary = isBlob;
  }
  if( pBuf->oom ) {
    pBuf->oom = 0;
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < n; i++ ) {
    if( aParam[i].z ) aParam[i].z = (pBuf->z ? pBuf->z : "") + ((uintptr_t)aParam[i].z - 1);
  }
  return SQLITE_OK;
}

/* Buffer one INSERT row in the table's bulk writer. */
int pt_write_insert(pt_vtab *v, pt_server *s, sqlite3_value **aVal) {
  int n = v->pDesc->nCol, rc;
  char *zErr = 0;
  pt_conn *c;
  rc = pt_server_write_conn(s, &c, &zErr);
  if( rc != SQLITE_OK )
    return pt_vtab_error(v, pt_server_error(s, pt_table_label(v), "INSERT", zErr));
  if( !v->pBulk ) {
    char *zFrom = pt_deparse_from(v);
    char **azCol = sqlite3_malloc64(sizeof(char *) * (n + 1));
    pt_kind *aKind = sqlite3_malloc64(sizeof(pt_kind) * (n + 1));
    if( !zFrom || !azCol || !aKind ) {
      sqlite3_free(zFrom);
      sqlite3_free(azCol);
      sqlite3_free(aKind);
      return SQLITE_NOMEM;
    }
    for( int i = 0; i < n; i++ ) {
      azCol[i] = pt_deparse_ident(s->pDialect, v->pDesc->aCol[i].zName);
      aKind[i] = v->pDesc->aCol[i].kind;
    }
    rc = s->pDriver->xBulkOpen(c, zFrom, n, (const char *const *)azCol, aKind, &v->pBulk, &zErr);
    for( int i = 0; i < n; i++ ) sqlite3_free(azCol[i]);
    sqlite3_free(azCol);
    sqlite3_free(aKind);
    sqlite3_free(zFrom);
    if( rc != SQLITE_OK )
      return pt_vtab_error(v, pt_server_error(s, pt_table_label(v), "INSERT", zErr));
    v->pBulkServer = s;
    v->pNextWriter = s->pWriters;
    s->pWriters = v;
  }
  if( !v->aRowParam ) {
    v->aRowParam = sqlite3_malloc64(sizeof(pt_param) * (n + 1));
    v->aAllCols = sqlite3_malloc64(sizeof(int) * (n + 1));
    if( !v->aRowParam || !v->aAllCols ) return SQLITE_NOMEM;
    for( int i = 0; i < n; i++ ) v->aAllCols[i] = i;
  }
  rc = params_from(v, n, v->aAllCols, aVal, v->aRowParam, &v->rowBuf);
  if( rc == SQLITE_OK ) {
    /* the rows buffered so far may be sent now: an error is theirs too */
    rc = s->pDriver->xBulkRow(v->pBulk, v->aRowParam, &zErr);
    if( rc != SQLITE_OK ) {
      pt_vtab_error(v, pt_server_error(s, pt_table_label(v), "INSERT", zErr));
      pt_server_discard(s);
    }
  }
  return rc;
}

/* INSERT OR REPLACE / OR IGNORE: one statement per row, resolved on the
** server by the key columns (ON CONFLICT in PostgreSQL). */
int pt_write_upsert(pt_vtab *v, pt_server *s, sqlite3_value **aVal, int mode) {
  int n = v->pDesc->nCol, rc;
  char *zErr = 0;
  const char *zWhat = mode == SQLITE_REPLACE ? "INSERT OR REPLACE" : "INSERT OR IGNORE";
  if( v->nKey == 0 ) {
    return pt_vtab_error(
      v,
      sqlite3_mprintf(
        "pontoon: table %s: %s needs a key: the remote table "
        "%s has no primary key; name the columns that identify a row with the key= option",
        v->zName, zWhat, pt_table_label(v)));
  }
  if( !s->pDialect->xUpsert ) {
    return pt_vtab_error(
      v,
      pt_server_error(
        s, pt_table_label(v), zWhat,
        sqlite3_mprintf(
          "this server has no statement that resolves a conflict on the key; use INSERT, "
          "or UPDATE the rows that exist")));
  }
  rc = pt_server_flush(s, &zErr);
  if( rc != SQLITE_OK ) return pt_vtab_error(v, zErr);
  pt_conn *c;
  rc = pt_server_write_conn(s, &c, &zErr);
  if( rc != SQLITE_OK ) return pt_vtab_error(v, pt_server_error(s, pt_table_label(v), zWhat, zErr));
  pt_param *aParam = sqlite3_malloc64(sizeof(pt_param) * (n + 1));
  int *aCol = sqlite3_malloc64(sizeof(int) * (n + 1));
  if( !aParam || !aCol ) {
    sqlite3_free(aParam);
    sqlite3_free(aCol);
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < n; i++ ) aCol[i] = i;
  rc = params_from(v, n, aCol, aVal, aParam, &v->rowBuf);
  if( rc == SQLITE_OK ) {
    pt_stmt st;
    int64_t nChanged;
    rc = pt_deparse_upsert(v, mode, &st);
    if( rc == SQLITE_OK ) rc = s->pDriver->xExec(c, &st, n, aParam, &nChanged, &zErr);
    if( rc != SQLITE_OK && rc != SQLITE_NOMEM ) {
      pt_vtab_error(v, pt_server_error(s, pt_table_label(v), zWhat, zErr));
      pt_server_check(s);
    }
    pt_stmt_clear(&st);
  }
  sqlite3_free(aParam);
  sqlite3_free(aCol);
  return rc;
}

/* UPDATE ... SET changed columns WHERE key = old key, or DELETE by key.
** argv[0] is the old key: the key column's value, or the hidden pontoon_key
** holding all of them. */
int pt_write_update(pt_vtab *v, pt_server *s, int argc, sqlite3_value **argv) {
  int n = v->pDesc->nCol;
  int isDelete = argc == 1;
  const char *zWhat = isDelete ? "DELETE" : "UPDATE";
  char *zErr = 0;
  int rc = pt_server_flush_rows(s, 0, &zErr);
  if( rc != SQLITE_OK ) return pt_vtab_error(v, zErr);
  pt_conn *c;
  rc = pt_server_write_conn(s, &c, &zErr);
  if( rc != SQLITE_OK ) return pt_vtab_error(v, pt_server_error(s, pt_table_label(v), zWhat, zErr));
  const pt_driver *d = s->pDriver;
  int nMax = n + v->nKey + 1;
  pt_param *aParam = sqlite3_malloc64(sizeof(pt_param) * nMax);
  int *aCol = sqlite3_malloc64(sizeof(int) * nMax);
  sqlite3_value **aVal = sqlite3_malloc64(sizeof(sqlite3_value *) * nMax);
  pt_kind *aKind = sqlite3_malloc64(sizeof(pt_kind) * nMax);
  int *anLen = sqlite3_malloc64(sizeof(int) * nMax);
  char **azKey = sqlite3_malloc64(sizeof(char *) * nMax);
  int nParam = 0, nKeyFree = 0, nSet = 0;
  if( !aParam || !aCol || !aVal || !aKind || !anLen || !azKey ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  if( !isDelete ) {
    for( int i = 0; i < n; i++ ) {
      if( sqlite3_value_nochange(argv[2 + i]) ) continue;
      aCol[nSet] = i;
      aVal[nSet] = argv[2 + i];
      nSet++;
    }
    if( nSet == 0 ) {
      rc = SQLITE_OK;
      goto done;
    }
  }
  /* the new values, and the old key when it is one column */
  nParam = nSet;
  if( v->nKey == 1 ) {
    aCol[nSet] = v->iKeyCol;
    aVal[nSet] = argv[0];
    nParam++;
  }
  rc = params_from(v, nParam, aCol, aVal, aParam, &v->rowBuf);
  if( rc != SQLITE_OK ) goto done;
  if( v->nKey > 1 ) {
    for( int j = 0; j < v->nKey; j++ ) aKind[j] = v->pDesc->aCol[v->aKey[j]].kind;
    if( pt_key_decode((const char *)sqlite3_value_text(argv[0]), sqlite3_value_bytes(argv[0]),
                      v->nKey, aKind, azKey, anLen) != SQLITE_OK ) {
      rc = pt_vtab_error(v, sqlite3_mprintf("pontoon: table %s: malformed pontoon_key", v->zName));
      goto done;
    }
    nKeyFree = v->nKey;
    for( int j = 0; j < v->nKey; j++ ) {
      if( !azKey[j] ) {
        rc = pt_vtab_error(v,
                           sqlite3_mprintf("pontoon: table %s: cannot address a row whose key "
                                           "column %s is NULL",
                                           v->zName, v->pDesc->aCol[v->aKey[j]].zName));
        goto done;
      }
      aParam[nParam].z = azKey[j];
      aParam[nParam].n = anLen[j];
      aParam[nParam].kind = aKind[j];
      aParam[nParam].isBinary = aKind[j] == PT_K_BLOB;
      nParam++;
    }
  }
  pt_stmt st;
  if( pt_deparse_write(v, isDelete ? -1 : nSet, aCol, &st) != SQLITE_OK ) {
    rc = SQLITE_NOMEM;
    goto done;
  }

  int64_t nChanged = 0;
  pt_trace("xUpdate %s: %s", v->zName, st.zSql);
  if( d->xExecQueued ) {
    /* sent without waiting; the result is read at the next flush point */
    rc = d->xExecQueued(c, &st, nParam, aParam, &zErr);
    if( rc == SQLITE_OK && s->nQueued++ == 0 ) {
      sqlite3_free(s->zQueuedTable);
      s->zQueuedTable = pt_strdup(pt_table_label(v));
    }
  } else {
    rc = d->xExec(c, &st, nParam, aParam, &nChanged, &zErr);
    if( rc == SQLITE_OK && nChanged >= 0 && nChanged != 1 ) {
      /* the server applied it: an enclosing transaction cannot commit now */
      zErr = pt_rows_matched_error(nChanged);
      rc = SQLITE_CONSTRAINT;
    }
  }
  pt_stmt_clear(&st);
  if( rc != SQLITE_OK ) {
    pt_vtab_error(v, pt_server_error(s, pt_table_label(v), zWhat, zErr));
    if( rc == SQLITE_CONSTRAINT ) {
      pt_server_fail(s, v->base.zErrMsg);
      rc = SQLITE_ERROR;
    }
    pt_server_check(s);
  }
done:
  for( int j = 0; j < nKeyFree; j++ ) sqlite3_free(azKey[j]);
  sqlite3_free(aParam);
  sqlite3_free(aCol);
  sqlite3_free(aVal);
  sqlite3_free(aKind);
  sqlite3_free(anLen);
  sqlite3_free(azKey);
  return rc;
}
