/*
** copy.h — what the files of pontoon_copy share (copy.c: the table-valued
** function; copy_plan.c: the job, its plan and its SQL; copy_chunks.c:
** the workers that copy chunks).
*/
#ifndef PT_COPY_H
#define PT_COPY_H

#include <pthread.h>
#include "migrate.h"

#define COPY_DEFAULT_CHUNK 10000 /* rows per planned chunk without chunk= */
#define COPY_MAX_CLAIM 64 /* chunks claimed at once when adapting */

/* One output row: a chunk committed by this call. */
typedef struct copy_out {
  int64_t chunk; /* -1: the note row of a call that did nothing */
  int64_t rows;
  int64_t rowsDone;
  double seconds;
} copy_out;

typedef struct copy_job copy_job;
typedef struct copy_finish copy_finish;

/*
** A worker: its own connections to both ends (ends share the description).
** With two lanes, the worker's transactions alternate between two target
** connections: while one claim's rows drain on the target and its ledger
** update and COMMIT run (a finisher thread, copy_finish), the next claim
** is read and written on the other.  Each transaction still carries its
** chunks' rows and their ledger update together.
*/
typedef struct copy_worker {
  copy_job *pJob;
  pt_end src; /* a shallow copy of the job's end, own pConn */
  pt_end aDst[2]; /* lane 0, and lane 1 when nLane == 2 */
  pt_end_writer *apWriter[2]; /* each lane's target writer, open across transactions */
  int nLane; /* 1, or 2: transactions overlap */
  int iLane; /* the lane of the next claim */
  int nClaim; /* chunks claimed at once */
  double tClaimMin; /* the least seconds a claim took to start (BEGIN, claim) */
  copy_finish *pFin; /* the previous claim, still ending on its lane, or NULL */
  char *zErr; /* why it stopped, or NULL */
  pthread_t thread;
  int started;
} copy_worker;

struct copy_job {
  sqlite3 *db;
  pt_end src, dst;
  int nCol;
  int *aSrcCol, *aDstCol; /* the columns copied, as indexes of each end */
  pt_kind *aSelKind; /* kinds of the source select list */
  pt_kind *aKeyKind; /* kinds of the source key columns */
  char *zJob, *zStage, *zWhere, *zOptions;
  int64_t chunkRows;
  int fixedChunk; /* chunk= given: claim one chunk at a time */
  int nWorker;
  double maxRate; /* rows/s, 0 = unlimited */
  int upsert;
  int raw; /* rows pass through undecoded (xRawOpen, xBulkRaw) */
  int progress;
  int64_t rowsTotal;
  char zWorker[96];
  pt_stmt aRead[4]; /* range reads: [hasLo + 2*hasHi] */
  void *pLeaser; /* the workers' second target connections being leased (copy.c) */
  /* results, shared with worker threads */
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  copy_out *aOut;
  int nOut, nOutAlloc, iOut;
  int nRunning; /* worker threads not finished */
  int64_t rowsThisCall;
  double t0;
  double tProgress;
  int stop; /* a worker failed: the others stop */
};

typedef struct claimed { /* a chunk claimed in the ledger */
  int64_t iChunk;
  char *zLo, *zHi; /* its bounds (pt_key_append's form), NULL: open */
} claimed;

/* in copy_plan.c */
double copy_now(void);
pt_param copy_param(const char *z, pt_kind k);
int copy_key_params(copy_job *j, const char *zKey, pt_param *aParam, char **azVal);
void copy_key_free(char **azVal, int n);
int64_t copy_value_i64(const pt_value *v);
int copy_read_sql(copy_job *j, int hasLo, int hasHi, pt_stmt *pOut);
int copy_job_setup(copy_job *j, pt_registry *r, const char *zSrc, const char *zDst,
                   const char *zOpts, char **pzErr);
int copy_job_start(copy_job *j, int *pDone, char **pzErr);
void copy_job_free(copy_job *j);

/* in copy.c */
void copy_lanes_ready(copy_job *j);

/* in copy_chunks.c */
int copy_raw_candidate(copy_job *j);
void copy_decide_raw(copy_job *j, char **azSrc, char **azDst);
int copy_step(copy_worker *w, char **pzErr);
int copy_worker_settle(copy_worker *w, char **pzErr);
void *copy_worker_main(void *p);
void copy_throttle(copy_job *j);

#endif /* PT_COPY_H */
