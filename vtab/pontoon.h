/*
** pontoon.h — the bridge's private header: the objects shared by the files
** above vtab/driver.h and the functions each file offers the others.
*/
#ifndef PT_PONTOON_H
#define PT_PONTOON_H

#include <string.h>
#include "pt_sqlite.h"
#include "driver.h"
#include "dialect.h"

/* A growable byte buffer for the hot write path (sqlite3_str frees its
** memory on reset; this one keeps it).  oom is set when growing failed. */
typedef struct pt_buf {
  char *z;
  size_t n, cap;
  int oom;
} pt_buf;
int pt_buf_grow(pt_buf *, size_t nExtra);
static inline void pt_buf_append(pt_buf *b, const char *z, size_t n) {
  if( n == 0 ) return; /* z may be NULL then (an empty BLOB) */
  if( b->n + n > b->cap && pt_buf_grow(b, n) ) return;
  memcpy(b->z + b->n, z, n);
  b->n += n;
}
static inline void pt_buf_char(pt_buf *b, char c) {
  if( b->n + 1 > b->cap && pt_buf_grow(b, 1) ) return;
  b->z[b->n++] = c;
}
void pt_buf_int(pt_buf *, long long);
void pt_buf_free(pt_buf *);

/* Seconds to wait for a server that does not answer, unless the URI says. */
#define PT_CONNECT_TIMEOUT 10

/* Connections of a server beyond its first one of a kind (conn.c): those
** that serve a second cursor while one streams on a connection that holds
** one result at a time (xBusy), and those leased (pt_server_lease). */
typedef struct pt_pool {
  pt_conn *apIdle[8]; /* open and unused */
  int nIdle;
  int nOpen; /* open: idle, reading a cursor or leased */
  pt_conn *pShared; /* cursors past the bound (xOpenShared), or NULL */
  int nShared; /* cursors open on pShared */
} pt_pool;

/* A named server registered with pontoon_connect() in this SQLite connection. */
typedef struct pt_server pt_server;
typedef struct pt_vtab pt_vtab;
struct pt_server {
  char *zName; /* the name tables use */
  char *zUri; /* as given; may hold a password: never shown */
  char *zSecret; /* the password found in zUri, for redaction */
  const pt_driver *pDriver;
  const pt_dialect *pDialect; /* the engine's SQL: the driver's, or what
                             ** xDialect said of the server reached */
  pt_conn *pConn; /* reads and writes; NULL until first needed */
  pt_conn *pRoConn; /* read-only connection for query= tables */
  int nCursor; /* open cursors on pConn and pRoConn */
  int inTxn; /* 1 while a remote transaction is open here */
  int inSqlTxn; /* 1 from xBegin until SQLite ends its transaction
                             ** (xCommit, xRollback): a write in it with no
                             ** remote transaction open starts one */
  char *zTxnFailed; /* why this transaction can no longer commit, or 0 */
  uint64_t failedSp; /* spOpen when that happened: a ROLLBACK TO one of
                             ** these savepoints, or to the start, undoes it */
  uint64_t spOpen; /* bit N: remote savepoint pt_N is open */
  pt_vtab *pWriters; /* tables with rows buffered for this server */
  int nQueued; /* UPDATE/DELETE statements sent, not settled */
  char *zQueuedTable; /* the table they were for */
  int anMain[2]; /* cursors open on pConn, pRoConn */
  pt_pool aPool[2]; /* the pools of pConn's and pRoConn's kind */
  pt_server *pNext;
};

/* Per-SQLite-connection state: hangs off the module's client data. */
typedef struct pt_registry {
  sqlite3 *db;
  pt_server *pServers;
  pt_vtab *pTables; /* every connected pontoon table */
  char **azTrusted; /* the arguments of query= tables created here */
  int nTrusted;
} pt_registry;

/* A pushed-down plan, cached on the table; idxStr is its zSql. */
typedef struct pt_plan_op {
  int iCol; /* column index */
  int op; /* SQLITE_INDEX_CONSTRAINT_* or PT_OP_* */
  int iArgv; /* 0-based position in xFilter's argv, -1 if none */
  int exact; /* PT_PUSH_EXACT or PT_PUSH_SUPERSET */
} pt_plan_op;

typedef struct pt_plan pt_plan;
struct pt_plan {
  char *zSql; /* remote SQL with every op and the limit */
  int nOp;
  pt_plan_op *aOp;
  int nSel; /* columns in the select list, in order */
  int *aSel;
  int nOrder; /* ORDER BY terms pushed */
  int *aOrderCol;
  int *aOrderDesc;
  int iLimitArgv; /* argv index of LIMIT, -1 if not capped; OFFSET
                             ** follows it when idxNum bit 0 is set */
  pt_plan *pNext;
};

/* A pontoon virtual table. */
struct pt_vtab {
  sqlite3_vtab base;
  pt_registry *pReg;
  char *zDb; /* SQLite schema holding the table: "main", ... */
  char *zName; /* local table name */
  char *zServer; /* server name, resolved at each use */
  char *zRemoteSchema; /* may be NULL: the server's search path */
  char *zRemoteTable; /* NULL for query= tables */
  char *zQuery; /* query= text, or NULL */
  int readOnly;
  int nFetch; /* fetch= rows per batch, 0 = driver's choice */
  pt_table_desc *pDesc;
  pt_plan *pPlans;
  pt_vtab *pNextTable; /* in pReg->pTables */
  int iKeyCol; /* SQLite's primary key: the one key column, or
                             ** nCol for the hidden pontoon_key, or -1 */
  int nKey; /* key columns (remote primary key or key=) */
  int *aKey; /* their indexes, in key order */
  pt_bulk *pBulk; /* INSERT rows buffered, or NULL */
  pt_server *pBulkServer; /* the server pBulk belongs to */
  pt_vtab *pNextWriter; /* in pBulkServer->pWriters */
  pt_buf rowBuf; /* the text of the row being written */
  pt_param *aRowParam; /* its parameters, pointing into rowBuf */
  int *aAllCols; /* 0..nCol-1 */
};

/* Outcome of turning a constraint's right-hand side into a remote parameter. */
#define PT_BIND 0 /* bind it; the remote test is as planned */
#define PT_BIND_LOOSE 1 /* bind it; the remote test keeps extra rows */
#define PT_DROP 2 /* leave the test to SQLite for this value */
#define PT_EMPTY 3 /* no row can match: skip the remote query */

/* in util.c */
void pt_desc_free(pt_table_desc *);
pt_table_desc *pt_desc_new(int nCol);
char *pt_strdup(const char *);
char *pt_strndup(const char *, int);
const char *pt_kind_name(pt_kind);
int pt_kind_from_name(const char *, int n);
int pt_utf8_valid(const unsigned char *, int n);
char *pt_redact(char *zMsg, const char *zSecret);
int pt_is_number(const char *z, int n, int intOnly);
void pt_append_hex_literal(sqlite3_str *, const char *z, int n);
const char *pt_sql_op(int op);
int pt_trace_on(void);
void pt_trace(const char *zFormat, ...);
void pt_savepoint_sql(char *zBuf, size_t n, int op, int iLevel); /* deparse.c */
int pt_sql_calls(const char *zSql, const char *zName);
int pt_sql_may_call(const char *zSql, const char *zName);
#define PT_DIALECT_PG 1
#define PT_DIALECT_MYSQL 2
const char *pt_sql_txn_control(const char *zSql, int dialect);
int pt_sql_empty(const char *zSql);
int pt_is_ledger_table(const char *zName);

/* in options.c */
typedef struct pt_uri {
  char *zScheme; /* lower case, without "://" */
  char *zUser, *zPassword, *zHost, *zPort, *zPath;
  int nParam;
  char **azKey, **azVal;
} pt_uri;
int pt_uri_parse(const char *zUri, pt_uri *p, char **pzErr);
void pt_uri_clear(pt_uri *);
char *pt_conninfo_password(const char *zUri);
int pt_ident_split(const char *zIn, char **pzSchema, char **pzName, char **pzErr);
char *pt_sql_unquote(const char *zIn);
char *pt_columns_format(const pt_table_desc *);
int pt_columns_parse(const char *z, pt_table_desc **pp, char **pzErr);
int pt_arg_split(const char *zArg, char **pzKey, char **pzVal);
int pt_looks_secret(const char *zKey, const char *zVal);
typedef struct pt_table_args {
  char *zServer; /* the server's name */
  char *zRemoteSchema; /* NULL: the server's search path */
  char *zRemoteTable; /* NULL for query= tables */
  char *zQuery; /* query=, or NULL */
  char *zColumns; /* columns=, or NULL */
  char *zKey; /* key=, or NULL */
  int nFetch; /* fetch=, 0 when not given */
  int readOnly; /* readonly */
} pt_table_args;
int pt_table_args_parse(const char *zName, int argc, const char *const *argv, pt_table_args *,
                        char **pzErr);
void pt_table_args_clear(pt_table_args *);
int pt_query_check(const pt_dialect *, int lexFlags, const char *zWhat, const char *zSql,
                   char **pzErr);
typedef struct pt_opts { /* the options string of copy, diff, sync */
  int n;
  char **azKey, **azVal;
} pt_opts;
int pt_opts_parse(const char *z, const char *zFunc, const char *const *azAllowed, pt_opts *,
                  char **pzErr);
const char *pt_opts_get(const pt_opts *, const char *zKey);
int pt_opts_int(const pt_opts *, const char *zKey, int64_t lo, int64_t hi, int64_t *pOut,
                const char *zFunc, char **pzErr);
void pt_opts_clear(pt_opts *);
char **pt_opts_names(const char *z, int *pn);
void pt_opts_names_free(char **az, int n);

/* in value.c */
void pt_value_result(sqlite3_context *, const pt_value *);
int pt_value_param(pt_kind, int op, sqlite3_value *, sqlite3_str *pBuf, int *pIsBlob);
int pt_value_write(pt_kind, sqlite3_value *, pt_buf *pBuf, int *pIsBlob, char **pzErr);
int pt_value_write_pv(pt_kind, const pt_value *, pt_buf *pBuf, int *pIsBlob, char **pzErr);
void pt_key_append(sqlite3_str *, int first, const pt_value *);
int pt_key_decode(const char *z, int n, int nKey, const pt_kind *aKind, char **azOut, int *anOut);
int pt_decimal_classify(const char *z, int n, int64_t *pI, double *pR);
void pt_format_date(sqlite3_str *, int64_t days);
int pt_date_chars(char *out, int64_t days);
int pt_time_chars(char *out, int64_t usec);
void pt_format_time(sqlite3_str *, int64_t usec);
int64_t pt_days_from_civil(int64_t y, unsigned m, unsigned d);
int pt_parse_date_prefix(const char *z, int n, int *pY, int *pM, int *pD);
int pt_utc_time(const char *z, int n, char *out);

/* in plan.c */
int pt_plan_best_index(pt_vtab *, sqlite3_index_info *);
/* A plan bound to xFilter's values (pt_plan_bind). */
typedef struct pt_bound {
  int nParam;
  pt_param *aParam; /* the values, then the cap when useLimit */
  char **azFree; /* what aParam points into */
  unsigned char *aDrop; /* op i left out for this run */
  int empty; /* no row can match: the server is not asked */
  int useLimit; /* the LIMIT cap is the last parameter */
  sqlite3_int64 nCap; /* LIMIT + OFFSET */
  char zCap[32]; /* its text */
  char *zSql; /* the SQL without dropped ops, or NULL: the plan's */
} pt_bound;
int pt_plan_bind(pt_vtab *, const pt_dialect *, const pt_plan *, int idxNum, int argc,
                 sqlite3_value **argv, pt_bound *);
void pt_bound_clear(pt_bound *);
pt_plan *pt_plan_find(pt_vtab *, const char *zIdxStr);
void pt_plan_free_all(pt_vtab *);

/* in deparse.c: every remote statement's text */
char *pt_plan_sql(pt_vtab *, const pt_plan *, const unsigned char *aDrop, int useLimit);
int pt_plan_stmt(pt_vtab *, const pt_plan *, const unsigned char *aDrop, int useLimit, pt_stmt *);
int pt_plan_page_stmt(pt_vtab *, const pt_plan *, const unsigned char *aDrop, int after, pt_stmt *);
void pt_append_from(sqlite3_str *, pt_vtab *);
char *pt_deparse_ident(const pt_dialect *, const char *zName);
char *pt_deparse_from(pt_vtab *);
char *pt_deparse_count(pt_vtab *, const char *zWhere);
int pt_deparse_write(pt_vtab *, int nSet, const int *aSet, pt_stmt *);
int pt_deparse_upsert(pt_vtab *, int mode, pt_stmt *);
int pt_deparse_locked(pt_vtab *, pt_server *, const pt_stmt *, pt_stmt *);

/* in conn.c */
pt_registry *pt_registry_new(sqlite3 *);
void pt_registry_free(void *);
pt_server *pt_server_find(pt_registry *, const char *zName);
int pt_server_add(pt_registry *, const char *zName, const char *zUri, char **pzErr);
int pt_server_remove(pt_registry *, const char *zName, char **pzErr);
int pt_server_conn(pt_server *, int readOnly, pt_conn **ppConn, char **pzErr);
void pt_server_check(pt_server *);
const pt_driver *pt_driver_for(const char *zUri);
char *pt_server_error(pt_server *, const char *zTable, const char *zWhat, char *zRemote);
void pt_trust_table(pt_registry *, const char *zArgs);
int pt_server_flush(pt_server *, char **pzErr);
int pt_server_flush_rows(pt_server *, int settle, char **pzErr);
void pt_server_discard(pt_server *);
void pt_writer_forget(pt_vtab *);
int pt_server_begin(pt_server *, char **pzErr);
int pt_server_commit(pt_server *, char **pzErr);
void pt_server_rollback(pt_server *);
int pt_server_savepoint(pt_server *, int op, int iLevel, char **pzErr);
int pt_is_trusted(pt_registry *, const char *zArgs);
int pt_server_write_conn(pt_server *, pt_conn **ppConn, char **pzErr);
void pt_server_fail(pt_server *, const char *zWhy);
int pt_registry_prepare(pt_registry *, char **pzErr);
void pt_server_end(pt_server *);
char *pt_rows_matched_error(int64_t n);
int pt_server_cursor(pt_server *, int readOnly, int mayRetry, const pt_stmt *, int nParam,
                     const pt_param *aParam, int nCol, const pt_kind *aKind, int nFetch,
                     pt_cursor **ppCur, pt_conn **ppConn, char **pzErr);
void pt_server_cursor_done(pt_server *, int readOnly, pt_conn *);
int pt_server_lease(pt_server *, pt_conn **ppConn, char **pzErr);
void pt_server_release(pt_server *, pt_conn *);
int pt_server_snapshot_begin(pt_server *, pt_conn **ppConn, char **pzErr);
void pt_server_snapshot_end(pt_server *, pt_conn *);

/* in scan.c: a remote read as rows, streamed or in keyset pages */
typedef struct pt_scan pt_scan;
int pt_scan_open(pt_server *, pt_vtab *pTab, int readOnly, const pt_stmt *, int nParam,
                 const pt_param *aParam, int nSel, const pt_kind *aKind, int nFetch,
                 pt_scan **ppScan, char **pzErr);
int pt_scan_can_page(pt_vtab *, const pt_dialect *);
int pt_scan_open_pages(pt_server *, pt_vtab *, const pt_plan *, const unsigned char *aDrop,
                       int nParam, const pt_param *aParam, int nSel, const pt_kind *aKind,
                       const int *aKeyPos, int nPage, pt_scan **ppScan, char **pzErr);
int pt_scan_next(pt_scan *, char **pzErr);
void pt_scan_column(pt_scan *, int i, pt_value *);
void pt_scan_close(pt_scan *);

/* in write.c */
int pt_write_insert(pt_vtab *, pt_server *, sqlite3_value **aVal);
int pt_write_upsert(pt_vtab *, pt_server *, sqlite3_value **aVal, int mode);
int pt_write_update(pt_vtab *, pt_server *, int argc, sqlite3_value **argv);

/* The table's name for messages: the remote name, or the local one of a
** query= table. */
static inline const char *pt_table_label(pt_vtab *v) {
  return v->zRemoteTable ? v->zRemoteTable : v->zName;
}
/* Set the table's error message (taking zMsg); returns SQLITE_ERROR. */
static inline int pt_vtab_error(pt_vtab *v, char *zMsg) {
  sqlite3_free(v->base.zErrMsg);
  v->base.zErrMsg = zMsg;
  return SQLITE_ERROR;
}

/* in module.c */
int pt_module_register(sqlite3 *, pt_registry *);
pt_vtab *pt_table_lookup(pt_registry *, const char *zDb, const char *zName);

/* in servers.c */
int pt_servers_register(sqlite3 *, pt_registry *);

/* in funcs.c */
int pt_funcs_register(sqlite3 *, pt_registry *);

#endif /* PT_PONTOON_H */
