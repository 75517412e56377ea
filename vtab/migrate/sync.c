/*
** sync.c — pontoon_sync: apply the changes pontoon_capture recorded on the
** source to the target, idempotently, in batches (DESIGN §5.4,
** docs/sync.md).
**
**   SELECT * FROM pontoon_sync('old.users', 'new.users', 'batch=1000');
**   applied inserted updated deleted pending lag_seconds
**   1000    12       980     8       2417    3.2
**
** One batch: read up to `batch` change rows of the table from the source's
** change table (oldest seq first), take each changed key once, read the
** source rows of those keys as they are now (one query per group of keys),
** and in one target transaction upsert the rows found (a multi-row upsert
** per group) and delete the keys the source no longer has,
** write the batch's ledger row, and commit.  Then delete exactly the
** change rows read, by seq.  A change whose transaction commits late, with
** a smaller seq than one already applied, is not among the rows read, so
** it stays for the next batch; nothing is consumed by a seq watermark.  A
** batch applied twice (killed after the target's COMMIT, before the
** change rows were deleted) converges: the source row is read again as it
** is now.
**
** Two syncs of one job serialize on the job's ledger row (the first
** statement of each target transaction updates it), so that the later
** transaction, which commits later, has also read the source later.
**
** Rationale: pontoon_sync writes to servers, so it is SQLITE_DIRECTONLY,
** and refuses to run inside a SQLite transaction, since it commits per
** batch.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include "migrate.h"

#define SYNC_DEFAULT_BATCH 1000
#define SYNC_GROUP_PARAMS 5000 /* key parameters per statement, at most */
#define SYNC_DELETE_GROUP 10000 /* change rows deleted per statement */
#define SYNC_UPSERT_PARAMS 30000 /* parameters of a multi-row upsert, at most */

typedef struct sync_job {
  sqlite3 *db;
  pt_end src, dst;
  pt_capture_info ci;
  int nCol; /* the columns written: every source column */
  int *aSrcCol, *aDstCol;
  pt_kind *aSrcKind, *aDstKind;
  int nKey; /* the source's key columns */
  int *aKeyPos; /* their positions among the written columns */
  pt_kind *aSrcKeyKind, *aDstKeyKind;
  char **azDstKey; /* the target's key columns, quoted */
  char *zJob, *zDstTable, *zSrcTable;
  int batch, untilEmpty, progress, doSwitch;
  double maxSeconds;
  pt_stmt readChanges, pending, upsert;
  /* the multi-row upsert of a remote target (upsert_rows_setup): the text
  ** around its rows, and the statement of upRows rows; zUpHead NULL: one
  ** statement per row */
  char *zUpHead, *zUpTail;
  int upRows;
  pt_stmt upsertMany;
  pt_param *aUpParam;
  sqlite3_stmt *pJson; /* json_each over a change row's key */
  char zWorker[96];
  double t0;
  /* this call */
  int nBatch; /* batches done */
  int ledgerReady; /* the target's ledger exists, its table sync_batch too */
  int stop;
  /* the last batch */
  int64_t applied, inserted, updated, deleted, pending_;
  double lag;
  int lagRead; /* lag was read once: it is the queue's age between batches */
} sync_job;

static double now_seconds(void) {
  struct timeval tv;
  gettimeofday(&tv, 0);
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static pt_param param_of(const char *z, int n, pt_kind k) {
  pt_param p;
  p.z = z;
  p.n = z ? (n < 0 ? (int)strlen(z) : n) : 0;
  p.kind = k;
  p.isBinary = 0;
  return p;
}

/* ---- a batch's keys and rows ---- */

/* One changed key: its values decoded from the change row's JSON array. */
typedef struct sync_key {
  char **az; /* nKey values (NULL: JSON null) */
  int *an;
} sync_key;

/* Rows read from the source, encoded in the target columns' text forms. */
typedef struct sync_rows {
  pt_buf buf;
  int nRow, nAlloc;
  int64_t *aOff; /* nRow * nCol offsets into buf, -1 for NULL */
  int *aLen;
  unsigned char *aBlob;
  char **azKey; /* each row's key, canonical (sync_canon) */
  unsigned char *aExists; /* the target has the key */
} sync_rows;

static void rows_reset(sync_rows *r) {
  for( int i = 0; i < r->nRow; i++ ) sqlite3_free(r->azKey[i]);
  r->nRow = 0;
  r->buf.n = 0;
}

static void rows_free(sync_rows *r) {
  rows_reset(r);
  pt_buf_free(&r->buf);
  sqlite3_free(r->aOff);
  sqlite3_free(r->aLen);
  sqlite3_free(r->aBlob);
  sqlite3_free(r->azKey);
  sqlite3_free(r->aExists);
  memset(r, 0, sizeof(*r));
}

/* Append value texts as one canonical string: each as its length, ':' and
** its bytes, so that no two lists of values share it. */
static void canon_append(sqlite3_str *s, const char *z, int n) {
  if( !z )
    sqlite3_str_appendall(s, "N;");
  else {
    sqlite3_str_appendf(s, "%d:", n);
    sqlite3_str_append(s, z, n);
  }
}

/* The parameter of column i of row r. */
static pt_param rows_param(sync_job *j, sync_rows *r, int iRow, int i) {
  size_t k = (size_t)iRow * j->nCol + i;
  pt_param p;
  p.kind = j->aDstKind[i];
  p.isBinary = r->aBlob[k];
  if( r->aOff[k] < 0 ) {
    p.z = 0;
    p.n = 0;
  } else {
    p.z = r->buf.z + r->aOff[k];
    p.n = r->aLen[k];
  }
  return p;
}

/* Encode the current source row of q into r. */
static int rows_add(sync_job *j, sync_rows *r, pt_end_rows *q, char **pzErr) {
  int nCol = j->nCol;
  if( r->nRow == r->nAlloc ) {
    int n = r->nAlloc ? r->nAlloc * 2 : 256;
    int64_t *aOff = sqlite3_realloc64(r->aOff, sizeof(int64_t) * n * nCol);
    if( aOff ) r->aOff = aOff;
    int *aLen = sqlite3_realloc64(r->aLen, sizeof(int) * n * nCol);
    if( aLen ) r->aLen = aLen;
    unsigned char *aBlob = sqlite3_realloc64(r->aBlob, (size_t)n * nCol);
    if( aBlob ) r->aBlob = aBlob;
    char **az = sqlite3_realloc64(r->azKey, sizeof(char *) * n);
    if( az ) r->azKey = az;
    unsigned char *aEx = sqlite3_realloc64(r->aExists, n);
    if( aEx ) r->aExists = aEx;
    if( !aOff || !aLen || !aBlob || !az || !aEx ) return SQLITE_NOMEM;
    r->nAlloc = n;
  }
  size_t base = (size_t)r->nRow * nCol;
  for( int i = 0; i < nCol; i++ ) {
    pt_value v;
    pt_end_rows_column(q, i, &v);
    int isBlob = 0;
    char *zErr = 0;
    size_t off = r->buf.n;
    int t = pt_value_write_pv(j->aDstKind[i], &v, &r->buf, &isBlob, &zErr);
    if( t < 0 ) {
      *pzErr = sqlite3_mprintf("column %s: %s", j->src.azCol[j->aSrcCol[i]], zErr);
      sqlite3_free(zErr);
      return SQLITE_ERROR;
    }
    r->aOff[base + i] = t == PT_V_NULL ? -1 : (int64_t)off;
    r->aLen[base + i] = (int)(r->buf.n - off);
    r->aBlob[base + i] = (unsigned char)isBlob;
    pt_buf_char(&r->buf, 0);
  }
  if( r->buf.oom ) {
    r->buf.oom = 0;
    return SQLITE_NOMEM;
  }
  r->azKey[r->nRow] = 0;
  r->aExists[r->nRow] = 0;
  r->nRow++;
  return SQLITE_OK;
}

/* The canonical keys of the rows in r (after every row is in: buf moves). */
static int rows_keys(sync_job *j, sync_rows *r) {
  for( int i = 0; i < r->nRow; i++ ) {
    sqlite3_str *s = sqlite3_str_new(0);
    for( int k = 0; k < j->nKey; k++ ) {
      pt_param p = rows_param(j, r, i, j->aKeyPos[k]);
      canon_append(s, p.z, p.n);
    }
    r->azKey[i] = sqlite3_str_finish(s);
    if( !r->azKey[i] ) return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* ---- SQL ---- */

/*
** Append the condition that matches keys [iFirst, iFirst + n): "k IN
** ($a, $b, ...)" for a one-column key, "(k1 = $a AND k2 = $b) OR ..."
** otherwise; parameters numbered from iParam + 1.
*/
static void append_keys(pt_sql *q, const pt_dialect *d, char **azQuoted, const pt_kind *aKind,
                        int nKey, int n, int iParam) {
  sqlite3_str *s = q->pStr;
  if( nKey == 1 ) {
    sqlite3_str_appendf(s, "%s IN (", azQuoted[0]);
    for( int i = 0; i < n; i++ ) {
      if( i ) sqlite3_str_appendall(s, ", ");
      d->xParamExpr(q, aKind[0], iParam + 1 + i);
    }
    sqlite3_str_appendchar(s, 1, ')');
    return;
  }
  sqlite3_str_appendchar(s, 1, '(');
  for( int i = 0; i < n; i++ ) {
    sqlite3_str_appendall(s, i ? " OR (" : "(");
    for( int k = 0; k < nKey; k++ ) {
      sqlite3_str_appendf(s, "%s%s = ", k ? " AND " : "", azQuoted[k]);
      d->xParamExpr(q, aKind[k], iParam + 1 + i * nKey + k);
    }
    sqlite3_str_appendchar(s, 1, ')');
  }
  sqlite3_str_appendchar(s, 1, ')');
}

/* ---- the multi-row upsert ---- */

/* Append z to s with the stand-in names of upsert_rows_setup replaced by
** the target's table and columns; 1 if z had no other stand-in. */
static int upsert_unmask(sync_job *j, sqlite3_str *s, const char *z, int n, char **azCol) {
  const char *zEnd = z + n;
  while( z < zEnd ) {
    const char *p = memchr(z, '\001', zEnd - z);
    if( !p ) {
      sqlite3_str_append(s, z, (int)(zEnd - z));
      break;
    }
    sqlite3_str_append(s, z, (int)(p - z));
    const char *q = memchr(p, '\002', zEnd - p);
    if( !q ) return 0;
    if( q - p == 2 && p[1] == 'T' ) {
      sqlite3_str_appendall(s, j->zDstTable);
    } else if( q - p > 2 && p[1] == 'C' ) {
      int i = atoi(p + 2);
      if( i < 0 || i >= j->nCol ) return 0;
      sqlite3_str_appendall(s, azCol[i]);
    } else {
      return 0;
    }
    z = q + 1;
  }
  return 1;
}

/* The statement upserting nRow rows: the dialect's own one-row upsert
** with nRow rows of parameters in its VALUES. */
static int upsert_rows_stmt(sync_job *j, int nRow, pt_stmt *pOut) {
  pt_sql q;
  pt_end_sql(&j->dst, &q);
  sqlite3_str_appendall(q.pStr, j->zUpHead);
  for( int r = 0; r < nRow; r++ ) {
    sqlite3_str_appendall(q.pStr, r ? ", (" : "(");
    for( int c = 0; c < j->nCol; c++ ) pt_sqlf(&q, "%s%P", c ? ", " : "", r * j->nCol + c + 1);
    sqlite3_str_appendchar(q.pStr, 1, ')');
  }
  sqlite3_str_appendall(q.pStr, j->zUpTail);
  return pt_sql_finish(&q, pOut);
}

/*
** Prepare the multi-row upsert of a remote target.  The dialect writes a
** one-row upsert (xUpsert) of stand-in names, which cannot occur in its
** own text; its VALUES row must be exactly the parameters $1..$nCol in
** order, as pt_sqlf places them, else the sync keeps to one statement per
** row.  The text before and after that row, the stand-ins replaced by the
** quoted names, frames any number of rows: INSERT ... VALUES (...), (...)
** ON CONFLICT ... DO UPDATE (PostgreSQL), ON DUPLICATE KEY UPDATE (MySQL).
*/
static int upsert_rows_setup(sync_job *j, char **azCol) {
  if( !j->dst.pTab ) return SQLITE_OK; /* a local table: one INSERT OR REPLACE per row */
  int nCol = j->nCol, rc = SQLITE_OK;
  char **azMask = sqlite3_malloc64(sizeof(char *) * (nCol + 1));
  if( !azMask ) return SQLITE_NOMEM;
  memset(azMask, 0, sizeof(char *) * (nCol + 1));
  for( int i = 0; i < nCol && rc == SQLITE_OK; i++ ) {
    azMask[i] = sqlite3_mprintf("\001C%d\002", i);
    if( !azMask[i] ) rc = SQLITE_NOMEM;
  }
  pt_stmt one, row;
  memset(&one, 0, sizeof(one));
  memset(&row, 0, sizeof(row));
  pt_sql q;
  if( rc == SQLITE_OK ) {
    pt_end_sql(&j->dst, &q);
    j->dst.pDialect->xUpsert(&q, "\001T\002", nCol, (const char *const *)azMask, j->aDstKind,
                             j->nKey, j->aKeyPos, SQLITE_REPLACE);
    rc = pt_sql_finish(&q, &one);
  }
  if( rc == SQLITE_OK ) {
    pt_end_sql(&j->dst, &q);
    sqlite3_str_appendall(q.pStr, "VALUES (");
    for( int c = 0; c < nCol; c++ ) pt_sqlf(&q, "%s%P", c ? ", " : "", c + 1);
    sqlite3_str_appendchar(q.pStr, 1, ')');
    rc = pt_sql_finish(&q, &row);
  }
  if( rc == SQLITE_OK ) {
    const char *zAt = strstr(one.zSql, row.zSql);
    int ok = zAt && !strstr(zAt + 1, row.zSql) && one.nMark == row.nMark;
    int iAt = ok ? (int)(zAt - one.zSql) : 0, nRow = (int)strlen(row.zSql);
    for( int i = 0; ok && i < one.nMark; i++ ) {
      ok = one.aMark[i].iParam == row.aMark[i].iParam &&
        one.aMark[i].iOffset == iAt + row.aMark[i].iOffset;
    }
    if( ok ) {
      sqlite3_str *a = sqlite3_str_new(0), *b = sqlite3_str_new(0);
      ok = upsert_unmask(j, a, one.zSql, iAt + 7, azCol); /* through "VALUES " */
      if( ok ) ok = upsert_unmask(j, b, zAt + nRow, (int)strlen(zAt + nRow), azCol);
      j->zUpHead = sqlite3_str_finish(a);
      j->zUpTail = sqlite3_str_finish(b);
      if( !j->zUpHead || !j->zUpTail ) rc = SQLITE_NOMEM;
      j->upRows = SYNC_UPSERT_PARAMS / nCol;
      if( j->upRows < 1 ) j->upRows = 1;
      if( rc == SQLITE_OK && ok ) {
        j->aUpParam = sqlite3_malloc64(sizeof(pt_param) * ((size_t)j->upRows * nCol + 1));
        rc = j->aUpParam ? upsert_rows_stmt(j, j->upRows, &j->upsertMany) : SQLITE_NOMEM;
      }
      if( rc != SQLITE_OK || !ok ) {
        sqlite3_free(j->zUpHead);
        sqlite3_free(j->zUpTail);
        j->zUpHead = j->zUpTail = 0;
      }
    }
  }
  pt_stmt_clear(&one);
  pt_stmt_clear(&row);
  for( int i = 0; i < nCol; i++ ) sqlite3_free(azMask[i]);
  sqlite3_free(azMask);
  return rc;
}

/* ---- the job ---- */

static void job_free(sync_job *j) {
  if( !j ) return;
  pt_end_close(&j->src);
  pt_end_close(&j->dst);
  pt_capture_info_clear(&j->ci);
  sqlite3_free(j->aSrcCol);
  sqlite3_free(j->aDstCol);
  sqlite3_free(j->aSrcKind);
  sqlite3_free(j->aDstKind);
  sqlite3_free(j->aKeyPos);
  sqlite3_free(j->aSrcKeyKind);
  sqlite3_free(j->aDstKeyKind);
  for( int i = 0; j->azDstKey && i < j->nKey; i++ ) sqlite3_free(j->azDstKey[i]);
  sqlite3_free(j->azDstKey);
  sqlite3_free(j->zJob);
  sqlite3_free(j->zDstTable);
  sqlite3_free(j->zSrcTable);
  pt_stmt_clear(&j->readChanges);
  pt_stmt_clear(&j->pending);
  pt_stmt_clear(&j->upsert);
  pt_stmt_clear(&j->upsertMany);
  sqlite3_free(j->zUpHead);
  sqlite3_free(j->zUpTail);
  sqlite3_free(j->aUpParam);
  sqlite3_finalize(j->pJson);
  sqlite3_free(j);
}

static const char *const azSyncOption[] = { "batch",  "until", "max_seconds", "progress", "job",
                                            "switch", 0 };

/* Set up job j: the ends, the columns, the options, the statements.
** Everything refusable is refused here, before anything is written. */
static int job_setup(sync_job *j, pt_registry *r, const char *zSrc, const char *zDst,
                     const char *zOpts, char **pzErr) {
  pt_opts o;
  int rc = pt_opts_parse(zOpts, "pontoon_sync", azSyncOption, &o, pzErr);
  if( rc != SQLITE_OK ) return rc;
  char *zErr = 0;
  rc = pt_end_open_pair(j->db, r, "pontoon_sync", zSrc, zDst, &j->src, &j->dst, pzErr);
  if( rc != SQLITE_OK ) goto done;
  rc = pt_capture_info_init(&j->src, &j->ci, "pontoon_sync", pzErr);
  if( rc != SQLITE_OK ) goto done;
  rc = SQLITE_ERROR;
  if( j->dst.pTab && !j->dst.pDialect->xUpsert ) {
    *pzErr = sqlite3_mprintf("pontoon_sync: the target %s's server cannot upsert", zDst);
    goto done;
  }
  /* the columns: every source column, by name in the target */
  int n = j->src.nCol;
  j->aSrcCol = sqlite3_malloc64(sizeof(int) * (n + 1));
  j->aDstCol = sqlite3_malloc64(sizeof(int) * (n + 1));
  j->aSrcKind = sqlite3_malloc64(sizeof(pt_kind) * (n + 1));
  j->aDstKind = sqlite3_malloc64(sizeof(pt_kind) * (n + 1));
  j->nKey = j->src.nKey;
  j->aKeyPos = sqlite3_malloc64(sizeof(int) * (j->nKey + 1));
  j->aSrcKeyKind = sqlite3_malloc64(sizeof(pt_kind) * (j->nKey + 1));
  j->aDstKeyKind = sqlite3_malloc64(sizeof(pt_kind) * (j->nKey + 1));
  j->azDstKey = sqlite3_malloc64(sizeof(char *) * (j->nKey + 1));
  if( !j->aSrcCol || !j->aDstCol || !j->aSrcKind || !j->aDstKind || !j->aKeyPos ||
      !j->aSrcKeyKind || !j->aDstKeyKind || !j->azDstKey ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  memset(j->azDstKey, 0, sizeof(char *) * (j->nKey + 1));
  for( int i = 0; i < n; i++ ) {
    int d = pt_end_find_col(&j->dst, j->src.azCol[i]);
    if( d < 0 ) {
      *pzErr = sqlite3_mprintf("pontoon_sync: the target %s has no column %s (the source %s "
                               "has it)",
                               zDst, j->src.azCol[i], zSrc);
      goto done;
    }
    j->aSrcCol[j->nCol] = i;
    j->aDstCol[j->nCol] = d;
    j->aSrcKind[j->nCol] = j->src.aKind[i];
    j->aDstKind[j->nCol] = j->dst.aKind[d];
    j->nCol++;
  }
  for( int k = 0; k < j->nKey; k++ ) {
    j->aKeyPos[k] = j->src.aKey[k]; /* every column is written, in the source's order */
    j->aSrcKeyKind[k] = j->src.aKind[j->src.aKey[k]];
    j->aDstKeyKind[k] = j->aDstKind[j->aKeyPos[k]];
    j->azDstKey[k] = pt_end_ident(&j->dst, j->dst.azCol[j->aDstCol[j->aKeyPos[k]]]);
    if( !j->azDstKey[k] ) {
      rc = SQLITE_NOMEM;
      goto done;
    }
  }
  /* the options */
  int64_t v = SYNC_DEFAULT_BATCH;
  if( pt_opts_int(&o, "batch", 1, 100000, &v, "pontoon_sync", pzErr) ) goto done;
  j->batch = (int)v;
  v = 0;
  if( pt_opts_int(&o, "max_seconds", 0, 1000000000, &v, "pontoon_sync", pzErr) ) goto done;
  j->maxSeconds = (double)v;
  v = -1;
  if( pt_opts_int(&o, "progress", 0, 1, &v, "pontoon_sync", pzErr) ) goto done;
  j->progress = v < 0 ? isatty(2) : (int)v;
  v = 0;
  if( pt_opts_int(&o, "switch", 0, 1, &v, "pontoon_sync", pzErr) ) goto done;
  j->doSwitch = (int)v;
  const char *zUntil = pt_opts_get(&o, "until");
  if( zUntil && strcmp(zUntil, "caught_up") != 0 && strcmp(zUntil, "empty") != 0 ) {
    *pzErr = sqlite3_mprintf("pontoon_sync: until=%s: expected caught_up or empty", zUntil);
    goto done;
  }
  j->untilEmpty = zUntil && strcmp(zUntil, "empty") == 0;
  const char *zJob = pt_opts_get(&o, "job");
  j->zJob = zJob ? pt_strdup(zJob) : sqlite3_mprintf("%s -> %s", zSrc, zDst);
  j->zDstTable = pt_end_table_sql(&j->dst);
  j->zSrcTable = pt_end_table_sql(&j->src);
  if( !j->zJob || !j->zDstTable || !j->zSrcTable ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  /* the statements used by every batch */
  pt_sql q;
  pt_end_sql(&j->src, &q);
  pt_sqlf(&q, "SELECT seq, k FROM %s WHERE tbl = %P ORDER BY seq", j->ci.zChanges, 1);
  if( j->src.pDialect->xLimit ) {
    sqlite3_str_appendchar(q.pStr, 1, ' ');
    j->src.pDialect->xLimit(&q, 2);
  }
  if( (rc = pt_sql_finish(&q, &j->readChanges)) != SQLITE_OK ) goto done;
  pt_end_sql(&j->src, &q);
  pt_sqlf(&q, "SELECT count(*), ");
  j->src.pDialect->xCaptureTriggers(q.pStr, PT_CAPTURE_LAG, &j->ci.c, 0);
  pt_sqlf(&q, " FROM %s WHERE tbl = %P", j->ci.zChanges, 1);
  if( (rc = pt_sql_finish(&q, &j->pending)) != SQLITE_OK ) goto done;
  {
    char **azCol = sqlite3_malloc64(sizeof(char *) * (j->nCol + 1));
    if( !azCol ) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    memset(azCol, 0, sizeof(char *) * (j->nCol + 1));
    for( int i = 0; i < j->nCol; i++ )
      azCol[i] = pt_end_ident(&j->dst, j->dst.azCol[j->aDstCol[i]]);
    pt_end_sql(&j->dst, &q);
    j->dst.pDialect->xUpsert(&q, j->zDstTable, j->nCol, (const char *const *)azCol, j->aDstKind,
                             j->nKey, j->aKeyPos, SQLITE_REPLACE);
    rc = pt_sql_finish(&q, &j->upsert);
    if( rc == SQLITE_OK ) rc = upsert_rows_setup(j, azCol);
    for( int i = 0; i < j->nCol; i++ ) sqlite3_free(azCol[i]);
    sqlite3_free(azCol);
    if( rc != SQLITE_OK ) goto done;
  }
  rc = sqlite3_prepare_v2(j->db, "SELECT type, value FROM json_each(?1) ORDER BY key", -1,
                          &j->pJson, 0);
  if( rc != SQLITE_OK ) {
    *pzErr = sqlite3_mprintf("pontoon_sync: %s", sqlite3_errmsg(j->db));
    goto done;
  }
  pt_ledger_worker(j->zWorker, sizeof j->zWorker);
  rc = SQLITE_OK;
done:
  sqlite3_free(zErr);
  pt_opts_clear(&o);
  return rc;
}

/* Decode change key zJson (a JSON array of nKey values) into k. */
static int key_decode(sync_job *j, const char *zJson, sync_key *k) {
  k->az = sqlite3_malloc64(sizeof(char *) * j->nKey);
  k->an = sqlite3_malloc64(sizeof(int) * j->nKey);
  if( !k->az || !k->an ) return SQLITE_NOMEM;
  memset(k->az, 0, sizeof(char *) * j->nKey);
  sqlite3_bind_text(j->pJson, 1, zJson, -1, SQLITE_STATIC);
  int i = 0, rc = SQLITE_OK;
  while( sqlite3_step(j->pJson) == SQLITE_ROW ) {
    if( i >= j->nKey ) {
      rc = SQLITE_ERROR;
      break;
    }
    if( sqlite3_column_type(j->pJson, 1) != SQLITE_NULL ) {
      const char *z = (const char *)sqlite3_column_text(j->pJson, 1);
      k->an[i] = sqlite3_column_bytes(j->pJson, 1);
      k->az[i] = pt_strndup(z ? z : "", k->an[i]);
      if( !k->az[i] ) rc = SQLITE_NOMEM;
    }
    i++;
  }
  sqlite3_reset(j->pJson);
  sqlite3_clear_bindings(j->pJson);
  if( rc == SQLITE_OK && i != j->nKey ) rc = SQLITE_ERROR;
  return rc;
}

static void key_clear(sync_job *j, sync_key *k) {
  for( int i = 0; k->az && i < j->nKey; i++ ) sqlite3_free(k->az[i]);
  sqlite3_free(k->az);
  sqlite3_free(k->an);
  k->az = 0;
  k->an = 0;
}

typedef struct key_ref {
  char *z;
  int i;
} key_ref;
static int cmp_ref(const void *a, const void *b) {
  return strcmp(((const key_ref *)a)->z, ((const key_ref *)b)->z);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run a statement on end e with aParam[nParam]; *pn: rows changed.  The
** message is prefixed with zWhat. */
static int exec_on(pt_end *e, pt_sql *q, int nParam, const pt_param *aParam, int64_t *pn,
                   const char *zWhat, char **pzErr) {
  pt_stmt st;
  char *zErr = 0;
  int rc = pt_sql_finish(q, &st);
  if( rc == SQLITE_OK ) rc = pt_end_exec(e, &st, nParam, aParam, pn, &zErr);
  if( rc != SQLITE_OK && rc != SQLITE_NOMEM ) *pzErr = pt_end_error(e, zWhat, zErr);
  pt_stmt_clear(&st);
  return rc;
}

/*
** The keys among aKey[n] whose canonical text is not the key of a row in
** r (their indexes into aGone, *pnGone of them): the keys the source no
** longer has, and any key whose text differs from its row's (another
** spelling the source's equality matched), which the target's DELETE then
** decides.
*/
static int keys_not_found(sync_job *j, sync_key *aKey, int n, sync_rows *r, int *aGone,
                          int *pnGone) {
  char **az = sqlite3_malloc64(sizeof(char *) * ((size_t)r->nRow + 1));
  if( !az ) return SQLITE_NOMEM;
  if( r->nRow > 0 ) {
    memcpy(az, r->azKey, sizeof(char *) * r->nRow);
    qsort(az, r->nRow, sizeof(char *), cmp_str);
  }
  int rc = SQLITE_OK;
  *pnGone = 0;
  for( int i = 0; i < n && rc == SQLITE_OK; i++ ) {
    sqlite3_str *s = sqlite3_str_new(0);
    for( int k = 0; k < j->nKey; k++ ) canon_append(s, aKey[i].az[k], aKey[i].an[k]);
    char *z = sqlite3_str_finish(s);
    if( !z ) {
      rc = SQLITE_NOMEM;
      break;
    }
    if( !bsearch(&z, az, r->nRow, sizeof(char *), cmp_str) ) aGone[(*pnGone)++] = i;
    sqlite3_free(z);
  }
  sqlite3_free(az);
  return rc;
}

/*
** Apply the changed keys aKey[nKey] in groups, inside the target's open
** transaction: read the source rows of a group, find which of them the
** target has, delete the group's keys the source no longer has, upsert
** the rows.
*/
static int apply_keys(sync_job *j, sync_key *aKey, int nKeys, char **pzErr) {
  int nk = j->nKey;
  int G = SYNC_GROUP_PARAMS / nk;
  if( G < 1 ) G = 1;
  sync_rows rows;
  memset(&rows, 0, sizeof(rows));
  pt_param *aP = sqlite3_malloc64(sizeof(pt_param) * (2 * (size_t)G * nk + j->nCol + 1));
  char **azSrcKey = sqlite3_malloc64(sizeof(char *) * (nk + 1));
  int *aGone = sqlite3_malloc64(sizeof(int) * ((size_t)G + 1));
  int rc = aP && azSrcKey && aGone ? SQLITE_OK : SQLITE_NOMEM;
  for( int k = 0; rc == SQLITE_OK && k < nk; k++ ) {
    azSrcKey[k] = pt_end_ident(&j->src, j->src.azCol[j->src.aKey[k]]);
    if( !azSrcKey[k] ) rc = SQLITE_NOMEM;
  }
  for( int g0 = 0; rc == SQLITE_OK && g0 < nKeys; g0 += G ) {
    int n = nKeys - g0 < G ? nKeys - g0 : G;
    rows_reset(&rows);
    /* 1. the source rows of these keys, as they are now */
    pt_sql q;
    pt_end_sql(&j->src, &q);
    sqlite3_str_appendall(q.pStr, "SELECT ");
    for( int i = 0; i < j->nCol; i++ ) {
      char *zq = pt_end_ident(&j->src, j->src.azCol[j->aSrcCol[i]]);
      if( i ) sqlite3_str_appendall(q.pStr, ", ");
      j->src.pDialect->xSelectExpr(q.pStr, zq ? zq : "", j->aSrcKind[i],
                                   pt_end_read_flags(&j->src));
      sqlite3_free(zq);
    }
    sqlite3_str_appendf(q.pStr, " FROM %s WHERE ", j->zSrcTable);
    append_keys(&q, j->src.pDialect, azSrcKey, j->aSrcKeyKind, nk, n, 0);
    for( int i = 0; i < n; i++ )
      for( int k = 0; k < nk; k++ )
        aP[i * nk + k] = param_of(aKey[g0 + i].az[k], aKey[g0 + i].an[k], j->aSrcKeyKind[k]);
    pt_stmt st;
    rc = pt_sql_finish(&q, &st);
    pt_end_rows *r = 0;
    char *zErr = 0;
    if( rc == SQLITE_OK )
      rc = pt_end_query(&j->src, &st, n * nk, aP, j->nCol, j->aSrcKind, &r, &zErr);
    pt_stmt_clear(&st);
    if( rc == SQLITE_OK ) {
      while( (rc = pt_end_rows_next(r, &zErr)) == SQLITE_ROW ) {
        rc = rows_add(j, &rows, r, pzErr);
        if( rc != SQLITE_OK ) break;
      }
      if( rc == SQLITE_DONE ) rc = SQLITE_OK;
      pt_end_rows_close(r);
    }
    if( rc != SQLITE_OK ) {
      if( !*pzErr )
        *pzErr = pt_end_error(&j->src, "reading the changed rows", zErr);
      else
        sqlite3_free(zErr);
      break;
    }
    rc = rows_keys(j, &rows);
    if( rc != SQLITE_OK ) break;
    /* 2. which of them the target has (for the counts) */
    if( rows.nRow > 0 ) {
      pt_end_sql(&j->dst, &q);
      sqlite3_str_appendall(q.pStr, "SELECT ");
      for( int k = 0; k < nk; k++ ) {
        if( k ) sqlite3_str_appendall(q.pStr, ", ");
        j->dst.pDialect->xSelectExpr(q.pStr, j->azDstKey[k], j->aDstKeyKind[k],
                                     pt_end_read_flags(&j->dst));
      }
      sqlite3_str_appendf(q.pStr, " FROM %s WHERE ", j->zDstTable);
      append_keys(&q, j->dst.pDialect, j->azDstKey, j->aDstKeyKind, nk, rows.nRow, 0);
      for( int i = 0; i < rows.nRow; i++ )
        for( int k = 0; k < nk; k++ ) aP[i * nk + k] = rows_param(j, &rows, i, j->aKeyPos[k]);
      rc = pt_sql_finish(&q, &st);
      if( rc == SQLITE_OK )
        rc = pt_end_query(&j->dst, &st, rows.nRow * nk, aP, nk, j->aDstKeyKind, &r, &zErr);
      pt_stmt_clear(&st);
      if( rc == SQLITE_OK ) {
        pt_buf b;
        memset(&b, 0, sizeof(b));
        /* the rows' keys, sorted, for lookups */
        key_ref *aRef = sqlite3_malloc64(sizeof(key_ref) * rows.nRow);
        if( !aRef ) rc = SQLITE_NOMEM;
        for( int i = 0; rc == SQLITE_OK && i < rows.nRow; i++ ) {
          aRef[i].z = rows.azKey[i];
          aRef[i].i = i;
        }
        if( rc == SQLITE_OK ) qsort(aRef, rows.nRow, sizeof(key_ref), cmp_ref);
        while( rc == SQLITE_OK && (rc = pt_end_rows_next(r, &zErr)) == SQLITE_ROW ) {
          sqlite3_str *s = sqlite3_str_new(0);
          rc = SQLITE_OK;
          for( int k = 0; k < nk && rc == SQLITE_OK; k++ ) {
            pt_value v;
            pt_end_rows_column(r, k, &v);
            int isBlob = 0;
            char *zE = 0;
            b.n = 0;
            int t = pt_value_write_pv(j->aDstKeyKind[k], &v, &b, &isBlob, &zE);
            sqlite3_free(zE);
            if( b.oom ) rc = SQLITE_NOMEM;
            canon_append(s, t == PT_V_NULL ? 0 : b.z ? b.z : "", (int)b.n);
          }
          key_ref want;
          want.z = sqlite3_str_finish(s);
          want.i = 0;
          if( !want.z ) rc = SQLITE_NOMEM;
          if( rc == SQLITE_OK ) {
            key_ref *pHit = bsearch(&want, aRef, rows.nRow, sizeof(key_ref), cmp_ref);
            if( pHit ) rows.aExists[pHit->i] = 1;
          }
          sqlite3_free(want.z);
        }
        sqlite3_free(aRef);
        if( rc == SQLITE_DONE ) rc = SQLITE_OK;
        pt_end_rows_close(r);
        pt_buf_free(&b);
      }
      if( rc != SQLITE_OK ) {
        if( rc != SQLITE_NOMEM )
          *pzErr = pt_end_error(&j->dst, "reading its keys", zErr);
        else
          sqlite3_free(zErr);
        break;
      }
    }
    /* 3. delete the keys of the group the source no longer has: those
    ** keys among the group's whose text is not exactly a found row's key
    ** (the same text is the same parameter: the condition below cannot
    ** match such a key's row), unless the target has a found row's key
    ** (its server's own equality decides, as on the source) */
    int nGone = 0;
    rc = keys_not_found(j, &aKey[g0], n, &rows, aGone, &nGone);
    if( rc != SQLITE_OK ) break;
    if( nGone > 0 ) {
      pt_end_sql(&j->dst, &q);
      sqlite3_str_appendf(q.pStr, "DELETE FROM %s WHERE ", j->zDstTable);
      append_keys(&q, j->dst.pDialect, j->azDstKey, j->aDstKeyKind, nk, nGone, 0);
      for( int i = 0; i < nGone; i++ )
        for( int k = 0; k < nk; k++ ) {
          sync_key *pk = &aKey[g0 + aGone[i]];
          aP[i * nk + k] = param_of(pk->az[k], pk->an[k], j->aDstKeyKind[k]);
        }
      if( rows.nRow > 0 ) {
        sqlite3_str_appendall(q.pStr, " AND NOT ");
        append_keys(&q, j->dst.pDialect, j->azDstKey, j->aDstKeyKind, nk, rows.nRow, nGone * nk);
        for( int i = 0; i < rows.nRow; i++ )
          for( int k = 0; k < nk; k++ )
            aP[nGone * nk + i * nk + k] = rows_param(j, &rows, i, j->aKeyPos[k]);
      }
      int64_t nDel = 0;
      rc =
        exec_on(&j->dst, &q, (nGone + rows.nRow) * nk, aP, &nDel, "deleting the rows gone", pzErr);
      if( rc != SQLITE_OK ) break;
      j->deleted += nDel;
    }
    /* 4. upsert the rows: upRows to a statement, or one by one */
    for( int r0 = 0; j->zUpHead && rc == SQLITE_OK && r0 < rows.nRow; r0 += j->upRows ) {
      int nr = rows.nRow - r0 < j->upRows ? rows.nRow - r0 : j->upRows;
      pt_stmt part;
      memset(&part, 0, sizeof(part));
      if( nr < j->upRows ) rc = upsert_rows_stmt(j, nr, &part);
      for( int i = 0; i < nr; i++ )
        for( int c = 0; c < j->nCol; c++ )
          j->aUpParam[i * j->nCol + c] = rows_param(j, &rows, r0 + i, c);
      if( rc == SQLITE_OK ) {
        rc = pt_end_exec(&j->dst, nr < j->upRows ? &part : &j->upsertMany, nr * j->nCol,
                         j->aUpParam, 0, &zErr);
        if( rc != SQLITE_OK ) {
          *pzErr = pt_end_error(&j->dst, "writing the changed rows", zErr);
          zErr = 0;
        }
      }
      pt_stmt_clear(&part);
      for( int i = 0; rc == SQLITE_OK && i < nr; i++ ) {
        if( rows.aExists[r0 + i] )
          j->updated++;
        else
          j->inserted++;
      }
    }
    for( int i = 0; !j->zUpHead && rc == SQLITE_OK && i < rows.nRow; i++ ) {
      for( int c = 0; c < j->nCol; c++ ) aP[c] = rows_param(j, &rows, i, c);
      rc = pt_end_exec(&j->dst, &j->upsert, j->nCol, aP, 0, &zErr);
      if( rc != SQLITE_OK ) {
        *pzErr = pt_end_error(&j->dst, "writing a changed row", zErr);
        zErr = 0;
      } else if( rows.aExists[i] ) {
        j->updated++;
      } else {
        j->inserted++;
      }
    }
  }
  for( int k = 0; azSrcKey && k < nk; k++ ) sqlite3_free(azSrcKey[k]);
  sqlite3_free(azSrcKey);
  sqlite3_free(aP);
  sqlite3_free(aGone);
  rows_free(&rows);
  return rc;
}

/*
** Lock the job's ledger row for this batch (the first statement of the
** target's transaction), creating the ledger and the row when missing.
*/
static int job_lock(sync_job *j, char **pzErr) {
  pt_end *dst = &j->dst;
  char zNow[40];
  pt_ledger_now(zNow);
  for( int attempt = 0;; attempt++ ) {
    char *zErr = 0;
    int rc = pt_end_begin(dst, &zErr);
    if( rc != SQLITE_OK ) {
      *pzErr = pt_end_error(dst, "BEGIN", zErr);
      return rc;
    }
    pt_param a[2] = { param_of(zNow, -1, PT_K_TIMESTAMP), param_of(j->zJob, -1, PT_K_TEXT) };
    int64_t n = 0;
    rc = pt_ledger_exec(dst, "job", "UPDATE %s SET updated = %1 WHERE job = %2", 2, a, &n, &zErr);
    if( rc == SQLITE_OK && n == 0 ) {
      /* the job's first sync: its row */
      char *zT = pt_ledger_name(dst, "job");
      pt_sql q;
      pt_end_sql(dst, &q);
      static const char *const azJobCol[] = { "job",   "kind",    "src",    "dst",
                                              "state", "started", "updated" };
      static const pt_kind aJobKind[] = { PT_K_TEXT, PT_K_TEXT,      PT_K_TEXT,     PT_K_TEXT,
                                          PT_K_TEXT, PT_K_TIMESTAMP, PT_K_TIMESTAMP };
      static const int aJobKey[] = { 0 };
      dst->pDialect->xUpsert(&q, zT ? zT : "", 7, azJobCol, aJobKind, 1, aJobKey, SQLITE_IGNORE);
      sqlite3_free(zT);
      pt_param b[7] = {
        param_of(j->zJob, -1, PT_K_TEXT),       param_of("sync", -1, PT_K_TEXT),
        param_of(j->src.zLabel, -1, PT_K_TEXT), param_of(j->dst.zLabel, -1, PT_K_TEXT),
        param_of("syncing", -1, PT_K_TEXT),     param_of(zNow, -1, PT_K_TIMESTAMP),
        param_of(zNow, -1, PT_K_TIMESTAMP)
      };
      pt_stmt st;
      rc = pt_sql_finish(&q, &st);
      if( rc == SQLITE_OK ) rc = pt_end_exec(dst, &st, 7, b, 0, &zErr);
      pt_stmt_clear(&st);
      if( rc == SQLITE_OK )
        rc =
          pt_ledger_exec(dst, "job", "UPDATE %s SET updated = %1 WHERE job = %2", 2, a, &n, &zErr);
    }
    if( rc == SQLITE_OK ) return SQLITE_OK;
    pt_end_rollback(dst);
    if( attempt > 0 ) {
      *pzErr = pt_end_error(dst, "writing the ledger", zErr);
      return rc;
    }
    /* no ledger yet: create it, and try again */
    sqlite3_free(zErr);
    zErr = 0;
    rc = pt_ledger_create(dst, &zErr);
    if( rc != SQLITE_OK ) {
      *pzErr = pt_end_error(dst, "ledger", zErr);
      return rc;
    }
  }
}

/* The queue's length and age for this table, after a batch. */
static int read_pending(sync_job *j, char **pzErr) {
  static const pt_kind aKind[] = { PT_K_INT, PT_K_DECIMAL };
  pt_param p = param_of(j->ci.zLabel, -1, PT_K_TEXT);
  pt_end_rows *r = 0;
  char *zErr = 0;
  int rc = pt_end_query_few(&j->src, &j->pending, 1, &p, 2, aKind, &r, &zErr);
  if( rc == SQLITE_OK && (rc = pt_end_rows_next(r, &zErr)) == SQLITE_ROW ) {
    pt_value v;
    pt_end_rows_column(r, 0, &v);
    j->pending_ = pt_value_int(&v);
    pt_end_rows_column(r, 1, &v);
    j->lag = pt_value_real(&v);
    rc = SQLITE_OK;
  } else if( rc == SQLITE_DONE ) {
    rc = SQLITE_OK;
  }
  pt_end_rows_close(r);
  if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->src, "reading its change table", zErr);
  return rc;
}

/*
** One batch (above).  *pnRead: change rows read (0: the queue had nothing
** committed for the table).
*/
static int sync_batch(sync_job *j, int *pnRead, char **pzErr) {
  double t0 = now_seconds();
  j->applied = j->inserted = j->updated = j->deleted = 0;
  *pnRead = 0;
  /* the change rows, oldest first */
  char zLimit[24];
  snprintf(zLimit, sizeof zLimit, "%d", j->batch);
  pt_param a[2] = { param_of(j->ci.zLabel, -1, PT_K_TEXT), param_of(zLimit, -1, PT_K_INT) };
  static const pt_kind aKind[] = { PT_K_INT, PT_K_TEXT };
  pt_end_rows *r = 0;
  char *zErr = 0;
  int nChange = 0, nAlloc = 0;
  int64_t *aSeq = 0;
  char **azK = 0;
  int rc =
    pt_end_query(&j->src, &j->readChanges, j->src.pDialect->xLimit ? 2 : 1, a, 2, aKind, &r, &zErr);
  if( rc == SQLITE_OK ) {
    while( nChange < j->batch && (rc = pt_end_rows_next(r, &zErr)) == SQLITE_ROW ) {
      rc = SQLITE_OK;
      if( nChange == nAlloc ) {
        nAlloc = nAlloc ? nAlloc * 2 : 256;
        int64_t *as = sqlite3_realloc64(aSeq, sizeof(int64_t) * nAlloc);
        if( as ) aSeq = as;
        char **az = sqlite3_realloc64(azK, sizeof(char *) * nAlloc);
        if( az ) azK = az;
        if( !as || !az ) {
          rc = SQLITE_NOMEM;
          break;
        }
      }
      pt_value v;
      pt_end_rows_column(r, 0, &v);
      aSeq[nChange] = pt_value_int(&v);
      pt_end_rows_column(r, 1, &v);
      azK[nChange] = pt_strndup(v.p ? v.p : "", v.n);
      if( !azK[nChange] ) {
        rc = SQLITE_NOMEM;
        break;
      }
      nChange++;
    }
    if( rc == SQLITE_DONE || rc == SQLITE_ROW ) rc = SQLITE_OK;
    pt_end_rows_close(r);
  }
  if( rc != SQLITE_OK ) {
    if( rc != SQLITE_NOMEM ) {
      char *zWhat = sqlite3_mprintf("reading its change table (is it captured? "
                                    "SELECT pontoon_capture('%s'))",
                                    j->src.zLabel);
      *pzErr = pt_end_error(&j->src, zWhat ? zWhat : "reading its change table", zErr);
      sqlite3_free(zWhat);
    } else {
      sqlite3_free(zErr);
    }
    goto done;
  }
  *pnRead = nChange;
  if( nChange == 0 ) {
    j->pending_ = 0;
    j->lag = 0;
    goto done;
  }
  /* the queue's age as this batch begins (the ledger's lag_seconds): read
  ** before the first batch, then as the batch before left it */
  if( !j->lagRead ) {
    rc = read_pending(j, pzErr);
    if( rc != SQLITE_OK ) goto done;
    j->lagRead = 1;
  }
  double lagStart = j->lag;
  /* each changed key once */
  char **azSorted = sqlite3_malloc64(sizeof(char *) * nChange);
  if( !azSorted ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  memcpy(azSorted, azK, sizeof(char *) * nChange);
  qsort(azSorted, nChange, sizeof(char *), cmp_str);
  int nKeys = 0;
  sync_key *aKey = sqlite3_malloc64(sizeof(sync_key) * nChange);
  if( !aKey ) rc = SQLITE_NOMEM;
  for( int i = 0; rc == SQLITE_OK && i < nChange; i++ ) {
    if( i > 0 && strcmp(azSorted[i], azSorted[i - 1]) == 0 ) continue;
    memset(&aKey[nKeys], 0, sizeof(sync_key));
    rc = key_decode(j, azSorted[i], &aKey[nKeys]);
    nKeys++;
    if( rc == SQLITE_ERROR )
      *pzErr = sqlite3_mprintf("pontoon_sync: a change row of %s holds the key %s, which is not "
                               "an array of %d values",
                               j->ci.zLabel, azSorted[i], j->nKey);
  }
  sqlite3_free(azSorted);
  /* the ledger, once per call, before any transaction */
  if( rc == SQLITE_OK && !j->ledgerReady ) {
    char *zErr = 0;
    rc = pt_ledger_create_sync(&j->dst, &zErr);
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->dst, "ledger", zErr);
    j->ledgerReady = rc == SQLITE_OK;
  }
  /* the target's transaction: the job's row first, then the rows */
  if( rc == SQLITE_OK ) rc = job_lock(j, pzErr);
  if( rc == SQLITE_OK ) rc = apply_keys(j, aKey, nKeys, pzErr);
  for( int i = 0; aKey && i < nKeys; i++ ) key_clear(j, &aKey[i]);
  sqlite3_free(aKey);
  j->applied = nChange;
  if( rc == SQLITE_OK ) {
    /* the batch's ledger row, and the job's state */
    char zNow[40];
    pt_ledger_now(zNow);
    char zN[6][24];
    int64_t av[6] = { j->applied, j->inserted, j->updated, j->deleted, aSeq[0], aSeq[0] };
    for( int i = 0; i < nChange; i++ ) {
      if( aSeq[i] < av[4] ) av[4] = aSeq[i];
      if( aSeq[i] > av[5] ) av[5] = aSeq[i];
    }
    for( int i = 0; i < 6; i++ ) snprintf(zN[i], sizeof zN[i], "%lld", (long long)av[i]);
    char zSec[32];
    snprintf(zSec, sizeof zSec, "%.6f", now_seconds() - t0);
    char zLag[32];
    snprintf(zLag, sizeof zLag, "%.6f", lagStart);
    pt_param b[11] = { param_of(j->zJob, -1, PT_K_TEXT), param_of(zN[0], -1, PT_K_INT),
                       param_of(zN[1], -1, PT_K_INT),    param_of(zN[2], -1, PT_K_INT),
                       param_of(zN[3], -1, PT_K_INT),    param_of(zN[4], -1, PT_K_INT),
                       param_of(zN[5], -1, PT_K_INT),    param_of(zNow, -1, PT_K_TIMESTAMP),
                       param_of(zSec, -1, PT_K_REAL),    param_of(j->zWorker, -1, PT_K_TEXT),
                       param_of(zLag, -1, PT_K_REAL) };
    char *zT = pt_ledger_name(&j->dst, "sync_batch");
    pt_sql q;
    pt_end_sql(&j->dst, &q);
    pt_ledger_sqlf(&q,
                   "INSERT INTO %s (job, batch, applied, inserted, updated, deleted, first_seq, "
                   "last_seq, finished, seconds, worker, lag_seconds) SELECT %1, "
                   "coalesce(max(batch), 0) + 1, %2, %3, %4, %5, %6, %7, %8, %9, ",
                   zT);
    pt_sql_place(&q, 10, 0);
    sqlite3_str_appendall(q.pStr, ", ");
    pt_sql_place(&q, 11, 0);
    pt_ledger_sqlf(&q, " FROM %s WHERE job = %1", zT);
    sqlite3_free(zT);
    rc = exec_on(&j->dst, &q, 11, b, 0, "writing the ledger", pzErr);
    if( rc == SQLITE_OK ) {
      pt_param c[2] = { param_of(zNow, -1, PT_K_TIMESTAMP), param_of(j->zJob, -1, PT_K_TEXT) };
      rc = pt_ledger_exec(&j->dst, "job",
                          "UPDATE %s SET state = 'syncing', updated = %1 WHERE job = %2 "
                          "AND state IN ('copied', 'verified')",
                          2, c, 0, &zErr);
      if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->dst, "writing the ledger", zErr);
      zErr = 0;
    }
    if( rc == SQLITE_OK ) {
      rc = pt_end_commit(&j->dst, &zErr);
      if( rc != SQLITE_OK ) *pzErr = pt_end_error(&j->dst, "COMMIT", zErr);
      zErr = 0;
    }
  }
  if( rc != SQLITE_OK ) {
    pt_end_rollback(&j->dst);
    goto done;
  }
  /* the target committed: delete exactly the change rows read */
  /* The seqs are written as integer literals (int64 values read from the
  ** change table), by the dialect, which knows how its engine looks them
  ** up without waiting on the rows open transactions are inserting. */
  for( int g0 = 0; rc == SQLITE_OK && g0 < nChange; g0 += SYNC_DELETE_GROUP ) {
    pt_capture c = j->ci.c;
    c.nSeq = nChange - g0 < SYNC_DELETE_GROUP ? nChange - g0 : SYNC_DELETE_GROUP;
    c.aSeq = &aSeq[g0];
    sqlite3_str *b = sqlite3_str_new(0);
    j->src.pDialect->xCaptureTriggers(b, PT_CAPTURE_DELETE, &c, 0);
    char *zDel = sqlite3_str_finish(b);
    char *zErr = 0;
    rc = zDel ? pt_end_exec_text(&j->src, zDel, &zErr) : SQLITE_NOMEM;
    if( rc != SQLITE_OK && rc != SQLITE_NOMEM )
      *pzErr = pt_end_error(&j->src, "deleting the change rows applied", zErr);
    sqlite3_free(zDel);
  }
  if( rc == SQLITE_OK ) rc = read_pending(j, pzErr);
done:
  for( int i = 0; i < nChange; i++ ) sqlite3_free(azK[i]);
  sqlite3_free(azK);
  sqlite3_free(aSeq);
  return rc;
}

/* At the end of a call with switch=1: the job becomes 'switched' when it
** is frozen and its queue is empty. */
static int job_switch(sync_job *j, char **pzErr) {
  if( j->pending_ > 0 ) {
    *pzErr = sqlite3_mprintf("pontoon_sync: switch=1: %lld changes of %s are still queued; run "
                             "it again until the queue is empty",
                             (long long)j->pending_, j->ci.zLabel);
    return SQLITE_ERROR;
  }
  char zNow[40];
  pt_ledger_now(zNow);
  pt_param a[2] = { param_of(zNow, -1, PT_K_TIMESTAMP), param_of(j->zJob, -1, PT_K_TEXT) };
  int64_t n = 0;
  char *zErr = 0;
  int rc = pt_ledger_exec(&j->dst, "job",
                          "UPDATE %s SET state = 'switched', updated = %1 WHERE job = %2 AND "
                          "state IN ('frozen', 'switched')",
                          2, a, &n, &zErr);
  if( rc != SQLITE_OK ) {
    sqlite3_free(zErr);
    n = 0;
  }
  if( n == 0 ) {
    *pzErr = sqlite3_mprintf("pontoon_sync: switch=1: job '%s' is not frozen: pontoon_freeze('%s', "
                             "'%s') first, then sync until the queue is empty",
                             j->zJob, j->src.zLabel, j->dst.zLabel);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* switch=1 is refused before anything is applied unless the job is
** frozen (or switched already). */
static int switch_check(sync_job *j, char **pzErr) {
  char *zT = pt_ledger_name(&j->dst, "job");
  pt_sql q;
  pt_stmt st;
  pt_end_sql(&j->dst, &q);
  pt_ledger_sqlf(&q, "SELECT state FROM %s WHERE job = %1", zT);
  sqlite3_free(zT);
  static const pt_kind aKind[] = { PT_K_TEXT };
  pt_param p = param_of(j->zJob, -1, PT_K_TEXT);
  pt_end_rows *r = 0;
  char *zErr = 0;
  int ok = 0;
  if( pt_sql_finish(&q, &st) == SQLITE_OK ) {
    if( pt_end_query_few(&j->dst, &st, 1, &p, 1, aKind, &r, &zErr) == SQLITE_OK ) {
      if( pt_end_rows_next(r, &zErr) == SQLITE_ROW ) {
        pt_value v;
        pt_end_rows_column(r, 0, &v);
        ok = v.p &&
          ((v.n == 6 && memcmp(v.p, "frozen", 6) == 0) ||
           (v.n == 8 && memcmp(v.p, "switched", 8) == 0));
      }
      pt_end_rows_close(r);
    }
    pt_stmt_clear(&st);
  }
  sqlite3_free(zErr);
  if( ok ) return SQLITE_OK;
  *pzErr = sqlite3_mprintf("pontoon_sync: switch=1: job '%s' is not frozen: pontoon_freeze('%s', "
                           "'%s') first, then sync until the queue is empty",
                           j->zJob, j->src.zLabel, j->dst.zLabel);
  return SQLITE_ERROR;
}

/* ---- the table-valued function ---- */

enum { COL_APPLIED, COL_INSERTED, COL_UPDATED, COL_DELETED, COL_PENDING, COL_LAG, COL_SRC };

typedef struct sync_cursor {
  sqlite3_vtab_cursor base;
  sync_job *pJob;
  int eof;
  int64_t iRow;
} sync_cursor;

static int syncConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  return pt_tvf_connect(db, pAux,
                        "CREATE TABLE x(applied INTEGER, inserted INTEGER, "
                        "updated INTEGER, deleted INTEGER, pending INTEGER, "
                        "lag_seconds REAL, src HIDDEN, dst HIDDEN, options HIDDEN)",
                        ppVtab);
}

/* src, dst, options: idxNum bit 1, 2, 4 */
static int syncBestIndex(sqlite3_vtab *p, sqlite3_index_info *info) {
  (void)p;
  return pt_tvf_best_index(info, COL_SRC, 3);
}

static int syncOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **pp) {
  (void)p;
  sync_cursor *c = sqlite3_malloc(sizeof(*c));
  if( !c ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *pp = &c->base;
  return SQLITE_OK;
}

static int syncClose(sqlite3_vtab_cursor *cur) {
  sync_cursor *c = (sync_cursor *)cur;
  job_free(c->pJob);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int cursor_error(sync_cursor *c, char *zMsg) { return pt_tvf_error(&c->base, zMsg); }

static void draw_progress(sync_job *j, int final) {
  if( !j->progress ) return;
  fprintf(stderr, "\r%s: %d batches, %lld pending, lag %.1f s\033[K%s", j->zJob, j->nBatch,
          (long long)j->pending_, j->lag, final ? "\n" : "");
}

/*
** The next batch: one output row per batch that applied changes; a call
** whose first batch finds the queue empty returns one row of zeros.  The
** call ends when a batch reads fewer than batch= rows (until=caught_up),
** when a batch finds nothing committed (until=empty), or after max_seconds=.
*/
static int syncNext(sqlite3_vtab_cursor *cur) {
  sync_cursor *c = (sync_cursor *)cur;
  sync_job *j = c->pJob;
  c->iRow++;
  while( 1 ) {
    if( !j || j->stop ) {
      if( j && j->doSwitch && j->stop == 1 ) {
        char *zErr = 0;
        j->stop = 2;
        if( job_switch(j, &zErr) != SQLITE_OK ) return cursor_error(c, zErr);
      }
      if( j ) draw_progress(j, 1);
      c->eof = 1;
      return SQLITE_OK;
    }
    int nRead = 0;
    char *zErr = 0;
    int rc = sync_batch(j, &nRead, &zErr);
    if( rc != SQLITE_OK ) {
      if( j->progress ) fputc('\n', stderr);
      return cursor_error(c, zErr ? zErr : sqlite3_mprintf("pontoon_sync: %s", sqlite3_errstr(rc)));
    }
    int timeUp = j->maxSeconds > 0 && now_seconds() - j->t0 >= j->maxSeconds;
    if( nRead == 0 ) {
      j->stop = 1;
      if( c->iRow == 1 ) return SQLITE_OK; /* the one row of an empty queue */
      continue;
    }
    j->nBatch++;
    draw_progress(j, 0);
    if( timeUp || (!j->untilEmpty && nRead < j->batch) || (j->untilEmpty && j->pending_ == 0) )
      j->stop = 1;
    return SQLITE_OK;
  }
}

static int syncFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  (void)idxStr;
  sync_cursor *c = (sync_cursor *)cur;
  pt_tvf_vtab *v = (pt_tvf_vtab *)cur->pVtab;
  job_free(c->pJob);
  c->pJob = 0;
  c->eof = 0;
  c->iRow = 0;
  const char *az[3];
  pt_tvf_args(idxNum, argc, argv, 3, az);
  if( !az[0] || !az[1] ) {
    return cursor_error(c,
                        sqlite3_mprintf("pontoon_sync(src, dst [, options]): name the source "
                                        "and the target tables"));
  }
  if( !sqlite3_get_autocommit(v->db) ) {
    return cursor_error(c,
                        sqlite3_mprintf("pontoon_sync commits each batch as it goes, so it "
                                        "cannot run inside a transaction: COMMIT first"));
  }
  sync_job *j = sqlite3_malloc(sizeof(*j));
  if( !j ) return SQLITE_NOMEM;
  memset(j, 0, sizeof(*j));
  j->db = v->db;
  c->pJob = j;
  char *zErr = 0;
  int rc = job_setup(j, v->pReg, az[0], az[1], az[2], &zErr);
  if( rc == SQLITE_OK ) rc = pt_end_connect(&j->src, &zErr);
  if( rc == SQLITE_OK ) rc = pt_end_connect(&j->dst, &zErr);
  if( rc != SQLITE_OK )
    return cursor_error(c, zErr ? zErr : sqlite3_mprintf("pontoon_sync: %s", sqlite3_errstr(rc)));
  if( j->doSwitch && (rc = switch_check(j, &zErr)) != SQLITE_OK ) return cursor_error(c, zErr);
  j->t0 = now_seconds();
  return syncNext(cur);
}

static int syncEof(sqlite3_vtab_cursor *cur) { return ((sync_cursor *)cur)->eof; }

static int syncColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  sync_job *j = ((sync_cursor *)cur)->pJob;
  switch( i ) {
    case COL_APPLIED: sqlite3_result_int64(ctx, j->applied); break;
    case COL_INSERTED: sqlite3_result_int64(ctx, j->inserted); break;
    case COL_UPDATED: sqlite3_result_int64(ctx, j->updated); break;
    case COL_DELETED: sqlite3_result_int64(ctx, j->deleted); break;
    case COL_PENDING: sqlite3_result_int64(ctx, j->pending_); break;
    case COL_LAG: sqlite3_result_double(ctx, j->lag); break;
    default: break;
  }
  return SQLITE_OK;
}

static int syncRowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *p) {
  *p = ((sync_cursor *)cur)->iRow;
  return SQLITE_OK;
}

static sqlite3_module syncModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,
  /* xConnect    */ syncConnect,
  /* xBestIndex  */ syncBestIndex,
  /* xDisconnect */ pt_tvf_disconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ syncOpen,
  /* xClose      */ syncClose,
  /* xFilter     */ syncFilter,
  /* xNext       */ syncNext,
  /* xEof        */ syncEof,
  /* xColumn     */ syncColumn,
  /* xRowid      */ syncRowid,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0
};

int pt_sync_register(sqlite3 *db, pt_registry *reg) {
  return sqlite3_create_module_v2(db, "pontoon_sync", &syncModule, reg, 0);
}
