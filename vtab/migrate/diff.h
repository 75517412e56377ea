/*
** diff.h — what the files of pontoon_diff share (diff.c: the table-valued
** function and its walk; diff_sql.c: the SQL it sends and the rows it
** reads).
*/
#ifndef PT_DIFF_H
#define PT_DIFF_H

#include <pthread.h>
#include "migrate.h"

#define DIFF_FACTOR 32 /* segments a differing segment splits into */
#define DIFF_THRESHOLD 128 /* rows: at most this many on each side, fetch */
#define DIFF_FIRST_ROWS 1024 /* rows per piece of the first cut */
#define DIFF_FIRST_MAX 16384 /* pieces of the first cut, at most */
#define DIFF_LEAF_ROWS 16384 /* rows fetched by one leaf query per side, at once */
#define DIFF_BATCH 64 /* segments split by one bucket query */

/* A key range (lo, hi] of the key space; bounds in pt_key_append's form,
** NULL where open.  For a one-integer key, iLo and iHi are the bounds as
** numbers (the smallest key minus one, the largest, where open). */
typedef struct diff_seg {
  char *zLo, *zHi;
  int64_t iLo, iHi;
  int64_t n[2]; /* rows on src, dst */
  uint64_t h[2]; /* their hash sums */
  int level; /* how many cuts made it */
} diff_seg;

/* One side of the diff. */
typedef struct diff_side {
  pt_end e;
  pt_conn *pSnap; /* the snapshot connection (a remote end), or NULL */
  int *aCol; /* the compared columns, as indexes of e */
  char **azCanon; /* their canonical text expressions */
  char *zSum; /* the hash sum aggregate, or NULL: hashed here (zRow) */
  char *zSumCanon; /* the canonical one when zSum is the engine's row hash */
  char *zRow; /* the row's canonical text expression, when hashed here */
  char *zFrom; /* the table as the engine names it */
  const char *zWhat; /* "source" or "target" */
} diff_side;

/* A row read for comparison: the canonical text of each compared column
** (NULL for NULL), and the row as a JSON object and its key as a JSON
** array. */
typedef struct diff_row {
  char **az;
  int *an;
  char *zJson;
  char *zKey;
} diff_row;

/* A difference found, ready to be returned. */
typedef struct diff_out {
  char *zKey, *zSide, *zCols, *zSrc, *zDst;
} diff_out;

typedef struct diff_job {
  sqlite3 *db;
  diff_side a[2]; /* src, dst */
  int nCol; /* compared columns */
  int nKey;
  int *aKeyPos; /* key columns as positions among the compared ones */
  pt_kind *aKeyKind; /* how the key's bounds are compared and sent */
  int intKey; /* one integer key: segments split by arithmetic */
  int merge; /* a streaming merge instead of bisection */
  int parallel; /* the two sides' queries run at once (both remote) */
  int oneHost; /* both servers on one host: each side scans in one process */
  char *zWhere;
  char *zJob;
  pt_canon canon;
  int64_t maxDiffs, threshold, factor;
  int progress;
  int partial; /* where=, columns= or exclude=: not the whole table */
  int rowHash; /* the buckets hashed otherwise than the canonical checksum:
               ** the engine's own row hash, or the length-prefixed text
               ** (the canonical sum is then each side's zSumCanon) */
  /* the walk */
  diff_seg *aQueue; /* segments that differ, to split */
  int nQueue, nQueueAlloc;
  diff_seg *aLeaf; /* segments that differ, to fetch */
  int nLeaf, nLeafAlloc;
  int started; /* the top level was examined */
  int topCounted; /* nRows holds the counts, hSum nothing */
  int64_t nDiff; /* differences returned so far */
  int64_t nRows[2]; /* rows on each side (the top level) */
  uint64_t hSum[2];
  int64_t nFetched[2]; /* rows read by leaf queries and merges */
  int nQuery; /* bucket queries per side */
  /* the streaming merge */
  pt_end_rows *apMerge[2];
  pt_kind *aMergeKind[2]; /* the kinds the streams read */
  diff_row aCur[2];
  int aHave[2]; /* aCur[i] holds a row; -1: that side is finished */
  double t0, tProgress;
} diff_job;

/* in diff_sql.c */
int diff_bucket_query(diff_job *, int iSide, const diff_seg *aParent, int nParent,
                      const diff_seg *aChild, int nChild, int64_t *aN, uint64_t *aH, char **pzErr);
int diff_boundaries(diff_job *, int iSide, const diff_seg *aSeg, int nSeg, const int64_t *aStep,
                    char ***pazKey, int **paSeg, int *pnKey, char **pzErr);
int diff_int_bounds(diff_job *, int iSide, int *pHas, int64_t *pMin, int64_t *pMax, int64_t *pN,
                    char **pzErr);
int diff_count(diff_job *, int iSide, int64_t *pN, char **pzErr);
int diff_fetch(diff_job *, int iSide, const diff_seg *aSeg, int nSeg, diff_row **paRow, int *pnRow,
               char **pzErr);
int diff_merge_open(diff_job *, int iSide, char **pzErr);
int diff_merge_next(diff_job *, int iSide, char **pzErr);
void diff_row_clear(diff_row *, int nCol);
int diff_row_cmp_key(const diff_job *, const diff_row *, const diff_row *);
int diff_side_prepare(diff_job *, int iSide, char **pzErr);
int diff_probe(diff_job *, int iSide, const char *zSql, char **pzValue, char **pzErr);
int diff_row_hash(diff_job *, char **pzErr);
int diff_prefix_hash(diff_job *, char **pzErr);
void diff_side_clear(diff_side *);

#endif /* PT_DIFF_H */
