/*
** dialect.h — what a database ENGINE says, apart from the client library
** that reaches it (driver.h).
**
** A dialect is PostgreSQL, MySQL/MariaDB, SQLite or generic ANSI SQL: how
** it quotes names, which of SQLite's comparisons it evaluates exactly as
** SQLite does (the pushdown table), how it reads, orders, limits, upserts
** and locks.  A driver reports which dialect its server speaks, so
** psqlODBC gets the PostgreSQL dialect and its full pushdown, the MariaDB
** ODBC driver the MySQL one, the SQLite ODBC driver the SQLite one, any
** other data source ANSI.  deparse.c is the only caller of the text
** members; plan.c asks the pushdown members.
**
** A new engine writes: quoting, select expressions, the pushdown table
** (pt_push_rule rows read by pt_push_lookup) with its conditions and ORDER
** BY, the parameter expression, the session statements and the tokenizer
** of its SQL (xSpan); the optional members when it has the statement.
**
** Members that write a parameter take a pt_sql, the statement being
** built, and write it with pt_sqlf's %P (or pt_sql_place), numbered from 1
** as the caller says; the builder writes the placeholder the driver takes
** ($n or ?) and records where it stands (pt_stmt, driver.h).  Text without
** parameters goes to q->pStr or to a plain sqlite3_str.  Required members
** come first; a NULL optional member means the engine has no such
** statement, and the bridge leaves the work to SQLite or refuses.
*/
#ifndef PT_DIALECT_H
#define PT_DIALECT_H

#include "driver.h" /* pt_kind, pt_param, PT_OP_*, PT_PUSH_*; it declares pt_dialect */

/* Flags a driver passes to xSelectExpr: how it decodes what it reads. */
#define PT_READ_TEXT 0x01 /* every value as the server's text (ODBC) */

/* Flags for xSpan (pt_driver.xLexFlags): the session's reading of SQL. */
#define PT_LEX_NO_BACKSLASH 0x01 /* MySQL NO_BACKSLASH_ESCAPES: '\' is a character */

/*
** One row of a dialect's pushdown table (STYLE.md 4): for a column of one
** kind, how the server's test by each operator relates to SQLite's own
** (PT_PUSH_*: 0 stays local), and whether ORDER BY on it sorts exactly as
** SQLite sorts.  A dialect's table has PT_K_COUNT rows, one per kind;
** pt_push_lookup reads it (IS NULL and IS NOT NULL are always exact).
*/
typedef struct pt_push_rule {
  unsigned char eq; /* =, and IN lists (PT_OP_IN) */
  unsigned char ne; /* <> */
  unsigned char ord; /* < <= > >= */
  unsigned char like; /* LIKE */
  unsigned char dates; /* PT_OP_DATE_GE, PT_OP_DATE_LT */
  unsigned char orderable; /* 1: ORDER BY sorts as SQLite (NULLs first) */
  unsigned char binary; /* 1: pushed only under SQLite's BINARY collation */
} pt_push_rule;
int pt_push_lookup(const pt_push_rule *aRule, pt_kind k, int op, const char *zColl);

/*
** A statement being built (deparse.c): text, and the placeholders written
** so far in the driver's form ePlace.  pt_sqlf appends printf-style with
** %s (NULL as nothing), %d, %% and %P: the placeholder of the 1-based
** parameter given as an int.  pt_sql_finish hands the statement over.
*/
typedef struct pt_sql {
  sqlite3_str *pStr; /* the text so far */
  int ePlace; /* PT_PLACE_* */
  int nMark, nAlloc;
  pt_mark *aMark;
  int oom;
} pt_sql;
void pt_sql_init(pt_sql *, int ePlace);
void pt_sqlf(pt_sql *, const char *zFmt, ...);
void pt_sql_place(pt_sql *, int iParam, int markFlags);
int pt_sql_finish(pt_sql *, pt_stmt *pOut); /* SQLITE_OK or SQLITE_NOMEM */
void pt_stmt_clear(pt_stmt *);

/*
** A source column as pontoon_ddl reads it from its engine's catalog
** (migrate/ddl.c), for a target dialect's xDdlType.  The type name is
** split: "int(10) unsigned" is base "int", aArg {10}, isUnsigned;
** "numeric(10,2)" base "numeric", aArg {10, 2}; "enum('a','b')" base
** "enum", zArgs "'a','b'"; "integer[]" isArray.
*/
typedef struct pt_ddl_col {
  const char *zEngine; /* the source's engine: "postgresql", "mysql", "sqlite" */
  const char *zType; /* the full type name as the source writes it */
  char zBase[64]; /* the base name, lower case */
  int nArg; /* numbers in parentheses (0..2) */
  int aArg[2];
  const char *zArgs; /* the text in parentheses, or NULL */
  int nArgs;
  int isUnsigned, isArray;
  pt_kind kind; /* the column's kind in pontoon */
  const char *zQuoted; /* the column's name quoted for the target */
  int flags; /* PT_DDL_* */
  int nKeyText; /* text columns in the primary key (MySQL targets size them) */
} pt_ddl_col;
#define PT_DDL_IDENTITY 0x01 /* numbered by the source (identity, auto_increment) */
#define PT_DDL_KEY 0x02 /* in the primary key */
#define PT_DDL_CI 0x04 /* the source compares it ignoring case (MySQL _ci) */
#define PT_DDL_OK 0
#define PT_DDL_LOSSY 1
#define PT_DDL_NONE 2

/*
** What pontoon_ddl (migrate/ddl.c) knows of an engine beyond its casting
** rules (xDdlType), so that ddl.c names no engine: how its catalog is read
** when it is the source, and what its DDL says when it is the target.
** pt_dialect.pDdl points to it; NULL: pontoon_ddl neither reads nor writes
** this engine.
**
** The catalog queries are in the engine's SQL, with parameters $1 (the
** table's schema: its remote schema, NULL for the session's default, or
** the attached database of a local table), $2 (the table's name) and $3
** (what zTable answered); ddl.c sends those a query names.  Their rows:
**   zColumns    name, type, not null (0/1), default's SQL, identity (0/1),
**               position in the primary key (0: none), collation, the
**               collation ignores case (0/1); in the table's order
**   azIndexes, azConstraints (NULL-ended lists, run in order)
**               name, kind ('i' index, 'u' unique index, 'U' unique
**               constraint, 'f' foreign key, 'c' check), column,
**               referenced table, referenced column, ON UPDATE and ON
**               DELETE rules (CASCADE, SET NULL, SET DEFAULT, RESTRICT,
**               other: none), a check's text, why it is not translated
**               (NULL: it is); one row per column, by object
*/
typedef struct pt_ddl_dialect {
  const char *zTitle; /* the engine's name in messages: "MySQL" */
  const char *zAlias; /* another name pontoon_ddl's dialect argument takes, or NULL */
  int backslash; /* 1: '\' escapes in string literals (pontoon's sessions leave it so) */

  /* ---- the source: its catalog ---- */
  /* The refusal of a table of this engine reached through a server (its
  ** catalog is read on SQLite's own connection), or NULL. */
  const char *zNoServer;
  /* One row, one column: the table's handle ($3), no row when the table is
  ** not in the catalog; or NULL: no handle. */
  const char *zTable;
  const char *zColumns;
  const char *const *azIndexes;
  const char *const *azConstraints;
  /* The function counting a text value's characters. */
  const char *zCharLength;
  /* 1: the catalog gives a text column's string default without quotes. */
  int bareTextDefault;
  /* The quote of names in the check texts the catalog gives, rewritten for
  ** the target ('`'), or 0: names as they are. */
  char cCheckQuote;
  /* Pieces of a check's text that no other engine reads (NULL-ended):
  ** such a check is left out with a note. */
  const char *const *azCheckOwn;
  /* The note (sqlite3_mprintf) for key column zCol whose collation zColl
  ** (or NULL) ignores case, written as exact comparison on engine zTo. */
  char *(*xCiNote)(const char *zCol, const char *zColl, const char *zTo);

  /* ---- the target: its DDL ---- */
  /* The boolean type, whose literals are true and false; NULL: booleans
  ** are integers and true, false become 1, 0. */
  const char *zBoolType;
  /* 1: a CURRENT_TIMESTAMP default takes the column type's fractional
  ** digits, CURRENT_TIMESTAMP(p). */
  int nowPrecision;
  /* 1: the engine stores zero dates ('0000-00-00'). */
  int zeroDates;
  /* Characters an index holds over the text columns of a primary key
  ** (each gets its share), 0: no limit. */
  int nKeyChars;
  /* 1: ALTER TABLE adds no constraint: a unique constraint becomes a
  ** unique index, foreign keys and checks are left out with a note. */
  int noAddConstraint;
  /* The characters an index takes of a column of target type zType (its
  ** prefix), or 0: the whole value.  NULL: always 0. */
  int (*xIndexPrefix)(const char *zType);
  /* Append the collation clause of column c (whose source collation is
  ** zColl, or NULL) after its type and default.  Returns 1 when the column
  ** compares as it did on the source, 0 when a key column that ignored
  ** case there compares exactly here.  NULL: nothing appended, 0. */
  int (*xCollate)(sqlite3_str *, const pt_ddl_col *c, const char *zColl);
  /* Append statement iStmt (0, 1, ...) that sets the numbering of identity
  ** column zCol (unquoted; zQuotedCol quoted) of table zTable (quoted) to
  ** the table's max(zCol) + 1, returning 1; 0 past the last.  NULL: the
  ** engine numbers from the max itself. */
  int (*xSequence)(sqlite3_str *, int iStmt, const char *zTable, const char *zCol,
                   const char *zQuotedCol);
} pt_ddl_dialect;
/* The engines pontoon_ddl writes for, NULL-ended (dialects/common_ddl.c). */
extern const pt_dialect *const pt_ddl_dialects[];
extern const pt_ddl_dialect pt_ddl_postgresql, pt_ddl_mysql, pt_ddl_sqlite;
/* Append z[n] as a string literal: quotes doubled, and backslashes too if
** backslash (dialects/common_ddl.c). */
void pt_ddl_literal(sqlite3_str *, const char *z, int n, int backslash);

/*
** A captured table as xCaptureTriggers and xFreezeTrigger see it (names
** unquoted; the dialect quotes them).  zChanges and zCaptures are the
** change table and the table of captured tables, already quoted
** (migrate/capture.c names them like the ledger's: pontoon.changes,
** pontoon_changes).  zLabel is what the change rows' tbl column holds for
** this table; zName a short name unique to it, made of [a-z0-9_], for the
** objects pontoon creates (functions, triggers).
*/
typedef struct pt_capture {
  const char *zSchema; /* or NULL: the connection's default */
  const char *zTable;
  const char *zLabel;
  const char *zName;
  int nKey;
  const char *const *azKey;
  const char *zChanges, *zCaptures;
  const char *zMessage; /* the freeze's refusal */
  int nSeq; /* PT_CAPTURE_DELETE: the change rows to delete */
  const int64_t *aSeq;
} pt_capture;
#define PT_CAPTURE_TABLES 1 /* create the change table and the capture list if missing */
#define PT_CAPTURE_INSTALL 2 /* the row triggers (and functions) of table c */
#define PT_CAPTURE_REMOVE 3 /* drop what PT_CAPTURE_INSTALL created */
#define PT_CAPTURE_DROP_TABLES 4 /* drop what PT_CAPTURE_TABLES created */
#define PT_CAPTURE_LAG 5 /* the age in seconds of the oldest change row */
#define PT_CAPTURE_DELETE 6 /* delete change rows c->aSeq[c->nSeq] */
#define PT_CAPTURE_MISSING 7 /* a query: how many of the table's triggers are missing */

struct pt_dialect {
  int iVersion; /* 1 */
  const char *zName; /* "postgresql", "mysql", "sqlite", "ansi" */

  /* Append zName quoted as an identifier. */
  void (*xQuoteIdent)(sqlite3_str *, const char *zName);
  /* Append the select-list expression that reads column zQuoted of kind k
  ** in the form the driver decodes (readFlags: PT_READ_*). */
  void (*xSelectExpr)(sqlite3_str *, const char *zQuoted, pt_kind k, int readFlags);
  /* How `column op value` (op an SQLITE_INDEX_CONSTRAINT_* or PT_OP_*) on
  ** a column of kind k under SQLite collation zColl can be tested by the
  ** server: PT_PUSH_EXACT, PT_PUSH_SUPERSET or PT_PUSH_NONE.  PT_OP_IN is
  ** asked only of a dialect with xArrayParam. */
  int (*xPushable)(pt_kind k, int op, const char *zColl);
  /* Append the condition for a pushable op; iParam is the 1-based
  ** parameter number (unused for IS NULL / IS NOT NULL). */
  void (*xCondition)(pt_sql *, const char *zQuoted, pt_kind k, int op, int iParam);
  /* 1 if ORDER BY on kind k, written by xOrderBy, sorts exactly as SQLite
  ** sorts the values pontoon returns (NULLs first ascending). */
  int (*xOrderable)(pt_kind k);
  void (*xOrderBy)(sqlite3_str *, const char *zQuoted, pt_kind k, int desc);
  /* Append parameter iParam as the value assigned to a column of kind k. */
  void (*xParamExpr)(pt_sql *, pt_kind k, int iParam);

  /* The session pinning: statements run, one at a time, on every new
  ** connection (UTC, ISO dates, exact floats, strict writes), and the
  ** further ones of a read-only connection (query= tables).  NULL-ended;
  ** the driver adds what belongs to its client library (encodings). */
  const char *const *azSession;
  const char *const *azReadOnly;
  /* The tokenizer of SQL a user writes (pontoon_exec): if z, inside the
  ** text starting at zStart, starts a string, a quoted identifier, a
  ** comment or any other token in which "$1" or ";" is only text, its
  ** length in bytes (to the end of the text when it is not closed); else
  ** 0.  lexFlags: PT_LEX_*.  A '$' that continues an identifier (a$1) is
  ** no parameter in any dialect: the caller checks that. */
  int (*xSpan)(const char *zStart, const char *z, int lexFlags);

  /* ---- optional members: NULL means the engine has no such thing ---- */
  /* Append a LIMIT clause whose row count is parameter iParam.  NULL: no
  ** trailing LIMIT syntax (LIMIT is then left to SQLite). */
  void (*xLimit)(pt_sql *, int iParam);
  /* Append the text of one parameter holding all of aElem[n] (values of
  ** kind k), for PT_OP_IN conditions (the condition takes it through a
  ** placeholder, with PT_MARK_LIST where the list is spliced as it is).
  ** NULL: IN is not pushed. */
  void (*xArrayParam)(sqlite3_str *, pt_kind k, int n, const pt_param *aElem);
  /* Append a one-row INSERT into zTable of azCol[nCol] (kinds aKind) with
  ** parameters $1..$nCol; onConflict is SQLITE_REPLACE (update the row
  ** whose key columns aKey[nKey] match) or SQLITE_IGNORE (keep the old
  ** row).  NULL: INSERT OR REPLACE / OR IGNORE are refused. */
  void (*xUpsert)(pt_sql *, const char *zTable, int nCol, const char *const *azCol,
                  const pt_kind *aKind, int nKey, const int *aKey, int onConflict);
  /* Append the clause that makes a SELECT of a base table lock the rows it
  ** reads against other sessions' writes until the transaction ends,
  ** reading their latest committed version (MySQL: " FOR UPDATE").  The
  ** bridge appends it to reads on a connection inside a write transaction,
  ** so that an UPDATE computed from what was read cannot overwrite another
  ** session's change.  NULL: the engine's isolation already refuses such an
  ** UPDATE (PostgreSQL REPEATABLE READ raises a serialization error;
  ** SQLite serializes writers). */
  void (*xLockRows)(sqlite3_str *);
  /* The statement that lists the warnings of the last statement as rows
  ** (level, code, message), and the judgement of one row after statement
  ** zSql (NULL: not known): the error message, from sqlite3_mprintf, or
  ** NULL when it is no error.  For an engine that reports a failed or
  ** lossy write as a mere warning (MySQL); NULL: warnings are not read. */
  const char *zWarnings;
  char *(*xWarning)(const char *zSql, const char *zLevel, const char *zCode, const char *zMsg);

  /* The statement that makes a manual-commit connection's transaction a
  ** read-only one with one snapshot (ODBC read-only connections, which
  ** run it first).  NULL: none. */
  const char *zBeginReadOnly;
  /* A date, time or timestamp parameter of kind k in pontoon's text
  ** (signed years: "-0043-03-15") written into out (64 bytes) as the
  ** engine reads it; its length, or 0 to send it as it is.  NULL: as it is. */
  int (*xDateParam)(pt_kind k, const char *z, int n, char *out);
  /* A date, time or timestamp read as the engine's text (PostgreSQL's
  ** "0044-03-15 BC") in pontoon's form, into zOut (nOut bytes); its
  ** length, or 0 to keep the text as it is.  For drivers that read dates as
  ** text (ODBC).  NULL: kept as it is. */
  int (*xDateValue)(pt_kind k, const char *z, int n, char *zOut, int nOut);

  /* ---- for the migration layer (filled by its issues; NULL for now) ---- */
  /* Append the column type, in CREATE TABLE for this engine, that holds
  ** the values of source column c (pontoon_ddl, migrate/ddl.c,
  ** docs/ddl.md): the casting rule of c's engine and type, then what c's
  ** flags ask (PT_DDL_IDENTITY: the engine's own numbering; PT_DDL_KEY: a
  ** collation that compares as the source did).  Returns PT_DDL_OK,
  ** PT_DDL_LOSSY (a type is written, but some values would be lost or
  ** changed: pontoon_ddl refuses it unless cast= names it) or PT_DDL_NONE
  ** (no rule); *pzWhy may get a note (sqlite3_mprintf) written before the
  ** statement as a comment, or the reason of a refusal. */
  int (*xDdlType)(sqlite3_str *, const pt_ddl_col *c, char **pzWhy);
  /* Append the expression of the canonical text (docs/diff.md) of column
  ** zQuoted of kind k, whose type the server (or a local table's
  ** declaration) names zType (NULL: unknown): the same text on every engine
  ** for the same value, SQL NULL for NULL.  floatDigits (1..17): the
  ** significant digits reals are rounded to; timePrecision (0..6): the
  ** fractional digits of times and timestamps (pontoon_checksum,
  ** pontoon_diff: migrate/checksum.c).  NULL: the engine has no canonical
  ** text, and they refuse. */
  void (*xCanonicalText)(sqlite3_str *, const char *zQuoted, pt_kind k, const char *zType,
                         int floatDigits, int timePrecision);
  /* sum 0: append the expression of a row's canonical text, the column
  ** texts azText[n] (xCanonicalText's; aKind their kinds) joined by '|',
  ** NULL written '\N', and in the texts of the kinds pt_canon_escaped says
  ** (below) '\' written '\\' and '|' written '\|'.
  ** sum 1: append the aggregate expression that sums, over the rows, the
  ** first 60 bits of md5 of that text as non-negative integers, exactly
  ** (the server's wide sum: numeric, DECIMAL); returns 1, appending
  ** nothing, when the engine has no md5.  Returns 0 otherwise.
  ** aPrefix, NULL but for pontoon_diff's buckets: where aPrefix[i] is 1,
  ** column i is written as its length in bytes, ':' and its text, instead
  ** of escaped (no replace() a row: both sides of the diff escape that
  ** column, so both write it this way; the text stays unambiguous). */
  int (*xHashExpr)(sqlite3_str *, int n, const char *const *azText, const pt_kind *aKind,
                   const unsigned char *aPrefix, int sum);
  /* Optional: a faster hash sum that only two servers of this engine
  ** compare with each other (pontoon_diff's buckets when both sides are
  ** this engine; the rows it fetches and a verified job's checksum keep
  ** the canonical text).  Append the aggregate, over the rows, of a hash
  ** of the values azExpr[n], each a column as it is or its canonical
  ** text, summed as xHashExpr's sum is (read with pt_hash_sum_value).
  ** The caller gives a column as it is only when xRowHashRaw accepts its
  ** kind and its type is the same on both sides. */
  void (*xRowHashSum)(sqlite3_str *, int n, const char *const *azExpr);
  /* 1 when values of kind k hashed as they are by xRowHashSum hash equal
  ** exactly when their canonical texts are equal (no collation, rounding
  ** or spelling in between) */
  int (*xRowHashRaw)(pt_kind k);
  /* Statements, NULL-terminated, each returning one value, that tell
  ** whether a server has xRowHashSum's hash: a NULL or 0 from any but the
  ** last says it has not; the last's value, a hash of fixed values, must
  ** be the same on both servers (the same function, the same byte order).
  ** None may fail on a server of this engine: they run in the diff's
  ** snapshot transaction. */
  const char *const *azRowHashProbe;
  /* A statement, run in a transaction, after which its scans run in one
  ** process each (no parallel workers), or NULL: pontoon_diff runs it on
  ** both sides when their servers are on one host, where one side's
  ** parallel workers would take the cores the other side's scan needs. */
  const char *zScanAlone;
  /* Change capture (pontoon_capture, migrate/capture.c, docs/capture.md):
  ** append statement iStmt (0, 1, ...) of what op (PT_CAPTURE_*) asks
  ** for table c, and return 1; return 0, appending nothing, past the last
  ** one.  PT_CAPTURE_LAG appends no statement but an aggregate expression
  ** over change rows: the seconds (a number, 0 when there are none) since
  ** the oldest was written, by the server's clock (statement 0 only).
  ** NULL: the engine has no capture. */
  int (*xCaptureTriggers)(sqlite3_str *, int op, const pt_capture *c, int iStmt);
  /* Append statement iStmt of the freeze (freeze 1: a trigger that refuses
  ** every write to table c with c->zMessage) or of the thaw (freeze 0:
  ** remove it), returning 1, or 0 past the last (pontoon_freeze).  NULL:
  ** the engine cannot refuse writes. */
  int (*xFreezeTrigger)(sqlite3_str *, int freeze, const pt_capture *c, int iStmt);

  /* ---- the ledger (migrate/ledger.c, docs/ledger.md) ---- */
  /* The schema that holds the ledger's tables (created on first use), or
  ** NULL: tables named pontoon_<name> in the default schema. */
  const char *zLedgerSchema;
  /* Column types for: a name that is indexed, long text, a 64-bit integer,
  ** a double, a UTC timestamp with microseconds (PT_LEDGER_*). */
  const char *azLedgerType[5];
  /* Appended to a SELECT ... ORDER BY ... LIMIT n of ledger rows: lock the
  ** rows read, skipping those another session has locked (how workers on
  ** several machines claim chunks).  NULL: the engine serializes writers
  ** (SQLite), or cannot: then one worker per job. */
  const char *zSkipLocked;
  /* 1: a copy worker's transactions may overlap on two target connections
  ** (a claim's SKIP LOCKED passes over the rows of the one still ending
  ** without waiting on them; not so on InnoDB, which locks what it scans). */
  int overlapClaims;

  /* ---- pontoon_diff's key order (migrate/diff_sql.c) ---- */
  /* Append the expression of key column zQuoted of kind k whose
  ** comparisons and order are binary (code points, trailing spaces
  ** significant) whatever the column's collation, and return the kind its
  ** bounds are sent as.  NULL: the column as it is. */
  pt_kind (*xBinaryKey)(sqlite3_str *, const char *zQuoted, pt_kind k);
  /* Append an ORDER BY term sorting text expression zExpr in binary order,
  ** NULLs first (the order of memcmp).  NULL: zExpr as it is. */
  void (*xOrderText)(sqlite3_str *, const char *zExpr);
  /* The integer division operator ("/", "DIV"), or NULL. */
  const char *zIntDiv;

  /* ---- pontoon_ddl: the rest of what it knows of the engine ---- */
  const pt_ddl_dialect *pDdl; /* or NULL: no DDL for this engine */
};
#define PT_LEDGER_NAME 0
#define PT_LEDGER_TEXT 1
#define PT_LEDGER_INT 2
#define PT_LEDGER_REAL 3
#define PT_LEDGER_TIME 4

/* The dialects (vtab/dialects/). */
extern const pt_dialect pt_dialect_postgresql;
extern const pt_dialect pt_dialect_mysql; /* IN lists spliced by the native driver */
extern const pt_dialect pt_dialect_mysql_params; /* no IN lists: drivers that bind each parameter */
extern const pt_dialect pt_dialect_sqlite;
extern const pt_dialect pt_dialect_ansi; /* "names", no LIMIT */
extern const pt_dialect pt_dialect_ansi_fetch; /* "names", FETCH FIRST n ROWS ONLY */
extern const pt_dialect pt_dialect_ansi_backtick; /* `names`, no LIMIT */

/* 1 if the canonical text of kind k may hold '\\' or '|' and is escaped in
** a row's text (text, char, enum, json, interval, array, other); 0 for the
** kinds whose text cannot (numbers, booleans, hex, dates and times, uuids),
** which the row's text takes as they are (docs/diff.md; dialects/ansi.c). */
int pt_canon_escaped(pt_kind k);

/* Pieces several dialects share (deparse.c). */
void pt_sql_limit(pt_sql *, int iParam);
void pt_sql_param(pt_sql *, pt_kind, int iParam);
void pt_upsert_on_conflict(pt_sql *, const char *zTable, int nCol, const char *const *azCol,
                           int nKey, const int *aKey, int onConflict);
void pt_upsert_on_duplicate(pt_sql *, const char *zTable, int nCol, const char *const *azCol,
                            int onConflict);
/* The statement of a user's SQL with parameters (pontoon_exec), read by
** dialect d's tokenizer (deparse.c). */
int pt_stmt_user(const pt_dialect *d, int ePlace, int lexFlags, const char *zText, int nParam,
                 pt_stmt *pOut, char **pzErr);

/* Pieces several dialects share (dialects/ansi.c). */
void pt_ansi_quote(sqlite3_str *, const char *zName, char open, char close);
int pt_ansi_pushable(pt_kind k, int op, const char *zColl);
void pt_ansi_condition(pt_sql *, const char *zQuoted, pt_kind k, int op, int iParam);
int pt_ansi_span(const char *zStart, const char *z, int lexFlags);
int pt_span_quoted(const char *z, char close, int bs);
int pt_span_line(const char *z);
int pt_span_block(const char *z, int nested);
int pt_ansi_span_bt(const char *zStart, const char *z, int lexFlags);
int pt_ansi_orderable(pt_kind k);
void pt_ansi_order_by(sqlite3_str *, const char *zQuoted, pt_kind k, int desc);
void pt_ansi_select(sqlite3_str *, const char *zQuoted, pt_kind k, int readFlags);

#endif /* PT_DIALECT_H */
