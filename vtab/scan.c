/*
** scan.c — a remote read as an object: a SELECT and its parameters become
** rows, streamed, or read in keyset pages.
**
**   pt_scan *sc;
**   pt_scan_open(s, 0, 0, &stmt, nParam, aParam, nSel, aKind, 0, &sc, &zErr);
**   while( pt_scan_next(sc, &zErr) == SQLITE_ROW ) pt_scan_column(sc, 0, &val);
**   pt_scan_close(sc);
**
** A keyset scan (pt_scan_open_pages) reads a keyed table a page at a time,
** in key order: the first page is the query with ORDER BY key LIMIT n, each
** later one adds "key > the last key read" (composite keys expanded as
** (k1 > $a) OR (k1 = $a AND k2 > $b) ...), so no OFFSET is ever used and a
** page costs the same wherever it is.  Any key whose columns the server
** orders and compares exactly as SQLite does (the dialect says so: integers,
** text in binary collation, blobs) can be paged.  The virtual-table cursor
** pages for drivers that cannot stream a result; copy, diff and sync will
** read their chunks the same way.
**
** A scan counts itself in its server's nCursor while its remote cursor is
** open, and gives the connection back as soon as the last row is read.
** Which connection serves it is conn.c's choice (pt_server_cursor).
*/
#include <stdio.h>
#include <string.h>
#include "pontoon.h"

struct pt_scan {
  pt_server *pServer;
  pt_vtab *pTab; /* the table paged (keyset scans) */
  int readOnly; /* on the read-only connection (query= tables) */
  pt_cursor *pCur; /* the remote cursor, or NULL */
  pt_conn *pConn; /* the connection conn.c gave it */
  int holdsServer; /* counted in pServer->nCursor */
  int nSel;
  pt_kind *aKind; /* the select list's kinds */
  int nFetch;
  /* keyset pages */
  int nPage; /* rows per page; 0 when streaming */
  int nInPage; /* rows read from the current page */
  int *aKeyPos; /* select-list position of each key column */
  pt_stmt pageStmt; /* the statement of the pages after the first */
  int nQParam; /* the query's own parameters, copied */
  pt_param *aQParam; /* nQParam + nKey + 1 slots */
  pt_buf keyBuf; /* the last row's key values, and the page size */
};

/* Open the remote cursor of pSt (isFirst: the scan's first) on the
** connection conn.c chooses. */
static int open_cursor(pt_scan *sc, int isFirst, const pt_stmt *pSt, int nParam,
                       const pt_param *aParam, char **pzErr) {
  pt_server *s = sc->pServer;
  int rc;
  pt_stmt locked;
  memset(&locked, 0, sizeof(locked));
  if( sc->pTab ) {
    rc = pt_deparse_locked(sc->pTab, s, pSt, &locked);
    if( rc == SQLITE_NOMEM ) return rc;
    if( rc == SQLITE_OK ) pSt = &locked;
  }
  pt_trace("scan: %s", pSt->zSql);
  rc = pt_server_cursor(s, sc->readOnly, isFirst, pSt, nParam, aParam, sc->nSel ? sc->nSel : 1,
                        sc->aKind, sc->nFetch, &sc->pCur, &sc->pConn, pzErr);
  pt_stmt_clear(&locked);
  if( rc != SQLITE_OK ) {
    sc->pCur = 0;
    return rc;
  }
  if( !sc->holdsServer ) {
    s->nCursor++;
    sc->holdsServer = 1;
  }
  return SQLITE_OK;
}

/* Close the remote cursor and give the server back. */
static void release(pt_scan *sc) {
  if( sc->pCur ) {
    sc->pServer->pDriver->xClose(sc->pCur);
    sc->pCur = 0;
    pt_server_cursor_done(sc->pServer, sc->readOnly, sc->pConn);
    sc->pConn = 0;
  }
  if( sc->holdsServer ) {
    sc->pServer->nCursor--;
    sc->holdsServer = 0;
    pt_server_check(sc->pServer);
  }
}

static pt_scan *scan_new(pt_server *s, int readOnly, int nSel, const pt_kind *aKind, int nFetch) {
  pt_scan *sc = sqlite3_malloc(sizeof(*sc));
  if( !sc ) return 0;
  memset(sc, 0, sizeof(*sc));
  sc->pServer = s;
  sc->readOnly = readOnly;
  sc->nSel = nSel;
  sc->nFetch = nFetch;
  sc->aKind = sqlite3_malloc64(sizeof(pt_kind) * (nSel + 1));
  if( !sc->aKind ) {
    sqlite3_free(sc);
    return 0;
  }
  if( nSel )
    memcpy(sc->aKind, aKind, sizeof(pt_kind) * nSel);
  else
    sc->aKind[0] = PT_K_INT; /* SELECT 1 */
  return sc;
}

/*
** Stream the rows of pSt (parameters aParam[nParam]) from server s, on
** its read-only connection when readOnly.  nSel columns of kinds aKind;
** nFetch as xOpen's.  pTab, when not NULL, is the table read: a read on
** the connection of a write transaction then locks its rows (xLockRows).
** On error *pzErr is the driver's message, not prefixed.
*/
int pt_scan_open(pt_server *s, pt_vtab *pTab, int readOnly, const pt_stmt *pSt, int nParam,
                 const pt_param *aParam, int nSel, const pt_kind *aKind, int nFetch,
                 pt_scan **ppScan, char **pzErr) {
  *ppScan = 0;
  pt_scan *sc = scan_new(s, readOnly, nSel, aKind, nFetch);
  if( !sc ) return SQLITE_NOMEM;
  sc->pTab = pTab;
  int rc = open_cursor(sc, 1, pSt, nParam, aParam, pzErr);
  if( rc != SQLITE_OK ) {
    pt_scan_close(sc);
    return rc;
  }
  *ppScan = sc;
  return SQLITE_OK;
}

/*
** 1 if table v can be read in keyset pages by dialect d: it has a key, and
** the server compares and orders every key column exactly as SQLite does.
*/
int pt_scan_can_page(pt_vtab *v, const pt_dialect *d) {
  if( v->nKey == 0 || !d->xLimit ) return 0;
  for( int j = 0; j < v->nKey; j++ ) {
    pt_kind k = v->pDesc->aCol[v->aKey[j]].kind;
    if( d->xPushable(k, SQLITE_INDEX_CONSTRAINT_GT, "BINARY") != PT_PUSH_EXACT ||
        d->xPushable(k, SQLITE_INDEX_CONSTRAINT_EQ, "BINARY") != PT_PUSH_EXACT ||
        !d->xOrderable(k) )
      return 0;
  }
  return 1;
}

/* Set parameter slot *p to value val of kind k, its bytes kept in b (the
** parameters point into b: fixed up by the caller after b stops growing). */
static void key_param(pt_buf *b, pt_param *p, pt_kind k, const pt_value *val) {
  size_t off = b->n;
  p->kind = k;
  p->isBinary = 0;
  switch( val->type ) {
    case PT_V_INT: pt_buf_int(b, (long long)val->i); break;
    case PT_V_REAL: {
      char buf[40];
      pt_buf_append(b, buf, (size_t)snprintf(buf, sizeof buf, "%.17g", val->r));
      break;
    }
    case PT_V_BLOB: p->isBinary = 1; /* fall through */
    default: pt_buf_append(b, val->p, (size_t)val->n); break;
  }
  p->n = (int)(b->n - off);
  p->z = (const char *)(uintptr_t)off; /* an offset until the fix-up */
  pt_buf_char(b, 0);
}

/* Keep the current row's key values as the parameters of the next page. */
static void remember_key(pt_scan *sc) {
  pt_vtab *v = sc->pTab;
  pt_param *a = sc->aQParam + sc->nQParam;
  sc->keyBuf.n = 0;
  for( int j = 0; j < v->nKey; j++ ) {
    pt_value val;
    memset(&val, 0, sizeof(val));
    sc->pServer->pDriver->xColumn(sc->pCur, sc->aKeyPos[j], &val);
    key_param(&sc->keyBuf, &a[j], v->pDesc->aCol[v->aKey[j]].kind, &val);
  }
  pt_value page = { .type = PT_V_INT, .i = sc->nPage };
  key_param(&sc->keyBuf, &a[v->nKey], PT_K_INT, &page);
}

/* Open the page after the last key read. */
static int next_page(pt_scan *sc, char **pzErr) {
  pt_vtab *v = sc->pTab;
  int n = sc->nQParam + v->nKey + 1;
  release(sc);
  if( sc->keyBuf.oom ) return SQLITE_NOMEM;
  for( int i = sc->nQParam; i < n; i++ ) {
    sc->aQParam[i].z = sc->keyBuf.z + (uintptr_t)sc->aQParam[i].z;
  }
  int rc = pt_server_flush(sc->pServer, pzErr);
  if( rc == SQLITE_OK ) rc = open_cursor(sc, 0, &sc->pageStmt, n, sc->aQParam, pzErr);
  sc->nInPage = 0;
  return rc;
}

/*
** Read plan p of table v in keyset pages of nPage rows: the query's own
** parameters aParam[nParam] (copied), the select list's nSel kinds, and
** where each key column stands in it (aKeyPos).  pt_scan_can_page(v) must
** hold.
*/
int pt_scan_open_pages(pt_server *s, pt_vtab *v, const pt_plan *p, const unsigned char *aDrop,
                       int nParam, const pt_param *aParam, int nSel, const pt_kind *aKind,
                       const int *aKeyPos, int nPage, pt_scan **ppScan, char **pzErr) {
  *ppScan = 0;
  pt_scan *sc = scan_new(s, v->zQuery != 0, nSel, aKind, v->nFetch);
  if( !sc ) return SQLITE_NOMEM;
  sc->pTab = v;
  sc->nPage = nPage;
  sc->aQParam = sqlite3_malloc64(sizeof(pt_param) * (nParam + v->nKey + 1));
  sc->aKeyPos = sqlite3_malloc64(sizeof(int) * v->nKey);
  pt_stmt first;
  int rc = pt_plan_page_stmt(v, p, aDrop, 1, &sc->pageStmt);
  int rc2 = pt_plan_page_stmt(v, p, aDrop, 0, &first);
  if( !sc->aQParam || !sc->aKeyPos || rc || rc2 ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  memcpy(sc->aKeyPos, aKeyPos, sizeof(int) * v->nKey);
  for( int i = 0; i < nParam; i++ ) {
    char *z = sqlite3_malloc64((sqlite3_uint64)aParam[i].n + 1);
    if( !z ) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    if( aParam[i].n ) memcpy(z, aParam[i].z, aParam[i].n);
    z[aParam[i].n] = 0;
    sc->aQParam[i] = aParam[i];
    sc->aQParam[i].z = z;
    sc->nQParam++;
  }
  /* the first page: the query's parameters, then the page size */
  char zPage[24];
  snprintf(zPage, sizeof zPage, "%d", nPage);
  sc->aQParam[nParam] = (pt_param){ .z = zPage, .n = (int)strlen(zPage), .kind = PT_K_INT };
  rc = open_cursor(sc, 1, &first, nParam + 1, sc->aQParam, pzErr);
done:
  pt_stmt_clear(&first);
  if( rc != SQLITE_OK ) {
    pt_scan_close(sc);
    return rc;
  }
  *ppScan = sc;
  return SQLITE_OK;
}

/*
** Advance: SQLITE_ROW, SQLITE_DONE (the server is given back), or an
** error with *pzErr (the driver's message, not prefixed).
*/
int pt_scan_next(pt_scan *sc, char **pzErr) {
  if( !sc->pCur ) return SQLITE_DONE;
  int rc = sc->pServer->pDriver->xNext(sc->pCur, pzErr);
  while( rc == SQLITE_DONE && sc->nPage && sc->nInPage == sc->nPage ) {
    /* a full page: there may be more */
    if( (rc = next_page(sc, pzErr)) != SQLITE_OK ) return rc;
    rc = sc->pServer->pDriver->xNext(sc->pCur, pzErr);
  }
  if( rc == SQLITE_ROW ) {
    if( sc->nPage ) {
      sc->nInPage++;
      remember_key(sc);
    }
    return SQLITE_ROW;
  }
  release(sc);
  return rc;
}

/* The value of select-list column i of the current row. */
void pt_scan_column(pt_scan *sc, int i, pt_value *pVal) {
  sc->pServer->pDriver->xColumn(sc->pCur, i, pVal);
}

/* Close and free; NULL is a no-op. */
void pt_scan_close(pt_scan *sc) {
  if( !sc ) return;
  release(sc);
  for( int i = 0; i < sc->nQParam; i++ ) sqlite3_free((char *)sc->aQParam[i].z);
  sqlite3_free(sc->aQParam);
  sqlite3_free(sc->aKeyPos);
  pt_stmt_clear(&sc->pageStmt);
  sqlite3_free(sc->aKind);
  pt_buf_free(&sc->keyBuf);
  sqlite3_free(sc);
}
