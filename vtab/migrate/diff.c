/*
** diff.c — pontoon_diff: the rows that differ between two tables, found by
** checksums the servers compute, pulling only the rows of small segments
** that differ.
**
**   SELECT * FROM pontoon_diff('old.users', 'new.users');
**   key    side columns   src                          dst
**   [42]   ~    ["email"] {"id":42,"email":"a@x.org"}  {"id":42,"email":"A@x.org"}
**   [77]   -    []        {"id":77,"email":"b@x.org"}  NULL
**
** The walk (DESIGN §5.3): the key space is cut into `factor` segments at
** key values (for a one-integer key by arithmetic on its bounds, else read
** from the side with more rows by row_number()); each side computes the
** count and hash sum of every segment in one grouped query, both sides at
** once on their own connections; segments that agree are done, those that
** differ are cut again until they hold at most `threshold` rows on each
** side, and only then are their rows fetched and compared in pontoon, by
** the canonical text of each column.  Each side reads in one snapshot
** (REPEATABLE READ, read only) for the whole diff.  A plain SQLite side, a
** table without a key, or mode=merge walks both tables in key order
** instead (a streaming merge: memory bounded, every row read).
**
** A diff that ends without finding anything marks its job verified in the
** target's ledger, with the target's checksum and the time, when the job
** is there (a copy made it); an ad hoc diff writes nothing anywhere.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include "diff.h"

static double diff_now(void) {
  struct timeval tv;
  gettimeofday(&tv, 0);
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* ---- the two sides at once ---- */

typedef struct side_task {
  diff_job *j;
  int iSide;
  int (*x)(diff_job *, int, void *, char **);
  void *pArg;
  int rc;
  char *zErr;
} side_task;

static void *side_task_main(void *p) {
  side_task *t = p;
  t->rc = t->x(t->j, t->iSide, t->pArg, &t->zErr);
  return 0;
}

/*
** Run x(j, 0, a0) and x(j, 1, a1): at once on two threads when both sides
** are remote (each has its own connection), else one after the other (a
** local side runs on this SQLite connection, on this thread).  A NULL
** argument skips that side.  The first error is the result.
*/
static int run_sides(diff_job *j, int (*x)(diff_job *, int, void *, char **), void *a0, void *a1,
                     char **pzErr) {
  side_task t[2] = { { j, 0, x, a0, SQLITE_OK, 0 }, { j, 1, x, a1, SQLITE_OK, 0 } };
  pthread_t th;
  int threaded = j->parallel && a0 && a1 && pthread_create(&th, 0, side_task_main, &t[1]) == 0;
  if( a0 ) side_task_main(&t[0]);
  if( threaded )
    pthread_join(th, 0);
  else if( a1 )
    side_task_main(&t[1]);
  for( int i = 0; i < 2; i++ ) {
    if( t[i].rc != SQLITE_OK && !*pzErr ) {
      *pzErr = t[i].zErr;
      t[i].zErr = 0;
    }
    sqlite3_free(t[i].zErr);
  }
  return t[0].rc != SQLITE_OK ? t[0].rc : t[1].rc;
}

typedef struct bucket_arg {
  const diff_seg *aParent;
  int nParent;
  const diff_seg *aChild;
  int nChild;
  int64_t *aN;
  uint64_t *aH;
} bucket_arg;

static int task_bucket(diff_job *j, int iSide, void *p, char **pzErr) {
  bucket_arg *a = p;
  return diff_bucket_query(j, iSide, a->aParent, a->nParent, a->aChild, a->nChild, a->aN, a->aH,
                           pzErr);
}

typedef struct bounds_arg {
  diff_seg *aSeg;
  int nSeg;
  int64_t *aStep;
  char **azKey;
  int *aSegOf;
  int nKey;
} bounds_arg;

static int task_bounds(diff_job *j, int iSide, void *p, char **pzErr) {
  bounds_arg *a = p;
  return diff_boundaries(j, iSide, a->aSeg, a->nSeg, a->aStep, &a->azKey, &a->aSegOf, &a->nKey,
                         pzErr);
}

typedef struct int_arg {
  int has;
  int64_t iMin, iMax, n;
} int_arg;

static int task_int(diff_job *j, int iSide, void *p, char **pzErr) {
  int_arg *a = p;
  return diff_int_bounds(j, iSide, &a->has, &a->iMin, &a->iMax, &a->n, pzErr);
}

/* Side iSide's snapshot (a remote side reads in one). */
static int task_open(diff_job *j, int iSide, void *p, char **pzErr) {
  (void)p;
  diff_side *sd = &j->a[iSide];
  if( !sd->e.pServer ) return SQLITE_OK;
  char *zErr = 0;
  if( pt_server_snapshot_begin(sd->e.pServer, &sd->pSnap, &zErr) != SQLITE_OK ) {
    *pzErr = pt_end_error(&sd->e, "opening a snapshot", zErr);
    return SQLITE_ERROR;
  }
  sd->e.pConn = sd->pSnap;
  sd->e.pDialect = sd->e.pServer->pDialect;
  return SQLITE_OK;
}

/* Side iSide's queries' pieces (diff_side_prepare, which describes a
** remote table again, in the snapshot), its scans alone when both
** servers are on one host. */
static int task_prepare(diff_job *j, int iSide, void *p, char **pzErr) {
  (void)p;
  diff_side *sd = &j->a[iSide];
  char *zErr = 0;
  if( j->oneHost && sd->e.pDialect->zScanAlone &&
      pt_end_exec_text(&sd->e, sd->e.pDialect->zScanAlone, &zErr) != SQLITE_OK ) {
    *pzErr = pt_end_error(&sd->e, "setting up its scan", zErr);
    return SQLITE_ERROR;
  }
  return diff_side_prepare(j, iSide, pzErr);
}

/* The host side iSide's snapshot is connected to; NULL if not known. */
static const char *side_host(diff_job *j, int iSide) {
  diff_side *sd = &j->a[iSide];
  pt_server *s = sd->e.pServer;
  if( !s || !sd->pSnap || !s->pDriver->xInfo ) return 0;
  pt_server_info info;
  memset(&info, 0, sizeof(info));
  s->pDriver->xInfo(sd->pSnap, &info);
  return info.zHost && info.zHost[0] ? info.zHost : 0;
}

static int task_count(diff_job *j, int iSide, void *p, char **pzErr) {
  int_arg *a = p;
  return diff_count(j, iSide, &a->n, pzErr);
}

typedef struct fetch_arg {
  const diff_seg *aSeg;
  int nSeg;
  diff_row *aRow;
  int nRow;
} fetch_arg;

static int task_fetch(diff_job *j, int iSide, void *p, char **pzErr) {
  fetch_arg *a = p;
  return diff_fetch(j, iSide, a->aSeg, a->nSeg, &a->aRow, &a->nRow, pzErr);
}

typedef struct probe_arg {
  const char *zSql;
  char *zValue;
} probe_arg;

static int task_probe(diff_job *j, int iSide, void *p, char **pzErr) {
  probe_arg *a = p;
  return diff_probe(j, iSide, a->zSql, &a->zValue, pzErr);
}

/*
** Two servers of one engine with a row hash of its own (PostgreSQL 14's
** hash_record_extended: no text made, several times faster than the
** canonical text's md5): ask both whether they have it and hash alike;
** if so the buckets use it.  PONTOON_DIFF_ROW_HASH=0 keeps the canonical
** hash (docs/diff.md).
*/
static int fast_hash_off(void) {
  const char *zEnv = getenv("PONTOON_DIFF_ROW_HASH");
  return zEnv && strcmp(zEnv, "0") == 0;
}

static int choose_row_hash(diff_job *j, char **pzErr) {
  const pt_dialect *d = j->a[0].e.pDialect;
  if( j->merge || !j->a[0].e.pServer || !j->a[1].e.pServer || d != j->a[1].e.pDialect ||
      !d->xRowHashSum || !d->xRowHashRaw || !d->azRowHashProbe || !j->a[0].zSum || !j->a[1].zSum ||
      fast_hash_off() )
    return SQLITE_OK;
  int same = 0;
  for( int i = 0; d->azRowHashProbe[i]; i++ ) {
    int last = d->azRowHashProbe[i + 1] == 0;
    probe_arg a[2] = { { d->azRowHashProbe[i], 0 }, { d->azRowHashProbe[i], 0 } };
    int rc = run_sides(j, task_probe, &a[0], &a[1], pzErr);
    if( rc == SQLITE_OK ) {
      if( last )
        same = a[0].zValue && a[1].zValue && strcmp(a[0].zValue, a[1].zValue) == 0;
      else
        same = a[0].zValue && a[1].zValue && strcmp(a[0].zValue, "0") != 0 &&
          strcmp(a[1].zValue, "0") != 0;
    }
    sqlite3_free(a[0].zValue);
    sqlite3_free(a[1].zValue);
    if( rc != SQLITE_OK ) return rc;
    if( !same ) return SQLITE_OK;
  }
  return same ? diff_row_hash(j, pzErr) : SQLITE_OK;
}

static int task_merge_open(diff_job *j, int iSide, void *p, char **pzErr) {
  (void)p;
  int rc = diff_merge_open(j, iSide, pzErr);
  if( rc == SQLITE_OK ) rc = diff_merge_next(j, iSide, pzErr);
  return rc;
}

/* ---- segments ---- */

static void seg_clear(diff_seg *g) {
  sqlite3_free(g->zLo);
  sqlite3_free(g->zHi);
  g->zLo = g->zHi = 0;
}

/* Append a copy of g (its bounds copied) to the list *pa. */
static int seg_push(diff_seg **pa, int *pn, int *pnAlloc, const diff_seg *g) {
  if( *pn == *pnAlloc ) {
    int nNew = *pnAlloc ? *pnAlloc * 2 : 64;
    diff_seg *a = sqlite3_realloc64(*pa, sizeof(diff_seg) * nNew);
    if( !a ) return SQLITE_NOMEM;
    *pa = a;
    *pnAlloc = nNew;
  }
  diff_seg *t = &(*pa)[(*pn)++];
  *t = *g;
  t->zLo = g->zLo ? pt_strdup(g->zLo) : 0;
  t->zHi = g->zHi ? pt_strdup(g->zHi) : 0;
  if( (g->zLo && !t->zLo) || (g->zHi && !t->zHi) ) return SQLITE_NOMEM;
  return SQLITE_OK;
}

/* Remove the first n of the list, freeing them. */
static void seg_shift(diff_seg *a, int *pn, int n) {
  for( int i = 0; i < n; i++ ) seg_clear(&a[i]);
  memmove(a, a + n, sizeof(diff_seg) * (*pn - n));
  *pn -= n;
}

static char *int_key(int64_t v) { return sqlite3_mprintf("[%lld]", (long long)v); }

/* A one-integer key segment that holds more than one key can be cut. */
static int int_splittable(const diff_seg *g) { return g->iHi - g->iLo > 1; }

/*
** How many pieces the whole key space is first cut into: about one per
** DIFF_FIRST_ROWS rows (at least `factor`), so that the first scan of each
** table already narrows the search to small ranges, and the next levels
** read only those, through the key's index.
*/
static int64_t diff_first_cut(diff_job *j, int64_t nRow) {
  int64_t n = nRow / DIFF_FIRST_ROWS;
  if( n < j->factor ) n = j->factor;
  if( n > DIFF_FIRST_MAX ) n = DIFF_FIRST_MAX;
  return n;
}

/*
** Children of an integer segment g: `factor` ranges of equal width of its
** key span; the first keeps g's lower bound and the last g's upper one (so
** an open end stays open).
*/
static int split_int(diff_job *j, const diff_seg *g, int64_t nPiece, diff_seg **pa, int *pn,
                     int *pnAlloc) {
  (void)j;
  int64_t span = g->iHi - g->iLo;
  int64_t f = nPiece < span ? nPiece : span;
  int64_t w = (span + f - 1) / f;
  int64_t lo = g->iLo;
  for( int64_t i = 0; lo < g->iHi; i++ ) {
    int64_t hi = lo + w >= g->iHi || lo + w < lo ? g->iHi : lo + w;
    diff_seg c;
    memset(&c, 0, sizeof(c));
    c.iLo = lo;
    c.iHi = hi;
    c.zLo = i == 0 ? (g->zLo ? pt_strdup(g->zLo) : 0) : int_key(lo);
    c.zHi = hi == g->iHi ? (g->zHi ? pt_strdup(g->zHi) : 0) : int_key(hi);
    c.level = g->level + 1;
    int rc = seg_push(pa, pn, pnAlloc, &c);
    seg_clear(&c);
    if( rc != SQLITE_OK ) return rc;
    lo = hi;
  }
  return SQLITE_OK;
}

/* ---- the walk ---- */

typedef struct diff_cursor {
  sqlite3_vtab_cursor base;
  diff_job *pJob;
  diff_out *aOut;
  int nOut, nOutAlloc, iOut;
  int eof;
  int64_t iRow;
} diff_cursor;

static void out_clear(diff_out *o) {
  sqlite3_free(o->zKey);
  sqlite3_free(o->zSide);
  sqlite3_free(o->zCols);
  sqlite3_free(o->zSrc);
  sqlite3_free(o->zDst);
  memset(o, 0, sizeof(*o));
}

/* Queue one difference: rows a (src) and b (dst), either NULL. */
static int emit(diff_cursor *c, const diff_row *a, const diff_row *b) {
  diff_job *j = c->pJob;
  if( j->maxDiffs > 0 && j->nDiff >= j->maxDiffs ) return SQLITE_OK;
  char *zCols;
  if( a && b ) {
    sqlite3_str *s = sqlite3_str_new(0);
    int n = 0;
    sqlite3_str_appendchar(s, 1, '[');
    for( int i = 0; i < j->nCol; i++ ) {
      const char *x = a->az[i], *y = b->az[i];
      int same = (!x && !y) || (x && y && a->an[i] == b->an[i] && memcmp(x, y, a->an[i]) == 0);
      if( same ) continue;
      const char *zName = j->a[0].e.azCol[j->a[0].aCol[i]];
      sqlite3_str_appendf(s, "%s\"", n++ ? "," : "");
      for( const char *z = zName; *z; z++ ) {
        if( *z == '"' || *z == '\\' ) sqlite3_str_appendchar(s, 1, '\\');
        sqlite3_str_appendchar(s, 1, *z);
      }
      sqlite3_str_appendchar(s, 1, '"');
    }
    sqlite3_str_appendchar(s, 1, ']');
    zCols = sqlite3_str_finish(s);
    if( n == 0 ) {
      sqlite3_free(zCols);
      return SQLITE_OK; /* the same row */
    }
  } else {
    zCols = pt_strdup("[]");
  }
  if( c->nOut == c->nOutAlloc ) {
    int nNew = c->nOutAlloc ? c->nOutAlloc * 2 : 64;
    diff_out *aNew = sqlite3_realloc64(c->aOut, sizeof(diff_out) * nNew);
    if( !aNew ) {
      sqlite3_free(zCols);
      return SQLITE_NOMEM;
    }
    c->aOut = aNew;
    c->nOutAlloc = nNew;
  }
  diff_out *o = &c->aOut[c->nOut++];
  o->zKey = pt_strdup(a ? a->zKey : b->zKey);
  o->zSide = pt_strdup(a && b ? "~" : a ? "-" : "+");
  o->zCols = zCols;
  o->zSrc = a ? pt_strdup(a->zJson) : 0;
  o->zDst = b ? pt_strdup(b->zJson) : 0;
  j->nDiff++;
  return SQLITE_OK;
}

/* Compare two key-sorted row lists and queue their differences. */
static int merge_lists(diff_cursor *c, diff_row *aA, int nA, diff_row *aB, int nB) {
  diff_job *j = c->pJob;
  int i = 0, k = 0, rc = SQLITE_OK;
  while( rc == SQLITE_OK && (i < nA || k < nB) ) {
    int cmp = i >= nA ? 1 : k >= nB ? -1 : diff_row_cmp_key(j, &aA[i], &aB[k]);
    if( cmp < 0 )
      rc = emit(c, &aA[i++], 0);
    else if( cmp > 0 )
      rc = emit(c, 0, &aB[k++]);
    else
      rc = emit(c, &aA[i++], &aB[k++]);
  }
  return rc;
}

static void draw_progress(diff_job *j, int final) {
  if( !j->progress ) return;
  double t = diff_now();
  if( !final && t - j->tProgress < 0.25 ) return;
  j->tProgress = t;
  fprintf(stderr,
          "\r%s: %d queries, %d segments to cut, %d to fetch, %lld rows read, "
          "%lld differences, %.1f s\033[K%s",
          j->zJob, j->nQuery, j->nQueue, j->nLeaf, (long long)(j->nFetched[0] + j->nFetched[1]),
          (long long)j->nDiff, t - j->t0, final ? "\n" : "");
}

/*
** Sort the children just hashed on both sides: those that agree are done;
** those that differ are fetched when small (at most `threshold` rows on
** each side, or not to be cut further) and cut again otherwise.
*/
static int classify(diff_job *j, diff_seg *aChild, int nChild, int64_t *aN[2], uint64_t *aH[2]) {
  int rc = SQLITE_OK;
  for( int i = 0; i < nChild && rc == SQLITE_OK; i++ ) {
    diff_seg *g = &aChild[i];
    g->n[0] = aN[0][i];
    g->n[1] = aN[1][i];
    g->h[0] = aH[0][i];
    g->h[1] = aH[1][i];
    if( g->n[0] == g->n[1] && g->h[0] == g->h[1] ) continue;
    int64_t nMax = g->n[0] > g->n[1] ? g->n[0] : g->n[1];
    int small = nMax <= j->threshold || (j->intKey && !int_splittable(g));
    if( small )
      rc = seg_push(&j->aLeaf, &j->nLeaf, &j->nLeafAlloc, g);
    else
      rc = seg_push(&j->aQueue, &j->nQueue, &j->nQueueAlloc, g);
  }
  return rc;
}

/* Hash children aChild[nChild] of parents aParent[nParent] on both sides
** and classify them. */
static int hash_children(diff_job *j, const diff_seg *aParent, int nParent, diff_seg *aChild,
                         int nChild, int top, char **pzErr) {
  int64_t *aN0 = sqlite3_malloc64(sizeof(int64_t) * 2 * nChild + 1);
  uint64_t *aH0 = sqlite3_malloc64(sizeof(uint64_t) * 2 * nChild + 1);
  if( !aN0 || !aH0 ) {
    sqlite3_free(aN0);
    sqlite3_free(aH0);
    return SQLITE_NOMEM;
  }
  int64_t *aN[2] = { aN0, aN0 + nChild };
  uint64_t *aH[2] = { aH0, aH0 + nChild };
  bucket_arg b[2];
  for( int i = 0; i < 2; i++ ) {
    b[i].aParent = aParent;
    b[i].nParent = nParent;
    b[i].aChild = aChild;
    b[i].nChild = nChild;
    b[i].aN = aN[i];
    b[i].aH = aH[i];
  }
  int rc = run_sides(j, task_bucket, &b[0], &b[1], pzErr);
  if( rc == SQLITE_OK && top ) {
    for( int s = 0; s < 2; s++ ) {
      j->nRows[s] = 0;
      j->hSum[s] = 0;
      for( int i = 0; i < nChild; i++ ) {
        j->nRows[s] += aN[s][i];
        j->hSum[s] += aH[s][i];
      }
    }
  }
  if( rc == SQLITE_OK ) rc = classify(j, aChild, nChild, aN, aH);
  sqlite3_free(aN0);
  sqlite3_free(aH0);
  return rc;
}

/* The first look: the whole key space, cut once (a one-integer key) or
** hashed whole. */
static int walk_top(diff_job *j, char **pzErr) {
  diff_seg top;
  memset(&top, 0, sizeof(top));
  diff_seg *aChild = 0;
  int nChild = 0, nAlloc = 0, rc;
  if( j->intKey ) {
    int_arg ia[2];
    memset(ia, 0, sizeof(ia));
    rc = run_sides(j, task_int, &ia[0], &ia[1], pzErr);
    if( rc != SQLITE_OK ) return rc;
    if( !ia[0].has && !ia[1].has ) return SQLITE_OK; /* both empty */
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for( int s = 0; s < 2; s++ ) {
      if( !ia[s].has ) continue;
      if( ia[s].iMin < lo ) lo = ia[s].iMin;
      if( ia[s].iMax > hi ) hi = ia[s].iMax;
    }
    top.iLo = lo > INT64_MIN ? lo - 1 : lo;
    top.iHi = hi;
    int64_t nMax = ia[0].n > ia[1].n ? ia[0].n : ia[1].n;
    rc = split_int(j, &top, diff_first_cut(j, nMax), &aChild, &nChild, &nAlloc);
  } else {
    /* the rows on each side; the whole key space is then cut like any
    ** segment that differs (walk_level), or fetched when small */
    int_arg ia[2];
    memset(ia, 0, sizeof(ia));
    rc = run_sides(j, task_count, &ia[0], &ia[1], pzErr);
    if( rc != SQLITE_OK ) return rc;
    top.n[0] = ia[0].n;
    top.n[1] = ia[1].n;
    j->nRows[0] = ia[0].n;
    j->nRows[1] = ia[1].n;
    j->topCounted = 1;
    if( top.n[0] == 0 && top.n[1] == 0 ) return SQLITE_OK;
    if( top.n[0] <= j->threshold && top.n[1] <= j->threshold )
      return seg_push(&j->aLeaf, &j->nLeaf, &j->nLeafAlloc, &top);
    return seg_push(&j->aQueue, &j->nQueue, &j->nQueueAlloc, &top);
  }
  if( rc == SQLITE_OK ) rc = hash_children(j, &top, 1, aChild, nChild, 1, pzErr);
  for( int i = 0; i < nChild; i++ ) seg_clear(&aChild[i]);
  sqlite3_free(aChild);
  return rc;
}

/*
** Cut the first segments of the queue (up to DIFF_BATCH, one level: the
** queue is in key order within a level) into children and hash them.
*/
static int walk_level(diff_job *j, char **pzErr) {
  diff_seg *aP = j->aQueue;
  int n = 1;
  while( n < j->nQueue && n < DIFF_BATCH && aP[n].level == aP[0].level ) n++;
  diff_seg *aChild = 0;
  int nChild = 0, nAlloc = 0, rc = SQLITE_OK;
  if( j->intKey ) {
    for( int i = 0; i < n && rc == SQLITE_OK; i++ ) {
      int64_t nMax = aP[i].n[0] > aP[i].n[1] ? aP[i].n[0] : aP[i].n[1];
      int64_t nPiece = aP[i].level ? j->factor : diff_first_cut(j, nMax);
      rc = split_int(j, &aP[i], nPiece, &aChild, &nChild, &nAlloc);
    }
  } else {
    /* boundaries from the side with more rows in each segment, both sides
    ** at once */
    bounds_arg ba[2];
    memset(ba, 0, sizeof(ba));
    int *aWho = sqlite3_malloc64(sizeof(int) * n + 1);
    int *aIdx = sqlite3_malloc64(sizeof(int) * n + 1);
    for( int s = 0; s < 2; s++ ) {
      ba[s].aSeg = sqlite3_malloc64(sizeof(diff_seg) * n + 1);
      ba[s].aStep = sqlite3_malloc64(sizeof(int64_t) * n + 1);
    }
    if( !aWho || !aIdx || !ba[0].aSeg || !ba[1].aSeg || !ba[0].aStep || !ba[1].aStep ) {
      rc = SQLITE_NOMEM;
    } else {
      for( int i = 0; i < n; i++ ) {
        int s = aP[i].n[0] >= aP[i].n[1] ? 0 : 1;
        aWho[i] = s;
        aIdx[i] = ba[s].nSeg;
        ba[s].aSeg[ba[s].nSeg] = aP[i]; /* shallow: bounds owned by the queue */
        int64_t nPiece = aP[i].level ? j->factor : diff_first_cut(j, aP[i].n[s]);
        ba[s].aStep[ba[s].nSeg++] = (aP[i].n[s] + nPiece - 1) / nPiece;
      }
      rc = run_sides(j, task_bounds, ba[0].nSeg ? &ba[0] : 0, ba[1].nSeg ? &ba[1] : 0, pzErr);
    }
    /* children of each parent, in key order */
    int aNext[2] = { 0, 0 };
    for( int i = 0; i < n && rc == SQLITE_OK; i++ ) {
      int s = aWho[i];
      bounds_arg *b = &ba[s];
      const char *zLo = aP[i].zLo;
      int nMade = 0;
      while( rc == SQLITE_OK && aNext[s] < b->nKey && b->aSegOf[aNext[s]] == aIdx[i] ) {
        const char *zB = b->azKey[aNext[s]++];
        if( aP[i].zHi && strcmp(zB, aP[i].zHi) == 0 ) continue; /* the last row: no piece above */
        diff_seg c;
        memset(&c, 0, sizeof(c));
        c.zLo = (char *)zLo;
        c.zHi = (char *)zB;
        c.level = aP[i].level + 1;
        rc = seg_push(&aChild, &nChild, &nAlloc, &c);
        zLo = zB;
        nMade++;
      }
      if( rc != SQLITE_OK ) break;
      if( nMade == 0 ) {
        /* cannot be cut (no key read inside it): fetch it whole */
        rc = seg_push(&j->aLeaf, &j->nLeaf, &j->nLeafAlloc, &aP[i]);
        continue;
      }
      diff_seg c;
      memset(&c, 0, sizeof(c));
      c.zLo = (char *)zLo;
      c.zHi = aP[i].zHi;
      c.level = aP[i].level + 1;
      rc = seg_push(&aChild, &nChild, &nAlloc, &c);
    }
    for( int s = 0; s < 2; s++ ) {
      for( int i = 0; i < ba[s].nKey; i++ ) sqlite3_free(ba[s].azKey[i]);
      sqlite3_free(ba[s].azKey);
      sqlite3_free(ba[s].aSegOf);
      sqlite3_free(ba[s].aSeg);
      sqlite3_free(ba[s].aStep);
    }
    sqlite3_free(aWho);
    sqlite3_free(aIdx);
  }
  if( rc == SQLITE_OK && nChild > 0 ) rc = hash_children(j, aP, n, aChild, nChild, 0, pzErr);
  for( int i = 0; i < nChild; i++ ) seg_clear(&aChild[i]);
  sqlite3_free(aChild);
  if( rc == SQLITE_OK ) seg_shift(j->aQueue, &j->nQueue, n);
  return rc;
}

/* Fetch the rows of the first leaves on both sides and queue their
** differences. */
static int walk_leaves(diff_cursor *c, char **pzErr) {
  diff_job *j = c->pJob;
  int n = 0;
  int64_t nRows = 0;
  while( n < j->nLeaf && n < 256 ) {
    int64_t m = j->aLeaf[n].n[0] > j->aLeaf[n].n[1] ? j->aLeaf[n].n[0] : j->aLeaf[n].n[1];
    if( n > 0 && nRows + m > DIFF_LEAF_ROWS ) break;
    nRows += m;
    n++;
  }
  fetch_arg fa[2];
  memset(fa, 0, sizeof(fa));
  for( int s = 0; s < 2; s++ ) {
    fa[s].aSeg = j->aLeaf;
    fa[s].nSeg = n;
  }
  int rc = run_sides(j, task_fetch, &fa[0], &fa[1], pzErr);
  if( rc == SQLITE_OK ) rc = merge_lists(c, fa[0].aRow, fa[0].nRow, fa[1].aRow, fa[1].nRow);
  for( int s = 0; s < 2; s++ ) {
    for( int i = 0; i < fa[s].nRow; i++ ) diff_row_clear(&fa[s].aRow[i], j->nCol);
    sqlite3_free(fa[s].aRow);
  }
  if( rc == SQLITE_OK ) seg_shift(j->aLeaf, &j->nLeaf, n);
  return rc;
}

/* One step of the streaming merge: the smaller key advances. */
static int walk_merge(diff_cursor *c, char **pzErr) {
  diff_job *j = c->pJob;
  int has0 = j->aHave[0] == 1, has1 = j->aHave[1] == 1;
  int cmp = !has0 ? 1 : !has1 ? -1 : diff_row_cmp_key(j, &j->aCur[0], &j->aCur[1]);
  int rc;
  if( cmp < 0 ) {
    rc = emit(c, &j->aCur[0], 0);
    if( rc == SQLITE_OK ) rc = diff_merge_next(j, 0, pzErr);
  } else if( cmp > 0 ) {
    rc = emit(c, 0, &j->aCur[1]);
    if( rc == SQLITE_OK ) rc = diff_merge_next(j, 1, pzErr);
  } else {
    rc = emit(c, &j->aCur[0], &j->aCur[1]);
    if( rc == SQLITE_OK ) rc = diff_merge_next(j, 0, pzErr);
    if( rc == SQLITE_OK ) rc = diff_merge_next(j, 1, pzErr);
  }
  return rc;
}

/* ---- the ledger: verified ---- */

/*
** The diff found nothing: mark the job verified in the target's ledger,
** with the target's checksum and the time, if the job is there.  The
** snapshot connections are given back first; the ledger is written on a
** connection of its own.
*/
/* The target's checksum (pontoon_checksum's) into zSum: from the walk
** when it hashed the whole table the canonical way, else in one query. */
static int verified_checksum(diff_job *j, char *zSum, char **pzErr) {
  diff_side *dst = &j->a[1];
  if( j->merge || j->topCounted || j->rowHash ) {
    diff_seg whole;
    memset(&whole, 0, sizeof(whole));
    int64_t n = 0;
    uint64_t h = 0;
    char *zFast = 0;
    if( j->rowHash ) { /* the canonical sum, for this query */
      zFast = dst->zSum;
      dst->zSum = dst->zSumCanon;
    }
    int rc = diff_bucket_query(j, 1, &whole, 1, &whole, 1, &n, &h, pzErr);
    if( zFast ) dst->zSum = zFast;
    if( rc != SQLITE_OK ) return rc;
    j->nRows[1] = n;
    j->hSum[1] = h;
  }
  pt_checksum_format(j->nRows[1], j->hSum[1], zSum);
  return SQLITE_OK;
}

static int mark_verified(diff_job *j, char **pzErr) {
  diff_side *dst = &j->a[1];
  char zSum[48] = "";
  pt_end e;
  if( dst->e.pServer )
    pt_end_server(j->db, dst->e.pReg, dst->e.pServer, &e);
  else
    pt_end_local(j->db, dst->e.pReg, dst->e.zDb, &e);
  char *zErr = 0;
  int rc = pt_end_connect(&e, pzErr);
  if( rc != SQLITE_OK ) {
    pt_end_close(&e);
    return rc;
  }
  char zNow[40];
  pt_ledger_now(zNow);
  pt_param a[3];
  const char *az[3] = { zSum, zNow, j->zJob };
  for( int i = 0; i < 3; i++ ) {
    a[i].z = az[i];
    a[i].n = (int)strlen(az[i]);
    a[i].kind = i == 1 ? PT_K_TIMESTAMP : PT_K_TEXT;
    a[i].isBinary = 0;
  }
  /* no ledger, or no such job: an ad hoc diff, nothing to mark */
  static const pt_kind aKind[] = { PT_K_TEXT };
  char *zT = pt_ledger_name(&e, "job");
  pt_sql q;
  pt_stmt st;
  pt_end_sql(&e, &q);
  pt_ledger_sqlf(&q, "SELECT state FROM %s WHERE job = %1", zT);
  sqlite3_free(zT);
  int found = 0;
  if( pt_sql_finish(&q, &st) == SQLITE_OK ) {
    pt_end_rows *r = 0;
    if( pt_end_query_few(&e, &st, 1, &a[2], 1, aKind, &r, &zErr) == SQLITE_OK ) {
      found = pt_end_rows_next(r, &zErr) == SQLITE_ROW;
      pt_end_rows_close(r);
    }
    pt_stmt_clear(&st);
  }
  sqlite3_free(zErr);
  zErr = 0;
  if( found ) rc = verified_checksum(j, zSum, pzErr);
  a[0].n = (int)strlen(zSum);
  if( found && rc == SQLITE_OK ) {
    rc = pt_ledger_exec(&e, "job",
                        "UPDATE %s SET state = 'verified', checksum = %1, verified = %2, "
                        "updated = %2, error = NULL WHERE job = %3 "
                        "AND state IN ('copied', 'syncing', 'verified')",
                        3, a, 0, &zErr);
    if( rc != SQLITE_OK ) *pzErr = pt_end_error(&e, "marking the job verified in its ledger", zErr);
  }
  pt_end_close(&e);
  return rc;
}

/* ---- the table-valued function ---- */

enum {
  COL_KEY,
  COL_SIDE,
  COL_COLUMNS,
  COL_SRC,
  COL_DST,
  COL_SRC_TABLE,
  COL_DST_TABLE,
  COL_OPTIONS
};

static const char *const azDiffOption[] = {
  "columns",   "exclude",   "where",  "float_digits", "time_precision",
  "max_diffs", "threshold", "factor", "progress",     "mode",
  "key",       "job",       0
};

/* End side iSide's snapshot (a rollback: a round trip). */
static int task_close(diff_job *j, int iSide, void *p, char **pzErr) {
  (void)p;
  (void)pzErr;
  diff_side *sd = &j->a[iSide];
  sd->e.pConn = 0;
  sd->e.inTxn = 0;
  pt_server_snapshot_end(sd->e.pServer, sd->pSnap);
  sd->pSnap = 0;
  return SQLITE_OK;
}

static void job_free(diff_job *j) {
  if( !j ) return;
  for( int s = 0; s < 2; s++ ) {
    pt_end_rows_close(j->apMerge[s]);
    diff_row_clear(&j->aCur[s], j->nCol);
    sqlite3_free(j->aMergeKind[s]);
  }
  if( j->a[0].pSnap && j->a[1].pSnap && j->a[0].e.pServer != j->a[1].e.pServer ) {
    /* the two rollbacks at once */
    char *zErr = 0;
    int par = j->parallel;
    j->parallel = 1;
    run_sides(j, task_close, (void *)1, (void *)1, &zErr);
    j->parallel = par;
    sqlite3_free(zErr);
  }
  for( int s = 0; s < 2; s++ ) diff_side_clear(&j->a[s]);
  for( int i = 0; i < j->nQueue; i++ ) seg_clear(&j->aQueue[i]);
  for( int i = 0; i < j->nLeaf; i++ ) seg_clear(&j->aLeaf[i]);
  sqlite3_free(j->aQueue);
  sqlite3_free(j->aLeaf);
  sqlite3_free(j->aKeyPos);
  sqlite3_free(j->aKeyKind);
  sqlite3_free(j->zWhere);
  sqlite3_free(j->zJob);
  sqlite3_free(j);
}

/* Which comparisons of canonical text make sense: kinds of one family.
** Text, and a kind pontoon does not know (a local table's column declared
** without a known type), compare with anything but binary. */
static int kind_family(pt_kind k) {
  switch( k ) {
    case PT_K_INT:
    case PT_K_BOOL:
    case PT_K_DECIMAL:
    case PT_K_REAL: return 1;
    case PT_K_TEXT:
    case PT_K_CHAR:
    case PT_K_ENUM:
    case PT_K_UUID:
    case PT_K_JSON:
    case PT_K_OTHER: return 0;
    case PT_K_BLOB: return 3;
    case PT_K_DATE: return 4;
    case PT_K_TIME: return 5;
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ: return 6;
    case PT_K_INTERVAL: return 7;
    case PT_K_ARRAY: return 8;
    default: return 9;
  }
}

static int kinds_comparable(pt_kind a, pt_kind b) {
  int fa = kind_family(a), fb = kind_family(b);
  if( fa == fb ) return 1;
  if( fa == 3 || fb == 3 ) return (a == PT_K_OTHER || b == PT_K_OTHER);
  return fa == 0 || fb == 0;
}

static int in_list(char **az, int n, const char *zName) {
  for( int i = 0; i < n; i++ )
    if( az[i] && sqlite3_stricmp(az[i], zName) == 0 ) return 1;
  return 0;
}

/*
** Set the job up: the ends, the columns compared, the key, the options,
** each side's snapshot and expressions.  Everything refusable is refused
** here, naming the table and the column.
*/
static int job_setup(diff_job *j, pt_registry *r, const char *zSrc, const char *zDst,
                     const char *zOpts, char **pzErr) {
  pt_opts o;
  int rc = pt_opts_parse(zOpts, "pontoon_diff", azDiffOption, &o, pzErr);
  if( rc != SQLITE_OK ) return rc;
  char **azCols = 0, **azEx = 0, **azKey = 0;
  int nCols = 0, nEx = 0, nKeyOpt = 0;
  char *zErr = 0;
  const char *azLabel[2] = { zSrc, zDst };
  j->a[0].zWhat = "source";
  j->a[1].zWhat = "target";
  rc = SQLITE_ERROR;
  if( pt_end_open_pair(j->db, r, "pontoon_diff", zSrc, zDst, &j->a[0].e, &j->a[1].e, pzErr) )
    goto done;
  pt_end *eA = &j->a[0].e, *eB = &j->a[1].e;
  /* the columns compared */
  azCols = pt_opts_names(pt_opts_get(&o, "columns"), &nCols);
  azEx = pt_opts_names(pt_opts_get(&o, "exclude"), &nEx);
  azKey = pt_opts_names(pt_opts_get(&o, "key"), &nKeyOpt);
  for( int s = 0; s < 2; s++ ) {
    j->a[s].aCol = sqlite3_malloc64(sizeof(int) * (eA->nCol + 1));
    if( !j->a[s].aCol ) {
      rc = SQLITE_NOMEM;
      goto done;
    }
  }
  for( int i = 0; i < nCols; i++ ) {
    for( int s = 0; s < 2; s++ ) {
      if( pt_end_find_col(&j->a[s].e, azCols[i]) < 0 ) {
        *pzErr = sqlite3_mprintf("pontoon_diff: columns=: the %s %s has no column %s",
                                 j->a[s].zWhat, azLabel[s], azCols[i]);
        goto done;
      }
    }
  }
  for( int i = 0; i < nEx; i++ ) {
    if( pt_end_find_col(eA, azEx[i]) < 0 && pt_end_find_col(eB, azEx[i]) < 0 ) {
      *pzErr = sqlite3_mprintf("pontoon_diff: exclude=: neither %s nor %s has a column %s", zSrc,
                               zDst, azEx[i]);
      goto done;
    }
  }
  for( int i = 0; i < eA->nCol; i++ ) {
    const char *zName = eA->azCol[i];
    if( nCols ? !in_list(azCols, nCols, zName) : in_list(azEx, nEx, zName) ) continue;
    int d = pt_end_find_col(eB, zName);
    if( d < 0 ) {
      *pzErr =
        sqlite3_mprintf("pontoon_diff: the target %s has no column %s (the source %s has it); "
                        "leave it out with exclude=%s",
                        zDst, zName, zSrc, zName);
      goto done;
    }
    if( !kinds_comparable(eA->aKind[i], eB->aKind[d]) ) {
      *pzErr = sqlite3_mprintf(
        "pontoon_diff: column %s: the source's %s values cannot be compared with the "
        "target's %s values; leave it out with exclude=%s",
        zName, pt_kind_name(eA->aKind[i]), pt_kind_name(eB->aKind[d]), zName);
      goto done;
    }
    j->a[0].aCol[j->nCol] = i;
    j->a[1].aCol[j->nCol] = d;
    j->nCol++;
  }
  if( !nCols ) {
    for( int d = 0; d < eB->nCol; d++ ) {
      const char *zName = eB->azCol[d];
      if( in_list(azEx, nEx, zName) || pt_end_find_col(eA, zName) >= 0 ) continue;
      *pzErr =
        sqlite3_mprintf("pontoon_diff: the source %s has no column %s (the target %s has it); "
                        "leave it out with exclude=%s",
                        zSrc, zName, zDst, zName);
      goto done;
    }
  }
  if( j->nCol == 0 ) {
    *pzErr = sqlite3_mprintf("pontoon_diff: no column of %s to compare", zSrc);
    goto done;
  }
  /* a local table's column of no particular kind (SQLite keeps any value:
  ** CREATE TABLE ... AS SELECT declares timestamps TEXT) takes the other
  ** side's kind, so that its values get the same canonical text */
  for( int i = 0; i < j->nCol; i++ ) {
    for( int s = 0; s < 2; s++ ) {
      pt_end *e = &j->a[s].e, *o = &j->a[1 - s].e;
      int c = j->a[s].aCol[i], oc = j->a[1 - s].aCol[i];
      if( !e->pServer && kind_family(e->aKind[c]) == 0 && kind_family(o->aKind[oc]) != 0 )
        e->aKind[c] = o->aKind[oc];
    }
  }
  /* the key: key=, else the source's, else the target's; the other side's
  ** key, if it has one, must be the same columns */
  j->aKeyPos = sqlite3_malloc64(sizeof(int) * (j->nCol + 1));
  j->aKeyKind = sqlite3_malloc64(sizeof(pt_kind) * (j->nCol + 1));
  if( !j->aKeyPos || !j->aKeyKind ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  char *azK[2] = { 0, 0 };
  for( int s = 0; s < 2; s++ ) {
    pt_end *e = &j->a[s].e;
    sqlite3_str *ks = sqlite3_str_new(0);
    for( int k = 0; k < e->nKey; k++ )
      sqlite3_str_appendf(ks, "%s%s", k ? ", " : "", e->azCol[e->aKey[k]]);
    azK[s] = sqlite3_str_finish(ks);
  }
  int keyFromOpt = nKeyOpt > 0;
  if( !keyFromOpt && eA->nKey && eB->nKey &&
      (eA->nKey != eB->nKey || sqlite3_stricmp(azK[0] ? azK[0] : "", azK[1] ? azK[1] : "")) ) {
    *pzErr = sqlite3_mprintf(
      "pontoon_diff: the tables have different key columns: the source %s (%s), the "
      "target %s (%s); name the key to compare by with key=",
      zSrc, azK[0] ? azK[0] : "", zDst, azK[1] ? azK[1] : "");
    sqlite3_free(azK[0]);
    sqlite3_free(azK[1]);
    goto done;
  }
  sqlite3_free(azK[0]);
  sqlite3_free(azK[1]);
  if( keyFromOpt ) {
    for( int k = 0; k < nKeyOpt; k++ ) {
      int pos = -1;
      for( int i = 0; i < j->nCol; i++ )
        if( sqlite3_stricmp(eA->azCol[j->a[0].aCol[i]], azKey[k]) == 0 ) pos = i;
      if( pos < 0 ) {
        *pzErr = sqlite3_mprintf("pontoon_diff: key=: %s is not a compared column of %s and %s",
                                 azKey[k], zSrc, zDst);
        goto done;
      }
      j->aKeyPos[j->nKey++] = pos;
    }
  } else {
    pt_end *e = eA->nKey ? eA : eB;
    int s = eA->nKey ? 0 : 1;
    for( int k = 0; k < e->nKey; k++ ) {
      int pos = -1;
      for( int i = 0; i < j->nCol; i++ )
        if( j->a[s].aCol[i] == e->aKey[k] ) pos = i;
      if( pos < 0 ) {
        *pzErr = sqlite3_mprintf(
          "pontoon_diff: the key column %s of %s is not compared: do not leave it out",
          e->azCol[e->aKey[k]], azLabel[s]);
        goto done;
      }
      j->aKeyPos[j->nKey++] = pos;
    }
  }
  if( j->nKey > 64 ) {
    *pzErr = sqlite3_mprintf("pontoon_diff: a key of more than 64 columns");
    goto done;
  }
  /* the options */
  const char *zMode = pt_opts_get(&o, "mode");
  if( zMode && strcmp(zMode, "merge") != 0 && strcmp(zMode, "bisect") != 0 ) {
    *pzErr = sqlite3_mprintf("pontoon_diff: mode=%s: expected bisect or merge", zMode);
    goto done;
  }
  int64_t v = 0;
  if( pt_opts_int(&o, "max_diffs", 0, INT64_MAX, &v, "pontoon_diff", pzErr) ) goto done;
  j->maxDiffs = v;
  v = DIFF_THRESHOLD;
  if( pt_opts_int(&o, "threshold", 1, 100000000, &v, "pontoon_diff", pzErr) ) goto done;
  j->threshold = v;
  v = DIFF_FACTOR;
  if( pt_opts_int(&o, "factor", 2, 1024, &v, "pontoon_diff", pzErr) ) goto done;
  j->factor = v;
  v = -1;
  if( pt_opts_int(&o, "progress", 0, 1, &v, "pontoon_diff", pzErr) ) goto done;
  j->progress = v < 0 ? isatty(2) : (int)v;
  pt_canon_default(&j->canon);
  if( pt_canon_options(&j->canon, &o, &zErr) != SQLITE_OK ) {
    *pzErr = sqlite3_mprintf("pontoon_diff: %s", zErr ? zErr : "bad option");
    goto done;
  }
  const char *zWhere = pt_opts_get(&o, "where");
  if( zWhere && zWhere[0] ) j->zWhere = pt_strdup(zWhere);
  j->partial = j->zWhere || nCols || nEx;
  const char *zJob = pt_opts_get(&o, "job");
  j->zJob = zJob ? pt_strdup(zJob) : sqlite3_mprintf("%s -> %s", zSrc, zDst);
  if( !j->zJob ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  /* how to walk */
  int keyed = j->nKey > 0;
  if( !keyed ) {
    /* no key: rows compared as wholes, ordered by every column */
    for( int i = 0; i < j->nCol; i++ ) j->aKeyPos[i] = i;
    j->nKey = j->nCol > 64 ? 64 : j->nCol;
  }
  j->merge = !keyed || (zMode && strcmp(zMode, "merge") == 0) || !eA->pServer || !eB->pServer;
  j->parallel = eA->pServer && eB->pServer;
  j->intKey = j->nKey == 1 && eA->aKind[j->a[0].aCol[j->aKeyPos[0]]] == PT_K_INT &&
    eB->aKind[j->a[1].aCol[j->aKeyPos[0]]] == PT_K_INT;
  /* each side's snapshot and description: both at once when they are two
  ** servers (two connections made, two tables described, in the time of
  ** one); one server's pool is not shared between threads */
  {
    int par = j->parallel;
    j->parallel = par && eA->pServer != eB->pServer;
    int rcOpen = run_sides(j, task_open, (void *)1, (void *)1, pzErr);
    j->parallel = par;
    if( rcOpen != SQLITE_OK ) goto done;
    const char *zHostA = side_host(j, 0), *zHostB = side_host(j, 1);
    j->oneHost = zHostA && zHostB && sqlite3_stricmp(zHostA, zHostB) == 0;
    if( run_sides(j, task_prepare, (void *)1, (void *)1, pzErr) != SQLITE_OK ) goto done;
  }
  if( choose_row_hash(j, pzErr) != SQLITE_OK ) goto done;
  if( !fast_hash_off() && diff_prefix_hash(j, pzErr) != SQLITE_OK ) goto done;
  rc = SQLITE_OK;
done:
  sqlite3_free(zErr);
  pt_opts_names_free(azCols, nCols);
  pt_opts_names_free(azEx, nEx);
  pt_opts_names_free(azKey, nKeyOpt);
  pt_opts_clear(&o);
  return rc;
}

static int diffConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                       sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  return pt_tvf_connect(db, pAux,
                        "CREATE TABLE x(key TEXT, side TEXT, columns TEXT, src TEXT, dst TEXT, "
                        "src_table HIDDEN, dst_table HIDDEN, options HIDDEN)",
                        ppVtab);
}

/* src, dst, options: idxNum bit 1, 2, 4 */
static int diffBestIndex(sqlite3_vtab *p, sqlite3_index_info *info) {
  (void)p;
  return pt_tvf_best_index(info, COL_SRC_TABLE, 3);
}

static int diffOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **pp) {
  (void)p;
  diff_cursor *c = sqlite3_malloc(sizeof(*c));
  if( !c ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *pp = &c->base;
  return SQLITE_OK;
}

static void cursor_reset(diff_cursor *c) {
  for( int i = c->iOut; i < c->nOut; i++ ) out_clear(&c->aOut[i]);
  sqlite3_free(c->aOut);
  c->aOut = 0;
  c->nOut = c->nOutAlloc = c->iOut = 0;
  job_free(c->pJob);
  c->pJob = 0;
}

static int diffClose(sqlite3_vtab_cursor *cur) {
  cursor_reset((diff_cursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int cursor_error(diff_cursor *c, char *zMsg) { return pt_tvf_error(&c->base, zMsg); }

/*
** The next difference: one queued, else the next step of the walk (the
** top level, a level of cutting, a batch of leaves, a step of the merge)
** until one is queued or the walk ends.
*/
static int diffNext(sqlite3_vtab_cursor *cur) {
  diff_cursor *c = (diff_cursor *)cur;
  diff_job *j = c->pJob;
  if( c->iOut < c->nOut ) out_clear(&c->aOut[c->iOut++]);
  c->iRow++;
  while( c->iOut >= c->nOut ) {
    c->iOut = c->nOut = 0;
    char *zErr = 0;
    int rc = SQLITE_OK;
    if( j->maxDiffs > 0 && j->nDiff >= j->maxDiffs ) {
      draw_progress(j, 1);
      c->eof = 1;
      return SQLITE_OK;
    }
    if( j->merge ) {
      if( !j->started ) {
        j->started = 1;
        rc = run_sides(j, task_merge_open, j, j, &zErr);
      } else if( j->aHave[0] == 1 || j->aHave[1] == 1 ) {
        rc = walk_merge(c, &zErr);
      } else {
        goto finished;
      }
    } else if( !j->started ) {
      j->started = 1;
      rc = walk_top(j, &zErr);
    } else if( j->nLeaf > 0 ) {
      rc = walk_leaves(c, &zErr);
    } else if( j->nQueue > 0 ) {
      rc = walk_level(j, &zErr);
    } else {
      goto finished;
    }
    if( rc != SQLITE_OK ) {
      if( j->progress ) fputc('\n', stderr);
      return cursor_error(c, zErr ? zErr : sqlite3_mprintf("pontoon_diff: %s", sqlite3_errstr(rc)));
    }
    draw_progress(j, 0);
  }
  return SQLITE_OK;
finished:
  draw_progress(j, 1);
  c->eof = 1;
  if( j->nDiff == 0 && !j->partial ) {
    char *zErr = 0;
    if( mark_verified(j, &zErr) != SQLITE_OK ) return cursor_error(c, zErr);
  }
  return SQLITE_OK;
}

static int diffFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  (void)idxStr;
  diff_cursor *c = (diff_cursor *)cur;
  pt_tvf_vtab *v = (pt_tvf_vtab *)cur->pVtab;
  cursor_reset(c);
  c->eof = 0;
  c->iRow = 0;
  const char *az[3];
  pt_tvf_args(idxNum, argc, argv, 3, az);
  if( !(idxNum & 1) || !(idxNum & 2) ) {
    return cursor_error(c,
                        sqlite3_mprintf("pontoon_diff(src, dst [, options]): name the two "
                                        "tables to compare"));
  }
  diff_job *j = sqlite3_malloc(sizeof(*j));
  if( !j ) return SQLITE_NOMEM;
  memset(j, 0, sizeof(*j));
  j->db = v->db;
  c->pJob = j;
  char *zErr = 0;
  int rc = job_setup(j, v->pReg, az[0], az[1], az[2], &zErr);
  if( rc != SQLITE_OK )
    return cursor_error(c, zErr ? zErr : sqlite3_mprintf("pontoon_diff: %s", sqlite3_errstr(rc)));
  j->t0 = diff_now();
  /* the first difference; the out list starts with a placeholder that
  ** diffNext skips */
  c->iOut = c->nOut = 0;
  c->iRow = -1;
  return diffNext(cur);
}

static int diffEof(sqlite3_vtab_cursor *cur) { return ((diff_cursor *)cur)->eof; }

static int diffColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  diff_cursor *c = (diff_cursor *)cur;
  if( c->iOut >= c->nOut ) return SQLITE_OK;
  diff_out *o = &c->aOut[c->iOut];
  const char *z = 0;
  switch( i ) {
    case COL_KEY: z = o->zKey; break;
    case COL_SIDE: z = o->zSide; break;
    case COL_COLUMNS: z = o->zCols; break;
    case COL_SRC: z = o->zSrc; break;
    case COL_DST: z = o->zDst; break;
    default: break;
  }
  if( z ) {
    sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
    if( i != COL_SIDE ) sqlite3_result_subtype(ctx, 'J');
  }
  return SQLITE_OK;
}

static int diffRowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *p) {
  *p = ((diff_cursor *)cur)->iRow;
  return SQLITE_OK;
}

static sqlite3_module diffModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,
  /* xConnect    */ diffConnect,
  /* xBestIndex  */ diffBestIndex,
  /* xDisconnect */ pt_tvf_disconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ diffOpen,
  /* xClose      */ diffClose,
  /* xFilter     */ diffFilter,
  /* xNext       */ diffNext,
  /* xEof        */ diffEof,
  /* xColumn     */ diffColumn,
  /* xRowid      */ diffRowid,
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

int pt_diff_register(sqlite3 *db, pt_registry *reg) {
  return sqlite3_create_module_v2(db, "pontoon_diff", &diffModule, reg, 0);
}
