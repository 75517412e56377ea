/*
** mysql.c — the MySQL / MariaDB driver, through the MariaDB Connector/C.
**
**   SELECT pontoon_connect('my', 'mysql://app@127.0.0.1:3306/shop');
**   SELECT pontoon_connect('my', 'mariadb://app:pw@127.0.0.1/shop?ssl-mode=REQUIRED');
**
** The password comes from the URI, else MYSQL_PWD, else the [client] group
** of ~/.my.cnf (the client library reads it).  Sessions are pinned at
** connect: utf8mb4 (4-byte characters survive), time_zone '+00:00', and a
** strict sql_mode, so MySQL never changes a value silently on write.
**
** Writing: INSERT rows go by LOAD DATA LOCAL INFILE from memory (see the
** bulk section); UPDATE and DELETE one statement per row.
**
** Reading: a query streams with mysql_use_result, which holds its
** connection until the last row (xBusy says so: conn.c then serves
** another cursor on another connection of its pool, within
** max-connections, default 8, which xMaxConnections reports; past it
** conn.c reads with xOpenShared, a server-side cursor on a shared
** connection).  Inside a write transaction a read must see the
** transaction's writes: it runs on the connection as a server-side cursor
** (a prepared statement fetched in batches), which leaves the connection
** free for the writes between fetches.  A cursor closed early reopens its
** connection rather than reading the rest.  Parameters are written into
** the SQL as checked, escaped literals (the text protocol has no
** placeholders) where the statement's marks say (pt_stmt: deparse.c and the MySQL dialect's tokenizer put
** them; this driver reads no SQL text), see bind_sql.
**
** Rationale (security): no client file is ever sent (LOAD DATA LOCAL is
** served from pontoon's buffer only, see disarm_infile); ssl-mode=REQUIRED
** refuses a connection without TLS.
**
** MySQL's traps, handled in the dialect: default collations ignore case and
** trailing spaces, so text tests compare under utf8mb4_nopad_bin (bytes);
** NULLs sort first ascending as in SQLite; LIKE's backslash escape is
** neutralised by doubling the pattern's backslashes.
*/
#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>
#include "pontoon.h"

typedef struct my_conn my_conn;
typedef struct my_cursor my_cursor;

struct my_conn {
  pt_conn base;
  MYSQL *my; /* the connection; NULL once lost (xAlive 0) */
  char *zUri; /* to reconnect after a stream abandoned early */
  int timeout;
  int readOnly;
  char *zVersion, *zHost, *zPort, *zDb, *zUser;
  my_cursor *pMainUser; /* cursor streaming on the connection (xBusy) */
  int nMainCursors; /* server-side cursors open on the connection */
  int maxConn; /* max-connections=, for conn.c (xMaxConnections) */
  int inTxn;
};

/* The default bound on the connections of one kind a server holds for a
** shell (docs/mysql.md); conn.c applies it. */
#define MY_MAX_CONN_DEFAULT 8

struct my_cursor {
  pt_cursor base;
  my_conn *c;
  MYSQL *my; /* the connection streaming this result */
  MYSQL_RES *res;
  MYSQL_ROW row;
  unsigned long *aLen;
  int nCol;
  pt_kind *aKind;
  unsigned char *aIsBit; /* BIT columns arrive as big-endian bytes */
  int isMain; /* my is the main connection */
  int broken; /* the connection failed: close, do not reuse */
  MYSQL_STMT *stmt; /* a server-side cursor (inside a write transaction) */
  MYSQL_BIND *aBind; /* its result buffers */
  unsigned long *aStmtLen;
  my_bool *aStmtNull;
  my_bool *aStmtErr;
  int64_t *aInt; /* int columns are fetched as integers */
  double *aReal; /* real columns as doubles */
  int done;
  char (*aScratch)[80]; /* one per column: a row's values stay valid together */
};

static char *my_error(MYSQL *my) {
  char *z = sqlite3_mprintf("%s (MySQL error %u, SQLSTATE %s)", mysql_error(my), mysql_errno(my),
                            mysql_sqlstate(my));
  return z;
}

static int myAccepts(const char *zUri) {
  return sqlite3_strnicmp(zUri, "mysql://", 8) == 0 ||
    sqlite3_strnicmp(zUri, "mariadb://", 10) == 0;
}

/*
** LOAD DATA LOCAL INFILE handlers.  Every connection gets the refusing set
** before it connects, so whatever file a server asks for, at any time (a
** rogue server during the handshake's first queries, or a user's
** pontoon_exec('LOAD DATA LOCAL INFILE ''/etc/passwd'' ...')), it gets an
** error and no byte.  Only pontoon's bulk path arms the connection with
** handlers that serve its own buffer (myBulkFlush), and disarms it after.
**
** Rationale (security): the client library's default handler opens any
** file the server names; the capability itself must stay on for the bulk
** path, so the handler is what refuses.
*/
static int refuse_init(void **pp, const char *zName, void *userdata) {
  (void)zName;
  (void)userdata;
  *pp = 0;
  return 1;
}
static int refuse_read(void *p, char *buf, unsigned int n) {
  (void)p;
  (void)buf;
  (void)n;
  return -1;
}
static void refuse_end(void *p) { (void)p; }
static int refuse_error(void *p, char *msg, unsigned int n) {
  (void)p;
  snprintf(msg, n, "pontoon sends no client file: LOAD DATA LOCAL INFILE is refused");
  return 2000;
}
static void disarm_infile(MYSQL *my) {
  mysql_set_local_infile_handler(my, refuse_init, refuse_read, refuse_end, refuse_error, 0);
}

/* The connection options (docs/mysql.md); max-connections is the
** my_conn's, the others each connection's. */
static const char *const azMyOption =
  "connect_timeout, compress, ssl-mode, ssl-ca, ssl-cert, ssl-key, init-command, max-connections";

/* The client library's one-time set-up, which mysql_init does on first
** use but not safely when two threads (a diff's two sides, a copy's
** workers) connect at once. */
static void library_init(void) { mysql_library_init(0, 0, 0); }

/* Open and pin one connection to the server of URI u. */
static MYSQL *open_one(const pt_uri *u, int timeout, int readOnly, char **pzErr) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, library_init);
  MYSQL *my = mysql_init(0);
  if( !my ) {
    *pzErr = sqlite3_mprintf("out of memory");
    return 0;
  }
  unsigned int t = (unsigned)timeout;
  mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
  mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_options(my, MYSQL_READ_DEFAULT_GROUP, "client");
  unsigned int localInfile = 1; /* for the bulk path; the handler refuses files */
  mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &localInfile);
  disarm_infile(my);
  /* CLIENT_FOUND_ROWS: an UPDATE reports the rows it matched, changed or
  ** not, so the bridge can tell "one row by key" from "no row" */
  unsigned long flags = CLIENT_FOUND_ROWS;
  int requireTls = 0;
  const char *zPw = u->zPassword ? u->zPassword : getenv("MYSQL_PWD");
  for( int i = 0; i < u->nParam; i++ ) {
    const char *k = u->azKey[i], *v = u->azVal[i];
    if( sqlite3_stricmp(k, "connect_timeout") == 0 ) {
      t = (unsigned)atoi(v);
      mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
    } else if( sqlite3_stricmp(k, "compress") == 0 &&
               (v[0] == '1' || sqlite3_stricmp(v, "true") == 0) )
      flags |= CLIENT_COMPRESS;
    else if( sqlite3_stricmp(k, "compress") == 0 )
      continue;
    else if( sqlite3_stricmp(k, "ssl-ca") == 0 || sqlite3_stricmp(k, "sslca") == 0 )
      mysql_optionsv(my, MYSQL_OPT_SSL_CA, v);
    else if( sqlite3_stricmp(k, "ssl-cert") == 0 )
      mysql_optionsv(my, MYSQL_OPT_SSL_CERT, v);
    else if( sqlite3_stricmp(k, "ssl-key") == 0 )
      mysql_optionsv(my, MYSQL_OPT_SSL_KEY, v);
    else if( sqlite3_stricmp(k, "init-command") == 0 )
      mysql_options(my, MYSQL_INIT_COMMAND, v);
    else if( sqlite3_stricmp(k, "max-connections") == 0 )
      continue; /* myConnect's */
    else if( sqlite3_stricmp(k, "ssl-mode") == 0 || sqlite3_stricmp(k, "sslmode") == 0 ) {
      int verify =
        sqlite3_stricmp(v, "VERIFY_IDENTITY") == 0 || sqlite3_stricmp(v, "VERIFY_CA") == 0;
      if( sqlite3_stricmp(v, "DISABLED") == 0 ) continue;
      if( !verify && sqlite3_stricmp(v, "REQUIRED") != 0 ) {
        *pzErr = sqlite3_mprintf(
          "ssl-mode must be DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY, not '%s'", v);
        mysql_close(my);
        return 0;
      }
      my_bool on = 1;
      requireTls = 1;
      mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &on);
      if( verify ) mysql_optionsv(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    } else {
      *pzErr = sqlite3_mprintf("unknown connection option '%s' (known: %s)", k, azMyOption);
      mysql_close(my);
      return 0;
    }
  }
  unsigned port = u->zPort ? (unsigned)atoi(u->zPort) : 0;
  if( !mysql_real_connect(my, u->zHost ? u->zHost : "127.0.0.1", u->zUser, zPw, u->zPath, port, 0,
                          flags) ) {
    *pzErr = my_error(my);
    mysql_close(my);
    return 0;
  }
  if( requireTls && !mysql_get_ssl_cipher(my) ) {
    /* the client library's SSL_ENFORCE lets a server without TLS through:
    ** required means refused, before any query is sent */
    *pzErr =
      sqlite3_mprintf("ssl-mode requires TLS, but the server did not use it: connection refused");
    mysql_close(my);
    return 0;
  }
  /* the dialect's session pinning, then the read-only one's */
  const char *const *aaz[2] = { pt_dialect_mysql.azSession,
                                readOnly ? pt_dialect_mysql.azReadOnly : 0 };
  for( int k = 0; k < 2; k++ ) {
    for( const char *const *az = aaz[k]; az && *az; az++ ) {
      if( mysql_real_query(my, *az, (unsigned long)strlen(*az)) ) {
        *pzErr = my_error(my);
        mysql_close(my);
        return 0;
      }
    }
  }
  return my;
}

/* xConnect: one pinned connection (open_one); the URI's max-connections=
** (2..1000) is checked here and kept for conn.c's pool. */
static int myConnect(const char *zUri, int timeout, int readOnly, pt_conn **ppConn, char **pzErr) {
  pt_uri u;
  *ppConn = 0;
  if( pt_uri_parse(zUri, &u, pzErr) != SQLITE_OK ) return SQLITE_ERROR;
  int maxConn = MY_MAX_CONN_DEFAULT;
  for( int i = 0; i < u.nParam; i++ ) {
    if( sqlite3_stricmp(u.azKey[i], "max-connections") != 0 ) continue;
    char *zEnd = 0;
    long n = strtol(u.azVal[i], &zEnd, 10);
    if( !zEnd || *zEnd || zEnd == u.azVal[i] || n < 2 || n > 1000 ) {
      *pzErr =
        sqlite3_mprintf("max-connections must be a number from 2 to 1000, not '%s'", u.azVal[i]);
      pt_uri_clear(&u);
      return SQLITE_ERROR;
    }
    maxConn = (int)n;
  }
  MYSQL *my = open_one(&u, timeout, readOnly, pzErr);
  if( !my ) {
    pt_uri_clear(&u);
    return SQLITE_CANTOPEN;
  }
  my_conn *c = sqlite3_malloc(sizeof(*c));
  if( !c ) {
    mysql_close(my);
    pt_uri_clear(&u);
    return SQLITE_NOMEM;
  }
  memset(c, 0, sizeof(*c));
  c->base.pDriver = &pt_mysql_driver;
  c->my = my;
  c->maxConn = maxConn;
  c->zUri = pt_strdup(zUri);
  c->timeout = timeout;
  c->readOnly = readOnly;
  c->zVersion =
    sqlite3_mprintf("%s %s", strstr(mysql_get_server_info(my), "MariaDB") ? "MariaDB" : "MySQL",
                    mysql_get_server_info(my));
  c->zHost = pt_strdup(u.zHost ? u.zHost : "127.0.0.1");
  c->zPort = pt_strdup(u.zPort ? u.zPort : "3306");
  c->zDb = pt_strdup(u.zPath);
  c->zUser = pt_strdup(u.zUser);
  pt_uri_clear(&u);
  *ppConn = &c->base;
  return SQLITE_OK;
}

static void myDisconnect(pt_conn *p) {
  my_conn *c = (my_conn *)p;
  if( !c ) return;
  if( c->my ) mysql_close(c->my);
  sqlite3_free(c->zUri);
  sqlite3_free(c->zVersion);
  sqlite3_free(c->zHost);
  sqlite3_free(c->zPort);
  sqlite3_free(c->zDb);
  sqlite3_free(c->zUser);
  sqlite3_free(c);
}

/*
** Alive: the connection is there, and when idle (no result streaming) its
** socket has nothing to read: an idle MySQL connection is sent nothing
** unless the server closes it (a restart, KILL, wait_timeout), so anything
** there means it is gone.
*/
static int myAlive(pt_conn *p) {
  my_conn *c = (my_conn *)p;
  if( c->my == 0 ) return 0;
  if( c->pMainUser || c->nMainCursors || c->inTxn ) return 1;
  struct pollfd pfd;
  pfd.fd = (int)mysql_get_socket(c->my);
  pfd.events = POLLIN;
  pfd.revents = 0;
  if( pfd.fd < 0 ) return 0;
  return poll(&pfd, 1, 0) <= 0;
}

static void myInfo(pt_conn *p, pt_server_info *pInfo) {
  my_conn *c = (my_conn *)p;
  pInfo->zHost = c->zHost;
  pInfo->zPort = c->zPort;
  pInfo->zDatabase = c->zDb;
  pInfo->zUser = c->zUser;
  pInfo->zVersion = c->zVersion;
}

/* A failed call on the main connection: drop it if the server is gone. */
static void check_main(my_conn *c) {
  unsigned e = mysql_errno(c->my);
  if( e == 2006 || e == 2013 || e == 1927 || e == 4031 ) { /* gone, lost, killed */
    mysql_close(c->my);
    c->my = 0;
  }
}

/* ---- parameters written as literals ----
**
** The text protocol has no placeholders, so a parameter is written into the
** statement as a literal where its mark stands: text by
** mysql_real_escape_string (the server's own rule, which follows its
** NO_BACKSLASH_ESCAPES mode), bytes as X'..', and a number unquoted only
** when it is a number by the strict grammar below, else the statement is
** refused.
**
** Rationale (security): a value never becomes SQL.  A value that is not a
** number cannot reach a numeric position, where MySQL would read it as
** an expression ('0--' comments out the rest, 'e' names a column).
*/

/* Whether the backslash escapes inside strings on this connection. */
static int backslash_escapes(MYSQL *my) {
  return !my || (my->server_status & SERVER_STATUS_NO_BACKSLASH_ESCAPES) == 0;
}

/* Append z[0..n) as a quoted string literal, escaped by the server's rule. */
static int append_quoted(sqlite3_str *s, MYSQL *my, const char *z, int n) {
  char *buf = sqlite3_malloc64((sqlite3_uint64)n * 2 + 1);
  if( !buf ) return SQLITE_NOMEM;
  unsigned long m = mysql_real_escape_string(my, buf, z, (unsigned long)n);
  sqlite3_str_appendchar(s, 1, '\'');
  sqlite3_str_append(s, buf, (int)m);
  sqlite3_str_appendchar(s, 1, '\'');
  sqlite3_free(buf);
  return SQLITE_OK;
}

/* The message for a value z[0..n) that is no number of kind k. */
static char *not_a_number(pt_kind k, const char *z, int n) {
  return sqlite3_mprintf("'%.*s' is not %s: it cannot go into a column of kind %s", n > 40 ? 40 : n,
                         z,
                         k == PT_K_INT      ? "an integer"
                           : k == PT_K_BOOL ? "a boolean"
                                            : "a number",
                         pt_kind_name(k));
}

/* Append parameter p as a literal.  A value of a numeric kind that is not
** a number of that kind is an error (*pzErr): MySQL would read it as an
** expression unquoted, and convert it with a mere warning quoted. */
static int append_literal(sqlite3_str *s, MYSQL *my, const pt_param *p, char **pzErr) {
  if( !p->z ) {
    sqlite3_str_appendall(s, "NULL");
    return SQLITE_OK;
  }
  if( p->isBinary ) {
    pt_append_hex_literal(s, p->z, p->n);
    return SQLITE_OK;
  }
  switch( p->kind ) {
    case PT_K_BOOL:
      if( (p->n == 1 && (p->z[0] == '1' || p->z[0] == 't')) ||
          (p->n == 4 && sqlite3_strnicmp(p->z, "true", 4) == 0) ) {
        sqlite3_str_appendall(s, "1");
        return SQLITE_OK;
      }
      if( (p->n == 1 && (p->z[0] == '0' || p->z[0] == 'f')) ||
          (p->n == 5 && sqlite3_strnicmp(p->z, "false", 5) == 0) ) {
        sqlite3_str_appendall(s, "0");
        return SQLITE_OK;
      }
      /* fall through */
    case PT_K_INT:
    case PT_K_REAL:
    case PT_K_DECIMAL:
      /* numbers stay numbers: a quoted one would be compared as a double,
      ** and would go into a BIT column as characters; an unquoted decimal
      ** literal is exact in MySQL */
      if( p->kind != PT_K_BOOL && pt_is_number(p->z, p->n, p->kind == PT_K_INT) ) {
        /* "- -5", never "--5" */
        int m = sqlite3_str_length(s);
        if( m > 0 && sqlite3_str_value(s)[m - 1] == '-' ) sqlite3_str_appendchar(s, 1, ' ');
        sqlite3_str_append(s, p->z, p->n);
        return SQLITE_OK;
      }
      *pzErr = not_a_number(p->kind, p->z, p->n);
      return SQLITE_MISMATCH;
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ: {
      /* MariaDB takes no UTC offset in a literal: shift to the session's UTC */
      const char *z = p->z;
      int n = p->n;
      if( n > 19 && z[n - 1] == 'Z' ) return append_quoted(s, my, z, n - 1);
      if( n >= 25 && (z[n - 6] == '+' || z[n - 6] == '-') && z[n - 3] == ':' ) {
        sqlite3_str_appendall(s, "CONVERT_TZ(");
        if( append_quoted(s, my, z, n - 6) ) return SQLITE_NOMEM;
        sqlite3_str_appendall(s, ", ");
        if( append_quoted(s, my, z + n - 6, 6) ) return SQLITE_NOMEM;
        sqlite3_str_appendall(s, ", '+00:00')");
        return SQLITE_OK;
      }
      break;
    }
    default: break;
  }
  return append_quoted(s, my, p->z, p->n);
}

/*
** pSt's text with each marked '?' replaced by its parameter as a literal; a
** PT_MARK_LIST mark takes the parameter as it is (an IN list the dialect
** wrote as literals).  NULL with *pzErr on error.
*/
static char *bind_sql(MYSQL *my, const pt_stmt *pSt, int nParam, const pt_param *aParam,
                      char **pzErr) {
  sqlite3_str *s = sqlite3_str_new(0);
  const char *z = pSt->zSql;
  int iPos = 0, rc = SQLITE_OK;
  for( int i = 0; i < pSt->nMark && rc == SQLITE_OK; i++ ) {
    const pt_mark *m = &pSt->aMark[i];
    sqlite3_str_append(s, z + iPos, m->iOffset - iPos);
    iPos = m->iOffset + 1;
    if( m->iParam < 0 || m->iParam >= nParam ) {
      *pzErr = sqlite3_mprintf(
        "bind message supplies %d parameters, but prepared statement \"\" requires %d", nParam,
        m->iParam + 1);
      rc = SQLITE_RANGE;
      break;
    }
    const pt_param *pp = &aParam[m->iParam];
    if( (m->flags & PT_MARK_LIST) && pp->z )
      sqlite3_str_append(s, pp->z, pp->n);
    else
      rc = append_literal(s, my, pp, pzErr);
  }
  if( rc == SQLITE_OK ) sqlite3_str_appendall(s, z + iPos);
  if( rc == SQLITE_OK && sqlite3_str_errcode(s) ) {
    *pzErr = sqlite3_mprintf("out of memory");
    rc = SQLITE_NOMEM;
  }
  char *zOut = sqlite3_str_finish(s);
  if( rc != SQLITE_OK ) {
    sqlite3_free(zOut);
    return 0;
  }
  return zOut;
}

/* Run a statement on my; the result, if any, is stored (small results). */
static int run(MYSQL *my, const char *zSql, MYSQL_RES **ppRes, char **pzErr) {
  pt_trace("mysql: %s", zSql);
  if( mysql_real_query(my, zSql, (unsigned long)strlen(zSql)) ) {
    *pzErr = my_error(my);
    return SQLITE_ERROR;
  }
  MYSQL_RES *r = mysql_store_result(my);
  if( ppRes )
    *ppRes = r;
  else if( r )
    mysql_free_result(r);
  if( !r && mysql_field_count(my) > 0 ) {
    *pzErr = my_error(my);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* Run on the main connection; a lost connection is dropped, so the next
** use reconnects. */
static int run_main(my_conn *c, const char *zSql, MYSQL_RES **ppRes, char **pzErr) {
  if( !c->my ) {
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  int rc = run(c->my, zSql, ppRes, pzErr);
  if( rc != SQLITE_OK ) check_main(c);
  return rc;
}

/* ---- catalog ---- */

static pt_kind kind_of(const char *zType, const char *zColumnType, int *pIsBit) {
  *pIsBit = 0;
  int isUnsigned = zColumnType && strstr(zColumnType, "unsigned") != 0;
  if( !strcmp(zType, "tinyint") || !strcmp(zType, "smallint") || !strcmp(zType, "mediumint") ||
      !strcmp(zType, "int") || !strcmp(zType, "year") )
    return PT_K_INT;
  if( !strcmp(zType, "bigint") ) return isUnsigned ? PT_K_DECIMAL : PT_K_INT;
  if( !strcmp(zType, "decimal") ) return PT_K_DECIMAL;
  if( !strcmp(zType, "float") || !strcmp(zType, "double") ) return PT_K_REAL;
  if( !strcmp(zType, "bit") ) {
    *pIsBit = 1;
    return PT_K_DECIMAL;
  }
  if( !strcmp(zType, "date") ) return PT_K_DATE;
  if( !strcmp(zType, "datetime") ) return PT_K_TIMESTAMP;
  if( !strcmp(zType, "timestamp") ) return PT_K_TIMESTAMPTZ;
  if( !strcmp(zType, "char") || !strcmp(zType, "varchar") || !strcmp(zType, "tinytext") ||
      !strcmp(zType, "text") || !strcmp(zType, "mediumtext") || !strcmp(zType, "longtext") )
    return PT_K_TEXT;
  if( !strcmp(zType, "binary") || !strcmp(zType, "varbinary") || !strcmp(zType, "tinyblob") ||
      !strcmp(zType, "blob") || !strcmp(zType, "mediumblob") || !strcmp(zType, "longblob") )
    return PT_K_BLOB;
  if( !strcmp(zType, "enum") ) return PT_K_ENUM;
  if( !strcmp(zType, "json") ) return PT_K_JSON;
  return PT_K_OTHER; /* time (negative, over 24 h), set, geometry, ... */
}

static void esc_str(sqlite3_str *s, MYSQL *my, const char *z) {
  append_quoted(s, my, z, (int)strlen(z));
}

/* xDescribe: the columns, primary key, schema, kind (table or view) and
** row estimate of one table, from information_schema in one query; the
** name compares exactly (BINARY), whatever the server's collation. */
static int myDescribe(pt_conn *p, const char *zSchema, const char *zTable, pt_table_desc **ppDesc,
                      char **pzErr) {
  my_conn *c = (my_conn *)p;
  *ppDesc = 0;
  if( !c->my ) {
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  sqlite3_str *q = sqlite3_str_new(0);
  sqlite3_str_appendall(
    q,
    "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.IS_NULLABLE, "
    "COALESCE(k.ORDINAL_POSITION, 0), c.TABLE_SCHEMA, t.TABLE_TYPE, COALESCE(t.TABLE_ROWS, -1) "
    "FROM information_schema.COLUMNS c JOIN information_schema.TABLES t "
    "ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
    "LEFT JOIN information_schema.KEY_COLUMN_USAGE k ON k.TABLE_SCHEMA = c.TABLE_SCHEMA "
    "AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY' "
    "WHERE c.TABLE_SCHEMA = ");
  if( zSchema )
    esc_str(q, c->my, zSchema);
  else
    sqlite3_str_appendall(q, "DATABASE()");
  sqlite3_str_appendall(q, " AND BINARY c.TABLE_NAME = ");
  esc_str(q, c->my, zTable);
  sqlite3_str_appendall(q, " ORDER BY c.ORDINAL_POSITION");
  char *zSql = sqlite3_str_finish(q);
  MYSQL_RES *r = 0;
  int rc = run(c->my, zSql, &r, pzErr);
  sqlite3_free(zSql);
  if( rc != SQLITE_OK ) {
    check_main(c);
    return rc;
  }
  int n = (int)mysql_num_rows(r);
  if( n == 0 ) {
    mysql_free_result(r);
    *pzErr = sqlite3_mprintf("table %s%s%s does not exist", zSchema ? zSchema : "",
                             zSchema ? "." : "", zTable);
    return SQLITE_NOTFOUND;
  }
  pt_table_desc *d = pt_desc_new(n);
  if( !d ) {
    mysql_free_result(r);
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < n; i++ ) {
    MYSQL_ROW row = mysql_fetch_row(r);
    int isBit;
    d->aCol[i].zName = pt_strdup(row[0]);
    d->aCol[i].kind = kind_of(row[1], row[2], &isBit);
    d->aCol[i].zRemoteType = pt_strdup(row[2]);
    d->aCol[i].notNull = strcmp(row[3], "NO") == 0;
    d->aCol[i].iKey = atoi(row[4]);
    if( i == 0 ) {
      d->zSchema = pt_strdup(row[5]);
      d->isView = strcmp(row[6], "VIEW") == 0;
      d->nRowEstimate = atof(row[7]);
    }
  }
  mysql_free_result(r);
  *ppDesc = d;
  return SQLITE_OK;
}

static pt_kind kind_of_field(const MYSQL_FIELD *f) {
  int isUnsigned = (f->flags & UNSIGNED_FLAG) != 0;
  switch( f->type ) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_YEAR: return PT_K_INT;
    case MYSQL_TYPE_LONGLONG: return isUnsigned ? PT_K_DECIMAL : PT_K_INT;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL: return PT_K_DECIMAL;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE: return PT_K_REAL;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE: return PT_K_DATE;
    case MYSQL_TYPE_DATETIME: return PT_K_TIMESTAMP;
    case MYSQL_TYPE_TIMESTAMP: return PT_K_TIMESTAMPTZ;
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VARCHAR: return f->charsetnr == 63 ? PT_K_BLOB : PT_K_TEXT;
    case MYSQL_TYPE_JSON: return PT_K_JSON;
    default: return PT_K_OTHER;
  }
}

static int myDescribeQuery(pt_conn *p, const char *zQuery, pt_table_desc **ppDesc, char **pzErr) {
  my_conn *c = (my_conn *)p;
  *ppDesc = 0;
  char *zSql = sqlite3_mprintf("SELECT * FROM (%s) AS q LIMIT 0", zQuery);
  MYSQL_RES *r = 0;
  int rc = run_main(c, zSql, &r, pzErr);
  sqlite3_free(zSql);
  if( rc != SQLITE_OK ) return rc;
  int n = r ? (int)mysql_num_fields(r) : 0;
  pt_table_desc *d = pt_desc_new(n);
  if( !d ) {
    if( r ) mysql_free_result(r);
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < n; i++ ) {
    MYSQL_FIELD *f = mysql_fetch_field_direct(r, i);
    d->aCol[i].zName = pt_strdup(f->name);
    d->aCol[i].kind = kind_of_field(f);
  }
  if( r ) mysql_free_result(r);
  *ppDesc = d;
  return SQLITE_OK;
}

/* xListTables: the tables and views of a database (NULL: the current one)
** whose names match zLike; an empty list is checked against SCHEMATA, so a
** missing database is SQLITE_NOTFOUND. */
static int myListTables(pt_conn *p, const char *zSchema, const char *zLike, char ***pazName,
                        int *pn, char **pzErr) {
  my_conn *c = (my_conn *)p;
  *pazName = 0;
  *pn = 0;
  if( !c->my ) {
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  sqlite3_str *q = sqlite3_str_new(0);
  sqlite3_str_appendall(q,
                        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ");
  if( zSchema )
    esc_str(q, c->my, zSchema);
  else
    sqlite3_str_appendall(q, "DATABASE()");
  if( zLike ) {
    sqlite3_str_appendall(q, " AND TABLE_NAME LIKE BINARY ");
    esc_str(q, c->my, zLike);
  }
  sqlite3_str_appendall(q, " ORDER BY BINARY TABLE_NAME");
  char *zSql = sqlite3_str_finish(q);
  MYSQL_RES *r = 0;
  int rc = run_main(c, zSql, &r, pzErr);
  sqlite3_free(zSql);
  if( rc != SQLITE_OK ) return rc;
  int n = (int)mysql_num_rows(r);
  if( n == 0 && zSchema ) {
    /* nothing listed: an empty database, or none at all (an error) */
    mysql_free_result(r);
    r = 0;
    q = sqlite3_str_new(0);
    sqlite3_str_appendall(q, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ");
    esc_str(q, c->my, zSchema);
    zSql = sqlite3_str_finish(q);
    rc = run_main(c, zSql, &r, pzErr);
    sqlite3_free(zSql);
    if( rc != SQLITE_OK ) return rc;
    int found = mysql_num_rows(r) > 0;
    mysql_free_result(r);
    if( found ) return SQLITE_OK;
    *pzErr = sqlite3_mprintf("database `%s` does not exist", zSchema);
    return SQLITE_NOTFOUND;
  }
  char **a = sqlite3_malloc64(sizeof(char *) * (n + 1));
  if( !a ) {
    mysql_free_result(r);
    return SQLITE_NOMEM;
  }
  for( int i = 0; i < n; i++ ) a[i] = pt_strdup(mysql_fetch_row(r)[0]);
  mysql_free_result(r);
  *pazName = a;
  *pn = n;
  return SQLITE_OK;
}

/* ---- reading ---- */

/*
** Connections for reading.  A streaming scan (mysql_use_result) holds its
** connection until its last row: xBusy tells conn.c, which opens the next
** cursor on another connection.  A server-side cursor (inside a write
** transaction, while another server-side cursor is open, or asked for by
** xOpenShared past the bound) leaves the connection free; the server
** materializes its result first, and many share one connection, so a join
** of 50 tables takes at most max-connections.
*/
static int myBusy(pt_conn *p) { return ((my_conn *)p)->pMainUser != 0; }

static int myMaxConnections(pt_conn *p) { return ((my_conn *)p)->maxConn; }

/*
** Inside a write transaction a read must see the transaction's writes, so
** it runs on the main connection; a server-side cursor (a prepared
** statement with CURSOR_TYPE_READ_ONLY, fetched a batch at a time) leaves
** that connection free for the writes between fetches.
*/
static int stmt_open(my_cursor *cur, MYSQL *my, const char *zSql, char **pzErr) {
  MYSQL_STMT *st = mysql_stmt_init(my);
  if( !st ) {
    *pzErr = sqlite3_mprintf("out of memory");
    return SQLITE_NOMEM;
  }
  unsigned long type = CURSOR_TYPE_READ_ONLY, prefetch = 1000;
  mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &type);
  mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch);
  pt_trace("mysql (cursor): %s", zSql);
  if( mysql_stmt_prepare(st, zSql, (unsigned long)strlen(zSql)) || mysql_stmt_execute(st) ) {
    *pzErr = sqlite3_mprintf("%s (MySQL error %u, SQLSTATE %s)", mysql_stmt_error(st),
                             mysql_stmt_errno(st), mysql_stmt_sqlstate(st));
    cur->broken = mysql_stmt_errno(st) == 2013 || mysql_stmt_errno(st) == 2006;
    mysql_stmt_close(st);
    return SQLITE_ERROR;
  }
  int n = cur->nCol;
  cur->stmt = st;
  cur->aBind = sqlite3_malloc64(sizeof(MYSQL_BIND) * (n + 1));
  cur->aStmtLen = sqlite3_malloc64(sizeof(unsigned long) * (n + 1));
  cur->aStmtNull = sqlite3_malloc64(sizeof(my_bool) * (n + 1));
  cur->aStmtErr = sqlite3_malloc64(sizeof(my_bool) * (n + 1));
  cur->aInt = sqlite3_malloc64(sizeof(int64_t) * (n + 1));
  cur->aReal = sqlite3_malloc64(sizeof(double) * (n + 1));
  cur->aIsBit = sqlite3_malloc(n + 1);
  if( !cur->aBind || !cur->aStmtLen || !cur->aStmtNull || !cur->aStmtErr || !cur->aInt ||
      !cur->aReal || !cur->aIsBit ) {
    *pzErr = sqlite3_mprintf("out of memory");
    return SQLITE_NOMEM;
  }
  memset(cur->aBind, 0, sizeof(MYSQL_BIND) * (n + 1));
  MYSQL_RES *meta = mysql_stmt_result_metadata(st);
  unsigned nf = meta ? mysql_num_fields(meta) : 0;
  for( int i = 0; i < n; i++ ) {
    MYSQL_BIND *b = &cur->aBind[i];
    MYSQL_FIELD *f = (unsigned)i < nf ? mysql_fetch_field_direct(meta, i) : 0;
    cur->aIsBit[i] = f && f->type == MYSQL_TYPE_BIT;
    b->length = &cur->aStmtLen[i];
    b->is_null = &cur->aStmtNull[i];
    b->error = &cur->aStmtErr[i];
    if( (cur->aKind[i] == PT_K_INT || cur->aKind[i] == PT_K_BOOL) && !cur->aIsBit[i] ) {
      b->buffer_type = MYSQL_TYPE_LONGLONG;
      b->buffer = &cur->aInt[i];
    } else if( cur->aKind[i] == PT_K_REAL ) {
      b->buffer_type = MYSQL_TYPE_DOUBLE;
      b->buffer = &cur->aReal[i];
    } else {
      b->buffer_type = MYSQL_TYPE_STRING;
      b->buffer_length = 256;
      b->buffer = sqlite3_malloc(256);
      if( !b->buffer ) {
        if( meta ) mysql_free_result(meta);
        *pzErr = sqlite3_mprintf("out of memory");
        return SQLITE_NOMEM;
      }
    }
  }
  if( meta ) mysql_free_result(meta);
  if( mysql_stmt_bind_result(st, cur->aBind) ) {
    *pzErr = sqlite3_mprintf("%s", mysql_stmt_error(st));
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* The next row of a server-side cursor; long values are fetched whole. */
static int stmt_next(my_cursor *cur, char **pzErr) {
  int rc = mysql_stmt_fetch(cur->stmt);
  if( rc == MYSQL_NO_DATA ) {
    cur->done = 1;
    return SQLITE_DONE;
  }
  if( rc == 1 ) {
    *pzErr = sqlite3_mprintf("%s (MySQL error %u, SQLSTATE %s)", mysql_stmt_error(cur->stmt),
                             mysql_stmt_errno(cur->stmt), mysql_stmt_sqlstate(cur->stmt));
    cur->done = 1;
    cur->broken = mysql_stmt_errno(cur->stmt) == 2013 || mysql_stmt_errno(cur->stmt) == 2006;
    return SQLITE_ERROR;
  }
  for( int i = 0; i < cur->nCol; i++ ) {
    MYSQL_BIND *b = &cur->aBind[i];
    if( b->buffer_type != MYSQL_TYPE_STRING || cur->aStmtNull[i] ) continue;
    if( cur->aStmtLen[i] > b->buffer_length ) {
      void *z = sqlite3_realloc64(b->buffer, cur->aStmtLen[i] + 1);
      if( !z ) {
        *pzErr = sqlite3_mprintf("out of memory");
        return SQLITE_NOMEM;
      }
      b->buffer = z;
      b->buffer_length = cur->aStmtLen[i] + 1;
      if( mysql_stmt_fetch_column(cur->stmt, b, (unsigned)i, 0) ) {
        *pzErr = sqlite3_mprintf("%s", mysql_stmt_error(cur->stmt));
        return SQLITE_ERROR;
      }
    }
  }
  return SQLITE_ROW;
}

static void stmt_free(my_cursor *cur) {
  if( cur->stmt ) mysql_stmt_close(cur->stmt);
  for( int i = 0; cur->aBind && i < cur->nCol; i++ ) {
    if( cur->aBind[i].buffer_type == MYSQL_TYPE_STRING ) sqlite3_free(cur->aBind[i].buffer);
  }
  sqlite3_free(cur->aBind);
  sqlite3_free(cur->aStmtLen);
  sqlite3_free(cur->aStmtNull);
  sqlite3_free(cur->aStmtErr);
  sqlite3_free(cur->aInt);
  sqlite3_free(cur->aReal);
  cur->stmt = 0;
}

/* The end of a server-side cursor: the statement is closed, the
** connection stays unless it failed. */
static void cursor_end(my_cursor *cur) {
  my_conn *c = cur->c;
  int broken = cur->broken;
  stmt_free(cur);
  if( cur->isMain && c->nMainCursors > 0 ) c->nMainCursors--;
  if( broken && cur->my && cur->my == c->my ) {
    mysql_close(c->my);
    c->my = 0;
  }
}

static void cursor_free(my_cursor *cur) {
  sqlite3_free(cur->aKind);
  sqlite3_free(cur->aScratch);
  sqlite3_free(cur->aIsBit);
  sqlite3_free(cur);
}

/* Open a server-side cursor for pSt on my. */
static int open_cursor(my_cursor *cur, MYSQL *my, const pt_stmt *pSt, int nParam,
                       const pt_param *aParam, char **pzErr) {
  char *zBound = bind_sql(my, pSt, nParam, aParam, pzErr);
  if( !zBound ) return SQLITE_ERROR;
  cur->my = my;
  cur->isMain = my == cur->c->my;
  if( cur->isMain ) cur->c->nMainCursors++;
  int rc = stmt_open(cur, my, zBound, pzErr);
  sqlite3_free(zBound);
  if( rc != SQLITE_OK ) cursor_end(cur);
  return rc;
}

/*
** xOpen (shared 0) and xOpenShared (shared 1).  The result streams
** (mysql_use_result, holding the connection) when nothing else is open on
** the connection, no write transaction is, and shared is 0; else it is a
** server-side cursor.  A connection a result streams on takes no other
** (conn.c asks xBusy first).  A lost connection is closed (xAlive 0): conn.c
** replaces it.
*/
static int open_rows(pt_conn *p, int shared, const pt_stmt *pSt, int nParam, const pt_param *aParam,
                     int nCol, const pt_kind *aKind, pt_cursor **ppCur, char **pzErr) {
  my_conn *c = (my_conn *)p;
  *ppCur = 0;
  if( !c->my ) {
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  if( c->pMainUser ) {
    *pzErr = sqlite3_mprintf("another result is streaming on this connection");
    return SQLITE_ERROR;
  }
  my_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if( !cur ) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  cur->base.pConn = p;
  cur->c = c;
  cur->nCol = nCol;
  cur->aKind = sqlite3_malloc64(sizeof(pt_kind) * (nCol + 1));
  cur->aScratch = sqlite3_malloc64(sizeof(*cur->aScratch) * (nCol + 1));
  if( !cur->aKind || !cur->aScratch ) {
    cursor_free(cur);
    return SQLITE_NOMEM;
  }
  memcpy(cur->aKind, aKind, sizeof(pt_kind) * nCol);
  if( shared || c->inTxn || c->nMainCursors > 0 ) {
    int rc = open_cursor(cur, c->my, pSt, nParam, aParam, pzErr);
    if( rc != SQLITE_OK ) {
      cursor_free(cur);
      return rc;
    }
    *ppCur = &cur->base;
    return SQLITE_OK;
  }
  cur->my = c->my;
  char *zBound = bind_sql(cur->my, pSt, nParam, aParam, pzErr);
  if( !zBound ) {
    cursor_free(cur);
    return SQLITE_ERROR;
  }
  pt_trace("mysql: %s", zBound);
  int bad = mysql_real_query(cur->my, zBound, (unsigned long)strlen(zBound));
  sqlite3_free(zBound);
  if( !bad ) {
    cur->res = mysql_use_result(cur->my);
    bad = cur->res == 0;
  }
  if( bad ) {
    *pzErr = my_error(cur->my);
    check_main(c);
    cursor_free(cur);
    return SQLITE_ERROR;
  }
  cur->isMain = 1;
  c->pMainUser = cur;
  cur->aIsBit = sqlite3_malloc(nCol + 1);
  if( cur->aIsBit ) {
    unsigned nf = mysql_num_fields(cur->res);
    for( int i = 0; i < nCol; i++ ) {
      cur->aIsBit[i] =
        (unsigned)i < nf && mysql_fetch_field_direct(cur->res, i)->type == MYSQL_TYPE_BIT;
    }
  }
  *ppCur = &cur->base;
  return SQLITE_OK;
}

static int myOpen(pt_conn *p, const pt_stmt *pSt, int nParam, const pt_param *aParam, int nCol,
                  const pt_kind *aKind, int nFetch, pt_cursor **ppCur, char **pzErr) {
  (void)nFetch;
  return open_rows(p, 0, pSt, nParam, aParam, nCol, aKind, ppCur, pzErr);
}

static int myOpenShared(pt_conn *p, const pt_stmt *pSt, int nParam, const pt_param *aParam,
                        int nCol, const pt_kind *aKind, int nFetch, pt_cursor **ppCur,
                        char **pzErr) {
  (void)nFetch;
  return open_rows(p, 1, pSt, nParam, aParam, nCol, aKind, ppCur, pzErr);
}

static int myNext(pt_cursor *p, char **pzErr) {
  my_cursor *cur = (my_cursor *)p;
  if( cur->stmt ) return stmt_next(cur, pzErr);
  cur->row = mysql_fetch_row(cur->res);
  if( cur->row ) {
    cur->aLen = mysql_fetch_lengths(cur->res);
    return SQLITE_ROW;
  }
  cur->done = 1;
  if( mysql_errno(cur->my) ) {
    *pzErr = my_error(cur->my);
    cur->broken = 1;
    return SQLITE_ERROR;
  }
  return SQLITE_DONE;
}

static void value_of_text(my_cursor *cur, int i, const char *z, int n, pt_value *v);

static void myColumn(pt_cursor *p, int i, pt_value *v) {
  my_cursor *cur = (my_cursor *)p;
  memset(v, 0, sizeof(*v));
  if( cur->stmt ) {
    MYSQL_BIND *b = &cur->aBind[i];
    if( i >= cur->nCol || cur->aStmtNull[i] ) {
      v->type = PT_V_NULL;
      return;
    }
    if( b->buffer_type == MYSQL_TYPE_LONGLONG ) {
      v->type = PT_V_INT;
      v->i = cur->aInt[i];
      return;
    }
    if( b->buffer_type == MYSQL_TYPE_DOUBLE ) {
      v->type = PT_V_REAL;
      v->r = cur->aReal[i];
      return;
    }
    /* the text protocol's form, from here on as for a text row */
    value_of_text(cur, i, b->buffer, (int)cur->aStmtLen[i], v);
    return;
  }
  if( !cur->row || i >= cur->nCol || !cur->row[i] ) {
    v->type = PT_V_NULL;
    return;
  }
  value_of_text(cur, i, cur->row[i], (int)cur->aLen[i], v);
}

/* A value given in the text protocol's form, as a pt_value. */
static void value_of_text(my_cursor *cur, int i, const char *z, int n, pt_value *v) {
  if( cur->aIsBit && cur->aIsBit[i] ) {
    uint64_t u = 0;
    for( int k = 0; k < n && k < 8; k++ ) u = u << 8 | (unsigned char)z[k];
    if( u <= (uint64_t)INT64_MAX ) {
      v->type = PT_V_INT;
      v->i = (int64_t)u;
      return;
    }
    snprintf(cur->aScratch[i], sizeof cur->aScratch[i], "%llu", (unsigned long long)u);
    v->type = PT_V_DECIMAL;
    v->p = cur->aScratch[i];
    v->n = (int)strlen(cur->aScratch[i]);
    return;
  }
  switch( cur->aKind[i] ) {
    case PT_K_INT:
    case PT_K_BOOL: {
      /* optional '-', decimal digits, in range (else the text, below) */
      int k = n > 1 && z[0] == '-', neg = k;
      uint64_t u = 0;
      for( ; k < n && k < 20; k++ ) {
        unsigned d = (unsigned)((unsigned char)z[k] - '0');
        if( d > 9 || u > (UINT64_MAX - d) / 10 ) break;
        u = u * 10 + d;
      }
      if( n > 0 && k == n && u <= (uint64_t)INT64_MAX + (uint64_t)neg ) {
        v->type = PT_V_INT;
        v->i = neg ? (int64_t)(0 - u) : (int64_t)u;
        return;
      }
      break;
    }
    case PT_K_REAL: {
      char *zEnd;
      double r = strtod(z, &zEnd);
      if( zEnd == z + n ) {
        v->type = PT_V_REAL;
        v->r = r;
        return;
      }
      break;
    }
    case PT_K_DECIMAL:
      v->type = PT_V_DECIMAL;
      v->p = z;
      v->n = n;
      return;
    case PT_K_BLOB:
      v->type = PT_V_BLOB;
      v->p = z;
      v->n = n;
      return;
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ: {
      /* drop trailing zeros of the fraction, as pontoon writes times */
      int m = n;
      if( m > 19 && z[19] == '.' ) {
        while( m > 20 && z[m - 1] == '0' ) m--;
        if( m == 20 ) m = 19;
      }
      if( cur->aKind[i] == PT_K_TIMESTAMPTZ && m + 6 < (int)sizeof(cur->aScratch[i]) ) {
        memcpy(cur->aScratch[i], z, m);
        memcpy(cur->aScratch[i] + m, "+00:00", 6);
        v->type = PT_V_TEXT;
        v->p = cur->aScratch[i];
        v->n = m + 6;
        return;
      }
      v->type = PT_V_TEXT;
      v->p = z;
      v->n = m;
      return;
    }
    default: break;
  }
  v->type = PT_V_TEXT;
  v->p = z;
  v->n = n;
}

/*
** A stream abandoned before its last row: the connection is closed rather
** than the rest of the rows read, and opened again in place, so that the
** caller's pt_conn stays usable.  (A connection the server dropped is not
** reopened here: xAlive says 0, and conn.c replaces it.)
*/
static void reopen_main(my_conn *c) {
  pt_uri u;
  char *zErr = 0;
  if( c->my ) mysql_close(c->my);
  c->my = 0;
  if( pt_uri_parse(c->zUri, &u, &zErr) == SQLITE_OK ) {
    c->my = open_one(&u, c->timeout, c->readOnly, &zErr);
    pt_uri_clear(&u);
  }
  sqlite3_free(zErr);
}

/* A finished cursor frees its result; one closed early reopens its
** connection (reopen_main); one whose connection failed closes it. */
static void myClose(pt_cursor *p) {
  my_cursor *cur = (my_cursor *)p;
  if( !cur ) return;
  my_conn *c = cur->c;
  if( cur->stmt ) {
    cursor_end(cur);
    cursor_free(cur);
    return;
  }
  if( cur->done && !cur->broken ) {
    mysql_free_result(cur->res);
  } else {
    if( cur->res ) {
      /* the connection goes: let the result forget it before freeing */
      cur->res->handle = 0;
      mysql_free_result(cur->res);
    }
    if( c->my == cur->my ) {
      if( cur->broken ) {
        mysql_close(c->my);
        c->my = 0;
      } else
        reopen_main(c);
    }
  }
  if( c->pMainUser == cur ) c->pMainUser = 0;
  cursor_free(cur); /* aScratch too: it was left behind, 1 per scan (issue 17 item 6) */
}

/* ---- statements and transactions ---- */

/* After statement zSql (NULL: not known) with mysql_warning_count() > 0:
** the first warning the dialect judges an error (xWarning) as *pzErr.
** Returns SQLITE_ERROR when *pzErr is set. */
static int warnings_error(MYSQL *my, const char *zSql, char **pzErr) {
  const pt_dialect *d = &pt_dialect_mysql;
  MYSQL_RES *w = 0;
  char *zIgnore = 0;
  if( run(my, d->zWarnings, &w, &zIgnore) == SQLITE_OK && w ) {
    MYSQL_ROW row;
    while( !*pzErr && (row = mysql_fetch_row(w)) != 0 ) {
      *pzErr = d->xWarning(zSql, row[0], row[1], row[2]);
    }
    mysql_free_result(w);
  }
  sqlite3_free(zIgnore);
  return *pzErr ? SQLITE_ERROR : SQLITE_OK;
}

/*
** Several statements in one pontoon_exec ("a; b; c"): sent together with
** multi-statements switched on for this call only, every result read, the
** rows affected summed.  They run in order and stop at the first error,
** which names the statement; the ones before it have run (inside a SQLite
** transaction, in its remote transaction).  MySQL keeps the warnings of
** the last statement only: a warning of an earlier one is reported by its
** number.
*/
static int exec_multi(my_conn *c, const char *zSql, int64_t *pnChanged, char **pzErr) {
  MYSQL *my = c->my;
  if( mysql_set_server_option(my, MYSQL_OPTION_MULTI_STATEMENTS_ON) ) {
    *pzErr = my_error(my);
    check_main(c);
    return SQLITE_ERROR;
  }
  pt_trace("mysql (multi): %s", zSql);
  int rc = SQLITE_OK, iStmt = 1, iWarn = 0;
  int64_t nSum = 0;
  if( mysql_real_query(my, zSql, (unsigned long)strlen(zSql)) ) {
    *pzErr = sqlite3_mprintf("statement 1: %z", my_error(my));
    rc = SQLITE_ERROR;
  } else {
    for( ;; ) {
      MYSQL_RES *r = mysql_store_result(my);
      if( r )
        mysql_free_result(r);
      else if( mysql_field_count(my) > 0 ) {
        *pzErr = sqlite3_mprintf("statement %d: %z", iStmt, my_error(my));
        rc = SQLITE_ERROR;
        break;
      }
      my_ulonglong n = mysql_affected_rows(my);
      if( n != (my_ulonglong)-1 ) nSum += (int64_t)n;
      if( mysql_warning_count(my) > 0 && !iWarn ) iWarn = iStmt;
      int k = mysql_next_result(my);
      if( k < 0 ) break;
      iStmt++;
      if( k > 0 ) {
        *pzErr = sqlite3_mprintf("statement %d: %z", iStmt, my_error(my));
        rc = SQLITE_ERROR;
        break;
      }
    }
  }
  if( rc != SQLITE_OK ) check_main(c);
  if( c->my && mysql_set_server_option(c->my, MYSQL_OPTION_MULTI_STATEMENTS_OFF) &&
      rc == SQLITE_OK ) {
    *pzErr = my_error(c->my);
    check_main(c);
    return SQLITE_ERROR;
  }
  if( rc != SQLITE_OK ) return rc;
  *pnChanged = nSum;
  if( iWarn == iStmt ) {
    char *zW = 0;
    if( warnings_error(my, 0, &zW) != SQLITE_OK ) {
      *pzErr = sqlite3_mprintf("statement %d: %z", iStmt, zW);
      return SQLITE_ERROR;
    }
  } else if( iWarn ) {
    *pzErr = sqlite3_mprintf(
      "statement %d raised a warning, which pontoon treats as an error "
      "(MySQL keeps the warnings of the last statement only: run it alone to see it)",
      iWarn);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

static int myExec(pt_conn *p, const pt_stmt *pSt, int nParam, const pt_param *aParam,
                  int64_t *pnChanged, char **pzErr) {
  my_conn *c = (my_conn *)p;
  const char *zSql = pSt->zSql;
  *pnChanged = -1;
  if( !c->my ) {
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  char *zBound = bind_sql(c->my, pSt, nParam, aParam, pzErr);
  if( !zBound ) return SQLITE_ERROR;
  /* counted by the tokenizer on the statement before its values are in:
  ** values are literals, whose semicolons are no statement's end anyway */
  if( pSt->nStmt > 1 ) {
    int rc = exec_multi(c, zBound, pnChanged, pzErr);
    sqlite3_free(zBound);
    return rc;
  }
  int rc = run(c->my, zBound, 0, pzErr);
  sqlite3_free(zBound);
  if( rc != SQLITE_OK ) {
    check_main(c);
    return rc;
  }
  my_ulonglong n = mysql_affected_rows(c->my);
  *pnChanged = n == (my_ulonglong)-1 ? -1 : (int64_t)n;
  if( mysql_warning_count(c->my) > 0 ) { return warnings_error(c->my, zSql, pzErr); }
  return SQLITE_OK;
}

static int myCount(pt_conn *p, const char *zFrom, int64_t *pn, char **pzErr) {
  my_conn *c = (my_conn *)p;
  char *zSql = sqlite3_mprintf("SELECT count(*) FROM %s", zFrom);
  MYSQL_RES *r = 0;
  int rc = run_main(c, zSql, &r, pzErr);
  sqlite3_free(zSql);
  if( rc != SQLITE_OK ) return rc;
  MYSQL_ROW row = mysql_fetch_row(r);
  *pn = row && row[0] ? atoll(row[0]) : 0;
  mysql_free_result(r);
  return SQLITE_OK;
}

static int simple(my_conn *c, const char *zSql, char **pzErr) {
  return run_main(c, zSql, 0, pzErr);
}

static int myBegin(pt_conn *p, char **pzErr) {
  my_conn *c = (my_conn *)p;
  int rc = simple(c, "START TRANSACTION WITH CONSISTENT SNAPSHOT", pzErr);
  if( rc == SQLITE_OK ) c->inTxn = 1;
  return rc;
}

static int myCommit(pt_conn *p, char **pzErr) {
  my_conn *c = (my_conn *)p;
  c->inTxn = 0;
  return simple(c, "COMMIT", pzErr);
}

static int myRollback(pt_conn *p, char **pzErr) {
  my_conn *c = (my_conn *)p;
  c->inTxn = 0;
  return simple(c, "ROLLBACK", pzErr);
}

static int mySavepoint(pt_conn *p, int op, int iLevel, char **pzErr) {
  char zSql[64];
  pt_savepoint_sql(zSql, sizeof zSql, op, iLevel);
  return simple((my_conn *)p, zSql, pzErr);
}

/* ---- bulk INSERT: LOAD DATA LOCAL INFILE fed from memory ----
**
** Rows are buffered in LOAD DATA's text format (tab, newline, backslash
** escapes, \N for NULL) and sent, about 4 MB at a time, by a LOAD DATA
** LOCAL INFILE whose "file" is this buffer: the client library asks the
** handler below for its bytes.  Measured twice as fast as multi-row INSERT
** of the same rows (docs/mysql.md).  The handler never opens a file,
** whatever name the server asks for.  LOCAL turns data errors and
** duplicate keys into warnings, which pontoon reports as errors.
*/

typedef struct my_bulk {
  pt_bulk base;
  my_conn *c;
  char *zLoad; /* LOAD DATA LOCAL INFILE ... (cols) [SET ...] */
  int nCol;
  pt_kind *aKind;
  pt_buf buf;
  size_t off; /* what the handler has handed over */
  int nRow;
} my_bulk;

#define MY_BULK_BYTES (4 * 1024 * 1024)

static int infile_init(void **pp, const char *zName, void *userdata) {
  my_bulk *b = userdata;
  if( !b || strcmp(zName, "pontoon") != 0 ) {
    *pp = 0;
    return 1;
  }
  b->off = 0;
  *pp = b;
  return 0;
}
static int infile_read(void *p, char *buf, unsigned int n) {
  my_bulk *b = p;
  if( !b ) return -1;
  size_t left = b->buf.n - b->off;
  if( left > n ) left = n;
  memcpy(buf, b->buf.z + b->off, left);
  b->off += left;
  return (int)left;
}
static void infile_end(void *p) { (void)p; }
static int infile_error(void *p, char *msg, unsigned int n) {
  if( !p ) return refuse_error(p, msg, n);
  snprintf(msg, n, "pontoon: no such data");
  return 2000;
}

/* xBulkOpen: the LOAD DATA LOCAL statement of the rows to come, its BIT
** and YEAR columns read into variables and cast (SHOW COLUMNS says which),
** since LOAD DATA reads every field as a string. */
static int myBulkOpen(pt_conn *p, const char *zTable, int nCol, const char *const *azCol,
                      const pt_kind *aKind, pt_bulk **pp, char **pzErr) {
  my_conn *c = (my_conn *)p;
  if( !c->my ) {
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  /* BIT and YEAR columns take numbers, which LOAD DATA reads as strings
  ** (b'1' as a character, YEAR '0' as 2000, numeric 0 as 0000): cast them;
  ** aBit[j] is 1 for BIT, 2 for YEAR */
  unsigned char *aBit = sqlite3_malloc(nCol + 1);
  if( !aBit ) return SQLITE_NOMEM;
  memset(aBit, 0, nCol + 1);
  char *zShow = sqlite3_mprintf("SHOW COLUMNS FROM %s", zTable);
  MYSQL_RES *r = 0;
  int rc = run(c->my, zShow, &r, pzErr);
  sqlite3_free(zShow);
  if( rc != SQLITE_OK ) {
    sqlite3_free(aBit);
    check_main(c);
    return rc;
  }
  MYSQL_ROW row;
  for( int i = 0; (row = mysql_fetch_row(r)) != 0; i++ ) {
    for( int j = 0; j < nCol; j++ ) {
      /* azCol[j] is `name`, quoted */
      size_t n = strlen(row[0]);
      if( strlen(azCol[j]) == n + 2 && strncmp(azCol[j] + 1, row[0], n) == 0 ) {
        aBit[j] = strncmp(row[1], "bit", 3) == 0 ? 1 : strncmp(row[1], "year", 4) == 0 ? 2 : 0;
      }
    }
  }
  mysql_free_result(r);
  my_bulk *b = sqlite3_malloc(sizeof(*b));
  if( !b ) {
    sqlite3_free(aBit);
    return SQLITE_NOMEM;
  }
  memset(b, 0, sizeof(*b));
  b->base.pConn = p;
  b->c = c;
  b->nCol = nCol;
  b->aKind = sqlite3_malloc64(sizeof(pt_kind) * (nCol + 1));
  sqlite3_str *q = sqlite3_str_new(0);
  sqlite3_str_appendf(q,
                      "LOAD DATA LOCAL INFILE 'pontoon' INTO TABLE %s CHARACTER SET binary "
                      "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (",
                      zTable);
  int anyBit = 0;
  for( int i = 0; i < nCol; i++ ) {
    if( aBit[i] ) {
      sqlite3_str_appendf(q, "%s@pt%d", i ? ", " : "", i);
      anyBit = 1;
    } else
      sqlite3_str_appendf(q, "%s%s", i ? ", " : "", azCol[i]);
  }
  sqlite3_str_appendall(q, ")");
  if( anyBit ) {
    int first = 1;
    for( int i = 0; i < nCol; i++ ) {
      if( !aBit[i] ) continue;
      sqlite3_str_appendf(q, "%s%s = CAST(@pt%d AS %s)", first ? " SET " : ", ", azCol[i], i,
                          aBit[i] == 1 ? "UNSIGNED" : "SIGNED");
      first = 0;
    }
  }
  b->zLoad = sqlite3_str_finish(q);
  sqlite3_free(aBit);
  if( !b->aKind || !b->zLoad ) {
    pt_mysql_driver.xBulkClose(&b->base);
    return SQLITE_NOMEM;
  }
  memcpy(b->aKind, aKind, sizeof(pt_kind) * nCol);
  *pp = &b->base;
  return SQLITE_OK;
}

static int myBulkFlush(pt_bulk *p, char **pzErr) {
  my_bulk *b = (my_bulk *)p;
  if( !b || b->nRow == 0 ) return SQLITE_OK;
  my_conn *c = b->c;
  int nRow = b->nRow;
  b->nRow = 0;
  if( !c->my ) {
    b->buf.n = 0;
    *pzErr = sqlite3_mprintf("connection lost");
    return SQLITE_ERROR;
  }
  mysql_set_local_infile_handler(c->my, infile_init, infile_read, infile_end, infile_error, b);
  pt_trace("mysql: LOAD DATA of %d rows", nRow);
  int64_t n;
  pt_stmt st = { .zSql = b->zLoad, .nStmt = 1 };
  int rc = pt_mysql_driver.xExec(p->pConn, &st, 0, 0, &n, pzErr);
  if( c->my ) disarm_infile(c->my);
  b->buf.n = 0;
  return rc;
}

/* Append z[0..n) with LOAD DATA's escapes. */
static void load_escape(pt_buf *out, const char *z, int n) {
  int start = 0;
  for( int i = 0; i < n; i++ ) {
    char e;
    switch( z[i] ) {
      case '\\': e = '\\'; break;
      case '\t': e = 't'; break;
      case '\n': e = 'n'; break;
      case 0: e = '0'; break;
      default: continue;
    }
    pt_buf_append(out, z + start, i - start);
    char esc[2] = { '\\', e };
    pt_buf_append(out, esc, 2);
    start = i + 1;
  }
  pt_buf_append(out, z + start, n - start);
}

/* xBulkRow: the row as a LOAD DATA line (tabs, \N for NULL, escapes);
** a value of a numeric column that is no number is refused, as LOAD DATA
** would round or zero it without a word.  Sent past MY_BULK_BYTES. */
static int myBulkRow(pt_bulk *p, const pt_param *a, char **pzErr) {
  my_bulk *b = (my_bulk *)p;
  pt_buf *out = &b->buf;
  size_t rowStart = out->n;
  for( int i = 0; i < b->nCol; i++ ) {
    if( i ) pt_buf_char(out, '\t');
    if( !a[i].z ) {
      pt_buf_append(out, "\\N", 2);
      continue;
    }
    pt_kind k = b->aKind[i];
    if( !a[i].isBinary && (k == PT_K_INT || k == PT_K_REAL || k == PT_K_DECIMAL) &&
        !pt_is_number(a[i].z, a[i].n, k == PT_K_INT) ) {
      /* LOAD DATA would round 1.5 into an INT without a warning */
      out->n = rowStart;
      *pzErr = not_a_number(k, a[i].z, a[i].n);
      return SQLITE_ERROR;
    }
    char tmp[64];
    int m;
    if( !a[i].isBinary && (k == PT_K_TIMESTAMP || k == PT_K_TIMESTAMPTZ) &&
        (m = pt_utc_time(a[i].z, a[i].n, tmp)) > 0 ) {
      pt_buf_append(out, tmp, m);
    } else if( !a[i].isBinary && k == PT_K_BOOL ) {
      pt_buf_char(out, (a[i].z[0] == 't' || a[i].z[0] == '1') ? '1' : '0');
    } else {
      load_escape(out, a[i].z, a[i].n);
    }
  }
  pt_buf_char(out, '\n');
  if( out->oom ) {
    out->oom = 0;
    out->n = 0;
    *pzErr = sqlite3_mprintf("out of memory buffering rows");
    return SQLITE_NOMEM;
  }
  b->nRow++;
  if( out->n >= MY_BULK_BYTES ) return myBulkFlush(p, pzErr);
  return SQLITE_OK;
}

static void myBulkDiscard(pt_bulk *p) {
  my_bulk *b = (my_bulk *)p;
  if( !b ) return;
  b->buf.n = 0;
  b->nRow = 0;
}

static void myBulkClose(pt_bulk *p) {
  my_bulk *b = (my_bulk *)p;
  if( !b ) return;
  pt_buf_free(&b->buf);
  sqlite3_free(b->zLoad);
  sqlite3_free(b->aKind);
  sqlite3_free(b);
}

/* The session's NO_BACKSLASH_ESCAPES, for the tokenizer of a user's SQL. */
static int myLexFlags(pt_conn *p) {
  my_conn *c = (my_conn *)p;
  return backslash_escapes(c->my) ? 0 : PT_LEX_NO_BACKSLASH;
}

const pt_driver pt_mysql_driver = {
  .iVersion = 1,
  .zName = "mysql",
  .zSchemes = "mysql://... or mariadb://...",
  .pDialect = &pt_dialect_mysql,
  .ePlace = PT_PLACE_QMARK,
  .xAccepts = myAccepts,
  .xConnect = myConnect,
  .xDisconnect = myDisconnect,
  .xAlive = myAlive,
  .xInfo = myInfo,
  .xDescribe = myDescribe,
  .xDescribeQuery = myDescribeQuery,
  .xListTables = myListTables,
  .xOpen = myOpen,
  .xNext = myNext,
  .xColumn = myColumn,
  .xClose = myClose,
  .xExec = myExec,
  .xCount = myCount,
  .xBegin = myBegin,
  .xCommit = myCommit,
  .xRollback = myRollback,
  .xSavepoint = mySavepoint,
  .xBulkOpen = myBulkOpen,
  .xBulkRow = myBulkRow,
  .xBulkFlush = myBulkFlush,
  .xBulkDiscard = myBulkDiscard,
  .xBulkClose = myBulkClose,
  .xBusy = myBusy,
  .xOpenShared = myOpenShared,
  .xMaxConnections = myMaxConnections,
  .xLexFlags = myLexFlags,
};
