/*
** report.c — pontoon_report: the migration as one self-contained HTML page
** (DESIGN §5.6, docs/report.md).
**
**   SELECT pontoon_report('/tmp/migration.html');
**   SELECT pontoon_report('/tmp/migration.html', 'title=''Shop, stage 1''');
**   3                      -- the number of jobs on the page
**
** The page is read from the ledgers this connection can see, found as
** pontoon_jobs finds them (jobs.c): every SQLite database of this
** connection that holds one, then every registered server once.  It shows
** D(t), the migrated volume over time, as an SVG chart with one stacked
** series per stage; per job its state, rows, rate, duration, sync batches,
** the last diff that verified it, and its errors; the failed chunks.  CSS
** and SVG are inline: no script, no network, and it prints.
**
** The file is written whole to a temporary file beside it and renamed over
** path, so that a reader never sees half a page.
**
** Rationale: every text that comes from a ledger (job and table names,
** stages, errors) is HTML-escaped, so a job named "<script>" is just text.
** pontoon_report reads servers and writes a file, so it is
** SQLITE_DIRECTONLY: a database file from someone else cannot make a view
** or trigger call it.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "migrate.h"

#define RP_MAX_FAILED_CHUNKS 20 /* failed chunks listed per job */
#define RP_SAMPLES 240 /* points per series of the chart */

/* The columns read from a ledger's job table, in query order. */
enum {
  RJ_JOB,
  RJ_STAGE,
  RJ_KIND,
  RJ_SRC,
  RJ_DST,
  RJ_STATE,
  RJ_ROWS_TOTAL,
  RJ_CHUNKS_TOTAL,
  RJ_STARTED,
  RJ_UPDATED,
  RJ_ERROR,
  RJ_CHECKSUM,
  RJ_VERIFIED,
  RJ_N
};

/* One job of one ledger, with what its chunks and sync batches add up to. */
typedef struct rp_job {
  char *az[RJ_N]; /* text as read; NULL for SQL NULL */
  char *zLedger; /* the server or SQLite database that holds it */
  int iStage; /* index in report.azStage */
  int64_t rowsDone, chunksDone, chunksFailed;
  double tFirst, tLast; /* the first and last chunk's finish, or -1 */
  int64_t nBatch, applied; /* sync batches and the changes they applied */
  double syncSeconds;
  double maxLag; /* the largest lag_seconds a batch began with */
  char *zLastBatch; /* the last batch's finish time */
} rp_job;

/* A chunk done: a point of D(t). */
typedef struct rp_point {
  double t;
  int64_t rows;
  int iJob;
} rp_point;

/* A failed chunk. */
typedef struct rp_fail {
  int iJob;
  char *zChunk, *zError, *zWhen;
} rp_fail;

typedef struct report {
  sqlite3 *db;
  pt_registry *pReg;
  rp_job *aJob;
  int nJob, nJobAlloc;
  rp_point *aPt;
  int nPt, nPtAlloc;
  rp_fail *aFail;
  int nFail, nFailAlloc;
  char **azStage;
  int nStage;
  sqlite3_str *pLedgers; /* the ledgers read, escaped HTML */
  double now;
  int oom;
} report;

/* ---- small helpers ---- */

/* Append z to s with &, <, >, " and ' escaped for HTML text and attribute
** values.  NULL appends nothing. */
static void html(sqlite3_str *s, const char *z) {
  if( !z ) return;
  for( const char *p = z; *p; p++ ) {
    switch( *p ) {
      case '&': sqlite3_str_appendall(s, "&amp;"); break;
      case '<': sqlite3_str_appendall(s, "&lt;"); break;
      case '>': sqlite3_str_appendall(s, "&gt;"); break;
      case '"': sqlite3_str_appendall(s, "&quot;"); break;
      case '\'': sqlite3_str_appendall(s, "&#39;"); break;
      default: sqlite3_str_appendchar(s, 1, *p); break;
    }
  }
}

/* A duration in seconds, as "2h03m", "4m05s" or "1.2 s". */
static void duration(sqlite3_str *s, double sec) {
  if( sec < 0 ) {
    sqlite3_str_appendall(s, "&ndash;");
  } else if( sec < 60 ) {
    sqlite3_str_appendf(s, "%.1f s", sec);
  } else if( sec < 3600 ) {
    sqlite3_str_appendf(s, "%dm%02ds", (int)(sec / 60), (int)sec % 60);
  } else {
    sqlite3_str_appendf(s, "%dh%02dm", (int)(sec / 3600), (int)(sec / 60) % 60);
  }
}

/* Grow array *pa of *pnAlloc elements of size sz to hold n + 1. */
static int grow(void **pa, int n, int *pnAlloc, size_t sz) {
  if( n < *pnAlloc ) return SQLITE_OK;
  int nNew = *pnAlloc ? *pnAlloc * 2 : 16;
  void *a = sqlite3_realloc64(*pa, sz * nNew);
  if( !a ) return SQLITE_NOMEM;
  *pa = a;
  *pnAlloc = nNew;
  return SQLITE_OK;
}

/* The index of stage zStage (NULL: no stage), added if new; -1 on OOM. */
static int stage_index(report *r, const char *zStage) {
  const char *z = zStage ? zStage : "";
  for( int i = 0; i < r->nStage; i++ )
    if( strcmp(r->azStage[i], z) == 0 ) return i;
  char **az = sqlite3_realloc64(r->azStage, sizeof(char *) * (r->nStage + 1));
  if( !az ) return -1;
  r->azStage = az;
  if( (az[r->nStage] = pt_strdup(z)) == 0 ) return -1;
  return r->nStage++;
}

/* ---- reading the ledgers ---- */

/* Run zSql on end e (every row read; no parameters); *pp as pt_end_query. */
static int ledger_query(pt_end *e, const char *zSql, int nCol, const pt_kind *aKind,
                        pt_end_rows **pp, char **pzErr) {
  pt_stmt st;
  memset(&st, 0, sizeof(st));
  st.zSql = (char *)zSql;
  st.nStmt = 1;
  return pt_end_query(e, &st, 0, 0, nCol, aKind, pp, pzErr);
}

/* The job of this ledger (jobs [iFirst, r->nJob)) named zJob, or -1. */
static int find_job(report *r, int iFirst, const char *zJob, int *piLast) {
  if( *piLast >= iFirst && *piLast < r->nJob && strcmp(r->aJob[*piLast].az[RJ_JOB], zJob) == 0 )
    return *piLast;
  for( int i = iFirst; i < r->nJob; i++ ) {
    if( strcmp(r->aJob[i].az[RJ_JOB], zJob) == 0 ) return *piLast = i;
  }
  return -1;
}

/*
** Read the ledger of end e (labelled zLedger) into r: its jobs, then its
** chunks done (the points of D(t)) and failed, then its sync batches.  A
** database without a ledger adds nothing; a ledger without the table
** sync_batch (no sync ran there) has no batches.  Returns SQLITE_NOMEM or
** SQLITE_OK.
*/
static int read_ledger(report *r, pt_end *e, const char *zLedger) {
  static const pt_kind aJobKind[RJ_N] = { PT_K_TEXT,      PT_K_TEXT,      PT_K_TEXT, PT_K_TEXT,
                                          PT_K_TEXT,      PT_K_TEXT,      PT_K_INT,  PT_K_INT,
                                          PT_K_TIMESTAMP, PT_K_TIMESTAMP, PT_K_TEXT, PT_K_TEXT,
                                          PT_K_TIMESTAMP };
  static const pt_kind aChunkKind[6] = { PT_K_TEXT,      PT_K_TEXT, PT_K_INT,
                                         PT_K_TIMESTAMP, PT_K_TEXT, PT_K_INT };
  static const pt_kind aSyncKind[6] = { PT_K_TEXT,      PT_K_INT,     PT_K_DECIMAL,
                                        PT_K_TIMESTAMP, PT_K_DECIMAL, PT_K_DECIMAL };
  char *zJob = pt_ledger_name(e, "job");
  char *zChunk = pt_ledger_name(e, "chunk");
  char *zSync = pt_ledger_name(e, "sync_batch");
  char *zQ1 = sqlite3_mprintf("SELECT job, stage, kind, src, dst, state, rows_total, chunks_total, "
                              "started, updated, error, checksum, verified FROM %s "
                              "ORDER BY started, job",
                              zJob);
  char *zQ2 = sqlite3_mprintf("SELECT job, state, rows_copied, finished, error, chunk FROM %s "
                              "WHERE state IN ('done', 'failed') ORDER BY job, chunk",
                              zChunk);
  char *zQ3 = sqlite3_mprintf("SELECT job, count(*), sum(applied), max(finished), sum(seconds), "
                              "max(lag_seconds) FROM %s GROUP BY job",
                              zSync);
  int iFirst = r->nJob, iLast = -1;
  pt_end_rows *q = 0;
  char *zErr = 0;
  int rc = SQLITE_OK;
  if( !zJob || !zChunk || !zSync || !zQ1 || !zQ2 || !zQ3 ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  /* the jobs */
  if( ledger_query(e, zQ1, RJ_N, aJobKind, &q, &zErr) != SQLITE_OK ) goto done; /* no ledger */
  while( rc == SQLITE_OK && pt_end_rows_next(q, &zErr) == SQLITE_ROW ) {
    if( grow((void **)&r->aJob, r->nJob, &r->nJobAlloc, sizeof(rp_job)) ) {
      rc = SQLITE_NOMEM;
      break;
    }
    rp_job *j = &r->aJob[r->nJob];
    memset(j, 0, sizeof(*j));
    for( int i = 0; i < RJ_N; i++ ) {
      pt_value v;
      pt_end_rows_column(q, i, &v);
      j->az[i] = pt_value_text(&v);
    }
    j->zLedger = pt_strdup(zLedger);
    j->tFirst = j->tLast = -1;
    j->iStage = stage_index(r, j->az[RJ_STAGE]);
    r->nJob++;
    if( !j->az[RJ_JOB] ) j->az[RJ_JOB] = pt_strdup("");
    if( !j->zLedger || !j->az[RJ_JOB] || j->iStage < 0 ) rc = SQLITE_NOMEM;
  }
  pt_end_rows_close(q);
  q = 0;
  sqlite3_free(zErr);
  zErr = 0;
  if( rc != SQLITE_OK ) goto done;
  /* the chunks done and failed */
  if( ledger_query(e, zQ2, (int)(sizeof(aChunkKind) / sizeof(aChunkKind[0])), aChunkKind, &q,
                   &zErr) == SQLITE_OK ) {
    while( rc == SQLITE_OK && pt_end_rows_next(q, &zErr) == SQLITE_ROW ) {
      pt_value v[6];
      for( int i = 0; i < 6; i++ ) pt_end_rows_column(q, i, &v[i]);
      char *zName = pt_value_text(&v[0]);
      char *zState = pt_value_text(&v[1]);
      int iJob = zName ? find_job(r, iFirst, zName, &iLast) : -1;
      if( iJob >= 0 && zState && strcmp(zState, "done") == 0 ) {
        rp_job *j = &r->aJob[iJob];
        char *zWhen = pt_value_text(&v[3]);
        double t = pt_utc_seconds(zWhen);
        sqlite3_free(zWhen);
        int64_t n = pt_value_int(&v[2]);
        j->rowsDone += n;
        j->chunksDone++;
        if( t >= 0 ) {
          if( j->tFirst < 0 || t < j->tFirst ) j->tFirst = t;
          if( t > j->tLast ) j->tLast = t;
          if( grow((void **)&r->aPt, r->nPt, &r->nPtAlloc, sizeof(rp_point)) ) {
            rc = SQLITE_NOMEM;
          } else {
            rp_point *p = &r->aPt[r->nPt++];
            p->t = t;
            p->rows = n;
            p->iJob = iJob;
          }
        }
      } else if( iJob >= 0 && zState ) {
        rp_job *j = &r->aJob[iJob];
        if( j->chunksFailed++ < RP_MAX_FAILED_CHUNKS ) {
          if( grow((void **)&r->aFail, r->nFail, &r->nFailAlloc, sizeof(rp_fail)) ) {
            rc = SQLITE_NOMEM;
          } else {
            rp_fail *f = &r->aFail[r->nFail++];
            f->iJob = iJob;
            f->zChunk = pt_value_text(&v[5]);
            f->zError = pt_value_text(&v[4]);
            f->zWhen = pt_value_text(&v[3]);
          }
        }
      }
      sqlite3_free(zName);
      sqlite3_free(zState);
    }
    pt_end_rows_close(q);
    q = 0;
  }
  sqlite3_free(zErr);
  zErr = 0;
  if( rc != SQLITE_OK ) goto done;
  /* the sync batches, where a sync ran */
  if( ledger_query(e, zQ3, 6, aSyncKind, &q, &zErr) == SQLITE_OK ) {
    while( rc == SQLITE_OK && pt_end_rows_next(q, &zErr) == SQLITE_ROW ) {
      pt_value v[6];
      for( int i = 0; i < 6; i++ ) pt_end_rows_column(q, i, &v[i]);
      char *zName = pt_value_text(&v[0]);
      int iJob = zName ? find_job(r, iFirst, zName, &iLast) : -1;
      sqlite3_free(zName);
      if( iJob < 0 ) continue;
      rp_job *j = &r->aJob[iJob];
      j->nBatch = pt_value_int(&v[1]);
      j->applied = pt_value_int(&v[2]);
      j->zLastBatch = pt_value_text(&v[3]);
      j->syncSeconds = pt_value_real(&v[4]);
      j->maxLag = pt_value_real(&v[5]);
    }
    pt_end_rows_close(q);
    q = 0;
  }
done:
  sqlite3_free(zErr);
  sqlite3_free(zJob);
  sqlite3_free(zChunk);
  sqlite3_free(zSync);
  sqlite3_free(zQ1);
  sqlite3_free(zQ2);
  sqlite3_free(zQ3);
  return rc;
}

/* Note ledger zName in the page's list of ledgers read, with zNote. */
static void note_ledger(report *r, const char *zName, const char *zNote) {
  if( sqlite3_str_length(r->pLedgers) > 0 ) sqlite3_str_appendall(r->pLedgers, ", ");
  sqlite3_str_appendall(r->pLedgers, "<b>");
  html(r->pLedgers, zName);
  sqlite3_str_appendall(r->pLedgers, "</b>");
  if( zNote ) {
    sqlite3_str_appendall(r->pLedgers, " (");
    html(r->pLedgers, zNote);
    sqlite3_str_appendall(r->pLedgers, ")");
  }
}

/*
** Read every ledger this connection can see, as pontoon_jobs does: the
** SQLite databases that hold one, then each registered server (a database
** registered under two names, or reached by two drivers, once).
*/
static int read_one(void *p, pt_end *e, const char *zName, pt_server *s) {
  report *r = p;
  if( !e ) {
    note_ledger(r, zName, "cannot be reached");
    return SQLITE_OK;
  }
  int n0 = r->nJob;
  int rc = read_ledger(r, e, zName);
  note_ledger(r, zName, !s ? "SQLite" : r->nJob > n0 ? s->pDriver->zName : "no jobs");
  return rc;
}

static int read_ledgers(report *r) { return pt_ledger_each(r->db, r->pReg, read_one, r); }

/* ---- the page ---- */

static const char *const azColor[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };
#define RP_NCOLOR (int)(sizeof(azColor) / sizeof(azColor[0]))

static const char zStyle[] =
  "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;"
  "padding:0 1em}\n"
  "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;"
  "border-bottom:1px solid #ccc}\n"
  ".meta{color:#555}\n"
  "table{border-collapse:collapse;width:100%;margin:.5em 0}\n"
  "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}\n"
  "th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
  ".state-failed{color:#b00;font-weight:bold}.state-verified,.state-switched{color:#070;"
  "font-weight:bold}\n"
  ".chart{display:flex;gap:1.5em;align-items:flex-start;flex-wrap:wrap}\n"
  ".chart svg{border:1px solid #ddd;background:#fff}\n"
  ".formula{max-width:24em}.formula p{margin:.3em 0}\n"
  ".swatch{display:inline-block;width:.9em;height:.9em;margin-right:.4em;vertical-align:middle}\n"
  ".error{color:#b00;white-space:pre-wrap}\n"
  "@media print{body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid}"
  "tr,svg,.chart{break-inside:avoid}*{-webkit-print-color-adjust:exact;"
  "print-color-adjust:exact}}\n";

/* The grand total of rows: each job's total, or its rows done when more
** or unknown. */
static int64_t job_total(const rp_job *j) {
  int64_t t = j->az[RJ_ROWS_TOTAL] ? strtoll(j->az[RJ_ROWS_TOTAL], 0, 10) : 0;
  return t > j->rowsDone ? t : j->rowsDone;
}

static int cmp_point(const void *a, const void *b) {
  double x = ((const rp_point *)a)->t, y = ((const rp_point *)b)->t;
  return x < y ? -1 : x > y;
}

static void time_label(sqlite3_str *s, double t) {
  time_t tt = (time_t)t;
  struct tm tm;
  char z[32];
  gmtime_r(&tt, &tm);
  strftime(z, sizeof z, "%Y-%m-%d %H:%M:%S", &tm);
  sqlite3_str_appendall(s, z);
}

/*
** The chart of D(t): one polygon per stage (class "series", data-stage
** its name), stacked, sampled at RP_SAMPLES + 1 times from the first job's
** start to the last chunk, as a fraction of all the jobs' rows.
*/
static int chart(report *r, sqlite3_str *s) {
  const int W = 640, H = 260, L = 48, T = 12, B = 40, R = 16;
  const int pw = W - L - R, ph = H - T - B;
  int64_t total = 0;
  double t0 = -1, t1 = -1;
  for( int i = 0; i < r->nJob; i++ ) {
    total += job_total(&r->aJob[i]);
    double ts = pt_utc_seconds(r->aJob[i].az[RJ_STARTED]);
    if( ts >= 0 && r->aJob[i].tFirst >= 0 && (t0 < 0 || ts < t0) ) t0 = ts;
  }
  qsort(r->aPt, r->nPt, sizeof(rp_point), cmp_point);
  if( r->nPt > 0 ) {
    if( t0 < 0 || r->aPt[0].t < t0 ) t0 = r->aPt[0].t;
    t1 = r->aPt[r->nPt - 1].t;
  }
  if( t0 < 0 ) t0 = t1 = r->now;
  if( t1 - t0 < 1 ) t1 = t0 + 1;
  sqlite3_str_appendf(s,
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dt\" width=\"%d\" "
                      "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
                      "aria-label=\"D(t): rows migrated over time, by stage\">\n",
                      W, H, W, H);
  /* the grid and axes */
  for( int k = 0; k <= 4; k++ ) {
    int y = T + ph - ph * k / 4;
    sqlite3_str_appendf(
      s,
      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
      "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%d%%</text>\n",
      L, y, L + pw, y, L - 4, y + 4, k * 25);
  }
  /* cumulative rows of each stage at each sample */
  int nS = r->nStage > 0 ? r->nStage : 1;
  int64_t *aCum = sqlite3_malloc64(sizeof(int64_t) * nS * (RP_SAMPLES + 1));
  if( !aCum ) return SQLITE_NOMEM;
  memset(aCum, 0, sizeof(int64_t) * nS * (RP_SAMPLES + 1));
  {
    int64_t *cur = sqlite3_malloc64(sizeof(int64_t) * nS);
    if( !cur ) {
      sqlite3_free(aCum);
      return SQLITE_NOMEM;
    }
    memset(cur, 0, sizeof(int64_t) * nS);
    int p = 0;
    for( int i = 0; i <= RP_SAMPLES; i++ ) {
      double ti = i == RP_SAMPLES ? t1 : t0 + (t1 - t0) * i / RP_SAMPLES;
      while( p < r->nPt && r->aPt[p].t <= ti ) {
        cur[r->aJob[r->aPt[p].iJob].iStage] += r->aPt[p].rows;
        p++;
      }
      memcpy(&aCum[i * nS], cur, sizeof(int64_t) * nS);
    }
    sqlite3_free(cur);
  }
  double yScale = total > 0 ? (double)ph / (double)total : 0;
  for( int k = 0; k < r->nStage; k++ ) {
    sqlite3_str_appendall(s, "<polygon class=\"series\" data-stage=\"");
    html(s, r->azStage[k]);
    sqlite3_str_appendf(s, "\" fill=\"%s\" fill-opacity=\"0.75\" stroke=\"%s\" points=\"",
                        azColor[k % RP_NCOLOR], azColor[k % RP_NCOLOR]);
    /* the top edge forwards, the bottom edge (the stages below) back */
    for( int pass = 0; pass < 2; pass++ ) {
      for( int n = 0; n <= RP_SAMPLES; n++ ) {
        int i = pass == 0 ? n : RP_SAMPLES - n;
        int64_t below = 0;
        for( int m = 0; m < k; m++ ) below += aCum[i * nS + m];
        int64_t y = pass == 0 ? below + aCum[i * nS + k] : below;
        sqlite3_str_appendf(s, "%.1f,%.1f ", L + (double)pw * i / RP_SAMPLES, T + ph - y * yScale);
      }
    }
    sqlite3_str_appendall(s, "\"><title>stage ");
    html(s, r->azStage[k][0] ? r->azStage[k] : "(none)");
    sqlite3_str_appendall(s, "</title></polygon>\n");
  }
  sqlite3_free(aCum);
  sqlite3_str_appendf(s,
                      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
                      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
                      L, T, L, T + ph, L, T + ph, L + pw, T + ph);
  sqlite3_str_appendf(s, "<text x=\"%d\" y=\"%d\" font-size=\"11\">", L, H - B + 16);
  time_label(s, t0);
  sqlite3_str_appendf(s, " UTC</text><text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">",
                      L + pw, H - B + 16);
  time_label(s, t1);
  sqlite3_str_appendf(s,
                      " UTC</text>\n<text x=\"%d\" y=\"%d\" font-size=\"11\" "
                      "text-anchor=\"middle\">time (",
                      L + pw / 2, H - 6);
  duration(s, t1 - t0);
  sqlite3_str_appendall(s, ")</text>\n</svg>\n");
  return SQLITE_OK;
}

/* The page of report r into s. */
static int page(report *r, sqlite3_str *s, const char *zTitle) {
  int64_t total = 0, done = 0;
  for( int i = 0; i < r->nJob; i++ ) {
    total += job_total(&r->aJob[i]);
    done += r->aJob[i].rowsDone;
  }
  sqlite3_str_appendall(s,
                        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<meta name=\"generator\" content=\"pontoon_report\">\n<title>");
  html(s, zTitle);
  sqlite3_str_appendall(s, "</title>\n<style>\n");
  sqlite3_str_appendall(s, zStyle);
  sqlite3_str_appendall(s, "</style>\n</head>\n<body>\n<h1>");
  html(s, zTitle);
  sqlite3_str_appendall(s, "</h1>\n<p class=\"meta\">Written ");
  time_label(s, r->now);
  sqlite3_str_appendf(s,
                      " UTC from the ledgers of %s. <span id=\"njobs\">%d</span> jobs, "
                      "<span id=\"rows-done\">%lld</span> of %lld rows migrated.</p>\n",
                      sqlite3_str_length(r->pLedgers) ? sqlite3_str_value(r->pLedgers) : "nothing",
                      r->nJob, (long long)done, (long long)total);

  /* D(t) */
  sqlite3_str_appendall(
    s, "<h2>D(t): rows migrated over time, by stage</h2>\n<div class=\"chart\">\n");
  int rc = chart(r, s);
  if( rc != SQLITE_OK ) return rc;
  sqlite3_str_appendall(
    s,
    "<div class=\"formula\"><p><b>D(t)</b> = the sum over stages of the rows that stage has "
    "copied by time <i>t</i>, over the total rows of every job.</p>\n"
    "<p>Each step is one chunk committed in a ledger (its <code>finished</code> time and "
    "<code>rows_copied</code>): the curve is exact, not an estimate. In the seed's terms, "
    "D(t) = D<sub>0</sub> + &Sigma; &Delta;D<sub>i</sub> f(t &minus; T<sub>i</sub>), with f a "
    "step at each chunk's commit time T<sub>i</sub>.</p>\n<table class=\"stages\">\n"
    "<tr><th>stage</th><th>jobs</th><th>rows done</th><th>rows total</th></tr>\n");
  for( int k = 0; k < r->nStage; k++ ) {
    int64_t sd = 0, st = 0;
    int nj = 0;
    for( int i = 0; i < r->nJob; i++ ) {
      if( r->aJob[i].iStage != k ) continue;
      nj++;
      sd += r->aJob[i].rowsDone;
      st += job_total(&r->aJob[i]);
    }
    sqlite3_str_appendf(s,
                        "<tr class=\"stage\"><td><span class=\"swatch\" style=\"background:%s\">"
                        "</span>",
                        azColor[k % RP_NCOLOR]);
    html(s, r->azStage[k][0] ? r->azStage[k] : "(none)");
    sqlite3_str_appendf(s,
                        "</td><td class=\"num\">%d</td><td class=\"num\">%lld</td>"
                        "<td class=\"num\">%lld</td></tr>\n",
                        nj, (long long)sd, (long long)st);
  }
  sqlite3_str_appendall(s, "</table></div>\n</div>\n");

  /* the jobs */
  sqlite3_str_appendall(s,
                        "<h2>Jobs</h2>\n<table class=\"jobs\">\n<tr><th>job</th><th>ledger</th>"
                        "<th>stage</th><th>kind</th><th>state</th><th>rows done</th>"
                        "<th>rows total</th><th>rows/s</th><th>duration</th><th>chunks</th>"
                        "<th>syncs</th><th>last diff</th></tr>\n");
  for( int i = 0; i < r->nJob; i++ ) {
    rp_job *j = &r->aJob[i];
    double ts = pt_utc_seconds(j->az[RJ_STARTED]);
    double te = j->tLast >= 0 ? j->tLast : pt_utc_seconds(j->az[RJ_UPDATED]);
    double dur = ts >= 0 && te >= ts ? te - ts : -1;
    sqlite3_str_appendall(s, "<tr class=\"job\" data-job=\"");
    html(s, j->az[RJ_JOB]);
    sqlite3_str_appendf(s, "\" data-rows=\"%lld\"><td class=\"name\">", (long long)j->rowsDone);
    html(s, j->az[RJ_JOB]);
    sqlite3_str_appendall(s, "<br><small>");
    html(s, j->az[RJ_SRC]);
    sqlite3_str_appendall(s, " &rarr; ");
    html(s, j->az[RJ_DST]);
    sqlite3_str_appendall(s, "</small></td><td>");
    html(s, j->zLedger);
    sqlite3_str_appendall(s, "</td><td>");
    html(s, j->az[RJ_STAGE]);
    sqlite3_str_appendall(s, "</td><td>");
    html(s, j->az[RJ_KIND]);
    sqlite3_str_appendall(s, "</td><td class=\"state state-");
    html(s, j->az[RJ_STATE]);
    sqlite3_str_appendall(s, "\">");
    html(s, j->az[RJ_STATE]);
    sqlite3_str_appendf(s, "</td><td class=\"num rows\">%lld</td><td class=\"num\">",
                        (long long)j->rowsDone);
    html(s, j->az[RJ_ROWS_TOTAL]);
    sqlite3_str_appendall(s, "</td><td class=\"num\">");
    if( dur > 0 && j->rowsDone > 0 ) {
      sqlite3_str_appendf(s, "%.0f", j->rowsDone / dur);
    } else {
      sqlite3_str_appendall(s, "&ndash;");
    }
    sqlite3_str_appendall(s, "</td><td class=\"num\">");
    duration(s, dur);
    sqlite3_str_appendf(s, "</td><td class=\"num\">%lld", (long long)j->chunksDone);
    if( j->az[RJ_CHUNKS_TOTAL] ) {
      sqlite3_str_appendall(s, " / ");
      html(s, j->az[RJ_CHUNKS_TOTAL]);
    }
    if( j->chunksFailed ) sqlite3_str_appendf(s, " (%lld failed)", (long long)j->chunksFailed);
    sqlite3_str_appendall(s, "</td><td class=\"syncs\">");
    if( j->nBatch > 0 ) {
      sqlite3_str_appendf(s, "%lld batches, %lld changes in ", (long long)j->nBatch,
                          (long long)j->applied);
      duration(s, j->syncSeconds);
      sqlite3_str_appendall(s, "; largest lag ");
      duration(s, j->maxLag);
      sqlite3_str_appendall(s, "; last ");
      html(s, j->zLastBatch);
      double tb = pt_utc_seconds(j->zLastBatch);
      if( tb >= 0 ) {
        sqlite3_str_appendall(s, " (");
        duration(s, r->now - tb > 0 ? r->now - tb : 0);
        sqlite3_str_appendall(s, " before this report)");
      }
    } else {
      sqlite3_str_appendall(s, "&ndash;");
    }
    sqlite3_str_appendall(s, "</td><td class=\"diff\">");
    if( j->az[RJ_VERIFIED] ) {
      sqlite3_str_appendall(s, "verified ");
      html(s, j->az[RJ_VERIFIED]);
      sqlite3_str_appendall(s, "<br><small>checksum <code>");
      html(s, j->az[RJ_CHECKSUM]);
      sqlite3_str_appendall(s, "</code></small>");
    } else {
      sqlite3_str_appendall(s, "not verified");
    }
    sqlite3_str_appendall(s, "</td></tr>\n");
  }
  sqlite3_str_appendall(s, "</table>\n");

  /* the failures */
  int nFailedJobs = 0;
  for( int i = 0; i < r->nJob; i++ )
    if( r->aJob[i].az[RJ_ERROR] || r->aJob[i].chunksFailed ) nFailedJobs++;
  sqlite3_str_appendall(s, "<h2>Failures</h2>\n");
  if( nFailedJobs == 0 ) {
    sqlite3_str_appendall(s, "<p class=\"none\">No job and no chunk failed.</p>\n");
  } else {
    sqlite3_str_appendall(s,
                          "<table class=\"failures\">\n<tr><th>job</th><th>chunk</th>"
                          "<th>when</th><th>error</th></tr>\n");
    for( int i = 0; i < r->nJob; i++ ) {
      rp_job *j = &r->aJob[i];
      if( j->az[RJ_ERROR] ) {
        sqlite3_str_appendall(s, "<tr class=\"failure\"><td>");
        html(s, j->az[RJ_JOB]);
        sqlite3_str_appendall(s, "</td><td>(the job)</td><td>");
        html(s, j->az[RJ_UPDATED]);
        sqlite3_str_appendall(s, "</td><td class=\"error\">");
        html(s, j->az[RJ_ERROR]);
        sqlite3_str_appendall(s, "</td></tr>\n");
      }
      for( int k = 0; k < r->nFail; k++ ) {
        rp_fail *f = &r->aFail[k];
        if( f->iJob != i ) continue;
        sqlite3_str_appendall(s, "<tr class=\"failure\"><td>");
        html(s, j->az[RJ_JOB]);
        sqlite3_str_appendall(s, "</td><td class=\"num\">");
        html(s, f->zChunk);
        sqlite3_str_appendall(s, "</td><td>");
        html(s, f->zWhen);
        sqlite3_str_appendall(s, "</td><td class=\"error\">");
        html(s, f->zError);
        sqlite3_str_appendall(s, "</td></tr>\n");
      }
      if( j->chunksFailed > RP_MAX_FAILED_CHUNKS ) {
        sqlite3_str_appendall(s, "<tr><td>");
        html(s, j->az[RJ_JOB]);
        sqlite3_str_appendf(s,
                            "</td><td colspan=\"3\">and %lld more failed chunks "
                            "(the ledger's chunk table has them all)</td></tr>\n",
                            (long long)(j->chunksFailed - RP_MAX_FAILED_CHUNKS));
      }
    }
    sqlite3_str_appendall(s, "</table>\n");
  }
  sqlite3_str_appendall(s,
                        "<p class=\"meta\">Written by pontoon_report. Times are UTC, as the "
                        "ledgers keep them.</p>\n</body>\n</html>\n");
  return sqlite3_str_errcode(s);
}

/*
** Write n bytes of z to zPath whole: to a temporary file beside it, then
** renamed over it.  On failure, *pzErr says why (not prefixed) and nothing
** is left behind.
*/
static int write_atomic(const char *zPath, const char *z, size_t n, char **pzErr) {
  char *zTmp = sqlite3_mprintf("%s.XXXXXX", zPath);
  if( !zTmp ) return SQLITE_NOMEM;
  int fd = mkstemp(zTmp);
  if( fd < 0 ) {
    *pzErr = sqlite3_mprintf("cannot write %s: %s", zPath, strerror(errno));
    sqlite3_free(zTmp);
    return SQLITE_CANTOPEN;
  }
  int rc = SQLITE_OK;
  /* mkstemp makes it 0600; a page is for others to read */
  (void)fchmod(fd, 0644);
  size_t off = 0;
  while( off < n ) {
    ssize_t w = write(fd, z + off, n - off);
    if( w < 0 && errno == EINTR ) continue;
    if( w <= 0 ) {
      *pzErr = sqlite3_mprintf("cannot write %s: %s", zPath, strerror(errno));
      rc = SQLITE_IOERR;
      break;
    }
    off += (size_t)w;
  }
  if( rc == SQLITE_OK && fsync(fd) != 0 ) {
    *pzErr = sqlite3_mprintf("cannot write %s: %s", zPath, strerror(errno));
    rc = SQLITE_IOERR;
  }
  if( close(fd) != 0 && rc == SQLITE_OK ) {
    *pzErr = sqlite3_mprintf("cannot write %s: %s", zPath, strerror(errno));
    rc = SQLITE_IOERR;
  }
  if( rc == SQLITE_OK && rename(zTmp, zPath) != 0 ) {
    *pzErr = sqlite3_mprintf("cannot write %s: %s", zPath, strerror(errno));
    rc = SQLITE_IOERR;
  }
  if( rc != SQLITE_OK ) unlink(zTmp);
  sqlite3_free(zTmp);
  return rc;
}

static void report_clear(report *r) {
  for( int i = 0; i < r->nJob; i++ ) {
    for( int k = 0; k < RJ_N; k++ ) sqlite3_free(r->aJob[i].az[k]);
    sqlite3_free(r->aJob[i].zLedger);
    sqlite3_free(r->aJob[i].zLastBatch);
  }
  sqlite3_free(r->aJob);
  for( int i = 0; i < r->nFail; i++ ) {
    sqlite3_free(r->aFail[i].zChunk);
    sqlite3_free(r->aFail[i].zError);
    sqlite3_free(r->aFail[i].zWhen);
  }
  sqlite3_free(r->aFail);
  sqlite3_free(r->aPt);
  for( int i = 0; i < r->nStage; i++ ) sqlite3_free(r->azStage[i]);
  sqlite3_free(r->azStage);
  sqlite3_free(sqlite3_str_finish(r->pLedgers));
}

static const char *const azReportOption[] = { "title", 0 };

/* pontoon_report(path [, options]): write the page; the number of jobs. */
static void reportFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *zPath = (const char *)sqlite3_value_text(argv[0]);
  const char *zOpts = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : 0;
  report r;
  pt_opts o;
  char *zErr = 0;
  char *zHtml = 0;
  const char *zTitle;
  sqlite3_str *s;
  int n, rc = SQLITE_OK;
  memset(&r, 0, sizeof(r));
  memset(&o, 0, sizeof(o));
  r.db = sqlite3_context_db_handle(ctx);
  r.pReg = sqlite3_user_data(ctx);
  r.pLedgers = sqlite3_str_new(0);
  struct timeval tv;
  gettimeofday(&tv, 0);
  r.now = (double)tv.tv_sec + tv.tv_usec / 1e6;
  if( !zPath || !zPath[0] ) {
    zErr = sqlite3_mprintf("the path is empty");
    rc = SQLITE_MISUSE;
    goto done;
  }
  if( zOpts &&
      (rc = pt_opts_parse(zOpts, "pontoon_report", azReportOption, &o, &zErr)) != SQLITE_OK )
    goto done;
  if( (zTitle = pt_opts_get(&o, "title")) == 0 ) zTitle = "Migration report";
  rc = read_ledgers(&r);
  if( rc != SQLITE_OK ) goto done;
  s = sqlite3_str_new(0);
  rc = page(&r, s, zTitle);
  n = sqlite3_str_length(s);
  zHtml = sqlite3_str_finish(s);
  if( rc == SQLITE_OK && !zHtml ) rc = SQLITE_NOMEM;
  if( rc != SQLITE_OK ) goto done;
  rc = write_atomic(zPath, zHtml, (size_t)n, &zErr);
  if( rc == SQLITE_OK ) sqlite3_result_int(ctx, r.nJob);
done:
  if( rc == SQLITE_NOMEM ) {
    sqlite3_result_error_nomem(ctx);
  } else if( rc != SQLITE_OK ) {
    char *z = zErr && strncmp(zErr, "pontoon", 7) == 0
      ? sqlite3_mprintf("%s", zErr)
      : sqlite3_mprintf("pontoon_report: %s", zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_result_error(ctx, z ? z : "pontoon_report: out of memory", -1);
    sqlite3_free(z);
  }
  sqlite3_free(zErr);
  sqlite3_free(zHtml);
  pt_opts_clear(&o);
  report_clear(&r);
}

int pt_report_register(sqlite3 *db, pt_registry *reg) {
  int rc = SQLITE_OK;
  for( int n = 1; n <= 2 && rc == SQLITE_OK; n++ )
    rc = sqlite3_create_function_v2(db, "pontoon_report", n, SQLITE_UTF8 | SQLITE_DIRECTONLY, reg,
                                    reportFunc, 0, 0, 0);
  return rc;
}
