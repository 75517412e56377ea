/*
** copy_chunks.c — the workers of pontoon_copy: claim chunks in the
** target's ledger, copy their rows, mark them done, commit.
**
** A step claims the first chunks nobody has done (SELECT ... FOR UPDATE
** SKIP LOCKED where the engine has it) in a target transaction, copies
** them (a reader thread reading the source while the worker writes the
** target; or, PostgreSQL to PostgreSQL with the same types, binary COPY
** passed through), marks them all done in one statement and commits: rows
** and ledger entry together.  Killed before the commit, the chunks stay to
** do; after it, done.  With two target connections (copy_worker's lanes)
** the marking and the commit of one claim run on a finisher thread while
** the next claim is copied on the other connection (copy_step).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "copy.h"

#define ledger_exec pt_ledger_exec

/* ---- copying chunks ---- */

/*
** A chunk read and written at once: a reader thread reads the source's rows
** and encodes them for the target into one of two batches while this
** thread sends the other, so that the source and the target work at the
** same time, as a COPY TO | COPY FROM pipe does.  The source connection is
** the reader's alone meanwhile, the target's this thread's.
*/
#define PIPE_BATCH_ROWS 2000
/* A batch's bytes: the writer sends the last one after the reader is done,
** so a claim's end waits for it (over a link, 256 KB is 20 ms at 100
** Mbit/s; a megabyte was 80 ms at each claim's end) */
#define PIPE_BATCH_BYTES (256 << 10)
/* the first batch of a transaction: the target starts sooner */
#define PIPE_FIRST_BYTES (64 << 10)

typedef struct copy_pipe {
  copy_job *pJob;
  copy_worker *pWorker;
  pt_end_writer *pWriter;
  const claimed *aClaim; /* the chunks, read in turn */
  int nClaim;
  int iCur; /* the chunk being read */
  int64_t *aRows; /* rows read of each */
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  pt_row_batch aBatch[2];
  int aFull[2];
  int done; /* the reader has handed over its last batch */
  int stop; /* the writer failed: the reader stops */
  int rcRead;
  char *zErrRead; /* the reader's error (prefixed) */
  int raw; /* batches hold raw rows (copy_decide_raw) */
} copy_pipe;

/* The batch idx for the reader to fill, once the writer has sent it; NULL
** when the writer said stop. */
static pt_row_batch *pipe_free_batch(copy_pipe *cp, int idx) {
  pthread_mutex_lock(&cp->mutex);
  while( cp->aFull[idx] && !cp->stop ) pthread_cond_wait(&cp->cond, &cp->mutex);
  int stop = cp->stop;
  pthread_mutex_unlock(&cp->mutex);
  return stop ? 0 : &cp->aBatch[idx];
}

/* Hand batch idx to the writer; end: it is the last. */
static void pipe_hand_over(copy_pipe *cp, int idx, int rc, int end) {
  pthread_mutex_lock(&cp->mutex);
  cp->rcRead = rc;
  cp->aFull[idx] = 1;
  if( end ) cp->done = 1;
  pthread_cond_broadcast(&cp->cond);
  pthread_mutex_unlock(&cp->mutex);
}

static char *raw_sql(copy_job *j, const claimed *pFirst, const claimed *pLast);
static int raw_int_field(const char *z, int n, int iField, int64_t *pV);

/*
** The reader of a raw copy: each run of consecutive chunks read by one raw
** query (one round trip, however many chunks), its rows appended to the
** batch as they came, each counted in its chunk by its integer key
** (decoded from the binary row) when the key is one column, else each
** chunk read on its own.
*/
static void pipe_read_raw(copy_pipe *cp) {
  copy_job *j = cp->pJob;
  copy_worker *w = cp->pWorker;
  const pt_driver *d = j->src.pServer->pDriver;
  const claimed *aClaim = cp->aClaim;
  int nClaim = cp->nClaim;
  int iKeyField = -1; /* the key's position among the copied columns */
  if( j->src.nKey == 1 ) {
    for( int i = 0; i < j->nCol; i++ )
      if( j->aSrcCol[i] == j->src.aKey[0] ) iKeyField = i;
  }
  int idx = 0, rc = SQLITE_OK, nBatch = 0;
  pt_row_batch *b = pipe_free_batch(cp, idx);
  for( int c = 0; b && rc == SQLITE_OK && c < nClaim; ) {
    int e = c;
    while( iKeyField >= 0 && e + 1 < nClaim && aClaim[e + 1].iChunk == aClaim[e].iChunk + 1 ) e++;
    int64_t aHi[COPY_MAX_CLAIM];
    for( int k = c; k <= e; k++ ) {
      aHi[k] = aClaim[k].zHi ? strtoll(aClaim[k].zHi + 1, 0, 10) : INT64_MAX; /* "[123]" */
    }
    cp->iCur = c;
    char *zSql = raw_sql(j, &aClaim[c], &aClaim[e]);
    if( !zSql ) {
      cp->zErrRead =
        sqlite3_mprintf("pontoon_copy: job '%s': the ledger's key of chunk %lld is not "
                        "an integer",
                        j->zJob, (long long)aClaim[c].iChunk);
      rc = SQLITE_CORRUPT;
      break;
    }
    pt_trace("%s: %s", j->src.zLabel, zSql);
    pt_cursor *cur = 0;
    char *zErr = 0;
    rc = d->xRawOpen(w->src.pConn, zSql, &cur, &zErr);
    sqlite3_free(zSql);
    if( rc != SQLITE_OK ) {
      cp->zErrRead = pt_end_error(&w->src, "reading a chunk", zErr);
      break;
    }
    const char *z;
    int n, nRow;
    while( (rc = d->xRawNext(cur, &z, &n, &nRow, &zErr)) == SQLITE_ROW ) {
      pt_buf_append(&b->buf, z, (size_t)n);
      b->nRow += nRow;
      int k = c;
      int64_t v;
      if( e > c && raw_int_field(z, n, iKeyField, &v) ) {
        int lo = c, hi = e; /* the first chunk whose hi >= v */
        while( lo < hi ) {
          int mid = (lo + hi) / 2;
          if( aHi[mid] >= v )
            hi = mid;
          else
            lo = mid + 1;
        }
        k = lo;
      }
      cp->aRows[k] += nRow;
      if( b->buf.oom ) {
        rc = SQLITE_NOMEM;
        break;
      }
      if( b->buf.n >= (nBatch ? PIPE_BATCH_BYTES : PIPE_FIRST_BYTES) ) {
        nBatch++;
        pipe_hand_over(cp, idx, SQLITE_OK, 0);
        idx ^= 1;
        if( !(b = pipe_free_batch(cp, idx)) ) break;
      }
    }
    if( rc == SQLITE_DONE || (rc == SQLITE_ROW && !b) )
      rc = SQLITE_OK;
    else if( rc != SQLITE_OK && !cp->zErrRead )
      cp->zErrRead = pt_end_error(&w->src, "reading a chunk", zErr);
    d->xRawClose(cur);
    c = e + 1;
  }
  if( b ) pipe_hand_over(cp, idx, rc, 1);
}

static int open_chunk(copy_worker *w, const claimed *c, pt_end_rows **pq, char **pzErr);

/* The reader thread: reads the claimed chunks' rows in turn, each encoded
** for the target into the batch the writer is not sending, and hands it
** over when full; stops at the end, at its own error (cp->zErrRead), or
** when the writer says stop.  Owns the source connection meanwhile. */
static void *pipe_reader(void *p) {
  copy_pipe *cp = p;
  copy_job *j = cp->pJob;
  if( cp->raw ) {
    pipe_read_raw(cp);
  } else {
    pt_value aVal[j->nCol > 0 ? j->nCol : 1];
    int idx = 0, rc = SQLITE_OK, end = 0, iChunk = 0, nBatch = 0;
    char *zErr = 0;
    pt_end_rows *q = 0;
    pt_row_batch *b;
    while( !end && (b = pipe_free_batch(cp, idx)) != 0 ) {
      while( b->nRow < (nBatch ? PIPE_BATCH_ROWS : PIPE_BATCH_ROWS / 8) &&
             b->buf.n < (nBatch ? PIPE_BATCH_BYTES : PIPE_FIRST_BYTES) ) {
        if( !q ) {
          /* the next chunk's rows */
          if( iChunk == cp->nClaim ) {
            end = 1;
            break;
          }
          cp->iCur = iChunk;
          rc = open_chunk(cp->pWorker, &cp->aClaim[iChunk], &q, &cp->zErrRead);
          if( rc != SQLITE_OK ) {
            end = 1;
            break;
          }
        }
        rc = pt_end_rows_next(q, &zErr);
        if( rc != SQLITE_ROW ) {
          pt_end_rows_close(q);
          q = 0;
          if( rc == SQLITE_DONE ) {
            rc = SQLITE_OK;
            iChunk++;
            continue;
          }
          cp->zErrRead = pt_end_error(&j->src, "reading a chunk", zErr);
          end = 1;
          break;
        }
        for( int i = 0; i < j->nCol; i++ ) pt_end_rows_column(q, i, &aVal[i]);
        char *zE = 0;
        rc = pt_end_writer_encode(cp->pWriter, aVal, b, &zE);
        if( rc != SQLITE_OK ) {
          cp->zErrRead = pt_end_error(&j->dst, "INSERT", zE);
          end = 1;
          break;
        }
        cp->aRows[iChunk]++;
      }
      pipe_hand_over(cp, idx, rc, end);
      idx ^= 1;
      nBatch++;
    }
    pt_end_rows_close(q);
  }
  pthread_mutex_lock(&cp->mutex);
  cp->done = 1;
  pthread_cond_broadcast(&cp->cond);
  pthread_mutex_unlock(&cp->mutex);
  return 0;
}

/* Send the batches the reader hands over until it is done; the first
** error, the reader's or the target's. */
static int pipe_write(copy_pipe *cp, char **pzErr) {
  copy_job *j = cp->pJob;
  int idx = 0, rc = SQLITE_OK;
  if( cp->raw ) {
    /* no rows yet: the target's COPY opens while the source's starts */
    char *zErr = 0;
    rc = pt_end_writer_raw(cp->pWriter, "", 0, 0, &zErr);
    if( rc != SQLITE_OK ) {
      *pzErr = pt_end_error(&j->dst, "INSERT", zErr);
      pthread_mutex_lock(&cp->mutex);
      cp->stop = 1;
      pthread_cond_broadcast(&cp->cond);
      pthread_mutex_unlock(&cp->mutex);
      return rc;
    }
  }
  while( 1 ) {
    pthread_mutex_lock(&cp->mutex);
    while( !cp->aFull[idx] && !cp->done ) pthread_cond_wait(&cp->cond, &cp->mutex);
    int full = cp->aFull[idx];
    pthread_mutex_unlock(&cp->mutex);
    if( !full ) break;
    char *zErr = 0;
    pt_row_batch *b = &cp->aBatch[idx];
    if( cp->raw ) {
      rc = b->nRow ? pt_end_writer_raw(cp->pWriter, b->buf.z, (int)b->buf.n, b->nRow, &zErr)
                   : SQLITE_OK;
      b->nRow = 0;
      b->buf.n = 0;
    } else {
      rc = pt_end_writer_send(cp->pWriter, b, &zErr);
    }
    if( rc != SQLITE_OK ) {
      *pzErr = pt_end_error(&j->dst, "INSERT", zErr);
      break;
    }
    pthread_mutex_lock(&cp->mutex);
    cp->aFull[idx] = 0;
    pthread_cond_broadcast(&cp->cond);
    pthread_mutex_unlock(&cp->mutex);
    idx ^= 1;
  }
  if( rc != SQLITE_OK ) {
    pthread_mutex_lock(&cp->mutex);
    cp->stop = 1;
    pthread_cond_broadcast(&cp->cond);
    pthread_mutex_unlock(&cp->mutex);
  }
  return rc;
}

/* Open the read of one chunk's rows on the worker's source connection.
** On error *pzErr is the prefixed message. */
static int open_chunk(copy_worker *w, const claimed *c, pt_end_rows **pq, char **pzErr) {
  copy_job *j = w->pJob;
  int nKey = j->src.nKey;
  pt_param aParam[128];
  char *azLo[64] = { 0 }, *azHi[64] = { 0 };
  int nParam = 0;
  *pq = 0;
  if( c->zLo ) {
    if( copy_key_params(j, c->zLo, aParam, azLo) ) goto corrupt;
    nParam += nKey;
  }
  if( c->zHi ) {
    if( copy_key_params(j, c->zHi, aParam + nParam, azHi) ) goto corrupt;
    nParam += nKey;
  }
  const pt_stmt *pRead = &j->aRead[(c->zLo ? 1 : 0) + (c->zHi ? 2 : 0)];
  char *zErr = 0;
  int rc = pt_end_query(&w->src, pRead, nParam, aParam, j->nCol, j->aSelKind, pq, &zErr);
  copy_key_free(azLo, nKey);
  copy_key_free(azHi, nKey);
  if( rc != SQLITE_OK ) *pzErr = pt_end_error(&w->src, "reading a chunk", zErr);
  return rc;
corrupt:
  copy_key_free(azLo, nKey);
  copy_key_free(azHi, nKey);
  *pzErr = sqlite3_mprintf("pontoon_copy: job '%s': the ledger's key of chunk %lld cannot be read",
                           j->zJob, (long long)c->iChunk);
  return SQLITE_CORRUPT;
}

/*
** Whether rows may pass from source to target undecoded: the same driver
** on both ends with raw rows (PostgreSQL's binary COPY), every copied
** column of the same type on both sides as the servers describe them now
** (each end's types read on its own connection when it is leased,
** copy.c), an integer key (its bounds are written into the SQL as
** numbers, COPY taking no parameters), and plain inserts.
*/
int copy_raw_candidate(copy_job *j) {
  const pt_driver *ds = j->src.pServer ? j->src.pServer->pDriver : 0;
  const pt_driver *dd = j->dst.pServer ? j->dst.pServer->pDriver : 0;
  if( !ds || ds != dd || !ds->xRawOpen || !ds->xBulkRaw || j->upsert ) return 0;
  if( getenv("PONTOON_COPY_NO_RAW") ) return 0; /* docs/copy.md: for measurements */
  for( int i = 0; i < j->src.nKey; i++ )
    if( j->aKeyKind[i] != PT_K_INT ) return 0;
  return 1;
}

/* azSrc and azDst: pt_end_types of both ends (NULL when unknown). */
void copy_decide_raw(copy_job *j, char **azSrc, char **azDst) {
  if( !azSrc || !azDst || !copy_raw_candidate(j) ) return;
  int same = 1;
  for( int i = 0; i < j->nCol && same; i++ ) {
    const char *a = azSrc[j->aSrcCol[i]], *b = azDst[j->aDstCol[i]];
    same = a && b && strcmp(a, b) == 0;
  }
  j->raw = same;
}

/* The SELECT of one chunk for a raw read: the bounds as integers in the
** text (validated as such), the columns as they are. */
static char *raw_sql(copy_job *j, const claimed *pFirst, const claimed *pLast) {
  pt_end *e = &j->src;
  const char *azBound[2] = { pFirst->zLo, pLast->zHi };
  char *azVal[2][64] = { { 0 }, { 0 } };
  int an[64];
  for( int b = 0; b < 2; b++ ) {
    if( !azBound[b] ) continue;
    if( pt_key_decode(azBound[b], (int)strlen(azBound[b]), e->nKey, j->aKeyKind, azVal[b], an) )
      goto bad;
    for( int k = 0; k < e->nKey; k++ ) {
      if( !azVal[b][k] || !pt_is_number(azVal[b][k], (int)strlen(azVal[b][k]), 1) ) goto bad;
    }
  }
  sqlite3_str *s = sqlite3_str_new(0);
  char *zFrom = pt_end_table_sql(e);
  sqlite3_str_appendall(s, "SELECT ");
  for( int i = 0; i < j->nCol; i++ ) {
    char *zq = pt_end_ident(e, e->azCol[j->aSrcCol[i]]);
    sqlite3_str_appendf(s, "%s%s", i ? ", " : "", zq ? zq : "");
    sqlite3_free(zq);
  }
  sqlite3_str_appendf(s, " FROM %s WHERE %s%s%s", zFrom ? zFrom : "", j->zWhere ? "(" : "",
                      j->zWhere ? j->zWhere : "", j->zWhere ? ")" : "TRUE");
  for( int b = 0; b < 2; b++ ) {
    if( !azBound[b] ) continue;
    /* (k1, k2) > (a, b): the key's order, composite keys included */
    sqlite3_str_appendall(s, " AND (");
    for( int k = 0; k < e->nKey; k++ ) {
      char *zq = pt_end_ident(e, e->azCol[e->aKey[k]]);
      sqlite3_str_appendf(s, "%s%s", k ? ", " : "", zq ? zq : "");
      sqlite3_free(zq);
    }
    sqlite3_str_appendf(s, ") %s (", b == 0 ? ">" : "<=");
    for( int k = 0; k < e->nKey; k++ ) sqlite3_str_appendf(s, "%s%s", k ? ", " : "", azVal[b][k]);
    sqlite3_str_appendall(s, ")");
  }
  sqlite3_free(zFrom);
  for( int b = 0; b < 2; b++ ) copy_key_free(azVal[b], e->nKey);
  return sqlite3_str_finish(s);
bad:
  for( int b = 0; b < 2; b++ ) copy_key_free(azVal[b], e->nKey);
  return 0;
}

/* The integer in a binary COPY row's field iField (int2, int4 or int8),
** into *pV; 0 when the row is not that. */
static int raw_int_field(const char *z, int n, int iField, int64_t *pV) {
  const unsigned char *p = (const unsigned char *)z, *end = p + n;
  if( n < 2 ) return 0;
  int nField = (p[0] << 8) | p[1];
  p += 2;
  for( int f = 0; f < nField; f++ ) {
    if( end - p < 4 ) return 0;
    int32_t len =
      (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]);
    p += 4;
    if( f == iField ) {
      if( len != 2 && len != 4 && len != 8 ) return 0;
      if( end - p < len ) return 0;
      uint64_t u = 0;
      for( int i = 0; i < len; i++ ) u = (u << 8) | p[i];
      if( len == 2 )
        *pV = (int16_t)u;
      else if( len == 4 )
        *pV = (int32_t)u;
      else
        *pV = (int64_t)u;
      return 1;
    }
    if( len > 0 ) {
      if( end - p < len ) return 0;
      p += len;
    }
  }
  return 0;
}

/*
** Copy the rows of chunks aClaim[nClaim] into the open writer, aRows[i]
** counting those of chunk i; *piFail is the chunk an error came from.
*/
static int copy_chunks(copy_worker *w, pt_end_writer *wr, const claimed *aClaim, int nClaim,
                       int64_t *aRows, int *piFail, char **pzErr) {
  copy_job *j = w->pJob;
  int rc = SQLITE_OK;
  for( int i = 0; i < nClaim; i++ ) aRows[i] = 0;
  *piFail = 0;
  if( w->aDst[0].pServer ) {
    /* a remote target: read and write at once */
    copy_pipe cp;
    memset(&cp, 0, sizeof(cp));
    cp.pJob = j;
    cp.pWorker = w;
    cp.pWriter = wr;
    cp.aClaim = aClaim;
    cp.nClaim = nClaim;
    cp.aRows = aRows;
    cp.raw = j->raw;
    pthread_mutex_init(&cp.mutex, 0);
    pthread_cond_init(&cp.cond, 0);
    pthread_t reader;
    if( pthread_create(&reader, 0, pipe_reader, &cp) != 0 ) {
      rc = SQLITE_ERROR;
      *pzErr = sqlite3_mprintf("pontoon_copy: cannot start a thread");
    } else {
      rc = pipe_write(&cp, pzErr);
      pthread_join(reader, 0);
      if( rc == SQLITE_OK && cp.zErrRead ) {
        rc = cp.rcRead != SQLITE_OK ? cp.rcRead : SQLITE_ERROR;
        *pzErr = cp.zErrRead;
        cp.zErrRead = 0;
      }
    }
    *piFail = cp.iCur;
    sqlite3_free(cp.zErrRead);
    pt_row_batch_free(&cp.aBatch[0]);
    pt_row_batch_free(&cp.aBatch[1]);
    pthread_mutex_destroy(&cp.mutex);
    pthread_cond_destroy(&cp.cond);
    return rc;
  }
  pt_value aVal[j->nCol > 0 ? j->nCol : 1];
  for( int c = 0; rc == SQLITE_OK && c < nClaim; c++ ) {
    pt_end_rows *q = 0;
    char *zErr = 0;
    *piFail = c;
    rc = open_chunk(w, &aClaim[c], &q, pzErr);
    while( rc == SQLITE_OK ) {
      rc = pt_end_rows_next(q, &zErr);
      if( rc == SQLITE_DONE ) {
        rc = SQLITE_OK;
        break;
      }
      if( rc != SQLITE_ROW ) {
        *pzErr = pt_end_error(&w->src, "reading a chunk", zErr);
        break;
      }
      for( int i = 0; i < j->nCol; i++ ) pt_end_rows_column(q, i, &aVal[i]);
      char *zW = 0;
      rc = pt_end_writer_row(wr, aVal, &zW);
      if( rc != SQLITE_OK )
        *pzErr = pt_end_error(&w->aDst[0], "INSERT", zW);
      else
        aRows[c]++;
    }
    pt_end_rows_close(q);
  }
  return rc;
}

static void add_output(copy_job *j, const copy_out *o) {
  pthread_mutex_lock(&j->mutex);
  if( j->nOut == j->nOutAlloc ) {
    int n = j->nOutAlloc ? j->nOutAlloc * 2 : 16;
    copy_out *a = sqlite3_realloc64(j->aOut, sizeof(copy_out) * n);
    if( a ) {
      j->aOut = a;
      j->nOutAlloc = n;
    }
  }
  if( j->nOut < j->nOutAlloc ) j->aOut[j->nOut++] = *o;
  j->rowsThisCall += o->rows;
  pthread_cond_broadcast(&j->cond);
  pthread_mutex_unlock(&j->mutex);
}

/* Mark the chunk and the job failed, in a transaction of their own on
** target connection dst. */
static void record_failure(copy_worker *w, pt_end *dst, int64_t iChunk, const char *zWhy) {
  copy_job *j = w->pJob;
  char zChunk[24], *zErr = 0;
  snprintf(zChunk, sizeof zChunk, "%lld", (long long)iChunk);
  pt_end_rollback(dst);
  if( pt_end_begin(dst, &zErr) != SQLITE_OK ) {
    sqlite3_free(zErr);
    return;
  }
  pt_param a[3] = { copy_param(zWhy, PT_K_TEXT), copy_param(j->zJob, PT_K_TEXT),
                    copy_param(zChunk, PT_K_INT) };
  int rc = ledger_exec(dst, "chunk",
                       "UPDATE %s SET state = 'failed', error = %1 "
                       "WHERE job = %2 AND chunk = %3 AND state <> 'done'",
                       3, a, 0, &zErr);
  if( rc == SQLITE_OK ) {
    rc = ledger_exec(dst, "job", "UPDATE %s SET state = 'failed', error = %1 WHERE job = %2", 2, a,
                     0, &zErr);
  }
  if( rc == SQLITE_OK ) rc = pt_end_commit(dst, &zErr);
  if( rc != SQLITE_OK ) pt_end_rollback(dst);
  sqlite3_free(zErr);
}

/*
** The end of a claim whose rows were all handed to its lane's writer: the
** rows drain on the target, the chunks are marked done with their rows
** counted, and the transaction commits; then its output rows.  On a
** worker with two lanes this runs on a thread of its own while the worker
** copies its next claim on the other lane (copy_step).
*/
struct copy_finish {
  copy_worker *pWorker;
  int iLane;
  claimed aClaim[COPY_MAX_CLAIM]; /* owned */
  int nClaim;
  int64_t aRows[COPY_MAX_CLAIM]; /* rows copied of each */
  int64_t rowsBefore; /* the job's rows done before this claim */
  double t0; /* when it was claimed */
  char zStarted[40];
  int iFail; /* the chunk an error is charged to */
  int rc;
  char *zErr; /* prefixed */
  pthread_t thread;
  int threaded;
};

static void finish_free(copy_finish *f) {
  for( int i = 0; i < f->nClaim; i++ ) {
    sqlite3_free(f->aClaim[i].zLo);
    sqlite3_free(f->aClaim[i].zHi);
  }
  sqlite3_free(f->zErr);
  sqlite3_free(f);
}

static void *finish_claim(void *p) {
  copy_finish *f = p;
  copy_worker *w = f->pWorker;
  copy_job *j = w->pJob;
  pt_end *dst = &w->aDst[f->iLane];
  int nClaim = f->nClaim;
  char *zErr = 0;
  int rc = pt_end_writer_flush(w->apWriter[f->iLane], &zErr);
  if( rc != SQLITE_OK ) {
    f->zErr = pt_end_error(dst, "INSERT", zErr);
    /* what it buffered goes with the transaction */
    pt_end_writer_close(w->apWriter[f->iLane]);
    w->apWriter[f->iLane] = 0;
  }
  double t1 = copy_now();
  char zFinished[40], zSeconds[32];
  pt_ledger_now(zFinished);
  snprintf(zSeconds, sizeof zSeconds, "%.6f", (t1 - f->t0) / nClaim);
  /* every claimed chunk done, in one statement: its rows by CASE */
  if( rc == SQLITE_OK ) {
    char zChunk[COPY_MAX_CLAIM][24], zRows[COPY_MAX_CLAIM][24];
    pt_param u[5 + 2 * COPY_MAX_CLAIM + 1];
    u[0] = copy_param(f->zStarted, PT_K_TIMESTAMP);
    u[1] = copy_param(zFinished, PT_K_TIMESTAMP);
    u[2] = copy_param(zSeconds, PT_K_REAL);
    u[3] = copy_param(j->zWorker, PT_K_TEXT);
    u[4] = copy_param(j->zJob, PT_K_TEXT);
    char *zT2 = pt_ledger_name(dst, "chunk");
    pt_sql q2;
    pt_stmt st2;
    pt_end_sql(dst, &q2);
    pt_ledger_sqlf(&q2,
                   "UPDATE %s SET state = 'done', started = %1, finished = %2, seconds = %3, "
                   "worker = %4, error = NULL, rows_copied = CASE chunk",
                   zT2);
    sqlite3_free(zT2);
    for( int i = 0; i < nClaim; i++ ) {
      snprintf(zChunk[i], sizeof zChunk[i], "%lld", (long long)f->aClaim[i].iChunk);
      snprintf(zRows[i], sizeof zRows[i], "%lld", (long long)f->aRows[i]);
      u[5 + 2 * i] = copy_param(zChunk[i], PT_K_INT);
      u[6 + 2 * i] = copy_param(zRows[i], PT_K_INT);
      sqlite3_str_appendall(q2.pStr, " WHEN ");
      dst->pDialect->xParamExpr(&q2, PT_K_INT, 6 + 2 * i);
      sqlite3_str_appendall(q2.pStr,
                            " THEN 0 + "); /* a number on every engine (PostgreSQL: not text) */
      dst->pDialect->xParamExpr(&q2, PT_K_INT, 7 + 2 * i);
    }
    pt_ledger_sqlf(&q2, " END WHERE job = %5 AND state <> 'done' AND chunk IN (", 0);
    for( int i = 0; i < nClaim; i++ ) {
      if( i ) sqlite3_str_appendall(q2.pStr, ", ");
      dst->pDialect->xParamExpr(&q2, PT_K_INT, 6 + 2 * i);
    }
    sqlite3_str_appendall(q2.pStr, ")");
    int64_t nMatched = 0;
    zErr = 0;
    rc = pt_sql_finish(&q2, &st2);
    if( rc == SQLITE_OK ) rc = pt_end_exec(dst, &st2, 5 + 2 * nClaim, u, &nMatched, &zErr);
    pt_stmt_clear(&st2);
    if( rc == SQLITE_OK && nMatched != nClaim ) {
      zErr =
        sqlite3_mprintf("a chunk was copied by another session at the same time "
                        "(the ledger's engine cannot lock it): nothing of this claim was kept");
      rc = SQLITE_ERROR;
    }
    if( rc != SQLITE_OK ) f->zErr = pt_end_error(dst, "writing the ledger", zErr);
  }
  if( rc == SQLITE_OK ) {
    zErr = 0;
    rc = pt_end_commit(dst, &zErr);
    if( rc != SQLITE_OK ) f->zErr = pt_end_error(dst, "COMMIT", zErr);
  }
  if( rc != SQLITE_OK ) {
    record_failure(w, dst, f->aClaim[f->iFail].iChunk, f->zErr ? f->zErr : "error");
  } else {
    double per = (t1 - f->t0) / nClaim;
    int64_t done = f->rowsBefore;
    for( int i = 0; i < nClaim; i++ ) {
      done += f->aRows[i];
      copy_out o = { f->aClaim[i].iChunk, f->aRows[i], done, per };
      add_output(j, &o);
    }
  }
  f->rc = rc;
  return 0;
}

/*
** Wait for the worker's previous claim to end (its finisher thread), and
** return how it ended: SQLITE_OK when it committed, else its error in
** *pzErr (the failure is in the ledger).  SQLITE_OK when none is pending.
*/
int copy_worker_settle(copy_worker *w, char **pzErr) {
  copy_finish *f = w->pFin;
  if( !f ) return SQLITE_OK;
  w->pFin = 0;
  if( f->threaded ) pthread_join(f->thread, 0);
  int rc = f->rc;
  if( rc != SQLITE_OK ) {
    *pzErr =
      f->zErr ? f->zErr : sqlite3_mprintf("pontoon_copy: job '%s': a claim failed", w->pJob->zJob);
    f->zErr = 0;
  }
  finish_free(f);
  return rc;
}

/*
** One step of a worker: claim up to nClaim chunks in a target transaction,
** copy them, mark them done and commit.  SQLITE_DONE when no chunk is left
** to claim.  On error the transaction is rolled back and the failure
** recorded in the ledger.
**
** With two lanes, the step returns once the rows are copied: their drain
** on the target, the ledger update and the COMMIT go on in a finisher
** thread while the next step claims and copies on the other lane.  That
** claim leaves out the chunks still ending (they are locked, and at
** REPEATABLE READ a row committed during the claim would be an error),
** and this step's transaction commits only after the previous one has:
** when that failed, this one is rolled back and its error is the step's.
*/
int copy_step(copy_worker *w, char **pzErr) {
  copy_job *j = w->pJob;
  double tStep = copy_now();
  if( w->iLane == 1 ) {
    copy_lanes_ready(j); /* lane 1's leaser is done with it (a no-op after) */
    if( !w->aDst[1].pConn ) {
      /* the second connection could not be had: one lane */
      w->nLane = 1;
      w->iLane = 0;
      int rc = copy_worker_settle(w, pzErr);
      if( rc != SQLITE_OK ) return rc;
    }
  }
  int lane = w->iLane;
  pt_end *dst = &w->aDst[lane];
  copy_finish *prev = w->pFin; /* ending on the other lane */
  char *zErr = 0;
  int rc = pt_end_begin(dst, &zErr);
  if( rc != SQLITE_OK ) {
    *pzErr = pt_end_error(dst, "BEGIN", zErr);
    return rc;
  }
  /* claim */
  char *zT = pt_ledger_name(dst, "chunk");
  pt_sql qc;
  pt_stmt stc;
  pt_end_sql(dst, &qc);
  pt_ledger_sqlf(&qc,
                 "SELECT chunk, lo, hi, (SELECT sum(d.rows_copied) FROM %s d "
                 "WHERE d.job = %1 AND d.state = 'done'",
                 zT);
  for( int k = 0; k < 2 && prev; k++ ) {
    /* the chunks of the claim still ending: neither claimed nor counted */
    sqlite3_str_appendall(qc.pStr, k == 0 ? " AND d.chunk NOT IN (" : " AND chunk NOT IN (");
    for( int i = 0; i < prev->nClaim; i++ ) {
      if( i ) sqlite3_str_appendall(qc.pStr, ", ");
      dst->pDialect->xParamExpr(&qc, PT_K_INT, 3 + i);
    }
    sqlite3_str_appendall(qc.pStr, ")");
    if( k == 0 ) pt_ledger_sqlf(&qc, ") FROM %s WHERE job = %1 AND state <> 'done'", zT);
  }
  if( !prev ) pt_ledger_sqlf(&qc, ") FROM %s WHERE job = %1 AND state <> 'done'", zT);
  sqlite3_str_appendall(qc.pStr, " ORDER BY chunk ");
  if( dst->pDialect->xLimit ) dst->pDialect->xLimit(&qc, 2); /* else the first rows read */
  if( dst->pDialect->zSkipLocked ) sqlite3_str_appendall(qc.pStr, dst->pDialect->zSkipLocked);
  sqlite3_free(zT);
  char zLimit[16], zPrev[COPY_MAX_CLAIM][24];
  snprintf(zLimit, sizeof zLimit, "%d", w->nClaim);
  pt_param a[2 + COPY_MAX_CLAIM] = { copy_param(j->zJob, PT_K_TEXT), copy_param(zLimit, PT_K_INT) };
  int nParam = dst->pDialect->xLimit ? 2 : 1;
  int64_t rowsPrev = 0; /* the rows of the claim still ending */
  for( int i = 0; prev && i < prev->nClaim; i++ ) {
    snprintf(zPrev[i], sizeof zPrev[i], "%lld", (long long)prev->aClaim[i].iChunk);
    a[2 + i] = copy_param(zPrev[i], PT_K_INT);
    rowsPrev += prev->aRows[i];
    nParam = 3 + i;
  }
  static const pt_kind aKind[] = { PT_K_INT, PT_K_TEXT, PT_K_TEXT, PT_K_DECIMAL /* sum() */ };
  claimed aClaim[COPY_MAX_CLAIM];
  int nClaim = 0;
  int64_t rowsBefore = 0; /* the job's rows done when claimed */
  pt_end_rows *q = 0;
  rc = pt_sql_finish(&qc, &stc);
  if( rc == SQLITE_OK ) rc = pt_end_query_few(dst, &stc, nParam, a, 4, aKind, &q, &zErr);
  pt_stmt_clear(&stc);
  while( rc == SQLITE_OK && nClaim < w->nClaim ) {
    rc = pt_end_rows_next(q, &zErr);
    if( rc != SQLITE_ROW ) {
      if( rc == SQLITE_DONE ) rc = SQLITE_OK;
      break;
    }
    pt_value v[4];
    for( int i = 0; i < 4; i++ ) pt_end_rows_column(q, i, &v[i]);
    rowsBefore = copy_value_i64(&v[3]) + rowsPrev;
    claimed *c = &aClaim[nClaim++];
    c->iChunk = v[0].type == PT_V_INT ? v[0].i : strtoll(v[0].p ? v[0].p : "0", 0, 10);
    c->zLo = v[1].type == PT_V_NULL ? 0 : pt_strndup(v[1].p, v[1].n);
    c->zHi = v[2].type == PT_V_NULL ? 0 : pt_strndup(v[2].p, v[2].n);
    rc = SQLITE_OK;
  }
  pt_end_rows_close(q);
  if( rc != SQLITE_OK ) {
    /* PostgreSQL at REPEATABLE READ: a chunk another worker committed
    ** after this snapshot began; the caller claims again */
    for( int i = 0; i < nClaim; i++ ) {
      sqlite3_free(aClaim[i].zLo);
      sqlite3_free(aClaim[i].zHi);
    }
    pt_end_rollback(dst);
    *pzErr = pt_end_error(dst, "claiming chunks in the ledger", zErr);
    return SQLITE_BUSY;
  }
  if( nClaim == 0 ) {
    pt_end_rollback(dst);
    rc = copy_worker_settle(w, pzErr);
    return rc == SQLITE_OK ? SQLITE_DONE : rc;
  }
  /* copy */
  copy_finish *f = sqlite3_malloc(sizeof(*f));
  if( !f ) {
    for( int i = 0; i < nClaim; i++ ) {
      sqlite3_free(aClaim[i].zLo);
      sqlite3_free(aClaim[i].zHi);
    }
    pt_end_rollback(dst);
    rc = copy_worker_settle(w, pzErr);
    return rc == SQLITE_OK ? SQLITE_NOMEM : rc;
  }
  memset(f, 0, sizeof(*f));
  f->pWorker = w;
  f->iLane = lane;
  f->nClaim = nClaim;
  memcpy(f->aClaim, aClaim, sizeof(claimed) * nClaim);
  f->rowsBefore = rowsBefore;
  f->t0 = copy_now();
  pt_ledger_now(f->zStarted);
  /* the lane's writer, opened once (it asks the target for the columns'
  ** types) and used by each of its transactions */
  if( !w->apWriter[lane] ) {
    rc = pt_end_writer_open(dst, j->nCol, j->aDstCol, j->upsert, &w->apWriter[lane], &zErr);
    if( rc != SQLITE_OK ) f->zErr = pt_end_error(dst, "INSERT", zErr);
  }
  if( rc == SQLITE_OK ) {
    rc = copy_chunks(w, w->apWriter[lane], f->aClaim, nClaim, f->aRows, &f->iFail, &f->zErr);
  }
  double t1 = copy_now();
  /* the previous claim commits first; if it failed, so does this one */
  char *zPrevErr = 0;
  int rcPrev = copy_worker_settle(w, &zPrevErr);
  if( rcPrev != SQLITE_OK || rc != SQLITE_OK ) {
    /* what the writer buffered goes with the transaction */
    pt_end_writer_close(w->apWriter[lane]);
    w->apWriter[lane] = 0;
    if( rcPrev != SQLITE_OK ) {
      pt_end_rollback(dst);
      *pzErr = zPrevErr;
      rc = rcPrev;
    } else {
      record_failure(w, dst, f->aClaim[f->iFail].iChunk, f->zErr ? f->zErr : "error");
      *pzErr = f->zErr;
      f->zErr = 0;
    }
    finish_free(f);
    return rc;
  }
  /*
  ** Adapt the claim, from the time per chunk of this one's copy, toward a
  ** transaction of four seconds when each transaction's end drains the
  ** stream of rows (one lane).  When transactions overlap, a claim's end
  ** costs its lane's target no waiting and the two targets' sessions work
  ** at once, so shorter ones go faster, down to where the round trips that
  ** start a claim (BEGIN and the claim, the least seen) weigh: a hundred
  ** times them, within 0.15 s and four seconds.  Over a
  ** link with 20 ms round trips that is four seconds; on a loopback, 0.15 s
  ** (a few chunks).
  */
  double tStart = f->t0 - tStep;
  if( w->tClaimMin <= 0 || tStart < w->tClaimMin ) w->tClaimMin = tStart;
  if( !j->fixedChunk ) {
    double per1 = (t1 - f->t0) / nClaim;
    double aim = 4.0;
    if( w->nLane == 2 ) {
      aim = 100 * w->tClaimMin;
      if( aim < 0.15 ) aim = 0.15;
      if( aim > 4.0 ) aim = 4.0;
    }
    int want = per1 > 0 ? (int)(aim / per1) : COPY_MAX_CLAIM;
    if( want > nClaim * 8 ) want = nClaim * 8; /* grow by 8 at the most */
    if( want < 1 ) want = 1;
    if( want > COPY_MAX_CLAIM ) want = COPY_MAX_CLAIM;
    w->nClaim = want;
  }
  if( w->nLane == 2 && pthread_create(&f->thread, 0, finish_claim, f) == 0 ) {
    f->threaded = 1;
    w->pFin = f;
    w->iLane ^= 1;
    return SQLITE_OK;
  }
  finish_claim(f);
  rc = f->rc;
  if( rc != SQLITE_OK ) {
    *pzErr = f->zErr;
    f->zErr = 0;
  }
  finish_free(f);
  return rc;
}

/* Sleep as long as max_rate asks. */
void copy_throttle(copy_job *j) {
  if( j->maxRate <= 0 ) return;
  pthread_mutex_lock(&j->mutex);
  double due = j->t0 + j->rowsThisCall / j->maxRate;
  pthread_mutex_unlock(&j->mutex);
  double wait = due - copy_now();
  if( wait > 0 ) usleep((useconds_t)(wait * 1e6));
}

/* Run steps until no chunk is left or an error; returns the error. */
static int worker_run(copy_worker *w) {
  copy_job *j = w->pJob;
  int nBusy = 0;
  while( 1 ) {
    pthread_mutex_lock(&j->mutex);
    int stop = j->stop;
    pthread_mutex_unlock(&j->mutex);
    char *zErr = 0;
    int rc;
    if( stop ) {
      /* another worker failed: the claim still ending ends */
      rc = copy_worker_settle(w, &zErr);
      if( rc == SQLITE_OK ) return SQLITE_OK;
    } else {
      rc = copy_step(w, &zErr);
    }
    if( rc == SQLITE_DONE ) return SQLITE_OK;
    if( rc == SQLITE_BUSY && nBusy++ < 50 ) {
      sqlite3_free(zErr);
      usleep(20000 + (useconds_t)(rand() % 50000));
      continue;
    }
    if( rc != SQLITE_OK ) {
      char *zErr2 = 0;
      if( copy_worker_settle(w, &zErr2) != SQLITE_OK ) sqlite3_free(zErr2);
      w->zErr = zErr;
      pthread_mutex_lock(&j->mutex);
      j->stop = 1;
      pthread_cond_broadcast(&j->cond);
      pthread_mutex_unlock(&j->mutex);
      return rc;
    }
    nBusy = 0;
    copy_throttle(j);
  }
}

void *copy_worker_main(void *p) {
  copy_worker *w = p;
  worker_run(w);
  copy_job *j = w->pJob;
  pthread_mutex_lock(&j->mutex);
  j->nRunning--;
  pthread_cond_broadcast(&j->cond);
  pthread_mutex_unlock(&j->mutex);
  return 0;
}
