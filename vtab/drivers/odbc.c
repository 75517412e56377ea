/*
** odbc.c — the ODBC driver, through unixODBC: any ODBC data source.
**
**   SELECT pontoon_connect('legacy', 'odbc:DSN=legacy;UID=report');
**   SELECT pontoon_connect('pgo', 'odbc:Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=5432;Database=shop;UID=app');
**   CREATE VIRTUAL TABLE t USING pontoon(legacy, dbo.customers);
**
** Everything after "odbc:" is the ODBC connection string, given to
** SQLDriverConnect as it is (a password comes from it or from odbc.ini).
** Text crosses the driver manager as UTF-16 (the W functions and
** SQL_C_WCHAR), so no locale or driver-manager character set can change it;
** drivers known to take and give UTF-8 whatever the locale (MySQL with
** utf8mb4, SQLite) get UTF-8 through the ANSI functions and SQL_C_CHAR,
** which is faster and avoids their UTF-16 bugs (SQLite's driver mangles
** characters outside the BMP in UTF-16 SQL text).
**
** The dialect comes from the data source: SQLGetInfo gives the DBMS name
** and the identifier quote character, and odDialect picks PostgreSQL,
** MySQL, SQLite or ANSI (dialect.h): psqlODBC gets the PostgreSQL pushdown,
** the MariaDB driver the MySQL one (without IN lists: each parameter is
** bound), an unknown data source what any SQL engine evaluates as SQLite
** does.  Every value is read as text (PT_READ_TEXT).
**
** Reading: block cursors (row arrays bound column by column, about 4 MB a
** block).  Some drivers buffer whole results unless told otherwise; the
** connection string gets the option that makes them stream when the user
** did not set it (psqlODBC UseDeclareFetch=1, SQLite ODBC StepAPI=1).  A
** driver that cannot stream at all (MariaDB Connector/ODBC 3.1) says so
** through xPageRows, and the bridge reads its keyed tables in key-ordered
** pages of 20,000 rows.  A driver that streams only one result per
** connection gets a connection per open cursor; inside a write transaction
** reads run on the transaction's connection (they must see its writes)
** with a static cursor.
**
** Writing: INSERT rows are buffered and sent as parameter arrays
** (SQL_ATTR_PARAMSET_SIZE) where the driver takes them, one execution per
** row where it does not; UPDATE and DELETE one statement per row; a write
** transaction is autocommit off + SQLEndTran, savepoints by SQL.
*/
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sql.h>
#include <sqlext.h>
#include <odbcinst.h>
#include "pontoon.h"

/* What the data source is, for session pinning and the dialect. */
enum { OD_OTHER = 0, OD_PG, OD_MYSQL, OD_SQLITE, OD_FETCH_FIRST };

#define OD_BLOCK_BYTES (4 << 20) /* bytes of bound buffers per block */
#define OD_MAX_ROWS 10000 /* rows per block at most */
#define OD_LONG_BYTES 8192 /* first bytes bound of a long value */
#define OD_BULK_ROWS 1000 /* INSERT rows per parameter array */
#define OD_BULK_BYTES (4 << 20)
#define OD_MAX_PARAMS_PG 4000 /* psqlODBC loses its protocol state near 8,000 */

typedef struct od_conn od_conn;
typedef struct od_cursor od_cursor;

struct od_conn {
  pt_conn base;
  SQLHENV env;
  SQLHDBC dbc; /* the main connection: writes, transactions */
  char *zConnStr; /* what it connected with */
  int timeout;
  int readOnly;
  int dbms; /* OD_* */
  char cQuote; /* identifier quote character; ' ' if none */
  int multiActive; /* one connection streams several results at once */
  int buffers; /* the driver keeps whole results: read in pages */
  int utf8; /* SQL_C_CHAR is UTF-8 whatever the locale (MySQL
                           ** with utf8mb4, SQLite): text read skips UTF-16 */
  int gdBlock; /* SQLGetData works on a row of a block (SQL_GD_BLOCK) */
  int gdBound; /* SQLGetData works on a bound column (SQL_GD_BOUND) */
  char *zDefSchema; /* the schema of unqualified names, or NULL */
  int paramArrays; /* SQL_ATTR_PARAMSET_SIZE > 1 is honoured */
  int catalogIsSchema; /* the data source's "schema" is its catalog (MySQL) */
  int inTxn;
  int nRoOpen; /* read-only connection: statements open in its transaction */
  int dead; /* the main connection failed: reconnect */
  od_cursor *pMainUser; /* cursor streaming on the connection (xBusy) */
  char *zVersion, *zHost, *zPort, *zDb, *zUser;
};

/* One result column bound as an array of nRows slots. */
typedef struct od_col {
  SQLSMALLINT cType; /* the C type bound */
  SQLLEN width; /* bytes per slot */
  char *aBuf; /* width * nRows bytes */
  SQLLEN *aInd; /* length or SQL_NULL_DATA per slot */
  pt_kind kind;
  int isLong; /* may be longer than width: read the rest if so */
  int isBits; /* MySQL BIT(n) as big-endian bytes: an integer */
  pt_buf out; /* the value as pontoon's text, when converted */
  int whole; /* out holds the whole of a value longer than its slot */
} od_col;

struct od_cursor {
  pt_cursor base;
  od_conn *c;
  SQLHDBC dbc; /* the connection this result streams on */
  SQLHSTMT st;
  int nCol;
  od_col *aCol;
  SQLULEN nRows; /* rows per block */
  SQLULEN nFetched; /* rows in the current block */
  SQLUSMALLINT *aStatus;
  SQLULEN iRow; /* current row in the block */
  int roTxn; /* opened a read-only transaction on dbc (ro_begin) */
  int broken;
  int done;
};

/* ---- UTF-8 <-> UTF-16 (SQLWCHAR is 16 bits under unixODBC) ---- */

/* z[n] (n<0: NUL-terminated) as a NUL-terminated UTF-16 string from
** sqlite3_malloc; *pnW gets its length in units.  Bytes that are not UTF-8
** are taken as Latin-1 so nothing is lost silently. */
static SQLWCHAR *od_wide(const char *z, int n, int *pnW) {
  if( n < 0 ) n = (int)strlen(z);
  SQLWCHAR *w = sqlite3_malloc64(sizeof(SQLWCHAR) * ((size_t)n + 1));
  if( !w ) return 0;
  int k = 0;
  const unsigned char *u = (const unsigned char *)z;
  for( int i = 0; i < n; ) {
    unsigned c = u[i], cp = c;
    int len = 1;
    if( c >= 0xF0 && i + 3 < n + 0 && (u[i + 1] & 0xC0) == 0x80 && (u[i + 2] & 0xC0) == 0x80 &&
        (u[i + 3] & 0xC0) == 0x80 ) {
      cp = ((c & 7) << 18) | ((u[i + 1] & 63) << 12) | ((u[i + 2] & 63) << 6) | (u[i + 3] & 63);
      len = 4;
    } else if( c >= 0xE0 && i + 2 < n && (u[i + 1] & 0xC0) == 0x80 && (u[i + 2] & 0xC0) == 0x80 ) {
      cp = ((c & 15) << 12) | ((u[i + 1] & 63) << 6) | (u[i + 2] & 63);
      len = 3;
    } else if( c >= 0xC0 && i + 1 < n && (u[i + 1] & 0xC0) == 0x80 ) {
      cp = ((c & 31) << 6) | (u[i + 1] & 63);
      len = 2;
    }
    i += len;
    if( cp >= 0x10000 ) {
      cp -= 0x10000;
      w[k++] = (SQLWCHAR)(0xD800 + (cp >> 10));
      w[k++] = (SQLWCHAR)(0xDC00 + (cp & 0x3FF));
    } else {
      w[k++] = (SQLWCHAR)cp;
    }
  }
  w[k] = 0;
  if( pnW ) *pnW = k;
  return w;
}

/* Append w[nW] as UTF-8; a lone surrogate becomes U+FFFD. */
static void od_utf8(pt_buf *out, const SQLWCHAR *w, size_t nW) {
  if( out->n + nW * 3 + 1 > out->cap && pt_buf_grow(out, nW * 3 + 1) ) return;
  unsigned char *o = (unsigned char *)out->z + out->n;
  for( size_t i = 0; i < nW; i++ ) {
    unsigned cp = w[i];
    if( cp < 0x80 ) {
      *o++ = (unsigned char)cp;
      continue;
    }
    if( cp >= 0xD800 && cp < 0xDC00 && i + 1 < nW && w[i + 1] >= 0xDC00 && w[i + 1] < 0xE000 ) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (w[i + 1] - 0xDC00);
      i++;
    } else if( cp >= 0xD800 && cp < 0xE000 ) {
      cp = 0xFFFD;
    }
    if( cp < 0x800 ) {
      *o++ = (unsigned char)(0xC0 | (cp >> 6));
      *o++ = (unsigned char)(0x80 | (cp & 63));
    } else if( cp < 0x10000 ) {
      *o++ = (unsigned char)(0xE0 | (cp >> 12));
      *o++ = (unsigned char)(0x80 | ((cp >> 6) & 63));
      *o++ = (unsigned char)(0x80 | (cp & 63));
    } else {
      *o++ = (unsigned char)(0xF0 | (cp >> 18));
      *o++ = (unsigned char)(0x80 | ((cp >> 12) & 63));
      *o++ = (unsigned char)(0x80 | ((cp >> 6) & 63));
      *o++ = (unsigned char)(0x80 | (cp & 63));
    }
  }
  out->n = (size_t)((char *)o - out->z);
}

/* A UTF-16 string as a sqlite3_malloc'd UTF-8 string. */
static char *od_narrow(const SQLWCHAR *w, size_t nW) {
  pt_buf b = { 0 };
  od_utf8(&b, w, nW);
  pt_buf_char(&b, 0);
  if( b.oom ) {
    pt_buf_free(&b);
    return 0;
  }
  char *z = pt_strndup(b.z, (int)b.n - 1);
  pt_buf_free(&b);
  return z;
}

/* ---- errors ---- */

/* The diagnostic records of handle h: "text (SQLSTATE s, native n)", the
** records joined by "; ".  *pDead is set when the state says the
** connection is gone (class 08, or PostgreSQL's admin shutdown 57P01). */
static char *od_diag(SQLSMALLINT type, SQLHANDLE h, int *pDead) {
  sqlite3_str *s = sqlite3_str_new(0);
  for( SQLSMALLINT i = 1; i <= 4; i++ ) {
    SQLWCHAR state[6], msg[1024];
    SQLINTEGER native = 0;
    SQLSMALLINT n = 0;
    SQLRETURN r = SQLGetDiagRecW(type, h, i, state, &native, msg,
                                 (SQLSMALLINT)(sizeof msg / sizeof msg[0]), &n);
    if( !SQL_SUCCEEDED(r) ) break;
    if( n > (SQLSMALLINT)(sizeof msg / sizeof msg[0]) - 1 )
      n = (SQLSMALLINT)(sizeof msg / sizeof msg[0]) - 1;
    char *zMsg = od_narrow(msg, (size_t)n);
    char *zState = od_narrow(state, 5);
    /* drivers prefix their messages with [vendor][driver]...; keep them:
    ** they say which layer spoke */
    while( zMsg && sqlite3_str_length(s) == 0 && zMsg[0] &&
           isspace((unsigned char)zMsg[strlen(zMsg) - 1]) ) {
      zMsg[strlen(zMsg) - 1] = 0;
    }
    if( sqlite3_str_length(s) ) sqlite3_str_appendall(s, "; ");
    sqlite3_str_appendf(s, "%s (SQLSTATE %s, native error %d)", zMsg ? zMsg : "?",
                        zState ? zState : "?", (int)native);
    if( pDead && zState && (strncmp(zState, "08", 2) == 0 || strcmp(zState, "57P01") == 0) )
      *pDead = 1;
    sqlite3_free(zMsg);
    sqlite3_free(zState);
  }
  if( sqlite3_str_length(s) == 0 ) sqlite3_str_appendall(s, "the ODBC driver gave no message");
  return sqlite3_str_finish(s);
}

/* The error of statement st on connection c's dbc: also marks c dead when
** the main connection was lost. */
static char *st_error(od_conn *c, SQLHDBC dbc, SQLHSTMT st) {
  int dead = 0;
  char *z = od_diag(SQL_HANDLE_STMT, st, &dead);
  if( !dead ) {
    SQLUINTEGER v = SQL_CD_FALSE;
    if( SQL_SUCCEEDED(SQLGetConnectAttr(dbc, SQL_ATTR_CONNECTION_DEAD, &v, 0, 0)) &&
        v == SQL_CD_TRUE )
      dead = 1;
  }
  if( dead && dbc == c->dbc ) c->dead = 1;
  return z;
}

/* ---- connecting ---- */

static int odAccepts(const char *zUri) { return sqlite3_strnicmp(zUri, "odbc:", 5) == 0; }

/* 1 if the connection string z sets attribute zKey (case-insensitive). */
static int has_attr(const char *z, const char *zKey) {
  size_t n = strlen(zKey);
  const char *p = z;
  while( *p ) {
    while( *p == ';' || isspace((unsigned char)*p) ) p++;
    if( sqlite3_strnicmp(p, zKey, (int)n) == 0 ) {
      const char *q = p + n;
      while( isspace((unsigned char)*q) ) q++;
      if( *q == '=' ) return 1;
    }
    /* skip to the next ';' outside braces */
    int brace = 0;
    while( *p && (brace || *p != ';') ) {
      if( *p == '{' )
        brace = 1;
      else if( *p == '}' )
        brace = 0;
      p++;
    }
  }
  return 0;
}

/* The value of attribute zKey in connection string z, sqlite3_malloc'd, or
** NULL. */
static char *attr_value(const char *z, const char *zKey) {
  size_t n = strlen(zKey);
  const char *p = z;
  while( *p ) {
    while( *p == ';' || isspace((unsigned char)*p) ) p++;
    const char *zStart = p;
    int brace = 0;
    while( *p && (brace || *p != ';') ) {
      if( *p == '{' )
        brace = 1;
      else if( *p == '}' )
        brace = 0;
      p++;
    }
    if( sqlite3_strnicmp(zStart, zKey, (int)n) == 0 ) {
      const char *q = zStart + n;
      while( isspace((unsigned char)*q) ) q++;
      if( *q != '=' ) continue;
      q++;
      while( isspace((unsigned char)*q) ) q++;
      const char *e = p;
      if( *q == '{' ) {
        q++;
        if( e > q && e[-1] == '}' ) e--;
      }
      while( e > q && isspace((unsigned char)e[-1]) ) e--;
      return pt_strndup(q, (int)(e - q));
    }
  }
  return 0;
}

/* Open one connection with connection string z. */
static int open_dbc(SQLHENV env, const char *z, int timeout, SQLHDBC *pDbc, char **pzErr) {
  SQLHDBC dbc = SQL_NULL_HDBC;
  *pDbc = SQL_NULL_HDBC;
  if( !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc)) ) {
    *pzErr = od_diag(SQL_HANDLE_ENV, env, 0);
    return SQLITE_ERROR;
  }
  SQLSetConnectAttr(dbc, SQL_ATTR_LOGIN_TIMEOUT, (SQLPOINTER)(uintptr_t)timeout, 0);
  int nW = 0;
  SQLWCHAR *w = od_wide(z, -1, &nW);
  if( !w ) {
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    return SQLITE_NOMEM;
  }
  SQLWCHAR out[1024];
  SQLSMALLINT nOut = 0;
  SQLRETURN r =
    SQLDriverConnectW(dbc, 0, w, (SQLSMALLINT)nW, out, (SQLSMALLINT)(sizeof out / sizeof out[0]),
                      &nOut, SQL_DRIVER_NOPROMPT);
  sqlite3_free(w);
  if( !SQL_SUCCEEDED(r) ) {
    *pzErr = od_diag(SQL_HANDLE_DBC, dbc, 0);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    return SQLITE_CANTOPEN;
  }
  *pDbc = dbc;
  return SQLITE_OK;
}

/* SQLGetInfo of a string, as a sqlite3_malloc'd UTF-8 string ("" if none). */
static char *info_str(SQLHDBC dbc, SQLUSMALLINT what) {
  SQLWCHAR w[256];
  SQLSMALLINT n = 0;
  if( !SQL_SUCCEEDED(SQLGetInfoW(dbc, what, w, sizeof w, &n)) ) return pt_strdup("");
  size_t nW = (size_t)n / sizeof(SQLWCHAR);
  if( nW >= sizeof w / sizeof w[0] ) nW = sizeof w / sizeof w[0] - 1;
  return od_narrow(w, nW);
}

static SQLUINTEGER info_u32(SQLHDBC dbc, SQLUSMALLINT what) {
  SQLUINTEGER v = 0;
  if( !SQL_SUCCEEDED(SQLGetInfo(dbc, what, &v, sizeof v, 0)) ) return 0;
  return v;
}

static SQLUSMALLINT info_u16(SQLHDBC dbc, SQLUSMALLINT what) {
  SQLUSMALLINT v = 0;
  if( !SQL_SUCCEEDED(SQLGetInfo(dbc, what, &v, sizeof v, 0)) ) return 0;
  return v;
}

/* Run (or with prepare, prepare) SQL text z on st: as UTF-8 through the
** ANSI functions where the driver takes UTF-8 (c->utf8), else as UTF-16. */
static SQLRETURN exec_sql(const od_conn *c, SQLHSTMT st, const char *z, int prepare) {
  if( c->utf8 ) {
    return prepare ? SQLPrepare(st, (SQLCHAR *)z, SQL_NTS)
                   : SQLExecDirect(st, (SQLCHAR *)z, SQL_NTS);
  }
  int nW = 0;
  SQLWCHAR *w = od_wide(z, -1, &nW);
  if( !w ) return SQL_ERROR;
  SQLRETURN r = prepare ? SQLPrepareW(st, w, nW) : SQLExecDirectW(st, w, nW);
  sqlite3_free(w);
  return r;
}

/* Run one statement with no result on dbc. */
static int run_simple(od_conn *c, SQLHDBC dbc, const char *zSql, char **pzErr) {
  SQLHSTMT st = SQL_NULL_HSTMT;
  if( !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st)) ) {
    int dead = 0;
    *pzErr = od_diag(SQL_HANDLE_DBC, dbc, &dead);
    if( dead && dbc == c->dbc ) c->dead = 1;
    return SQLITE_ERROR;
  }
  pt_trace("odbc: %s", zSql);
  SQLRETURN r = exec_sql(c, st, zSql, 0);
  int rc = SQLITE_OK;
  if( !SQL_SUCCEEDED(r) && r != SQL_NO_DATA ) {
    *pzErr = st_error(c, dbc, st);
    rc = SQLITE_ERROR;
  }
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  return rc;
}

/* Pin a new connection's session by its dialect's statements (UTC, ISO
** dates, strict value handling); read-only when asked. */
static const pt_dialect *odDialect(pt_conn *p);
static int pin_session(od_conn *c, SQLHDBC dbc, char **pzErr) {
  const pt_dialect *d = odDialect(&c->base);
  for( const char *const *az = d->azSession; az && *az; az++ ) {
    if( run_simple(c, dbc, *az, pzErr) != SQLITE_OK ) return SQLITE_ERROR;
  }
  for( const char *const *az = d->azReadOnly; c->readOnly && az && *az; az++ ) {
    if( run_simple(c, dbc, *az, pzErr) != SQLITE_OK ) return SQLITE_ERROR;
  }
  if( c->readOnly ) {
    /* every statement then runs in a transaction of ro_begin() */
    SQLSetConnectAttr(dbc, SQL_ATTR_ACCESS_MODE, (SQLPOINTER)SQL_MODE_READ_ONLY, 0);
    if( !SQL_SUCCEEDED(
          SQLSetConnectAttr(dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0)) ) {
      *pzErr = od_diag(SQL_HANDLE_DBC, dbc, 0);
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

/*
** Rationale (security): the read-only connection of query= tables runs
** each statement in a transaction opened here as READ ONLY, whatever the
** session's defaults say, and ends it with ROLLBACK, never COMMIT; the
** connection is in manual-commit mode, so nothing the statement does is
** ever committed by the driver.  The statement cannot leave that
** transaction: it is one statement (ro_check refuses ';', since psqlODBC
** and the SQLite driver run several statements given in one text), always
** a SELECT that pontoon wraps around the query, and a function called
** from a SELECT cannot COMMIT on any of these servers.  PostgreSQL refuses
** to turn a transaction read-write once it has run a query, and its
** set_config() of a session default is undone by the ROLLBACK; MySQL
** refuses writes in START TRANSACTION READ ONLY and a COMMIT in a stored
** function; a SQLite source also has query_only, which a query cannot
** turn off (the pragma's table-valued function takes no argument).
** Statements open at once on the connection (a join of two query=
** tables) share one such transaction, rolled back when the last closes.
** A transaction xBegin opened on the read-only connection (conn.c's
** snapshot, pinned READ ONLY by the session) holds them all instead.
*/
static int ro_check(const char *zSql, char **pzErr) {
  if( !strchr(zSql, ';') ) return SQLITE_OK;
  *pzErr = sqlite3_mprintf("a query= table's SQL cannot contain ';' (through ODBC it could end "
                           "the read-only transaction the query runs in); write a literal ';' "
                           "as chr(59) or CHAR(59), or name a column without it");
  return SQLITE_ERROR;
}

static void ro_end(od_conn *c, SQLHDBC dbc) {
  if( !c->readOnly || c->inTxn ) return; /* xBegin's snapshot goes on */
  if( dbc == c->dbc && c->nRoOpen > 0 && --c->nRoOpen > 0 ) return;
  SQLEndTran(SQL_HANDLE_DBC, dbc, SQL_ROLLBACK);
}

static int ro_begin(od_conn *c, SQLHDBC dbc, char **pzErr) {
  if( !c->readOnly || c->inTxn ) return SQLITE_OK;
  if( dbc == c->dbc && c->nRoOpen++ > 0 ) return SQLITE_OK;
  const char *zSql = odDialect(&c->base)->zBeginReadOnly; /* the engine's (dialect.h) */
  if( zSql && run_simple(c, dbc, zSql, pzErr) != SQLITE_OK ) {
    ro_end(c, dbc);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

static void close_dbc(SQLHDBC dbc) {
  if( dbc == SQL_NULL_HDBC ) return;
  SQLEndTran(SQL_HANDLE_DBC, dbc, SQL_ROLLBACK);
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
}

static void odDisconnect(pt_conn *p) {
  od_conn *c = (od_conn *)p;
  if( !c ) return;
  close_dbc(c->dbc);
  if( c->env ) SQLFreeHandle(SQL_HANDLE_ENV, c->env);
  sqlite3_free(c->zConnStr);
  sqlite3_free(c->zVersion);
  sqlite3_free(c->zHost);
  sqlite3_free(c->zPort);
  sqlite3_free(c->zDb);
  sqlite3_free(c->zUser);
  sqlite3_free(c->zDefSchema);
  sqlite3_free(c);
}

/* Learn the data source's dialect and abilities from the driver. */
static void learn_dialect(od_conn *c, const char *zDbms) {
  if( sqlite3_strnicmp(zDbms, "PostgreSQL", 10) == 0 )
    c->dbms = OD_PG;
  else if( sqlite3_strnicmp(zDbms, "MySQL", 5) == 0 || sqlite3_strnicmp(zDbms, "MariaDB", 7) == 0 )
    c->dbms = OD_MYSQL;
  else if( sqlite3_strnicmp(zDbms, "SQLite", 6) == 0 )
    c->dbms = OD_SQLITE;
  else if( sqlite3_strnicmp(zDbms, "Oracle", 6) == 0 || sqlite3_strnicmp(zDbms, "DB2", 3) == 0 ||
           sqlite3_strnicmp(zDbms, "Apache Derby", 12) == 0 )
    c->dbms = OD_FETCH_FIRST;
  else
    c->dbms = OD_OTHER;
  char *zQ = info_str(c->dbc, SQL_IDENTIFIER_QUOTE_CHAR);
  c->cQuote = zQ && zQ[0] ? zQ[0] : ' ';
  sqlite3_free(zQ);
  SQLUSMALLINT nActive = info_u16(c->dbc, SQL_MAX_CONCURRENT_ACTIVITIES);
  c->multiActive = nActive == 0 || nActive > 1;
  SQLUINTEGER gd = info_u32(c->dbc, SQL_GETDATA_EXTENSIONS);
  c->gdBound = (gd & SQL_GD_BOUND) != 0;
  c->gdBlock = c->gdBound && (gd & SQL_GD_BLOCK) != 0;
  c->paramArrays = info_u32(c->dbc, SQL_PARAM_ARRAY_ROW_COUNTS) != 0;
  c->catalogIsSchema =
    info_u32(c->dbc, SQL_SCHEMA_USAGE) == 0 && info_u32(c->dbc, SQL_CATALOG_USAGE) != 0;
}

/* xConnect: allocate the environment, connect with the string after
** "odbc:", reconnect with the options that make known drivers stream and
** count found rows (psqlODBC UseDeclareFetch, SQLite ODBC StepAPI, MariaDB
** OPTION bit 2 and utf8mb4) unless the string sets them, then learn the
** data source's dialect and abilities and pin the session. */
static int odConnect(const char *zUri, int timeout, int readOnly, pt_conn **ppConn, char **pzErr) {
  *ppConn = 0;
  const char *zStr = zUri + 5; /* after "odbc:" */
  while( isspace((unsigned char)*zStr) ) zStr++;
  if( !*zStr ) {
    *pzErr = sqlite3_mprintf(
      "empty ODBC connection string; write odbc:DSN=name;... or odbc:Driver={...};...");
    return SQLITE_ERROR;
  }
  od_conn *c = sqlite3_malloc(sizeof(*c));
  if( !c ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  c->base.pDriver = &pt_odbc_driver;
  c->timeout = timeout;
  c->readOnly = readOnly;
  c->zConnStr = pt_strdup(zStr);
  if( !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &c->env)) ) {
    *pzErr = sqlite3_mprintf("cannot start the ODBC driver manager");
    c->env = 0;
    odDisconnect(&c->base);
    return SQLITE_ERROR;
  }
  SQLSetEnvAttr(c->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
  int rc = open_dbc(c->env, c->zConnStr, timeout, &c->dbc, pzErr);
  if( rc != SQLITE_OK ) {
    odDisconnect(&c->base);
    return rc;
  }

  char *zDriver = info_str(c->dbc, SQL_DRIVER_NAME);
  /* Drivers that buffer whole results by default are reopened with the
  ** option that makes them stream, unless the string says otherwise. */
  const char *zExtra = 0;
  int buffers = 0;
  if( zDriver && strstr(zDriver, "maodbc") ) buffers = 1; /* 3.1 has no streaming mode at all */
  if( zDriver && strstr(zDriver, "psqlodbc") && has_attr(zStr, "UseDeclareFetch") ) {
    char *zV = attr_value(zStr, "UseDeclareFetch");
    buffers = !zV || zV[0] != '1';
    sqlite3_free(zV);
  }
  if( zDriver && strstr(zDriver, "sqlite3odbc") && has_attr(zStr, "StepAPI") ) {
    char *zV = attr_value(zStr, "StepAPI");
    buffers = !zV || zV[0] != '1';
    sqlite3_free(zV);
  }
  c->buffers = buffers;
  char zMa[64] = "";
  if( zDriver && strstr(zDriver, "maodbc") ) {
    /* UPDATE's row count is the rows it found, changed or not (FOUND_ROWS,
    ** OPTION bit 2), as xExec promises: the bridge checks that an UPDATE
    ** by key matched one row, and one that sets a value already there
    ** matches it.  The driver takes the last OPTION given, so the bit is
    ** added to what the string or the DSN set. */
    char *zOpt = attr_value(zStr, "OPTION");
    if( !zOpt ) zOpt = attr_value(zStr, "OPTIONS");
    char *zDsn = attr_value(zStr, "DSN");
    if( !zOpt && zDsn ) {
      char zBuf[32] = "";
      if( (SQLGetPrivateProfileString(zDsn, "OPTION", "", zBuf, (int)sizeof zBuf, "odbc.ini") > 0 &&
           zBuf[0]) ||
          (SQLGetPrivateProfileString(zDsn, "OPTIONS", "", zBuf, (int)sizeof zBuf, "odbc.ini") >
             0 &&
           zBuf[0]) ) {
        zOpt = pt_strdup(zBuf);
      }
    }
    unsigned long long opt = zOpt ? strtoull(zOpt, 0, 10) : 0;
    sqlite3_free(zOpt);
    sqlite3_free(zDsn);
    snprintf(zMa, sizeof zMa, "%s%sOPTION=%llu", has_attr(zStr, "CHARSET") ? "" : "CHARSET=utf8mb4",
             has_attr(zStr, "CHARSET") ? "" : ";", opt | 2);
    zExtra = zMa;
  }
  if( zDriver && strstr(zDriver, "psqlodbc") && !has_attr(zStr, "UseDeclareFetch") ) {
    zExtra = has_attr(zStr, "BoolsAsChar") ? "UseDeclareFetch=1;Fetch=2000"
                                           : "UseDeclareFetch=1;Fetch=2000;BoolsAsChar=0";
  } else if( zDriver && strstr(zDriver, "sqlite3odbc") && !has_attr(zStr, "StepAPI") ) {
    zExtra = "StepAPI=1";
  }
  if( zExtra ) {
    size_t n = strlen(c->zConnStr);
    char *z =
      sqlite3_mprintf("%s%s%s", c->zConnStr, n && c->zConnStr[n - 1] == ';' ? "" : ";", zExtra);
    if( !z ) {
      sqlite3_free(zDriver);
      odDisconnect(&c->base);
      return SQLITE_NOMEM;
    }
    close_dbc(c->dbc);
    c->dbc = SQL_NULL_HDBC;
    sqlite3_free(c->zConnStr);
    c->zConnStr = z;
    rc = open_dbc(c->env, c->zConnStr, timeout, &c->dbc, pzErr);
    if( rc != SQLITE_OK ) {
      sqlite3_free(zDriver);
      odDisconnect(&c->base);
      return rc;
    }
  }
  char *zDbms = info_str(c->dbc, SQL_DBMS_NAME);
  char *zVer = info_str(c->dbc, SQL_DBMS_VER);
  learn_dialect(c, zDbms ? zDbms : "");
  /* (not psqlODBC: it converts SQL_C_CHAR to the locale's character set,
  ** and fails on text the C locale cannot hold) */
  c->utf8 = c->dbms == OD_SQLITE ||
    (c->dbms == OD_MYSQL && (!has_attr(zStr, "CHARSET") || (zExtra && strstr(zExtra, "utf8mb4"))));
  c->zVersion = sqlite3_mprintf("%s %s (ODBC driver %s)", zDbms, zVer, zDriver);
  sqlite3_free(zDbms);
  sqlite3_free(zVer);
  sqlite3_free(zDriver);
  c->zHost = attr_value(zStr, "Server");
  if( !c->zHost ) c->zHost = attr_value(zStr, "Host");
  if( !c->zHost ) c->zHost = info_str(c->dbc, SQL_SERVER_NAME);
  c->zPort = attr_value(zStr, "Port");
  char *zDsn = attr_value(zStr, "DSN");
  if( !c->zPort && zDsn ) {
    /* the DSN's own entry in odbc.ini (Port for psqlODBC and MariaDB) */
    char zBuf[64] = "";
    if( SQLGetPrivateProfileString(zDsn, "Port", "", zBuf, (int)sizeof zBuf, "odbc.ini") > 0 &&
        zBuf[0] ) {
      c->zPort = pt_strdup(zBuf);
    }
  }
  sqlite3_free(zDsn);
  c->zDb = info_str(c->dbc, SQL_DATABASE_NAME);
  c->zUser = info_str(c->dbc, SQL_USER_NAME);
  if( (rc = pin_session(c, c->dbc, pzErr)) != SQLITE_OK ) {
    odDisconnect(&c->base);
    return rc;
  }
  if( c->dbms == OD_PG ) {
    SQLSetConnectAttr(c->dbc, SQL_ATTR_TXN_ISOLATION, (SQLPOINTER)SQL_TXN_REPEATABLE_READ, 0);
  }
  /* unqualified names: MySQL's current database (else every database is
  ** listed), PostgreSQL's first schema on the search path */
  if( c->dbms == OD_MYSQL && c->zDb && c->zDb[0] ) c->zDefSchema = pt_strdup(c->zDb);
  if( c->dbms == OD_PG ) {
    pt_kind k = PT_K_TEXT;
    pt_cursor *pc = 0;
    char *zE = 0;
    pt_stmt st = { .zSql = "SELECT current_schema()", .nStmt = 1 };
    if( c->base.pDriver->xOpen(&c->base, &st, 0, 0, 1, &k, PT_FETCH_FEW, &pc, &zE) == SQLITE_OK ) {
      if( c->base.pDriver->xNext(pc, &zE) == SQLITE_ROW ) {
        pt_value v;
        c->base.pDriver->xColumn(pc, 0, &v);
        if( v.type == PT_V_TEXT ) c->zDefSchema = pt_strndup(v.p, v.n);
      }
      c->base.pDriver->xClose(pc);
    }
    sqlite3_free(zE);
  }
  *ppConn = &c->base;
  return SQLITE_OK;
}

static int odAlive(pt_conn *p) {
  od_conn *c = (od_conn *)p;
  return c->dbc != SQL_NULL_HDBC && !c->dead;
}

static void odInfo(pt_conn *p, pt_server_info *pInfo) {
  od_conn *c = (od_conn *)p;
  pInfo->zHost = c->zHost;
  pInfo->zPort = c->zPort;
  pInfo->zDatabase = c->zDb;
  pInfo->zUser = c->zUser;
  pInfo->zVersion = c->zVersion;
}

/* ---- statements: ? markers, integers written in place ---- */

/* A statement ready to run: the SQL with ?, and for each ? the index of
** the pontoon parameter it takes. */
typedef struct od_sql {
  char *z;
  int nMark;
  int *aMark;
  int multi; /* more than one statement (pt_stmt.nStmt) */
} od_sql;

static void sql_free(od_sql *q);

static int is_int_text(const char *z, int n) {
  int i = 0;
  if( n > 0 && z[0] == '-' ) i = 1;
  if( i >= n || n - i > 18 ) return 0;
  for( ; i < n; i++ )
    if( z[i] < '0' || z[i] > '9' ) return 0;
  return 1;
}

/*
** The statement pSt (its '?' marked by deparse.c or the dialect's
** tokenizer: this driver reads no SQL text) as it runs: an integer
** parameter of kind INT is written in place of its '?' (safe: digits
** only), so LIMIT and key lookups need no binding; every other '?' stays,
** bound to the parameter its mark names.
*/
static int sql_prepare(const pt_stmt *pSt, int nParam, const pt_param *a, od_sql *out,
                       char **pzErr) {
  memset(out, 0, sizeof(*out));
  out->multi = pSt->nStmt > 1;
  out->aMark = sqlite3_malloc64(sizeof(int) * ((size_t)pSt->nMark + 1));
  if( !out->aMark ) return SQLITE_NOMEM;
  sqlite3_str *s = sqlite3_str_new(0);
  const char *z = pSt->zSql;
  int iPos = 0;
  for( int i = 0; i < pSt->nMark; i++ ) {
    const pt_mark *m = &pSt->aMark[i];
    if( m->iParam < 0 || m->iParam >= nParam ) {
      *pzErr = sqlite3_mprintf(
        "bind message supplies %d parameters, but prepared statement \"\" requires %d", nParam,
        m->iParam + 1);
      sqlite3_free(sqlite3_str_finish(s));
      sql_free(out);
      return SQLITE_ERROR;
    }
    const pt_param *p = &a[m->iParam];
    sqlite3_str_append(s, z + iPos, m->iOffset - iPos);
    iPos = m->iOffset + 1;
    if( p->z && p->kind == PT_K_INT && !p->isBinary && is_int_text(p->z, p->n) ) {
      sqlite3_str_append(s, p->z, p->n);
    } else {
      out->aMark[out->nMark++] = m->iParam;
      sqlite3_str_appendchar(s, 1, '?');
    }
  }
  sqlite3_str_appendall(s, z + iPos);
  int nText = sqlite3_str_length(s);
  char *zOut = sqlite3_str_finish(s);
  if( !zOut && nText ) {
    sql_free(out);
    return SQLITE_NOMEM;
  }
  pt_trace("odbc: %s", zOut ? zOut : "");
  out->z = zOut ? zOut : pt_strdup("");
  return out->z ? SQLITE_OK : SQLITE_NOMEM;
}

/* A statement of this driver's own, without parameters. */
static int sql_plain(const char *zSql, od_sql *out) {
  pt_stmt st = { .zSql = (char *)zSql, .nStmt = 1 };
  return sql_prepare(&st, 0, 0, out, 0);
}

static void sql_free(od_sql *q) {
  sqlite3_free(q->z);
  sqlite3_free(q->aMark);
  memset(q, 0, sizeof(*q));
}

/* The SQL type that carries a value of kind k to the data source. */
static SQLSMALLINT sql_type_of(const od_conn *c, pt_kind k) {
  switch( k ) {
    case PT_K_INT: return SQL_BIGINT;
    case PT_K_BOOL: return SQL_BIT;
    case PT_K_REAL: return SQL_DOUBLE;
    case PT_K_DECIMAL: return SQL_DECIMAL;
    case PT_K_BLOB: return SQL_VARBINARY;
    /* MySQL takes zero dates and times beyond 24 hours only as literals:
    ** its driver's own conversion refuses them */
    case PT_K_DATE: return c->dbms == OD_MYSQL || c->dbms == OD_PG ? SQL_VARCHAR : SQL_TYPE_DATE;
    case PT_K_TIME: return c->dbms == OD_MYSQL || c->dbms == OD_PG ? SQL_VARCHAR : SQL_TYPE_TIME;
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ:
      return c->dbms == OD_MYSQL || c->dbms == OD_PG ? SQL_VARCHAR : SQL_TYPE_TIMESTAMP;
    case PT_K_UUID: return c->dbms == OD_PG ? SQL_GUID : SQL_WVARCHAR;
    default: return SQL_WVARCHAR;
  }
}

/*
** The text a value of date kind k (date, time, timestamp[tz]) is sent as:
** a timestamp with an offset turned to UTC (the session's zone), then in
** the engine's input form where its dialect has one (xDateParam:
** PostgreSQL's BC years).  tmp (64 bytes) holds a changed text; *pn gets
** the length.
*/
static const char *date_param(const od_conn *c, pt_kind k, const char *z, int n, char *tmp,
                              int *pn) {
  const char *r = z;
  int m = n;
  if( k == PT_K_TIMESTAMP || k == PT_K_TIMESTAMPTZ ) {
    int u = pt_utc_time(z, n, tmp);
    if( u > 0 ) {
      r = tmp;
      m = u;
    }
  }
  const pt_dialect *d = odDialect((pt_conn *)&c->base);
  if( d->xDateParam ) {
    char t[64];
    int k2 = d->xDateParam(k, r, m, t);
    if( k2 > 0 ) {
      memcpy(tmp, t, (size_t)k2);
      r = tmp;
      m = k2;
    }
  }
  *pn = m;
  return r;
}

/* One parameter's bound data, owned until the statement has run. */
typedef struct od_pval {
  void *p; /* the bytes bound */
  SQLLEN len; /* their length, or SQL_NULL_DATA */
  int64_t i;
  double r;
  unsigned char bit;
  char tmp[64];
} od_pval;

/* Bind parameter iMark (1-based) to pontoon parameter a for one execution.
** Text goes as UTF-16; numbers in their C types; dates and decimals as the
** ASCII text of pontoon's form, which the driver converts. */
static int bind_one(od_conn *c, SQLHSTMT st, int iMark, const pt_param *a, od_pval *v,
                    char **pzErr) {
  SQLSMALLINT sqlType = sql_type_of(c, a->kind);
  SQLSMALLINT cType = SQL_C_CHAR;
  SQLULEN colSize = 0;
  SQLSMALLINT scale = 0;
  v->p = 0;
  v->len = 0;
  if( !a->z ) {
    v->len = SQL_NULL_DATA;
    cType = a->kind == PT_K_BLOB ? SQL_C_BINARY : SQL_C_CHAR;
    if( sqlType == SQL_WVARCHAR ) sqlType = SQL_VARCHAR;
    colSize = 1;
  } else if( a->isBinary || a->kind == PT_K_BLOB ) {
    cType = SQL_C_BINARY;
    sqlType = a->n > 8000 ? SQL_LONGVARBINARY : SQL_VARBINARY;
    v->p = (void *)a->z;
    v->len = a->n;
    colSize = a->n > 0 ? (SQLULEN)a->n : 1;
  } else {
    switch( a->kind ) {
      case PT_K_INT: {
        char *e;
        char buf[32];
        int n = a->n < 31 ? a->n : 31;
        memcpy(buf, a->z, n);
        buf[n] = 0;
        v->i = strtoll(buf, &e, 10);
        if( *e == 0 && n > 0 ) {
          cType = SQL_C_SBIGINT;
          v->p = &v->i;
          v->len = sizeof v->i;
        } else {
          sqlType = SQL_DECIMAL;
          v->p = (void *)a->z;
          v->len = a->n;
          colSize = (SQLULEN)a->n;
        }
        break;
      }
      case PT_K_BOOL:
        v->bit =
          (a->n > 0 && (a->z[0] == 't' || a->z[0] == 'T' || a->z[0] == '1' || a->z[0] == 'y')) ? 1
                                                                                               : 0;
        cType = SQL_C_BIT;
        v->p = &v->bit;
        v->len = 1;
        break;
      case PT_K_REAL: {
        char buf[64];
        int n = a->n < 63 ? a->n : 63;
        memcpy(buf, a->z, n);
        buf[n] = 0;
        v->r = strtod(buf, 0);
        cType = SQL_C_DOUBLE;
        v->p = &v->r;
        v->len = sizeof v->r;
        break;
      }
      case PT_K_DECIMAL: {
        /* precision and scale from the text itself */
        int digits = 0, frac = -1;
        for( int j = 0; j < a->n; j++ ) {
          if( a->z[j] == '.' )
            frac = 0;
          else if( isdigit((unsigned char)a->z[j]) ) {
            digits++;
            if( frac >= 0 ) frac++;
          }
        }
        v->p = (void *)a->z;
        v->len = a->n;
        colSize = digits > 0 ? (SQLULEN)digits : 1;
        scale = (SQLSMALLINT)(frac > 0 ? frac : 0);
        if( digits == 0 ) sqlType = SQL_VARCHAR; /* NaN, Infinity: the server decides */
        break;
      }
      case PT_K_TIMESTAMPTZ:
      case PT_K_TIMESTAMP:
      case PT_K_DATE:
      case PT_K_TIME: {
        int m = 0;
        v->p = (void *)date_param(c, a->kind, a->z, a->n, v->tmp, &m);
        v->len = m;
        colSize = (SQLULEN)m;
        const char *dot = memchr(v->p, '.', (size_t)m);
        if( dot )
          scale = (SQLSMALLINT)((const char *)v->p + m - dot - 1);
        else if( a->kind == PT_K_TIMESTAMP || a->kind == PT_K_TIMESTAMPTZ )
          scale = 6;
        break;
      }
      case PT_K_UUID:
        if( sqlType == SQL_GUID ) {
          v->p = (void *)a->z;
          v->len = a->n;
          colSize = 36;
          break;
        }
        /* fall through */
      default: {
        if( c->utf8 ) {
          v->p = (void *)a->z;
          v->len = a->n;
          sqlType = a->n > 4000 ? SQL_LONGVARCHAR : SQL_VARCHAR;
          colSize = a->n > 0 ? (SQLULEN)a->n : 1;
          break;
        }
        int nW = 0;
        SQLWCHAR *w = od_wide(a->z, a->n, &nW);
        if( !w ) return SQLITE_NOMEM;
        cType = SQL_C_WCHAR;
        v->p = w; /* freed by the caller: see params_free */
        v->len = (SQLLEN)nW * (SQLLEN)sizeof(SQLWCHAR);
        colSize = nW > 0 ? (SQLULEN)nW : 1;
        if( nW > 4000 ) sqlType = SQL_WLONGVARCHAR;
        break;
      }
    }
  }
  SQLRETURN r = SQLBindParameter(st, (SQLUSMALLINT)iMark, SQL_PARAM_INPUT, cType, sqlType, colSize,
                                 scale, v->p, v->len > 0 ? v->len : 0, &v->len);
  if( !SQL_SUCCEEDED(r) ) {
    *pzErr = st_error(c, c->dbc, st);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* Free what bind_one allocated (UTF-16 copies of text). */
static void params_free(od_pval *a, int n, const od_sql *q, const pt_param *aParam) {
  for( int i = 0; i < n; i++ ) {
    const pt_param *p = &aParam[q->aMark[i]];
    if( p->z && !p->isBinary && a[i].p && a[i].p != p->z && a[i].p != a[i].tmp &&
        a[i].p != &a[i].i && a[i].p != &a[i].r && a[i].p != &a[i].bit ) {
      sqlite3_free(a[i].p);
    }
  }
  sqlite3_free(a);
}

/* Allocate st on dbc, bind the parameters of q and run it. *ppVal holds
** the bound data until the caller frees it with params_free. */
static char *get_text(SQLHSTMT st, SQLUSMALLINT col);
static int get_int(SQLHSTMT st, SQLUSMALLINT col, int *pNull);

/*
** MySQL in strict mode reports some failed writes (Data truncated, 1265)
** with a warning's SQLSTATE, which its ODBC driver passes on as success:
** with info from one execution, as plain success from a parameter array,
** with nothing written.  As the MySQL driver does, the dialect's warnings
** (zWarnings) are read after statement zSql (NULL: not known), and the
** first it judges an error (xWarning) becomes *pzErr and the result
** SQLITE_ERROR.
*/
static int engine_warnings(od_conn *c, const char *zSql, char **pzErr) {
  const pt_dialect *d = odDialect(&c->base);
  if( !d->zWarnings || !d->xWarning ) return SQLITE_OK;
  SQLHSTMT st;
  if( !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st)) ) return SQLITE_OK;
  int rc = SQLITE_OK;
  if( SQL_SUCCEEDED(exec_sql(c, st, d->zWarnings, 0)) ) {
    while( rc == SQLITE_OK && SQL_SUCCEEDED(SQLFetch(st)) ) {
      char *zLevel = get_text(st, 1), *zCode = get_text(st, 2), *zMsg = get_text(st, 3);
      char *zErr = d->xWarning(zSql, zLevel, zCode, zMsg);
      if( zErr ) {
        *pzErr = zErr;
        rc = SQLITE_ERROR;
      }
      sqlite3_free(zLevel);
      sqlite3_free(zCode);
      sqlite3_free(zMsg);
    }
  }
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  return rc;
}

static int exec_stmt(od_conn *c, SQLHDBC dbc, const od_sql *q, const pt_param *aParam, SQLHSTMT st,
                     int isWrite, od_pval **ppVal, char **pzErr) {
  od_pval *aVal = sqlite3_malloc64(sizeof(od_pval) * ((size_t)q->nMark + 1));
  *ppVal = aVal;
  if( !aVal ) return SQLITE_NOMEM;
  memset(aVal, 0, sizeof(od_pval) * ((size_t)q->nMark + 1));
  for( int i = 0; i < q->nMark; i++ ) {
    int rc = bind_one(c, st, i + 1, &aParam[q->aMark[i]], &aVal[i], pzErr);
    if( rc != SQLITE_OK ) return rc;
  }
  SQLRETURN r = exec_sql(c, st, q->z, 0);
  if( !SQL_SUCCEEDED(r) && r != SQL_NO_DATA ) {
    *pzErr = st_error(c, dbc, st);
    return SQLITE_ERROR;
  }
  if( isWrite && r == SQL_SUCCESS_WITH_INFO ) return engine_warnings(c, q->z, pzErr);
  return SQLITE_OK;
}

/* ---- catalog ---- */

/* Column c of the current row of a catalog result as UTF-8, or NULL. */
static char *get_text(SQLHSTMT st, SQLUSMALLINT col) {
  SQLWCHAR w[512];
  SQLLEN ind = 0;
  if( !SQL_SUCCEEDED(SQLGetData(st, col, SQL_C_WCHAR, w, sizeof w, &ind)) || ind == SQL_NULL_DATA )
    return 0;
  size_t nW = ind == SQL_NO_TOTAL || ind >= (SQLLEN)sizeof w ? sizeof w / sizeof w[0] - 1
                                                             : (size_t)ind / sizeof(SQLWCHAR);
  return od_narrow(w, nW);
}

static int get_int(SQLHSTMT st, SQLUSMALLINT col, int *pNull) {
  SQLINTEGER v = 0;
  SQLLEN ind = 0;
  if( !SQL_SUCCEEDED(SQLGetData(st, col, SQL_C_SLONG, &v, sizeof v, &ind)) ||
      ind == SQL_NULL_DATA ) {
    if( pNull ) *pNull = 1;
    return 0;
  }
  if( pNull ) *pNull = 0;
  return (int)v;
}

/* pontoon's kind for an ODBC SQL type and the driver's type name. */
static pt_kind kind_of(int dbms, SQLSMALLINT t, const char *zName, int isUnsigned) {
  char zLow[64];
  int n = 0;
  for( ; zName && zName[n] && n < 63; n++ ) zLow[n] = (char)tolower((unsigned char)zName[n]);
  zLow[n] = 0;
  if( strstr(zLow, "unsigned") ) isUnsigned = 1;
  if( strstr(zLow, "json") ) return PT_K_JSON;
  if( !strcmp(zLow, "uuid") || t == SQL_GUID ) return PT_K_UUID;
  if( !strcmp(zLow, "bool") || !strcmp(zLow, "boolean") ) return PT_K_BOOL;
  if( strstr(zLow, "timestamptz") || strstr(zLow, "with time zone") ) return PT_K_TIMESTAMPTZ;
  if( !strcmp(zLow, "enum") ) return PT_K_ENUM;
  /* MySQL's TIMESTAMP is a point in time (stored in UTC), DATETIME is not */
  if( dbms == OD_MYSQL && !strcmp(zLow, "timestamp") ) return PT_K_TIMESTAMPTZ;
  if( !strncmp(zLow, "interval", 8) ) return PT_K_OTHER;
  if( !strncmp(zLow, "decimal", 7) || !strncmp(zLow, "numeric", 7) )
    return PT_K_DECIMAL; /* SQLite says VARCHAR */
  if( !strcmp(zLow, "bit") && (t == SQL_BINARY || t == SQL_VARBINARY) )
    return PT_K_INT; /* MySQL BIT(n>1) */
  switch( t ) {
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER: return PT_K_INT;
    case SQL_BIGINT: return isUnsigned ? PT_K_DECIMAL : PT_K_INT;
    case SQL_BIT: return PT_K_BOOL;
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE: return PT_K_REAL;
    case SQL_DECIMAL:
    case SQL_NUMERIC: return PT_K_DECIMAL;
    case SQL_CHAR:
    case SQL_WCHAR: return PT_K_CHAR;
    case SQL_VARCHAR:
    case SQL_LONGVARCHAR:
    case SQL_WVARCHAR:
    case SQL_WLONGVARCHAR: return PT_K_TEXT;
    case SQL_BINARY:
    case SQL_VARBINARY:
    case SQL_LONGVARBINARY: return PT_K_BLOB;
    case SQL_TYPE_DATE:
    case SQL_DATE: return PT_K_DATE;
    case SQL_TYPE_TIME:
    case SQL_TIME: return PT_K_TIME;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TIMESTAMP: return PT_K_TIMESTAMP;
    default: return PT_K_OTHER;
  }
}

/* The catalog and schema arguments for a remote schema name: MySQL's
** databases are ODBC catalogs. */
static void catalog_args(od_conn *c, const char *zSchema, SQLWCHAR **pCat, SQLWCHAR **pSch) {
  *pCat = *pSch = 0;
  if( !zSchema ) zSchema = c->zDefSchema;
  if( !zSchema ) return;
  if( c->catalogIsSchema )
    *pCat = od_wide(zSchema, -1, 0);
  else
    *pSch = od_wide(zSchema, -1, 0);
}

static int new_stmt(od_conn *c, SQLHSTMT *pSt, char **pzErr) {
  if( c->dbc == SQL_NULL_HDBC || c->dead ) {
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  if( !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, pSt)) ) {
    int dead = 0;
    *pzErr = od_diag(SQL_HANDLE_DBC, c->dbc, &dead);
    if( dead ) c->dead = 1;
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* xDescribe through the catalog functions: SQLColumns (names compared
** exactly, a pattern may bring near names), SQLPrimaryKeys, SQLStatistics
** for the row estimate, SQLTables for a view; SQLITE_NOTFOUND when no
** column is found. */
static int odDescribe(pt_conn *p, const char *zSchema, const char *zTable, pt_table_desc **ppDesc,
                      char **pzErr) {
  od_conn *c = (od_conn *)p;
  *ppDesc = 0;
  SQLHSTMT st;
  int rc = new_stmt(c, &st, pzErr);
  if( rc != SQLITE_OK ) return rc;
  SQLWCHAR *wCat, *wSch, *wTab = od_wide(zTable, -1, 0);
  catalog_args(c, zSchema, &wCat, &wSch);
  /* names are identifiers, not patterns */
  SQLSetStmtAttr(st, SQL_ATTR_METADATA_ID, (SQLPOINTER)SQL_FALSE, 0);
  int nAlloc = 16, n = 0;
  pt_column *a = sqlite3_malloc64(sizeof(pt_column) * nAlloc);
  char *zFoundSchema = 0;
  SQLRETURN r =
    SQLColumnsW(st, wCat, wCat ? SQL_NTS : 0, wSch, wSch ? SQL_NTS : 0, wTab, SQL_NTS, 0, 0);
  if( !SQL_SUCCEEDED(r) ) {
    *pzErr = st_error(c, c->dbc, st);
    rc = SQLITE_ERROR;
  }
  while( rc == SQLITE_OK && a && SQL_SUCCEEDED(r = SQLFetch(st)) ) {
    char *zTab = get_text(st, 3);
    /* a pattern match may bring a similar name ('_' matches any one) */
    if( !zTab || strcmp(zTab, zTable) != 0 ) {
      sqlite3_free(zTab);
      continue;
    }
    sqlite3_free(zTab);
    if( n == nAlloc ) {
      nAlloc *= 2;
      pt_column *aNew = sqlite3_realloc64(a, sizeof(pt_column) * nAlloc);
      if( !aNew ) {
        rc = SQLITE_NOMEM;
        break;
      }
      a = aNew;
    }
    memset(&a[n], 0, sizeof(a[n]));
    if( !zFoundSchema ) zFoundSchema = get_text(st, c->catalogIsSchema ? 1 : 2);
    a[n].zName = get_text(st, 4);
    int isNull;
    SQLSMALLINT t = (SQLSMALLINT)get_int(st, 5, &isNull);
    a[n].zRemoteType = get_text(st, 6);
    a[n].kind = kind_of(c->dbms, t, a[n].zRemoteType, 0);
    a[n].notNull = get_int(st, 11, &isNull) == SQL_NO_NULLS;
    if( !a[n].zName ) a[n].zName = pt_strdup("?");
    n++;
  }
  if( !a ) rc = SQLITE_NOMEM;
  if( rc == SQLITE_OK && r != SQL_NO_DATA && !SQL_SUCCEEDED(r) ) {
    *pzErr = st_error(c, c->dbc, st);
    rc = SQLITE_ERROR;
  }
  SQLFreeStmt(st, SQL_CLOSE);
  if( rc == SQLITE_OK && n == 0 ) {
    *pzErr = sqlite3_mprintf("table %s%s%s does not exist", zSchema ? zSchema : "",
                             zSchema ? "." : "", zTable);
    rc = SQLITE_NOTFOUND;
  }
  /* the primary key */
  if( rc == SQLITE_OK &&
      SQL_SUCCEEDED(
        SQLPrimaryKeysW(st, wCat, wCat ? SQL_NTS : 0, wSch, wSch ? SQL_NTS : 0, wTab, SQL_NTS)) ) {
    while( SQL_SUCCEEDED(SQLFetch(st)) ) {
      char *zCol = get_text(st, 4);
      int isNull;
      int seq = get_int(st, 5, &isNull);
      for( int i = 0; zCol && i < n; i++ )
        if( strcmp(a[i].zName, zCol) == 0 ) a[i].iKey = seq > 0 ? seq : 1;
      sqlite3_free(zCol);
    }
    SQLFreeStmt(st, SQL_CLOSE);
  }
  /* MariaDB's and SQLite's drivers give the key's columns in table order,
  ** not key order: ask the index (MariaDB) or the table (SQLite) */
  if( rc == SQLITE_OK && c->dbms == OD_MYSQL &&
      SQL_SUCCEEDED(SQLStatisticsW(st, wCat, wCat ? SQL_NTS : 0, wSch, wSch ? SQL_NTS : 0, wTab,
                                   SQL_NTS, SQL_INDEX_UNIQUE, SQL_QUICK)) ) {
    while( SQL_SUCCEEDED(SQLFetch(st)) ) {
      char *zIndex = get_text(st, 6), *zCol = get_text(st, 9);
      int isNull;
      int seq = get_int(st, 8, &isNull);
      if( zIndex && zCol && strcmp(zIndex, "PRIMARY") == 0 && seq > 0 ) {
        for( int i = 0; i < n; i++ )
          if( strcmp(a[i].zName, zCol) == 0 ) a[i].iKey = seq;
      }
      sqlite3_free(zIndex);
      sqlite3_free(zCol);
    }
    SQLFreeStmt(st, SQL_CLOSE);
  }
  if( rc == SQLITE_OK && c->dbms == OD_SQLITE ) {
    char *zSql = sqlite3_mprintf("SELECT name, pk FROM pragma_table_info(%Q) WHERE pk > 0", zTable);
    if( zSql && SQL_SUCCEEDED(exec_sql(c, st, zSql, 0)) ) {
      while( SQL_SUCCEEDED(SQLFetch(st)) ) {
        char *zCol = get_text(st, 1);
        int isNull;
        int seq = get_int(st, 2, &isNull);
        for( int i = 0; zCol && i < n; i++ )
          if( strcmp(a[i].zName, zCol) == 0 ) a[i].iKey = seq;
        sqlite3_free(zCol);
      }
      SQLFreeStmt(st, SQL_CLOSE);
    }
    sqlite3_free(zSql);
  }
  /* a view? */
  int isView = 0;
  if( rc == SQLITE_OK &&
      SQL_SUCCEEDED(
        SQLTablesW(st, wCat, wCat ? SQL_NTS : 0, wSch, wSch ? SQL_NTS : 0, wTab, SQL_NTS, 0, 0)) ) {
    while( SQL_SUCCEEDED(SQLFetch(st)) ) {
      char *zTab = get_text(st, 3), *zType = get_text(st, 4);
      if( zTab && zType && strcmp(zTab, zTable) == 0 && sqlite3_stricmp(zType, "VIEW") == 0 )
        isView = 1;
      sqlite3_free(zTab);
      sqlite3_free(zType);
    }
    SQLFreeStmt(st, SQL_CLOSE);
  }
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  sqlite3_free(wCat);
  sqlite3_free(wSch);
  sqlite3_free(wTab);
  if( zFoundSchema && !zFoundSchema[0] ) {
    sqlite3_free(zFoundSchema);
    zFoundSchema = 0;
  } /* SQLite: "" */
  if( rc != SQLITE_OK ) {
    for( int i = 0; i < n; i++ ) {
      sqlite3_free(a[i].zName);
      sqlite3_free(a[i].zRemoteType);
    }
    sqlite3_free(a);
    sqlite3_free(zFoundSchema);
    return rc;
  }
  pt_table_desc *d = pt_desc_new(0);
  if( !d ) {
    for( int i = 0; i < n; i++ ) {
      sqlite3_free(a[i].zName);
      sqlite3_free(a[i].zRemoteType);
    }
    sqlite3_free(a);
    sqlite3_free(zFoundSchema);
    return SQLITE_NOMEM;
  }
  sqlite3_free(d->aCol);
  d->aCol = a;
  d->nCol = n;
  d->nRowEstimate = -1;
  d->zSchema = zFoundSchema;
  d->isView = isView;
  *ppDesc = d;
  return SQLITE_OK;
}

/* The kind of result column i of st, from SQLDescribeCol and the type name. */
static pt_kind result_kind(const od_conn *c, SQLHSTMT st, SQLUSMALLINT i, char **pzName,
                           SQLSMALLINT *pType, SQLULEN *pSize) {
  SQLWCHAR wName[256];
  SQLSMALLINT nName = 0, type = 0, digits = 0, nullable = 0;
  SQLULEN size = 0;
  SQLDescribeColW(st, i, wName, (SQLSMALLINT)(sizeof wName / sizeof wName[0]), &nName, &type, &size,
                  &digits, &nullable);
  if( nName > (SQLSMALLINT)(sizeof wName / sizeof wName[0]) - 1 )
    nName = (SQLSMALLINT)(sizeof wName / sizeof wName[0]) - 1;
  if( pzName ) *pzName = od_narrow(wName, (size_t)nName);
  SQLWCHAR wType[64];
  SQLSMALLINT nType = 0;
  char *zType = 0;
  if( SQL_SUCCEEDED(SQLColAttributeW(st, i, SQL_DESC_TYPE_NAME, wType, sizeof wType, &nType, 0)) ) {
    size_t nW = (size_t)nType / sizeof(SQLWCHAR);
    if( nW >= sizeof wType / sizeof wType[0] ) nW = sizeof wType / sizeof wType[0] - 1;
    zType = od_narrow(wType, nW);
  }
  SQLLEN isUnsigned = 0;
  SQLColAttributeW(st, i, SQL_DESC_UNSIGNED, 0, 0, 0, &isUnsigned);
  pt_kind k = kind_of(c->dbms, type, zType, type == SQL_BIGINT && isUnsigned == SQL_TRUE);
  sqlite3_free(zType);
  if( pType ) *pType = type;
  if( pSize ) *pSize = size;
  return k;
}

/* xDescribeQuery: the columns of SELECT * FROM (zQuery) q WHERE 1 = 0,
** run read-only on a read-only connection; zQuery is passed as written. */
static int odDescribeQuery(pt_conn *p, const char *zQuery, pt_table_desc **ppDesc, char **pzErr) {
  od_conn *c = (od_conn *)p;
  *ppDesc = 0;
  SQLHSTMT st;
  int rc = new_stmt(c, &st, pzErr);
  if( rc != SQLITE_OK ) return rc;
  char *zSql = sqlite3_mprintf("SELECT * FROM (%s) q WHERE 1 = 0", zQuery);
  od_sql q;
  int inRo = 0;
  rc = zSql ? sql_plain(zSql, &q) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if( rc == SQLITE_OK && c->readOnly ) {
    rc = ro_check(q.z, pzErr);
    if( rc == SQLITE_OK ) rc = ro_begin(c, c->dbc, pzErr);
    inRo = rc == SQLITE_OK;
    if( rc != SQLITE_OK ) sql_free(&q);
  }
  if( rc == SQLITE_OK ) {
    SQLRETURN r = exec_sql(c, st, q.z, 0);
    if( !SQL_SUCCEEDED(r) && r != SQL_NO_DATA ) {
      *pzErr = st_error(c, c->dbc, st);
      rc = SQLITE_ERROR;
    }
    sql_free(&q);
  }
  SQLSMALLINT n = 0;
  if( rc == SQLITE_OK ) SQLNumResultCols(st, &n);
  pt_table_desc *d = rc == SQLITE_OK ? pt_desc_new(n) : 0;
  if( rc == SQLITE_OK && !d ) rc = SQLITE_NOMEM;
  for( int i = 0; d && i < n; i++ ) {
    d->aCol[i].kind = result_kind(c, st, (SQLUSMALLINT)(i + 1), &d->aCol[i].zName, 0, 0);
  }
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  if( inRo ) ro_end(c, c->dbc);
  *ppDesc = d;
  return rc;
}

/* 0 when the data source lists its schemas (catalogs where those name
** databases) and zSchema is not among them; 1 otherwise, a driver that
** lists none included. */
static int schema_listed(od_conn *c, const char *zSchema) {
  SQLHSTMT st;
  char *zErr = 0;
  if( new_stmt(c, &st, &zErr) != SQLITE_OK ) {
    sqlite3_free(zErr);
    return 1;
  }
  SQLWCHAR *wAll = od_wide("%", -1, 0), *wNone = od_wide("", -1, 0);
  SQLRETURN r = c->catalogIsSchema ? SQLTablesW(st, wAll, SQL_NTS, wNone, 0, wNone, 0, 0, 0)
                                   : SQLTablesW(st, wNone, 0, wAll, SQL_NTS, wNone, 0, 0, 0);
  int seen = 0, found = 0;
  while( SQL_SUCCEEDED(r) && !found && SQL_SUCCEEDED(SQLFetch(st)) ) {
    char *zName = get_text(st, c->catalogIsSchema ? 1 : 2);
    if( zName ) {
      seen = 1;
      found = strcmp(zName, zSchema) == 0;
    }
    sqlite3_free(zName);
  }
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  sqlite3_free(wAll);
  sqlite3_free(wNone);
  return found || !seen;
}

/* xListTables: SQLTables of TABLE and VIEW in the schema (catalog for
** MySQL) given; a schema the data source does not know is SQLITE_NOTFOUND. */
static int odListTables(pt_conn *p, const char *zSchema, const char *zLike, char ***pazName,
                        int *pn, char **pzErr) {
  od_conn *c = (od_conn *)p;
  *pazName = 0;
  *pn = 0;
  SQLHSTMT st;
  int rc = new_stmt(c, &st, pzErr);
  if( rc != SQLITE_OK ) return rc;
  SQLWCHAR *wCat, *wSch, *wLike = od_wide(zLike ? zLike : "%", -1, 0);
  SQLWCHAR *wTypes = od_wide("TABLE,VIEW", -1, 0);
  catalog_args(c, zSchema, &wCat, &wSch);
  int nAlloc = 16, n = 0;
  char **a = sqlite3_malloc64(sizeof(char *) * nAlloc);
  SQLRETURN r = SQLTablesW(st, wCat, wCat ? SQL_NTS : 0, wSch, wSch ? SQL_NTS : 0, wLike, SQL_NTS,
                           wTypes, SQL_NTS);
  if( !SQL_SUCCEEDED(r) ) {
    *pzErr = st_error(c, c->dbc, st);
    rc = SQLITE_ERROR;
  }
  while( rc == SQLITE_OK && a && SQL_SUCCEEDED(SQLFetch(st)) ) {
    char *zName = get_text(st, 3);
    if( !zName ) continue;
    if( n == nAlloc ) {
      nAlloc *= 2;
      char **aNew = sqlite3_realloc64(a, sizeof(char *) * nAlloc);
      if( !aNew ) {
        sqlite3_free(zName);
        rc = SQLITE_NOMEM;
        break;
      }
      a = aNew;
    }
    a[n++] = zName;
  }
  if( !a ) rc = SQLITE_NOMEM;
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  sqlite3_free(wCat);
  sqlite3_free(wSch);
  sqlite3_free(wLike);
  sqlite3_free(wTypes);
  if( rc == SQLITE_OK && n == 0 && zSchema && !schema_listed(c, zSchema) ) {
    *pzErr = sqlite3_mprintf("schema %s does not exist", zSchema);
    rc = SQLITE_NOTFOUND;
  }
  if( rc != SQLITE_OK ) {
    for( int i = 0; i < n; i++ ) sqlite3_free(a[i]);
    sqlite3_free(a);
    return rc;
  }
  *pazName = a;
  *pn = n;
  return SQLITE_OK;
}

/* ---- reading ---- */

/*
** Without multiple active statements a streamed result holds its
** connection until read or closed: xBusy tells conn.c, which opens another
** cursor on another connection of its pool.  Inside a transaction (and for
** a caller that opens a second cursor anyway) the result is read as a
** static cursor, which the driver keeps whole, leaving the connection free.
*/
static int odBusy(pt_conn *p) {
  od_conn *c = (od_conn *)p;
  return !c->multiActive && !c->inTxn && c->pMainUser != 0;
}

/* Bind the columns of cur's result: the C type and slot width by kind. */
static int bind_columns(od_cursor *cur, int nCol, const pt_kind *aKind, int nFetch, char **pzErr) {
  SQLSMALLINT nRes = 0;
  SQLNumResultCols(cur->st, &nRes);
  if( nRes < nCol ) {
    *pzErr = sqlite3_mprintf("the query returned %d columns, %d expected", (int)nRes, nCol);
    return SQLITE_ERROR;
  }
  cur->nCol = nCol;
  cur->aCol = sqlite3_malloc64(sizeof(od_col) * ((size_t)nCol + 1));
  if( !cur->aCol ) return SQLITE_NOMEM;
  memset(cur->aCol, 0, sizeof(od_col) * ((size_t)nCol + 1));
  SQLLEN rowBytes = 0;
  for( int i = 0; i < nCol; i++ ) {
    od_col *col = &cur->aCol[i];
    SQLSMALLINT type = 0;
    SQLULEN size = 0;
    result_kind(cur->c, cur->st, (SQLUSMALLINT)(i + 1), 0, &type, &size);
    col->kind = aKind[i];
    switch( col->kind ) {
      case PT_K_INT:
        if( type == SQL_BINARY || type == SQL_VARBINARY ) { /* MySQL BIT(n): big-endian bytes */
          col->cType = SQL_C_BINARY;
          col->width = 8;
          col->isBits = 1;
        } else if( cur->c->dbms == OD_SQLITE ) {
          /* SQLite keeps what it is given: text in an INTEGER column, which
          ** its driver would hand over as NULL in an integer */
          col->cType = SQL_C_CHAR;
          col->width = 48;
          col->isLong = 1;
        } else if( type == SQL_DECIMAL || type == SQL_NUMERIC || type == SQL_BIGINT ||
                   type == SQL_INTEGER || type == SQL_SMALLINT || type == SQL_TINYINT ||
                   type == SQL_BIT ) {
          col->cType = SQL_C_SBIGINT;
          col->width = sizeof(int64_t);
        } else {
          col->cType = SQL_C_CHAR;
          col->width = 48; /* a text column declared INTEGER (SQLite) */
        }
        break;
      case PT_K_REAL:
        if( cur->c->dbms == OD_SQLITE ) {
          col->cType = SQL_C_CHAR;
          col->width = 48; /* the SQLite dialect's exact text */
        } else {
          col->cType = SQL_C_DOUBLE;
          col->width = sizeof(double);
        }
        break;
      case PT_K_BOOL:
        col->cType = SQL_C_BIT;
        col->width = 1;
        break;
      case PT_K_DECIMAL:
        if( type == SQL_BINARY || type == SQL_VARBINARY ) {
          col->cType = SQL_C_BINARY;
          col->width = 8;
          col->isBits = 1;
          break;
        }
        col->cType = SQL_C_CHAR;
        col->width = size > 0 && size < 200 ? (SQLLEN)size + 40 : 160;
        col->isLong = 1;
        break;
      case PT_K_TIME:
      case PT_K_UUID:
        col->cType = SQL_C_CHAR;
        col->width = 48;
        break;
      case PT_K_DATE:
      case PT_K_TIMESTAMP:
      case PT_K_TIMESTAMPTZ:
        if( cur->c->dbms == OD_MYSQL || cur->c->dbms == OD_SQLITE || cur->c->dbms == OD_PG ) {
          /* MySQL's zero dates come as NULL in the structures, SQLite keeps
          ** whatever text was stored, PostgreSQL's text is selected
          ** (the PostgreSQL dialect, PT_READ_TEXT): read the text */
          col->cType = SQL_C_CHAR;
          col->width = 48;
        } else if( col->kind == PT_K_DATE ) {
          col->cType = SQL_C_TYPE_DATE;
          col->width = sizeof(SQL_DATE_STRUCT);
        } else {
          col->cType = SQL_C_TYPE_TIMESTAMP;
          col->width = sizeof(SQL_TIMESTAMP_STRUCT);
        }
        break;
      case PT_K_BLOB:
        col->cType = SQL_C_BINARY;
        col->width = size > 0 && size <= OD_LONG_BYTES ? (SQLLEN)size : OD_LONG_BYTES;
        col->isLong = 1;
        break;
      default:
        if( cur->c->utf8 ) {
          col->cType = SQL_C_CHAR;
          col->width = size > 0 && size <= OD_LONG_BYTES / 4 ? (SQLLEN)size * 4 + 1 : OD_LONG_BYTES;
        } else {
          col->cType = SQL_C_WCHAR;
          col->width =
            size > 0 && size <= OD_LONG_BYTES / 2 ? (SQLLEN)(size + 1) * 2 : OD_LONG_BYTES;
        }
        col->isLong = 1;
        break;
    }
    rowBytes += col->width + (SQLLEN)sizeof(SQLLEN);
  }
  SQLULEN nRows;
  if( nFetch > 0 )
    nRows = (SQLULEN)nFetch;
  else if( nFetch == PT_FETCH_FEW )
    nRows = 16;
  else
    nRows = (SQLULEN)(OD_BLOCK_BYTES / (rowBytes > 0 ? rowBytes : 1));
  /* fetch= asks for rows per block; the block's bytes stay bounded */
  SQLULEN nFit = (SQLULEN)(OD_BLOCK_BYTES / (rowBytes > 0 ? rowBytes : 1));
  if( nRows > nFit ) nRows = nFit;
  if( nRows < 1 ) nRows = 1;
  if( nRows > OD_MAX_ROWS ) nRows = OD_MAX_ROWS;
  /* a long value is read whole with SQLGetData, which needs a row at a
  ** time where the driver cannot position within a block */
  int anyLong = 0;
  for( int i = 0; i < nCol; i++ ) anyLong |= cur->aCol[i].isLong;
  if( anyLong && !cur->c->gdBlock ) nRows = 1;
  if( !SQL_SUCCEEDED(
        SQLSetStmtAttr(cur->st, SQL_ATTR_ROW_BIND_TYPE, (SQLPOINTER)SQL_BIND_BY_COLUMN, 0)) ||
      !SQL_SUCCEEDED(
        SQLSetStmtAttr(cur->st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)(uintptr_t)nRows, 0)) ) {
    nRows = 1; /* no block cursors: a row at a time */
    SQLSetStmtAttr(cur->st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)1, 0);
  }
  SQLULEN got = nRows;
  if( SQL_SUCCEEDED(SQLGetStmtAttr(cur->st, SQL_ATTR_ROW_ARRAY_SIZE, &got, 0, 0)) && got >= 1 &&
      got <= nRows )
    nRows = got;
  cur->nRows = nRows;
  cur->aStatus = sqlite3_malloc64(sizeof(SQLUSMALLINT) * nRows);
  if( !cur->aStatus ) return SQLITE_NOMEM;
  SQLSetStmtAttr(cur->st, SQL_ATTR_ROW_STATUS_PTR, cur->aStatus, 0);
  SQLSetStmtAttr(cur->st, SQL_ATTR_ROWS_FETCHED_PTR, &cur->nFetched, 0);
  for( int i = 0; i < nCol; i++ ) {
    od_col *col = &cur->aCol[i];
    col->aBuf = sqlite3_malloc64((size_t)col->width * nRows);
    col->aInd = sqlite3_malloc64(sizeof(SQLLEN) * nRows);
    if( !col->aBuf || !col->aInd ) return SQLITE_NOMEM;
    if( !SQL_SUCCEEDED(SQLBindCol(cur->st, (SQLUSMALLINT)(i + 1), col->cType, col->aBuf, col->width,
                                  col->aInd)) ) {
      *pzErr = st_error(cur->c, cur->dbc, cur->st);
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

static void odClose(pt_cursor *p);

/* xOpen: a statement whose columns are bound as row arrays (blocks of
** about 4 MB, bind_columns); static when the driver keeps whole results,
** inside a transaction, or while another result streams on the connection
** (xBusy); on the read-only connection inside a READ ONLY transaction of
** its own (ro_begin). */
static int odOpen(pt_conn *p, const pt_stmt *pSt, int nParam, const pt_param *aParam, int nCol,
                  const pt_kind *aKind, int nFetch, pt_cursor **ppCur, char **pzErr) {
  od_conn *c = (od_conn *)p;
  *ppCur = 0;
  if( c->dbc == SQL_NULL_HDBC || c->dead ) {
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  od_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if( !cur ) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  cur->base.pConn = p;
  cur->c = c;
  int isStatic = !c->multiActive && (c->inTxn || c->pMainUser);
  cur->dbc = c->dbc;
  if( !c->multiActive && !isStatic ) c->pMainUser = cur;
  if( !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, cur->dbc, &cur->st)) ) {
    int dead = 0;
    *pzErr = od_diag(SQL_HANDLE_DBC, cur->dbc, &dead);
    if( dead ) c->dead = 1;
    cur->st = SQL_NULL_HSTMT;
    cur->broken = 1;
    odClose(&cur->base);
    return SQLITE_ERROR;
  }
  /* A driver that keeps whole results gets a static cursor, which costs it
  ** nothing more: MariaDB's positions SQLGetData within a block (for long
  ** values) only in a static cursor, and in a forward-only one silently
  ** reads the block's last row instead (tests/sql/odbc_checks.inc). */
  SQLSetStmtAttr(
    cur->st, SQL_ATTR_CURSOR_TYPE,
    (SQLPOINTER)(uintptr_t)(isStatic || c->buffers ? SQL_CURSOR_STATIC : SQL_CURSOR_FORWARD_ONLY),
    0);
  SQLSetStmtAttr(cur->st, SQL_ATTR_CONCURRENCY, (SQLPOINTER)SQL_CONCUR_READ_ONLY, 0);
  od_sql q;
  int rc = sql_prepare(pSt, nParam, aParam, &q, pzErr);
  od_pval *aVal = 0;
  if( rc == SQLITE_OK && c->readOnly ) {
    rc = ro_check(q.z, pzErr);
    if( rc == SQLITE_OK ) rc = ro_begin(c, cur->dbc, pzErr);
    cur->roTxn = rc == SQLITE_OK;
    if( rc != SQLITE_OK ) sql_free(&q);
  }
  if( rc == SQLITE_OK ) {
    rc = exec_stmt(c, cur->dbc, &q, aParam, cur->st, 0, &aVal, pzErr);
    if( aVal ) params_free(aVal, q.nMark, &q, aParam);
    sql_free(&q);
  }
  if( rc == SQLITE_OK ) rc = bind_columns(cur, nCol, aKind, nFetch, pzErr);
  if( rc != SQLITE_OK ) {
    cur->broken = 1;
    odClose(&cur->base);
    return rc;
  }
  cur->iRow = 0;
  cur->nFetched = 0;
  *ppCur = &cur->base;
  return SQLITE_OK;
}

static int read_long(od_cursor *cur, int i, od_col *col);

static int odPageRows(pt_conn *p) { return ((od_conn *)p)->buffers ? 20000 : 0; }

/* xNext: the next row of the block, else the next block (SQLFetch);
** a value longer than its slot is read whole here (read_long), and a
** failed fetch marks the cursor broken (its connection is not reused). */
static int odNext(pt_cursor *p, char **pzErr) {
  od_cursor *cur = (od_cursor *)p;
  if( cur->done ) return SQLITE_DONE;
  for( ;; ) {
    if( cur->iRow + 1 < cur->nFetched ) {
      cur->iRow++;
    } else {
      cur->nFetched = 0;
      SQLRETURN r = SQLFetch(cur->st);
      if( r == SQL_NO_DATA ) {
        cur->done = 1;
        return SQLITE_DONE;
      }
      if( !SQL_SUCCEEDED(r) ) {
        *pzErr = st_error(cur->c, cur->dbc, cur->st);
        cur->broken = 1;
        cur->done = 1;
        return SQLITE_ERROR;
      }
      if( cur->nFetched == 0 ) {
        cur->done = 1;
        return SQLITE_DONE;
      }
      cur->iRow = 0;
    }
    SQLUSMALLINT s = cur->aStatus[cur->iRow];
    if( s == SQL_ROW_SUCCESS || s == SQL_ROW_SUCCESS_WITH_INFO || s == SQL_ROW_UPDATED ||
        s == SQL_ROW_ADDED )
      break;
    if( s == SQL_ROW_ERROR ) {
      *pzErr = st_error(cur->c, cur->dbc, cur->st);
      cur->broken = 1;
      cur->done = 1;
      return SQLITE_ERROR;
    }
    /* SQL_ROW_NOROW, SQL_ROW_DELETED: skip */
  }
  for( int i = 0; i < cur->nCol; i++ ) {
    od_col *col = &cur->aCol[i];
    col->out.n = 0;
    col->whole = 0;
    if( !col->isLong ) continue;
    SQLLEN ind = col->aInd[cur->iRow];
    if( ind == SQL_NULL_DATA ) continue;
    SQLLEN room = col->width - (col->cType == SQL_C_WCHAR ? 2 : col->cType == SQL_C_CHAR ? 1 : 0);
    if( ind != SQL_NO_TOTAL && ind <= room ) continue;
    /* longer than its slot: the whole value now, or an error (never a
    ** part of it as if it were the value) */
    if( !read_long(cur, i, col) ) {
      *pzErr = sqlite3_mprintf("a value of result column %d is longer than %d bytes and this "
                               "ODBC driver cannot read the rest of it",
                               i + 1, (int)room);
      cur->broken = 1;
      cur->done = 1;
      return SQLITE_ERROR;
    }
    col->whole = 1;
  }
  return SQLITE_ROW;
}

/* The whole of a value longer than its slot (SQL_GD_BLOCK drivers), into
** col->out; 0 when the driver cannot give it. */
static int read_long(od_cursor *cur, int i, od_col *col) {
  if( !cur->c->gdBound || (cur->nRows > 1 && !cur->c->gdBlock) ) return 0;
  if( cur->nRows > 1 &&
      !SQL_SUCCEEDED(
        SQLSetPos(cur->st, (SQLSETPOSIROW)(cur->iRow + 1), SQL_POSITION, SQL_LOCK_NO_CHANGE)) )
    return 0;
  pt_buf raw = { 0 };
  SQLSMALLINT cType = col->cType == SQL_C_WCHAR ? SQL_C_WCHAR : col->cType;
  char chunk[16384];
  for( ;; ) {
    SQLLEN ind = 0;
    SQLRETURN r = SQLGetData(cur->st, (SQLUSMALLINT)(i + 1), cType, chunk, sizeof chunk, &ind);
    if( r == SQL_NO_DATA ) break;
    if( !SQL_SUCCEEDED(r) || ind == SQL_NULL_DATA ) {
      pt_buf_free(&raw);
      return 0;
    }
    size_t term = cType == SQL_C_WCHAR ? sizeof(SQLWCHAR) : cType == SQL_C_CHAR ? 1 : 0;
    size_t got = (ind == SQL_NO_TOTAL || (size_t)ind > sizeof chunk - term) ? sizeof chunk - term
                                                                            : (size_t)ind;
    if( cType == SQL_C_WCHAR ) got -= got % sizeof(SQLWCHAR);
    pt_buf_append(&raw, chunk, got);
    if( r == SQL_SUCCESS ) break;
  }
  col->out.n = 0;
  if( cType == SQL_C_WCHAR )
    od_utf8(&col->out, (const SQLWCHAR *)(raw.z ? raw.z : ""), raw.n / sizeof(SQLWCHAR));
  else
    pt_buf_append(&col->out, raw.z, raw.n);
  pt_buf_free(&raw);
  return !col->out.oom;
}

/* Write y-m-d into out; returns the length. */
static int fmt_date(char *out, int y, int m, int d) {
  int64_t days = pt_days_from_civil(y, (unsigned)m, (unsigned)d);
  if( y == 0 && m == 0 && d == 0 )
    return (int)(memcpy(out, "0000-00-00", 10), 10); /* MySQL's zero date */
  return pt_date_chars(out, days);
}

/* xColumn: slot i of the current row as pontoon's value, from the C
** type bound: integers and doubles as numbers (NaN as text), MySQL BIT as
** an integer, UTF-16 text converted, decimals and dates as pontoon's text. */
static void odColumn(pt_cursor *p, int i, pt_value *v) {
  od_cursor *cur = (od_cursor *)p;
  memset(v, 0, sizeof(*v));
  v->type = PT_V_NULL;
  if( i < 0 || i >= cur->nCol || cur->nFetched == 0 ) return;
  od_col *col = &cur->aCol[i];
  SQLLEN ind = col->aInd[cur->iRow];
  if( ind == SQL_NULL_DATA ) return;
  char *b = col->aBuf + (size_t)col->width * cur->iRow;
  if( col->whole ) { /* read by odNext: longer than its slot */
    if( col->kind == PT_K_BLOB ) {
      v->type = PT_V_BLOB;
      v->p = col->out.z;
      v->n = (int)col->out.n;
      return;
    }
    v->type = col->kind == PT_K_DECIMAL ? PT_V_DECIMAL : PT_V_TEXT;
    v->p = col->out.z;
    v->n = (int)col->out.n;
    return;
  }
  switch( col->cType ) {
    case SQL_C_SBIGINT:
      v->type = PT_V_INT;
      memcpy(&v->i, b, sizeof v->i);
      return;
    case SQL_C_DOUBLE:
      v->type = PT_V_REAL;
      memcpy(&v->r, b, sizeof v->r);
      if( v->r != v->r ) {
        v->type = PT_V_TEXT;
        v->p = "NaN";
        v->n = 3;
      } /* SQLite would make it NULL */
      return;
    case SQL_C_BINARY:
      if( col->isBits ) {
        uint64_t u = 0;
        for( SQLLEN k = 0; k < ind && k < 8; k++ ) u = u << 8 | (unsigned char)b[k];
        if( u <= (uint64_t)INT64_MAX ) {
          v->type = PT_V_INT;
          v->i = (int64_t)u;
          return;
        }
        col->out.n = 0;
        char tmp[24];
        int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)u);
        pt_buf_append(&col->out, tmp, (size_t)n);
        v->type = PT_V_DECIMAL;
        v->p = col->out.z;
        v->n = (int)col->out.n;
        return;
      }
      v->type = PT_V_BLOB;
      v->p = b;
      v->n = (int)ind;
      return;
    case SQL_C_BIT:
      v->type = PT_V_INT;
      v->i = b[0] != 0;
      return;
    case SQL_C_TYPE_DATE: {
      SQL_DATE_STRUCT d;
      memcpy(&d, b, sizeof d);
      pt_buf_grow(&col->out, 16);
      if( col->out.oom ) return;
      col->out.n = (size_t)fmt_date(col->out.z, d.year, d.month, d.day);
      v->type = PT_V_TEXT;
      v->p = col->out.z;
      v->n = (int)col->out.n;
      return;
    }
    case SQL_C_TYPE_TIMESTAMP: {
      SQL_TIMESTAMP_STRUCT t;
      memcpy(&t, b, sizeof t);
      if( col->out.cap < 48 ) pt_buf_grow(&col->out, 48);
      if( col->out.oom ) return;
      char *o = col->out.z;
      int k = fmt_date(o, t.year, t.month, t.day);
      o[k++] = ' ';
      k += pt_time_chars(o + k, ((int64_t)t.hour * 3600 + t.minute * 60 + t.second) * 1000000);
      if( t.fraction ) {
        char f[16];
        snprintf(f, sizeof f, "%09u", (unsigned)(t.fraction % 1000000000u));
        int nf = 9;
        while( nf > 0 && f[nf - 1] == '0' ) nf--;
        o[k++] = '.';
        memcpy(o + k, f, nf);
        k += nf;
      }
      if( col->kind == PT_K_TIMESTAMPTZ ) {
        memcpy(o + k, "+00:00", 6);
        k += 6;
      }
      col->out.n = (size_t)k;
      v->type = PT_V_TEXT;
      v->p = o;
      v->n = k;
      return;
    }
    case SQL_C_CHAR: {
      int n = (int)ind;
      if( col->kind == PT_K_INT ) {
        /* an integer's text; else (SQLite) a real's, or any text as it is */
        char *e;
        char tmp[49];
        memcpy(tmp, b, n < 48 ? n : 48);
        tmp[n < 48 ? n : 48] = 0;
        long long x = strtoll(tmp, &e, 10);
        if( *e == 0 && n > 0 && n < 48 ) {
          v->type = PT_V_INT;
          v->i = x;
          return;
        }
        double r = n > 0 && n < 48 ? strtod(tmp, &e) : 0;
        if( n > 0 && n < 48 && *e == 0 && !isspace((unsigned char)tmp[0]) ) {
          v->type = PT_V_REAL;
          v->r = r;
          return;
        }
        v->type = PT_V_TEXT;
        v->p = b;
        v->n = n;
        return;
      }
      if( col->kind == PT_K_REAL ) {
        char tmp[49], *e;
        memcpy(tmp, b, n < 48 ? n : 48);
        tmp[n < 48 ? n : 48] = 0;
        v->r = strtod(tmp, &e);
        if( *e == 0 && n > 0 && v->r == v->r ) {
          v->type = PT_V_REAL;
          return;
        }
        v->type = PT_V_TEXT;
        v->p = b;
        v->n = n; /* NaN */
        return;
      }
      if( col->kind == PT_K_BOOL ) {
        char ch = n > 0 ? b[0] : '0';
        v->type = PT_V_INT;
        v->i = (ch == '1' || ch == 't' || ch == 'T' || ch == 'y' || ch == 'Y');
        return;
      }
      if( col->kind == PT_K_DECIMAL ) {
        v->type = PT_V_DECIMAL;
        v->p = b;
        v->n = n;
        return;
      }
      const pt_dialect *d = odDialect(&cur->c->base);
      if( d->xDateValue &&
          (col->kind == PT_K_DATE || col->kind == PT_K_TIMESTAMP ||
           col->kind == PT_K_TIMESTAMPTZ) ) {
        char t[96];
        int m = d->xDateValue(col->kind, b, n, t, (int)sizeof t);
        col->out.n = 0;
        if( m > 0 ) pt_buf_append(&col->out, t, (size_t)m);
        if( m > 0 && !col->out.oom ) {
          v->type = PT_V_TEXT;
          v->p = col->out.z;
          v->n = (int)col->out.n;
          return;
        }
        v->type = PT_V_TEXT;
        v->p = b;
        v->n = n; /* infinity, or a form not known here */
        return;
      }
      if( (col->kind == PT_K_TIMESTAMP || col->kind == PT_K_TIMESTAMPTZ) && n >= 19 && n < 40 ) {
        /* drop trailing zeros of the fraction, as pontoon writes times */
        int m = n;
        if( m > 19 && b[19] == '.' ) {
          while( m > 20 && b[m - 1] == '0' ) m--;
          if( m == 20 ) m = 19;
        }
        col->out.n = 0;
        pt_buf_append(&col->out, b, (size_t)m);
        if( col->kind == PT_K_TIMESTAMPTZ ) pt_buf_append(&col->out, "+00:00", 6);
        v->type = PT_V_TEXT;
        v->p = col->out.z;
        v->n = (int)col->out.n;
        return;
      }
      if( col->kind == PT_K_UUID ) {
        for( int j = 0; j < n; j++ ) b[j] = (char)tolower((unsigned char)b[j]);
      }
      v->type = PT_V_TEXT;
      v->p = b;
      v->n = n;
      return;
    }
    default: { /* SQL_C_WCHAR */
      col->out.n = 0;
      od_utf8(&col->out, (const SQLWCHAR *)b, (size_t)ind / sizeof(SQLWCHAR));
      if( col->out.oom ) return;
      v->type = PT_V_TEXT;
      v->p = col->out.z ? col->out.z : "";
      v->n = (int)col->out.n;
      return;
    }
  }
}

/* A finished cursor frees its statement; a connection found dead is
** marked so (xAlive 0), and conn.c replaces it. */
static void odClose(pt_cursor *p) {
  od_cursor *cur = (od_cursor *)p;
  if( !cur ) return;
  od_conn *c = cur->c;
  int healthy = !cur->broken;
  if( cur->st != SQL_NULL_HSTMT ) {
    if( !SQL_SUCCEEDED(SQLCloseCursor(cur->st)) && !cur->done ) { healthy = 0; }
    SQLFreeHandle(SQL_HANDLE_STMT, cur->st);
  }
  if( cur->roTxn ) ro_end(c, cur->dbc);
  if( c->pMainUser == cur ) c->pMainUser = 0;
  if( !healthy ) {
    SQLUINTEGER dead = SQL_CD_FALSE;
    if( SQL_SUCCEEDED(SQLGetConnectAttr(c->dbc, SQL_ATTR_CONNECTION_DEAD, &dead, 0, 0)) &&
        dead == SQL_CD_TRUE )
      c->dead = 1;
  }
  for( int i = 0; cur->aCol && i < cur->nCol; i++ ) {
    sqlite3_free(cur->aCol[i].aBuf);
    sqlite3_free(cur->aCol[i].aInd);
    pt_buf_free(&cur->aCol[i].out);
  }
  sqlite3_free(cur->aCol);
  sqlite3_free(cur->aStatus);
  sqlite3_free(cur);
}

/* ---- statements ---- */

static int odExec(pt_conn *p, const pt_stmt *pSt, int nParam, const pt_param *aParam,
                  int64_t *pnChanged, char **pzErr) {
  od_conn *c = (od_conn *)p;
  *pnChanged = -1;
  SQLHSTMT st;
  int rc = new_stmt(c, &st, pzErr);
  if( rc != SQLITE_OK ) return rc;
  od_sql q;
  rc = sql_prepare(pSt, nParam, aParam, &q, pzErr);
  od_pval *aVal = 0;
  if( rc == SQLITE_OK && q.multi && c->dbms == OD_MYSQL ) {
    /* the server would say "syntax error" near the second statement, and
    ** with the driver's MULTI_STATEMENTS option the connection is out of
    ** step afterwards */
    *pzErr =
      sqlite3_mprintf("MySQL through ODBC runs one statement per call: call pontoon_exec for each");
    sql_free(&q);
    rc = SQLITE_ERROR;
  }
  if( rc == SQLITE_OK ) {
    rc = exec_stmt(c, c->dbc, &q, aParam, st, 1, &aVal, pzErr);
    if( rc == SQLITE_OK ) {
      SQLLEN n = -1;
      SQLSMALLINT nCol = 0;
      SQLNumResultCols(st, &nCol);
      if( nCol == 0 && SQL_SUCCEEDED(SQLRowCount(st, &n)) ) *pnChanged = n;
    }
    if( aVal ) params_free(aVal, q.nMark, &q, aParam);
    sql_free(&q);
  }
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  return rc;
}

static int odCount(pt_conn *p, const char *zFrom, int64_t *pnRow, char **pzErr) {
  char *zSql = sqlite3_mprintf("SELECT count(*) FROM %s", zFrom);
  if( !zSql ) return SQLITE_NOMEM;
  pt_kind k = PT_K_INT;
  pt_cursor *cur = 0;
  pt_stmt st = { .zSql = zSql, .nStmt = 1 };
  int rc = odOpen(p, &st, 0, 0, 1, &k, PT_FETCH_FEW, &cur, pzErr);
  sqlite3_free(zSql);
  if( rc != SQLITE_OK ) return rc;
  rc = odNext(cur, pzErr);
  if( rc == SQLITE_ROW ) {
    pt_value v;
    odColumn(cur, 0, &v);
    *pnRow = v.type == PT_V_INT ? v.i : atoll(v.p ? v.p : "0");
    rc = SQLITE_OK;
  } else if( rc == SQLITE_DONE ) {
    *pnRow = 0;
    rc = SQLITE_OK;
  }
  odClose(cur);
  return rc;
}

/* ---- transactions ---- */

static int end_tran(od_conn *c, SQLSMALLINT how, char **pzErr) {
  if( c->dbc == SQL_NULL_HDBC ) {
    c->inTxn = 0;
    return SQLITE_OK;
  }
  SQLRETURN r = SQLEndTran(SQL_HANDLE_DBC, c->dbc, how);
  int rc = SQLITE_OK;
  if( !SQL_SUCCEEDED(r) ) {
    int dead = 0;
    *pzErr = od_diag(SQL_HANDLE_DBC, c->dbc, &dead);
    if( dead ) c->dead = 1;
    rc = SQLITE_ERROR;
  }
  SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_ON, 0);
  c->inTxn = 0;
  return rc;
}

static int odBegin(pt_conn *p, char **pzErr) {
  od_conn *c = (od_conn *)p;
  if( c->dbc == SQL_NULL_HDBC || c->dead ) {
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  if( !SQL_SUCCEEDED(
        SQLSetConnectAttr(c->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0)) ) {
    int dead = 0;
    *pzErr = od_diag(SQL_HANDLE_DBC, c->dbc, &dead);
    if( dead ) c->dead = 1;
    return SQLITE_ERROR;
  }
  c->inTxn = 1;
  return SQLITE_OK;
}

static int odCommit(pt_conn *p, char **pzErr) { return end_tran((od_conn *)p, SQL_COMMIT, pzErr); }

static int odRollback(pt_conn *p, char **pzErr) {
  return end_tran((od_conn *)p, SQL_ROLLBACK, pzErr);
}

static int odSavepoint(pt_conn *p, int op, int iLevel, char **pzErr) {
  od_conn *c = (od_conn *)p;
  char zSql[64];
  pt_savepoint_sql(zSql, sizeof zSql, op, iLevel);
  if( c->dbc == SQL_NULL_HDBC || c->dead ) {
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  return run_simple(c, c->dbc, zSql, pzErr);
}

/* ---- bulk INSERT: parameter arrays ----
**
** Rows are kept as pontoon's parameters (text and bytes in one buffer);
** at a flush each column becomes an array of slots as wide as its widest
** value, bound column-wise, and one SQLExecute sends them all
** (SQL_ATTR_PARAMSET_SIZE).  A driver that takes one row per execution
** gets one execution per row, the statement prepared once.
*/
typedef struct od_bulk {
  pt_bulk base;
  od_conn *c;
  int nCol;
  pt_kind *aKind;
  char *zSql; /* INSERT INTO t (cols) VALUES ($1, ...) */
  pt_buf data; /* the rows' values, back to back */
  size_t *aOff; /* per row and column: offset into data + 1, 0 for NULL */
  int *aLen;
  unsigned char *aBin;
  int nRow, nAlloc;
} od_bulk;

static int odBulkOpen(pt_conn *p, const char *zTable, int nCol, const char *const *azCol,
                      const pt_kind *aKind, pt_bulk **ppBulk, char **pzErr) {
  (void)pzErr;
  od_bulk *b = sqlite3_malloc(sizeof(*b));
  if( !b ) return SQLITE_NOMEM;
  memset(b, 0, sizeof(*b));
  b->base.pConn = p;
  b->c = (od_conn *)p;
  b->nCol = nCol;
  b->aKind = sqlite3_malloc64(sizeof(pt_kind) * ((size_t)nCol + 1));
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendf(s, "INSERT INTO %s (", zTable);
  for( int i = 0; i < nCol; i++ ) sqlite3_str_appendf(s, "%s%s", i ? ", " : "", azCol[i]);
  sqlite3_str_appendall(s, ") VALUES (");
  for( int i = 0; i < nCol; i++ ) sqlite3_str_appendf(s, "%s?", i ? ", " : "");
  sqlite3_str_appendall(s, ")");
  b->zSql = sqlite3_str_finish(s);
  if( !b->aKind || !b->zSql ) {
    sqlite3_free(b->aKind);
    sqlite3_free(b->zSql);
    sqlite3_free(b);
    return SQLITE_NOMEM;
  }
  memcpy(b->aKind, aKind, sizeof(pt_kind) * nCol);
  *ppBulk = &b->base;
  return SQLITE_OK;
}

static int odBulkFlush(pt_bulk *p, char **pzErr);

static int odBulkRow(pt_bulk *p, const pt_param *a, char **pzErr) {
  od_bulk *b = (od_bulk *)p;
  if( b->nRow == b->nAlloc ) {
    int n = b->nAlloc ? b->nAlloc * 2 : 64;
    size_t *aOff = sqlite3_realloc64(b->aOff, sizeof(size_t) * n * b->nCol);
    if( aOff ) b->aOff = aOff;
    int *aLen = sqlite3_realloc64(b->aLen, sizeof(int) * n * b->nCol);
    if( aLen ) b->aLen = aLen;
    unsigned char *aBin = sqlite3_realloc64(b->aBin, (size_t)n * b->nCol);
    if( aBin ) b->aBin = aBin;
    if( !aOff || !aLen || !aBin ) return SQLITE_NOMEM;
    b->nAlloc = n;
  }
  size_t base = (size_t)b->nRow * b->nCol;
  for( int i = 0; i < b->nCol; i++ ) {
    if( !a[i].z ) {
      b->aOff[base + i] = 0;
      b->aLen[base + i] = 0;
      b->aBin[base + i] = 0;
      continue;
    }
    b->aOff[base + i] = b->data.n + 1;
    b->aLen[base + i] = a[i].n;
    b->aBin[base + i] = (unsigned char)a[i].isBinary;
    pt_buf_append(&b->data, a[i].z, (size_t)a[i].n);
    pt_buf_char(&b->data, 0); /* each value is a C string too (pt_utc_time) */
  }
  if( b->data.oom ) {
    b->data.oom = 0;
    return SQLITE_NOMEM;
  }
  b->nRow++;
  if( b->nRow >= OD_BULK_ROWS || b->data.n >= OD_BULK_BYTES ) return odBulkFlush(p, pzErr);
  return SQLITE_OK;
}

/* Send rows [iFirst, iFirst+n) of b with one execution of st: as a
** parameter array of n sets, or with tuples set, as the n rows of a
** multi-row VALUES whose parameters are numbered row by row. */
static int bulk_send(od_bulk *b, SQLHSTMT st, int iFirst, int n, int tuples, char **pzErr) {
  od_conn *c = b->c;
  int rc = SQLITE_OK;
  void **aArr = sqlite3_malloc64(sizeof(void *) * ((size_t)b->nCol + 1));
  SQLLEN **aInd = sqlite3_malloc64(sizeof(SQLLEN *) * ((size_t)b->nCol + 1));
  SQLUSMALLINT *aStatus = sqlite3_malloc64(sizeof(SQLUSMALLINT) * ((size_t)n + 1));
  SQLULEN nDone = 0;
  if( !aArr || !aInd || !aStatus ) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  memset(aArr, 0, sizeof(void *) * b->nCol);
  memset(aInd, 0, sizeof(SQLLEN *) * b->nCol);
  SQLFreeStmt(st, SQL_RESET_PARAMS);
  if( n > 1 && !tuples ) {
    if( !SQL_SUCCEEDED(
          SQLSetStmtAttr(st, SQL_ATTR_PARAM_BIND_TYPE, (SQLPOINTER)SQL_PARAM_BIND_BY_COLUMN, 0)) ||
        !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_PARAMSET_SIZE, (SQLPOINTER)(uintptr_t)n, 0)) ) {
      *pzErr = st_error(c, c->dbc, st);
      rc = SQLITE_ERROR;
      goto done;
    }
    SQLSetStmtAttr(st, SQL_ATTR_PARAM_STATUS_PTR, aStatus, 0);
    SQLSetStmtAttr(st, SQL_ATTR_PARAMS_PROCESSED_PTR, &nDone, 0);
  } else {
    SQLSetStmtAttr(st, SQL_ATTR_PARAMSET_SIZE, (SQLPOINTER)1, 0);
  }
  for( int j = 0; j < b->nCol && rc == SQLITE_OK; j++ ) {
    /* this column of every row, converted as bind_one would for one value */
    pt_kind k = b->aKind[j];
    od_pval *aV = sqlite3_malloc64(sizeof(od_pval) * (size_t)n);
    if( !aV ) {
      rc = SQLITE_NOMEM;
      break;
    }
    memset(aV, 0, sizeof(od_pval) * (size_t)n);
    SQLSMALLINT cType = SQL_C_CHAR, sqlType = sql_type_of(c, k), scale = 0;
    SQLLEN width = 1;
    int isBin = k == PT_K_BLOB;
    for( int r = 0; r < n; r++ ) {
      size_t at = (size_t)(iFirst + r) * b->nCol + j;
      if( b->aBin[at] ) isBin = 1;
    }
    /* first pass: each value's bytes in its C form, and the widest */
    pt_buf col = { 0 };
    size_t *aAt = sqlite3_malloc64(sizeof(size_t) * (size_t)n);
    aInd[j] = sqlite3_malloc64(sizeof(SQLLEN) * (size_t)n);
    if( !aAt || !aInd[j] ) {
      sqlite3_free(aAt);
      sqlite3_free(aV);
      pt_buf_free(&col);
      rc = SQLITE_NOMEM;
      break;
    }
    SQLULEN colSize = 1;
    for( int r = 0; r < n; r++ ) {
      size_t at = (size_t)(iFirst + r) * b->nCol + j;
      aAt[r] = col.n;
      if( !b->aOff[at] ) {
        aInd[j][r] = SQL_NULL_DATA;
        continue;
      }
      pt_param prm = { b->data.z + b->aOff[at] - 1, b->aLen[at], k, b->aBin[at] };
      const void *src = 0;
      SQLLEN len = 0;
      SQLWCHAR *w = 0;
      if( isBin ) {
        src = prm.z;
        len = prm.n;
        cType = SQL_C_BINARY;
        sqlType = SQL_LONGVARBINARY;
      } else if( k == PT_K_INT ) {
        /* as a number: MySQL's BIT(n) takes no digits as text */
        char tmp[32], *e;
        int m = prm.n < 31 ? prm.n : 31;
        memcpy(tmp, prm.z, (size_t)m);
        tmp[m] = 0;
        aV[r].i = strtoll(tmp, &e, 10);
        if( *e || m == 0 || prm.n > 31 ) {
          *pzErr = sqlite3_mprintf("column %d: '%.*s' is not an integer", j + 1, prm.n, prm.z);
          rc = SQLITE_ERROR;
          break;
        }
        src = &aV[r].i;
        len = sizeof aV[r].i;
        cType = SQL_C_SBIGINT;
        sqlType = SQL_BIGINT;
      } else if( k == PT_K_BOOL || k == PT_K_REAL || k == PT_K_DECIMAL || k == PT_K_DATE ||
                 k == PT_K_TIME || k == PT_K_TIMESTAMP || k == PT_K_TIMESTAMPTZ ||
                 (k == PT_K_UUID && sqlType == SQL_GUID) ) {
        /* pontoon's ASCII text form, converted by the driver */
        if( k == PT_K_TIMESTAMP || k == PT_K_TIMESTAMPTZ || k == PT_K_DATE || k == PT_K_TIME ) {
          int m = 0;
          src = date_param(c, k, prm.z, prm.n, aV[r].tmp, &m);
          len = m;
          if( k == PT_K_TIMESTAMP || k == PT_K_TIMESTAMPTZ ) scale = 6;
        } else if( k == PT_K_BOOL ) {
          /* a C bit: the MariaDB driver crashes converting text to BIT in an array */
          aV[r].bit =
            (prm.n > 0 && (prm.z[0] == 't' || prm.z[0] == 'T' || prm.z[0] == '1')) ? 1 : 0;
          src = &aV[r].bit;
          len = 1;
          cType = SQL_C_BIT;
        } else {
          src = prm.z;
          len = prm.n;
        }
        if( k == PT_K_DECIMAL ) {
          const char *dot = memchr(src, '.', (size_t)len);
          if( dot && (SQLSMALLINT)((const char *)src + len - dot - 1) > scale )
            scale = (SQLSMALLINT)((const char *)src + len - dot - 1);
        }
      } else if( c->utf8 ) {
        src = prm.z;
        len = prm.n;
        cType = SQL_C_CHAR;
        sqlType = SQL_VARCHAR;
      } else {
        int nW = 0;
        w = od_wide(prm.z, prm.n, &nW);
        if( !w ) {
          rc = SQLITE_NOMEM;
          break;
        }
        src = w;
        len = (SQLLEN)nW * (SQLLEN)sizeof(SQLWCHAR);
        cType = SQL_C_WCHAR;
        if( (SQLULEN)nW > colSize ) colSize = (SQLULEN)nW;
      }
      pt_buf_append(&col, src, (size_t)len);
      sqlite3_free(w);
      aInd[j][r] = len;
      if( len > width ) width = len;
      if( cType != SQL_C_WCHAR && (SQLULEN)len > colSize ) colSize = (SQLULEN)len;
    }
    if( isBin ) {
      cType = SQL_C_BINARY;
      if( sqlType != SQL_LONGVARBINARY ) sqlType = SQL_VARBINARY;
    }
    if( cType == SQL_C_WCHAR && colSize > 4000 ) sqlType = SQL_WLONGVARCHAR;
    if( cType == SQL_C_CHAR && sqlType == SQL_VARCHAR && colSize > 4000 ) sqlType = SQL_LONGVARCHAR;
    if( cType == SQL_C_CHAR && (k == PT_K_INT || k == PT_K_DECIMAL) && colSize > 38 ) colSize = 38;
    if( k == PT_K_DECIMAL && colSize <= (SQLULEN)scale ) colSize = (SQLULEN)scale + 1;
    /* second pass: lay the values out in slots of one width */
    if( rc == SQLITE_OK && !col.oom ) {
      char *arr = sqlite3_malloc64((size_t)width * (size_t)n + 1);
      if( !arr ) rc = SQLITE_NOMEM;
      for( int r = 0; arr && r < n; r++ ) {
        if( aInd[j][r] > 0 )
          memcpy(arr + (size_t)width * r, col.z + aAt[r],
                 (size_t)aInd[j][r]); /* col.z is NULL while empty */
      }
      aArr[j] = arr;
      /* a column of NULLs only: give it a type every server takes */
      int allNull = 1;
      for( int r = 0; r < n && allNull; r++ )
        if( aInd[j][r] != SQL_NULL_DATA ) allNull = 0;
      if( allNull && cType == SQL_C_CHAR && sqlType == SQL_WVARCHAR ) sqlType = SQL_VARCHAR;
      if( arr && !tuples &&
          !SQL_SUCCEEDED(SQLBindParameter(st, (SQLUSMALLINT)(j + 1), SQL_PARAM_INPUT, cType,
                                          sqlType, colSize, scale, arr, width, aInd[j])) ) {
        *pzErr = st_error(c, c->dbc, st);
        rc = SQLITE_ERROR;
      }
      for( int r = 0; arr && tuples && r < n && rc == SQLITE_OK; r++ ) {
        if( !SQL_SUCCEEDED(SQLBindParameter(st, (SQLUSMALLINT)(r * b->nCol + j + 1),
                                            SQL_PARAM_INPUT, cType, sqlType, colSize, scale,
                                            arr + (size_t)width * r, width, &aInd[j][r])) ) {
          *pzErr = st_error(c, c->dbc, st);
          rc = SQLITE_ERROR;
        }
      }
    } else if( rc == SQLITE_OK ) {
      rc = SQLITE_NOMEM;
    }
    pt_buf_free(&col);
    sqlite3_free(aAt);
    sqlite3_free(aV);
  }
  if( rc == SQLITE_OK ) {
    SQLRETURN r = SQLExecute(st);
    if( !SQL_SUCCEEDED(r) && r != SQL_NO_DATA ) {
      *pzErr = st_error(c, c->dbc, st);
      rc = SQLITE_ERROR;
    } else if( c->dbms == OD_MYSQL ) {
      /* a failed write may come as success (engine_warnings): the rows
      ** written say so */
      SQLLEN nRows = -1;
      SQLRowCount(st, &nRows);
      if( r == SQL_SUCCESS_WITH_INFO || (nRows >= 0 && nRows < n) ) {
        rc = engine_warnings(c, 0, pzErr);
        if( rc == SQLITE_OK && nRows >= 0 && nRows < n ) {
          *pzErr = sqlite3_mprintf("the server wrote %d of %d rows and gave no reason; nothing of "
                                   "the statement is kept",
                                   (int)nRows, n);
          rc = SQLITE_ERROR;
        }
      }
    } else if( n > 1 && !tuples ) {
      /* a driver may report a failed row only in the status array */
      for( SQLULEN i = 0; i < nDone && i < (SQLULEN)n; i++ ) {
        if( aStatus[i] == SQL_PARAM_ERROR ) {
          char *zDiag = st_error(c, c->dbc, st);
          *pzErr = sqlite3_mprintf("row %d of a batch: %s", (int)i + 1, zDiag);
          sqlite3_free(zDiag);
          rc = SQLITE_ERROR;
          break;
        }
      }
    }
  }
done:
  SQLFreeStmt(st, SQL_RESET_PARAMS);
  if( n > 1 && !tuples ) {
    SQLSetStmtAttr(st, SQL_ATTR_PARAM_STATUS_PTR, 0, 0);
    SQLSetStmtAttr(st, SQL_ATTR_PARAMS_PROCESSED_PTR, 0, 0);
  }
  for( int j = 0; aArr && j < b->nCol; j++ ) {
    sqlite3_free(aArr[j]);
    if( aInd ) sqlite3_free(aInd[j]);
  }
  sqlite3_free(aArr);
  sqlite3_free(aInd);
  sqlite3_free(aStatus);
  return rc;
}

static void bulk_reset(od_bulk *b) {
  b->nRow = 0;
  b->data.n = 0;
}

/* "INSERT INTO t (cols) VALUES (?, ...), ..." with n rows: b->zSql with
** its one row of markers repeated. */
static char *bulk_values_sql(od_bulk *b, int n) {
  const char *zValues = strstr(b->zSql, ") VALUES (");
  if( !zValues ) return 0;
  zValues += 9; /* the first row's "(?, ...)" */
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_append(s, b->zSql, (int)(zValues - b->zSql));
  for( int r = 0; r < n; r++ ) {
    if( r ) sqlite3_str_appendall(s, ", ");
    sqlite3_str_appendall(s, zValues);
  }
  return sqlite3_str_finish(s);
}

/* xBulkFlush: the buffered rows as one parameter array where the driver
** honours them (psqlODBC: multi-row VALUES), else one execution per row;
** MySQL's warnings and short row counts are errors (engine_warnings). */
static int odBulkFlush(pt_bulk *p, char **pzErr) {
  od_bulk *b = (od_bulk *)p;
  if( b->nRow == 0 ) return SQLITE_OK;
  od_conn *c = b->c;
  SQLHSTMT st;
  int rc = new_stmt(c, &st, pzErr);
  if( rc != SQLITE_OK ) {
    bulk_reset(b);
    return rc;
  }
  if( c->dbms == OD_PG ) {
    /* multi-row VALUES: psqlODBC sends a parameter array one execution
    ** per row; one statement of many rows is faster (docs/odbc.md).
    ** (The SQLite driver, which takes no arrays, keeps the row-by-row
    ** path that any such driver gets, so that path stays tested.) */
    int nPer = OD_MAX_PARAMS_PG / (b->nCol > 0 ? b->nCol : 1);
    if( nPer < 1 ) nPer = 1;
    for( int r = 0; r < b->nRow && rc == SQLITE_OK; r += nPer ) {
      int n = b->nRow - r < nPer ? b->nRow - r : nPer;
      char *zSql = bulk_values_sql(b, n);
      if( !zSql ) {
        rc = SQLITE_NOMEM;
        break;
      }
      pt_trace("odbc: %.200s... (%d rows)", zSql, n);
      if( !SQL_SUCCEEDED(exec_sql(c, st, zSql, 1)) ) {
        *pzErr = st_error(c, c->dbc, st);
        rc = SQLITE_ERROR;
      }
      sqlite3_free(zSql);
      if( rc == SQLITE_OK ) rc = bulk_send(b, st, r, n, 1, pzErr);
      SQLFreeStmt(st, SQL_CLOSE);
    }
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    bulk_reset(b);
    return rc;
  }
  pt_trace("odbc: %s (%d rows)", b->zSql, b->nRow);
  if( !SQL_SUCCEEDED(exec_sql(c, st, b->zSql, 1)) ) {
    *pzErr = st_error(c, c->dbc, st);
    rc = SQLITE_ERROR;
  }
  if( c->paramArrays ) {
    if( rc == SQLITE_OK ) rc = bulk_send(b, st, 0, b->nRow, 0, pzErr);
  } else {
    for( int r = 0; r < b->nRow && rc == SQLITE_OK; r++ ) rc = bulk_send(b, st, r, 1, 0, pzErr);
  }
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  bulk_reset(b);
  return rc;
}

static void odBulkDiscard(pt_bulk *p) { bulk_reset((od_bulk *)p); }

static void odBulkClose(pt_bulk *p) {
  od_bulk *b = (od_bulk *)p;
  if( !b ) return;
  pt_buf_free(&b->data);
  sqlite3_free(b->aOff);
  sqlite3_free(b->aLen);
  sqlite3_free(b->aBin);
  sqlite3_free(b->aKind);
  sqlite3_free(b->zSql);
  sqlite3_free(b);
}

/*
** The dialect of the data source: by its DBMS name (SQLGetInfo).  MySQL
** takes backticks whatever its sql_mode; a driver here binds each
** parameter, so IN lists are not pushed to it.
*/
static const pt_dialect *odDialect(pt_conn *p) {
  od_conn *c = (od_conn *)p;
  switch( c->dbms ) {
    case OD_PG: return &pt_dialect_postgresql;
    case OD_SQLITE: return &pt_dialect_sqlite;
    case OD_MYSQL: return &pt_dialect_mysql_params;
    case OD_FETCH_FIRST: return &pt_dialect_ansi_fetch;
    default: return c->cQuote == '`' ? &pt_dialect_ansi_backtick : &pt_dialect_ansi;
  }
}

const pt_driver pt_odbc_driver = {
  .iVersion = 1,
  .zName = "odbc",
  .zSchemes = "odbc:DSN=... or odbc:Driver={...};...",
  .pDialect = &pt_dialect_ansi,
  .readFlags = PT_READ_TEXT,
  .ePlace = PT_PLACE_QMARK,
  .xAccepts = odAccepts,
  .xConnect = odConnect,
  .xDisconnect = odDisconnect,
  .xAlive = odAlive,
  .xInfo = odInfo,
  .xDescribe = odDescribe,
  .xDescribeQuery = odDescribeQuery,
  .xListTables = odListTables,
  .xOpen = odOpen,
  .xNext = odNext,
  .xColumn = odColumn,
  .xClose = odClose,
  .xExec = odExec,
  .xCount = odCount,
  .xBegin = odBegin,
  .xCommit = odCommit,
  .xRollback = odRollback,
  .xSavepoint = odSavepoint,
  .xBulkOpen = odBulkOpen,
  .xBulkRow = odBulkRow,
  .xBulkFlush = odBulkFlush,
  .xBulkDiscard = odBulkDiscard,
  .xBulkClose = odBulkClose,
  .xDialect = odDialect,
  .xPageRows = odPageRows,
  .xBusy = odBusy,
};
