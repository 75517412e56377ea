/*
** migrate.h — the migration layer's own vocabulary (vtab/migrate/).
**
** An *end* is one side of a migration: a pontoon table (a remote table on a
** registered server) or an ordinary table of a SQLite database this
** connection has open.  Copy, diff and sync read and write ends through
** end.c and keep their state in the *ledger* of the target end (ledger.c,
** docs/ledger.md).
*/
#ifndef PT_MIGRATE_H
#define PT_MIGRATE_H

#include "pontoon.h"
#include "dialect.h"

typedef struct pt_end {
  sqlite3 *db;
  pt_registry *pReg;
  char *zLabel; /* the name as the user wrote it */
  /* a pontoon table */
  pt_vtab *pTab; /* or NULL: a local SQLite table */
  pt_server *pServer;
  pt_conn *pConn; /* leased by end_connect, or NULL */
  int inTxn; /* a transaction is open on pConn / the db */
  /* a local table */
  char *zDb; /* its schema ("main", an attached name) */
  char *zTable;
  /* both */
  const pt_dialect *pDialect; /* the SQL of the engine holding it */
  int nCol;
  char **azCol; /* column names, unquoted */
  pt_kind *aKind;
  int nKey;
  int *aKey; /* key column indexes, in key order */
  char **azTypes; /* the columns' type names, read once by checksum.c */
} pt_end;

/* A query's rows on an end. */
typedef struct pt_end_rows pt_end_rows;

/* in end.c */
int pt_end_open(sqlite3 *, pt_registry *, const char *zName, const char *zKeyOpt, pt_end *,
                char **pzErr);
int pt_end_open_pair(sqlite3 *, pt_registry *, const char *zFunc, const char *zSrc,
                     const char *zDst, pt_end *pSrc, pt_end *pDst, char **pzErr);
void pt_end_server(sqlite3 *, pt_registry *, pt_server *, pt_end *);
void pt_end_local(sqlite3 *, pt_registry *, const char *zDb, pt_end *);
void pt_end_close(pt_end *);
int pt_end_connect(pt_end *, char **pzErr);
void pt_end_release(pt_end *);
int pt_end_find_col(const pt_end *, const char *zName);
int pt_end_types(pt_end *, char ***pazType, char **pzErr);
void pt_end_sql(pt_end *, pt_sql *);
int pt_end_exec(pt_end *, const pt_stmt *, int nParam, const pt_param *aParam, int64_t *pnChanged,
                char **pzErr);
int pt_end_exec_text(pt_end *, const char *zSql, char **pzErr);
int pt_end_query(pt_end *, const pt_stmt *, int nParam, const pt_param *aParam, int nCol,
                 const pt_kind *aKind, pt_end_rows **pp, char **pzErr);
int pt_end_query_text(pt_end *, const char *zSql, int nCol, const pt_kind *aKind, pt_end_rows **pp,
                      char **pzErr);
int pt_end_query_few(pt_end *, const pt_stmt *, int nParam, const pt_param *aParam, int nCol,
                     const pt_kind *aKind, pt_end_rows **pp, char **pzErr);
int pt_end_query_n(pt_end *, const pt_stmt *, int nParam, const pt_param *aParam, int nCol,
                   const pt_kind *aKind, int nFetch, pt_end_rows **pp, char **pzErr);
int pt_end_rows_next(pt_end_rows *, char **pzErr);
void pt_end_rows_column(pt_end_rows *, int i, pt_value *);
void pt_end_rows_close(pt_end_rows *);
int pt_end_begin(pt_end *, char **pzErr);
int pt_end_commit(pt_end *, char **pzErr);
void pt_end_rollback(pt_end *);
char *pt_end_error(pt_end *, const char *zWhat, char *zRemote);
char *pt_end_table_sql(pt_end *);
char *pt_end_ident(pt_end *, const char *zName);
int pt_end_read_flags(pt_end *);

/* Rows appended to an end's table inside its open transaction. */
typedef struct pt_end_writer pt_end_writer;
/* Rows encoded for a remote target (pt_end_writer_encode), to be sent by
** pt_end_writer_send, perhaps on another thread. */
typedef struct pt_row_batch {
  pt_buf buf; /* the values' text */
  pt_param *aParam; /* nRow * nCol; z holds offset + 1 into buf */
  int nRow, nCap;
} pt_row_batch;
int pt_end_writer_encode(pt_end_writer *, const pt_value *aVal, pt_row_batch *, char **pzErr);
int pt_end_writer_send(pt_end_writer *, pt_row_batch *, char **pzErr);
void pt_row_batch_free(pt_row_batch *);
int pt_end_writer_open(pt_end *, int nCol, const int *aCol, int upsert, pt_end_writer **pp,
                       char **pzErr);
int pt_end_writer_row(pt_end_writer *, const pt_value *aVal, char **pzErr);
int pt_end_writer_flush(pt_end_writer *, char **pzErr);
int pt_end_writer_raw(pt_end_writer *, const char *z, int n, int nRow, char **pzErr);
void pt_end_writer_close(pt_end_writer *);

/* in ledger.c: the ledger tables of a target end (docs/ledger.md) */
char *pt_ledger_name(pt_end *, const char *zTable);
int pt_ledger_create(pt_end *, char **pzErr);
int pt_ledger_create_sync(pt_end *, char **pzErr); /* the ledger and its table sync_batch */
/* values read from an end's rows (end.c): NULL is 0 or NULL; text and
** decimals are read as numbers; times are the ledger's UTC text */
int64_t pt_value_int(const pt_value *);
double pt_value_real(const pt_value *);
char *pt_value_text(const pt_value *);
double pt_utc_seconds(const char *z);
/* every ledger connection db can see, each database once (ledger.c) */
int pt_ledger_each(sqlite3 *db, pt_registry *reg,
                   int (*x)(void *pArg, pt_end *e, const char *zName, pt_server *s), void *pArg);
void pt_ledger_now(char *zBuf); /* 'YYYY-MM-DD HH:MM:SS.ffffff' UTC; zBuf of 40 bytes */
void pt_ledger_worker(char *zBuf, int n);
void pt_ledger_sqlf(pt_sql *, const char *zFmt, const char *zTable);
int pt_ledger_exec(pt_end *, const char *zTable, const char *zFmt, int nParam,
                   const pt_param *aParam, int64_t *pnChanged, char **pzErr);

/* in tvf.c: what the table-valued functions share */
typedef struct pt_tvf_vtab {
  sqlite3_vtab base;
  sqlite3 *db;
  pt_registry *pReg;
} pt_tvf_vtab;
int pt_tvf_connect(sqlite3 *, void *pAux, const char *zSchema, sqlite3_vtab **ppVtab);
int pt_tvf_disconnect(sqlite3_vtab *);
int pt_tvf_best_index(sqlite3_index_info *, int iFirstArg, int nArg);
void pt_tvf_args(int idxNum, int argc, sqlite3_value **argv, int nArg, const char **az);
int pt_tvf_error(sqlite3_vtab_cursor *, char *zMsg);

/* The migration layer's SQL functions and tables, registered by the entry
** point. */
int pt_copy_register(sqlite3 *, pt_registry *);
int pt_jobs_register(sqlite3 *, pt_registry *);

/* in checksum.c: the canonical text of rows and their hashes, the same on
** every engine (docs/diff.md); pontoon_checksum, and what pontoon_diff
** compares.  Column names are quoted with the end's dialect. */
typedef struct pt_canon {
  int floatDigits; /* significant digits of reals: 15 by default */
  int timePrecision; /* fractional digits of times and timestamps: 6 */
} pt_canon;
void pt_canon_default(pt_canon *);
/* float_digits= and time_precision= of an options string already parsed by
** pt_opts_parse; the message names the option, not the function */
int pt_canon_options(pt_canon *, const pt_opts *, char **pzErr);
/* the expression of column iCol's canonical text on end e's engine; SQL
** NULL when the value is NULL */
int pt_canon_column(sqlite3_str *, pt_end *e, int iCol, const pt_canon *, char **pzErr);
/* the expression of the canonical text of a row over columns aCol[nCol]
** (indexes of e) */
int pt_canon_row(sqlite3_str *, pt_end *e, int nCol, const int *aCol, const pt_canon *,
                 char **pzErr);
/* the AGGREGATE expression summing the 60-bit row hashes (usable in a GROUP
** BY query written by the caller: SELECT <bucket>, count(*), <this> FROM t
** WHERE ... GROUP BY 1); returns SQLITE_OK and *pClient = 1 instead when
** the engine cannot hash (then the caller selects pt_canon_row and hashes
** with pt_hash_text) */
int pt_hash_sum(sqlite3_str *, pt_end *e, int nCol, const int *aCol, const pt_canon *, int *pClient,
                char **pzErr);
uint64_t pt_hash_sum_value(const pt_value *); /* what pt_hash_sum's column returned, mod 2^64 */
uint64_t pt_hash_text(const char *z, int n); /* first 60 bits of md5(z) */
void pt_checksum_format(int64_t nRow, uint64_t sum, char *zOut); /* zOut: 48 bytes */
int pt_checksum_register(sqlite3 *, pt_registry *);
int pt_diff_register(sqlite3 *, pt_registry *); /* in diff.c */

/* in ddl.c: pontoon_ddl, the statements that create a table on another
** engine (docs/ddl.md) */
int pt_ddl_register(sqlite3 *, pt_registry *);

/* in capture.c: pontoon_capture, pontoon_capture_stop, pontoon_freeze,
** pontoon_thaw (docs/capture.md).  A captured table's names: its label in
** the change rows, the change table and the capture list of its server
** (pontoon.changes / pontoon_changes, pontoon.captures / pontoon_captures),
** for the dialect's xCaptureTriggers and for sync.c. */
typedef struct pt_capture_info {
  pt_capture c; /* points into the fields below */
  char *zLabel, *zName, *zChanges, *zCaptures;
  char **azKey;
} pt_capture_info;
int pt_capture_info_init(pt_end *src, pt_capture_info *, const char *zFunc, char **pzErr);
void pt_capture_info_clear(pt_capture_info *);
int pt_capture_register(sqlite3 *, pt_registry *);
/* in sync.c: pontoon_sync (docs/sync.md) */
int pt_sync_register(sqlite3 *, pt_registry *);
/* pontoon_report (report.c) */
int pt_report_register(sqlite3 *, pt_registry *);

#endif /* PT_MIGRATE_H */
