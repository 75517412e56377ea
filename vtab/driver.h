/*
** driver.h — the interface between the bridge and a client library.
**
** Everything above this line (module.c, plan.c, deparse.c, write.c, conn.c,
** value.c, funcs.c) is backend-neutral; below it is one file per client
** library (drivers/pg.c, drivers/mysql.c, drivers/odbc.c), each exporting
** one `const pt_driver`.  What an engine says (quoting, pushdown, SQL forms)
** is not here but in dialect.h; a driver says which dialect its server
** speaks (pDialect, xDialect).  The shape
** follows sqlite3_module: an iVersion, required members first, optional
** groups after; a NULL optional member means "not supported" and the bridge
** falls back or refuses with a clear message.
**
** Ownership rules, for every member:
**   - Strings handed to a driver are borrowed for the duration of the call.
**   - Objects a driver returns (pt_conn, pt_cursor, pt_table_desc) are owned
**     by the caller and released with the matching driver member.
**   - On error a member returns a SQLite result code (SQLITE_ERROR unless
**     stated) and sets *pzErr to a message from sqlite3_mprintf() that the
**     caller frees.  The message is the remote server's text, with its
**     SQLSTATE or native code; it never contains a password.  The bridge adds
**     the server and table names.
**   - Drivers never print.
**   - Drivers never read SQL text: a statement comes as a pt_stmt whose
**     placeholders are already in the driver's form (ePlace), with marks.
**
** A new client library writes: the required members below (connect,
** describe, stream rows, run a statement, count, transactions, bulk
** INSERT), names its placeholder form (ePlace) and the dialect of the
** servers it reaches (pDialect, or xDialect per connection).
*/
#ifndef PT_DRIVER_H
#define PT_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include "pt_sqlite.h"

/*
** What a remote column holds, in pontoon's backend-neutral vocabulary.  The
** kind decides the SQLite type of the column's values (docs/types.md) and
** which comparisons may be pushed down (plan.c).  The names in
** pt_kind_name() are what `columns=` stores in a table definition.
*/
typedef enum pt_kind {
  PT_K_INT = 0, /* exact integer within int64: INTEGER */
  PT_K_BOOL, /* 0 or 1: INTEGER */
  PT_K_REAL, /* binary floating point: REAL ('NaN' as TEXT) */
  PT_K_DECIMAL, /* exact decimal: INTEGER, REAL if <=15 digits, else TEXT */
  PT_K_TEXT, /* character data compared exactly: TEXT */
  PT_K_CHAR, /* blank-padded char(n): TEXT, padding kept */
  PT_K_BLOB, /* binary: BLOB */
  PT_K_DATE, /* 'YYYY-MM-DD': TEXT */
  PT_K_TIME, /* 'HH:MM:SS[.ffffff]': TEXT */
  PT_K_TIMESTAMP, /* 'YYYY-MM-DD HH:MM:SS[.ffffff]': TEXT */
  PT_K_TIMESTAMPTZ, /* as TIMESTAMP in UTC, with '+00:00': TEXT */
  PT_K_INTERVAL, /* ISO 8601 duration 'P1Y2M3DT4H5M6S': TEXT */
  PT_K_UUID, /* lower-case 8-4-4-4-12 hex: TEXT */
  PT_K_JSON, /* JSON text */
  PT_K_ARRAY, /* JSON array text */
  PT_K_ENUM, /* label: TEXT */
  PT_K_OTHER, /* the server's text form: TEXT */
  PT_K_COUNT
} pt_kind;

/* One remote column, as described by the server or read from `columns=`. */
typedef struct pt_column {
  char *zName; /* remote name, unquoted */
  pt_kind kind;
  int iKey; /* 1-based position in the primary key, 0 if not in it */
  int notNull; /* 1 if the server says NOT NULL */
  char *zRemoteType; /* the server's type name, for docs and errors; may be NULL */
} pt_column;

/* A remote table or view. Free with pt_desc_free() (util.c). */
typedef struct pt_table_desc {
  int nCol;
  pt_column *aCol;
  double nRowEstimate; /* the server's estimate, <0 when unknown */
  char *zSchema; /* the schema the name resolved to, or NULL */
  int isView;
} pt_table_desc;

/*
** A value on the read path: a SQLite storage class and a pointer into the
** driver's buffer, valid until the next xNext or xClose.  PT_V_DECIMAL is
** exact decimal text ("-12.50", "NaN") that value.c classifies.
*/
#define PT_V_NULL SQLITE_NULL
#define PT_V_INT SQLITE_INTEGER
#define PT_V_REAL SQLITE_FLOAT
#define PT_V_TEXT SQLITE_TEXT
#define PT_V_BLOB SQLITE_BLOB
#define PT_V_DECIMAL 100
typedef struct pt_value {
  int type;
  int64_t i;
  double r;
  const char *p;
  int n;
} pt_value;

/* A parameter sent with a remote statement or a bulk row: pontoon's text
** form of a value of the column's kind (docs/types.md), which the driver
** turns into its server's input syntax; or raw bytes (isBinary); or NULL
** (z==0). */
typedef struct pt_param {
  const char *z;
  int n;
  pt_kind kind;
  int isBinary; /* z holds raw bytes (blob parameters) */
} pt_param;

/* Facts about a connected server for pontoon_servers; strings are owned by
** the connection and live as long as it. */
typedef struct pt_server_info {
  const char *zHost;
  const char *zPort;
  const char *zDatabase;
  const char *zUser;
  const char *zVersion;
} pt_server_info;

/* The base of every driver connection and cursor. */
typedef struct pt_driver pt_driver;
typedef struct pt_dialect pt_dialect; /* dialect.h: the engine's SQL */
typedef struct pt_conn {
  const pt_driver *pDriver;
} pt_conn;
typedef struct pt_cursor {
  pt_conn *pConn;
} pt_cursor;
/* A bulk writer: rows for one remote table, buffered by the driver. */
typedef struct pt_bulk {
  pt_conn *pConn;
} pt_bulk;

/* Comparison operators the planner may push; SQLITE_INDEX_CONSTRAINT_* values
** except the two date forms, which plan.c makes from GT/GE and LT/LE on date
** kinds ("on or after the day", "before the day"). */
#define PT_OP_DATE_GE 200
#define PT_OP_DATE_LT 201
#define PT_OP_IN 202 /* col = any element of an array parameter */

/* xPushable answers: how a remote test relates to SQLite's own. */
#define PT_PUSH_NONE 0 /* stays local */
#define PT_PUSH_EXACT 1 /* remote answer equals SQLite's */
#define PT_PUSH_SUPERSET 2 /* remote keeps every row SQLite would keep, maybe more */

#define PT_FETCH_FEW (-1)

/*
** A remote statement as a driver receives it: zSql written with the
** driver's placeholders (pt_driver.ePlace), by deparse.c for the SQL
** pontoon writes and by the server dialect's tokenizer for the SQL a user
** writes (pontoon_exec), so that no driver ever scans SQL text.
**   PT_PLACE_NUMBERED  $1, $2 ... stand in zSql, numbered as the
**                      parameters are; the server reads them (nMark 0).
**   PT_PLACE_QMARK     every placeholder is a '?' whose byte offset in zSql
**                      and 0-based parameter are aMark[i], in order of
**                      appearance; a parameter may be taken several times.
** A PT_MARK_LIST mark takes an IN list: its parameter is the dialect's
** xArrayParam text, a list of literals that a driver writing values into
** the text (MySQL) inserts as it is.  nStmt is 2 when the text holds more
** than one statement (a user's "a; b"), else 1.  isUser: the text is a
** user's (pontoon_exec), which may do anything to the session; pontoon's
** own statements only read and write rows.
*/
#define PT_PLACE_NUMBERED 0
#define PT_PLACE_QMARK 1
#define PT_MARK_LIST 0x01
typedef struct pt_mark {
  int iOffset; /* byte offset of the '?' in zSql */
  int iParam; /* the parameter it takes, 0-based */
  int flags; /* PT_MARK_* */
} pt_mark;
typedef struct pt_stmt {
  char *zSql;
  int nMark;
  pt_mark *aMark;
  int nStmt;
  int isUser;
} pt_stmt;

/* Savepoint operations for xSavepoint. */
#define PT_SP_BEGIN 0
#define PT_SP_RELEASE 1
#define PT_SP_ROLLBACK 2

struct pt_driver {
  int iVersion; /* 1 */
  const char *zName; /* "postgresql" */
  const char *zSchemes; /* the connection strings it takes, for messages */
  const pt_dialect *pDialect; /* the engine it speaks (before xDialect says) */
  int readFlags; /* PT_READ_*: how xColumn decodes what it reads */
  int ePlace; /* PT_PLACE_*: the placeholders its statements carry */

  /* 1 if this driver handles the connection string (by its scheme). */
  int (*xAccepts)(const char *zUri);

  /* Open a connection.  zUri is the string given to pontoon_connect;
  ** connectTimeout is in seconds.  The session is pinned (UTC, ISO dates,
  ** exact floats) before this returns. */
  int (*xConnect)(const char *zUri, int connectTimeout, int readOnly, pt_conn **ppConn,
                  char **pzErr);
  /* Close and free; NULL is a no-op. */
  void (*xDisconnect)(pt_conn *);
  /* 0 when the connection is known to be broken (so the bridge reconnects). */
  int (*xAlive)(pt_conn *);
  /* Fill *pInfo; never fails. */
  void (*xInfo)(pt_conn *, pt_server_info *pInfo);

  /* Describe [zSchema.]zTable (zSchema NULL: the search path).  SQLITE_NOTFOUND
  ** with a message when it does not exist. */
  int (*xDescribe)(pt_conn *, const char *zSchema, const char *zTable, pt_table_desc **ppDesc,
                   char **pzErr);
  /* Describe the columns a query returns (for query= tables).  No key. */
  int (*xDescribeQuery)(pt_conn *, const char *zQuery, pt_table_desc **ppDesc, char **pzErr);
  /* List tables and views of zSchema (NULL: the default schema) whose names
  ** match the LIKE pattern zLike (NULL: all).  *pazName is an array of *pn
  ** sqlite3_malloc'd names, itself sqlite3_malloc'd.  SQLITE_NOTFOUND with
  ** a message when zSchema does not exist (an empty one lists nothing). */
  int (*xListTables)(pt_conn *, const char *zSchema, const char *zLike, char ***pazName, int *pn,
                     char **pzErr);

  /* Run the query pStmt (placeholders and marks as ePlace says, taking
  ** aParam[nParam]) and stream its rows.  aKind[nCol] are the kinds of the
  ** select list, in order.  The rows are fetched in bounded batches of
  ** exactly nFetch rows when nFetch > 0 (the table's fetch=); 0: the driver
  ** sizes them, adapting to the rows' width (about 4 MB a batch);
  ** PT_FETCH_FEW: a handful of rows are expected, fetch them in one round
  ** trip.  Another cursor on the same
  ** connection may be opened while this one is open, unless xBusy says
  ** the connection is held (then the driver fails or reads it whole). */
  int (*xOpen)(pt_conn *, const pt_stmt *pStmt, int nParam, const pt_param *aParam, int nCol,
               const pt_kind *aKind, int nFetch, pt_cursor **ppCur, char **pzErr);
  /* Advance: SQLITE_ROW, SQLITE_DONE, or an error code with *pzErr. */
  int (*xNext)(pt_cursor *, char **pzErr);
  /* The value of column i of the current row.  What it points to stays
  ** valid, for every column of the row at once, until the next xNext or
  ** xClose: the migration layer reads a whole row before it writes it. */
  void (*xColumn)(pt_cursor *, int i, pt_value *pVal);
  /* Close and free; NULL is a no-op. */
  void (*xClose)(pt_cursor *);

  /* Run pStmt with aParam[nParam] (pStmt->nStmt > 1: the user's several
  ** statements, run in order or refused); *pnChanged gets the rows it matched: for UPDATE the
  ** rows its WHERE found, changed or not (MySQL: CLIENT_FOUND_ROWS), for
  ** DELETE and INSERT the rows affected; -1 if the server cannot tell.  The
  ** bridge checks that an UPDATE or DELETE by key matched exactly one row. */
  int (*xExec)(pt_conn *, const pt_stmt *pStmt, int nParam, const pt_param *aParam,
               int64_t *pnChanged, char **pzErr);
  /* Count the rows of "FROM ... [WHERE ...]" (no parameters; the where is
  ** the user's text) as SELECT count(*), read-only; for pontoon_count. */
  int (*xCount)(pt_conn *, const char *zFromWhere, int64_t *pnRow, char **pzErr);

  /* ---- remote transactions (conn.c decides when) ---- */
  /* Open a read-write transaction with one snapshot for all its reads
  ** (REPEATABLE READ or the engine's equivalent). */
  int (*xBegin)(pt_conn *, char **pzErr);
  /* Commit it; a COMMIT the server turned into a rollback is an error. */
  int (*xCommit)(pt_conn *, char **pzErr);
  /* Roll it back; called only on a live connection, its error is ignored. */
  int (*xRollback)(pt_conn *, char **pzErr);
  /* op (PT_SP_*) on the remote savepoint of SQLite's nesting level iLevel,
  ** named pt_<iLevel>; iLevel -1 is pt_begin, made right after xBegin, to
  ** which a ROLLBACK TO the transaction's start returns
  ** (pt_savepoint_sql writes the statement). */
  int (*xSavepoint)(pt_conn *, int op, int iLevel, char **pzErr);

  /* ---- bulk INSERT ---- */
  /* Prepare to append rows to zTable (already quoted, schema included) into
  ** its columns azCol[nCol] (quoted) of kinds aKind.  Nothing is sent yet. */
  int (*xBulkOpen)(pt_conn *, const char *zTable, int nCol, const char *const *azCol,
                   const pt_kind *aKind, pt_bulk **ppBulk, char **pzErr);
  /* Buffer one row (aVal[nCol]; z==0 is NULL).  When the buffer passes the
  ** driver's batch size it is sent, so an error may come from earlier rows. */
  int (*xBulkRow)(pt_bulk *, const pt_param *aVal, char **pzErr);
  /* Send every buffered row.  The connection is free again afterwards. */
  int (*xBulkFlush)(pt_bulk *, char **pzErr);
  /* Drop buffered rows (rollback). */
  void (*xBulkDiscard)(pt_bulk *);
  /* Free; buffered rows are dropped.  NULL is a no-op. */
  void (*xBulkClose)(pt_bulk *);

  /* ---- optional members: NULL means not supported ---- */

  /* -- connections for a client library that streams one result per
  ** connection; conn.c owns the pool and decides which connection serves
  ** a statement (drivers keep no pool) -- */
  /* 1 while a cursor streams a result on the connection and holds it until
  ** closed, so another cursor must go to another connection (conn.c takes
  ** one from the server's pool); NULL: cursors share a connection. */
  int (*xBusy)(pt_conn *);
  /* As xOpen, but the cursor leaves the connection free (a server-side
  ** cursor, the result materialized by the server), so that many share one
  ** connection: conn.c's reads past the server's bound on connections. */
  int (*xOpenShared)(pt_conn *, const pt_stmt *pStmt, int nParam, const pt_param *aParam, int nCol,
                     const pt_kind *aKind, int nFetch, pt_cursor **ppCur, char **pzErr);
  /* The most connections of one kind (read-write or read-only) the server
  ** may hold for the cursors of a shell (MySQL's max-connections=); 0 or
  ** NULL: no bound. */
  int (*xMaxConnections)(pt_conn *);

  /* The dialect of the server this connection reached, for a driver that
  ** reaches several engines (ODBC); NULL: always pDialect. */
  const pt_dialect *(*xDialect)(pt_conn *);
  /* PT_LEX_* flags (dialect.h) the session's settings give a user's SQL
  ** text, for the dialect's tokenizer; NULL: 0. */
  int (*xLexFlags)(pt_conn *);
  /* 0 when xOpen streams a result with bounded memory; else the
  ** driver keeps whole results, and the bridge reads tables with a key in
  ** pages of this many rows, in key order (WHERE key > last ... LIMIT n). */
  int (*xPageRows)(pt_conn *); /* NULL: always streams */
  /* Queue one statement without waiting for its result (UPDATE
  ** and DELETE of many rows); its error, if any, comes from xSettle. */
  int (*xExecQueued)(pt_conn *, const pt_stmt *pStmt, int nParam, const pt_param *aParam,
                     char **pzErr);
  /* (with xExecQueued) Wait for every queued statement; the first error among them.  Each
  ** queued statement is an UPDATE or DELETE of one row by key: one that
  ** matched another number of rows fails with SQLITE_CONSTRAINT and the
  ** message "no row matched the key: the row was changed or deleted on the
  ** server since it was read" (0) or "N rows matched the key: the key does
  ** not identify one row (key= must name unique columns)" (N > 1). */
  int (*xSettle)(pt_conn *, char **pzErr);

  /* ---- raw rows: a copy between two servers of this driver whose
  ** columns have the same types passes the rows through undecoded
  ** (PostgreSQL: binary COPY) ---- */
  /* Start reading zQuery's rows (a SELECT without parameters) in the
  ** driver's raw bulk format. */
  int (*xRawOpen)(pt_conn *, const char *zQuery, pt_cursor **ppCur, char **pzErr);
  /* The next block of raw rows: *pz and *pn point into the driver's buffer
  ** until the next call; *pnRow rows are in it.  SQLITE_ROW, SQLITE_DONE
  ** (the query ended well), or an error with *pzErr. */
  int (*xRawNext)(pt_cursor *, const char **pz, int *pn, int *pnRow, char **pzErr);
  /* Close a raw read, reading what is left of it; NULL is a no-op. */
  void (*xRawClose)(pt_cursor *);
  /* Append a block from xRawNext of this driver to a bulk writer whose
  ** columns have the same types, in the same order. */
  int (*xBulkRaw)(pt_bulk *, const char *z, int n, int nRow, char **pzErr);
};

/* The drivers linked into this build, listed by CMake in pt_drivers.h as
** PT_DRIVER(name) lines (conn.c walks the list). */
#define PT_DRIVER(name) extern const pt_driver name;
#include "pt_drivers.h"
#undef PT_DRIVER

#endif /* PT_DRIVER_H */
