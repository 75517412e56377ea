/*
** mysql.c — the MySQL / MariaDB dialect, spoken by the native driver
** (MariaDB Connector/C) and by the MariaDB ODBC driver.
**
**   SELECT `id` FROM `shop`.`users`
**     WHERE (`email` = $1 AND CONVERT(`email` USING utf8mb4) COLLATE utf8mb4_nopad_bin = $1)
**
** Text compares under utf8mb4_nopad_bin (bytes, no padding, no case
** folding: SQLite's BINARY), beside the column's own collation so that an
** index still finds the rows.  FLOAT and DOUBLE stay in SQLite (the text
** protocol rounds FLOAT).  Reads in a write transaction lock their rows.
*/
#include <stdlib.h>
#include <string.h>
#include "pontoon.h"
#include "canon.h"

static void myQuoteIdent(sqlite3_str *s, const char *z) {
  sqlite3_str_appendchar(s, 1, '`');
  for( ; *z; z++ ) {
    if( *z == '`' ) sqlite3_str_appendchar(s, 1, '`');
    sqlite3_str_appendchar(s, 1, *z);
  }
  sqlite3_str_appendchar(s, 1, '`');
}

static void mySelectExpr(sqlite3_str *s, const char *zq, pt_kind k, int readFlags) {
  (void)k;
  (void)readFlags;
  sqlite3_str_appendall(s, zq);
}

/*
** The pushdown table for MySQL.  Text compares under utf8mb4_nopad_bin:
** bytes, no padding, no case folding: exactly SQLite's BINARY; LIKE under
** the column's case-insensitive collation keeps a superset.  FLOAT and
** DOUBLE stay local: the text protocol prints a FLOAT rounded (0.1 for
** 0.100000001...), so the server's comparison and SQLite's could differ.
*/
#define EXACT PT_PUSH_EXACT
#define SUPER PT_PUSH_SUPERSET
#define ALL_EXACT .eq = EXACT, .ne = EXACT, .ord = EXACT
static const pt_push_rule aMyPush[PT_K_COUNT] = {
  [PT_K_INT] = { ALL_EXACT, .orderable = 1, .binary = 1 },
  [PT_K_BLOB] = { ALL_EXACT, .orderable = 1, .binary = 1 },
  [PT_K_TEXT] = { ALL_EXACT, .like = SUPER, .orderable = 1, .binary = 1 },
  [PT_K_DECIMAL] = { .eq = EXACT, .binary = 1 },
  [PT_K_DATE] = { .eq = EXACT, .binary = 1 },
  [PT_K_TIMESTAMP] = { .eq = EXACT, .binary = 1 },
};

static int myPushable(pt_kind k, int op, const char *zColl) {
  return pt_push_lookup(aMyPush, k, op, zColl);
}

static int myOrderable(pt_kind k) { return (int)k >= 0 && k < PT_K_COUNT && aMyPush[k].orderable; }

static void myCondition(pt_sql *q, const char *zq, pt_kind k, int op, int n) {
  const char *zOp = "=";
  switch( op ) {
    case SQLITE_INDEX_CONSTRAINT_ISNULL: pt_sqlf(q, "%s IS NULL", zq); return;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: pt_sqlf(q, "%s IS NOT NULL", zq); return;
    case SQLITE_INDEX_CONSTRAINT_LIKE:
      /* the column's case-insensitive collation: a superset of SQLite's
      ** LIKE; backslash is MySQL's escape, so the pattern's are doubled */
      pt_sqlf(q, "%s LIKE REPLACE(%P, '\\\\', '\\\\\\\\')", zq, n);
      return;
    case PT_OP_IN:
      /* the list of literals myArrayParam wrote, spliced where ? stands */
      if( k == PT_K_TEXT )
        pt_sqlf(q, "CONVERT(%s USING utf8mb4) COLLATE utf8mb4_nopad_bin IN (", zq);
      else
        pt_sqlf(q, "%s IN (", zq);
      pt_sql_place(q, n, PT_MARK_LIST);
      sqlite3_str_appendchar(q->pStr, 1, ')');
      return;
    default: zOp = pt_sql_op(op); break;
  }
  if( k == PT_K_TEXT ) {
    if( op == SQLITE_INDEX_CONSTRAINT_EQ ) {
      /* the column's own collation finds the rows by index; bytes decide */
      pt_sqlf(q, "(%s = %P AND CONVERT(%s USING utf8mb4) COLLATE utf8mb4_nopad_bin = %P)", zq, n,
              zq, n);
    } else {
      pt_sqlf(q, "CONVERT(%s USING utf8mb4) COLLATE utf8mb4_nopad_bin %s %P", zq, zOp, n);
    }
  } else {
    pt_sqlf(q, "%s %s %P", zq, zOp, n);
  }
}

static void myOrderBy(sqlite3_str *s, const char *zq, pt_kind k, int desc) {
  /* MySQL sorts NULLs first ascending, last descending: SQLite's order */
  if( k == PT_K_TEXT )
    sqlite3_str_appendf(s, "CONVERT(%s USING utf8mb4) COLLATE utf8mb4_nopad_bin %s", zq,
                        desc ? "DESC" : "ASC");
  else
    sqlite3_str_appendf(s, "%s %s", zq, desc ? "DESC" : "ASC");
}

static void myUpsert(pt_sql *s, const char *zTable, int nCol, const char *const *azCol,
                     const pt_kind *aKind, int nKey, const int *aKey, int onConflict) {
  (void)aKey;
  (void)aKind;
  (void)nKey;
  pt_upsert_on_duplicate(s, zTable, nCol, azCol, onConflict);
}

/* IN lists are written as a literal list, "a, b, c", which the native
** driver splices where the condition's PT_MARK_LIST placeholder stands. */
static void myArrayParam(sqlite3_str *s, pt_kind k, int n, const pt_param *a) {
  for( int i = 0; i < n; i++ ) {
    if( i ) sqlite3_str_appendall(s, ", ");
    pt_param x = a[i];
    x.kind = k;
    if( x.isBinary ) {
      pt_append_hex_literal(s, x.z, x.n);
    } else if( (k == PT_K_INT || k == PT_K_REAL || k == PT_K_DECIMAL) &&
               pt_is_number(x.z, x.n, k == PT_K_INT) ) {
      sqlite3_str_append(s, x.z, x.n);
    } else {
      /* text; under NO_BACKSLASH_ESCAPES a doubled backslash is two
      ** backslashes, which stays inside the string all the same */
      sqlite3_str_appendchar(s, 1, '\'');
      for( int j = 0; j < x.n; j++ ) {
        char ch = x.z[j];
        if( ch == '\'' || ch == '\\' ) sqlite3_str_appendchar(s, 1, ch == '\'' ? '\'' : '\\');
        sqlite3_str_appendchar(s, 1, ch);
      }
      sqlite3_str_appendchar(s, 1, '\'');
    }
  }
}

/* InnoDB: a locking read takes the latest committed version of each row it
** reads and holds it against other writers until the transaction ends. */
static void myLockRows(sqlite3_str *s) { sqlite3_str_appendall(s, " FOR UPDATE"); }

/*
** MySQL's tokens: '...' and "..." (backslash escapes unless the session
** has NO_BACKSLASH_ESCAPES), `...`, # and "-- " (a space or control
** character after the dashes) to the end of the line, block comments
** except / *! and / *M! ones, whose text the server runs.
*/
static int mySpan(const char *zStart, const char *z, int lexFlags) {
  (void)zStart;
  if( z[0] == '#' || (z[0] == '-' && z[1] == '-' && (unsigned char)z[2] <= ' ') )
    return pt_span_line(z);
  if( z[0] == '/' && z[1] == '*' ) {
    if( z[2] == '!' || (z[2] == 'M' && z[3] == '!') ) return 0;
    return pt_span_block(z, 0);
  }
  if( z[0] == '\'' || z[0] == '"' )
    return pt_span_quoted(z, z[0], !(lexFlags & PT_LEX_NO_BACKSLASH));
  if( z[0] == '`' ) return pt_span_quoted(z, '`', 0);
  return 0;
}

/* MySQL would change data silently: a warning is an error, except a Note
** (DROP ... IF EXISTS) and the duplicate key INSERT IGNORE exists to skip. */
static char *myWarning(const char *zSql, const char *zLevel, const char *zCode, const char *zMsg) {
  if( !zLevel || sqlite3_stricmp(zLevel, "Note") == 0 ) return 0;
  if( zSql && sqlite3_strnicmp(zSql, "INSERT IGNORE", 13) == 0 && zCode && atoi(zCode) == 1062 )
    return 0;
  return sqlite3_mprintf("%s (MySQL warning %s)", zMsg ? zMsg : "?", zCode ? zCode : "?");
}

static const char *const azMySession[] = {
  "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'",
  0
};
static const char *const azMyReadOnly[] = { "SET SESSION TRANSACTION READ ONLY", 0 };

/* ---- the canonical text (docs/diff.md) ---- */

static const pt_canon_spell mySpell = {
  .zPow10 = "POWER(10, %s)",
  .zIntText = "CAST(CAST(%s AS SIGNED) AS CHAR)",
  .zZeros = "REPEAT('0', %s)",
  .zRtrim0 = "TRIM(TRAILING '0' FROM %s)",
  .zLength = "LENGTH(%s)",
  .zInt = "%s",
  .concatFn = 1,
};

/* Text as UTF-8, whatever the column's character set. */
#define MY_UTF8 "CONVERT(%s USING utf8mb4)"
/* A backslash that reads the same whatever NO_BACKSLASH_ESCAPES says. */
#define MY_BS "CHAR(92 USING utf8mb4)"

static void myCanonicalText(sqlite3_str *s, const char *zq, pt_kind k, const char *zType,
                            int floatDigits, int prec) {
  int isBit = pt_canon_type_has(zType, "bit");
  /* MySQL's TIME (past 24 hours, negative) has the kind other */
  if( k == PT_K_OTHER && zType ) {
    if( pt_canon_type_has(zType, "datetime") || pt_canon_type_has(zType, "timestamp") )
      k = PT_K_TIMESTAMP;
    else if( sqlite3_strnicmp(zType, "time", 4) == 0 )
      k = PT_K_TIME;
  }
  switch( k ) {
    case PT_K_INT:
      sqlite3_str_appendf(s, isBit ? "CAST(%s + 0 AS CHAR)" : "CAST(%s AS CHAR)", zq);
      break;
    case PT_K_BOOL:
      sqlite3_str_appendf(s, "CASE WHEN %s IS NULL THEN NULL WHEN %s <> 0 THEN '1' ELSE '0' END",
                          zq, zq);
      break;
    case PT_K_REAL: {
      char *zD = sqlite3_mprintf("CAST(%s AS DOUBLE)", zq);
      if( !zD ) return;
      sqlite3_str_appendf(s, "CASE WHEN %s IS NULL THEN NULL WHEN %s = 0 THEN '0' ELSE ", zD, zD);
      pt_canon_real(s, &mySpell, zD, floatDigits);
      sqlite3_str_appendall(s, " END");
      sqlite3_free(zD);
      break;
    }
    case PT_K_DECIMAL: {
      /* the exact text, without the fraction's trailing zeros; -0 is 0.
      ** The scale the type names says whether there is a fraction, so
      ** that the text is made once or twice, not six times (a decimal
      ** column was most of a row's hashing time) */
      char *zT = sqlite3_mprintf(isBit ? "CAST(%s + 0 AS CHAR)" : "CAST(%s AS CHAR)", zq);
      const char *zComma = zType ? strchr(zType, ',') : 0;
      int scale = zComma ? atoi(zComma + 1) : -1;
      if( isBit || pt_canon_type_has(zType, "int") || (zType && !zComma && strchr(zType, '(')) )
        scale = 0;
      if( !zT ) return;
      if( scale == 0 )
        sqlite3_str_appendf(s, "CASE WHEN %s = 0 THEN '0' ELSE %s END", zq, zT);
      else if( scale > 0 )
        sqlite3_str_appendf(s,
                            "CASE WHEN %s = 0 THEN '0' ELSE TRIM(TRAILING '.' FROM "
                            "TRIM(TRAILING '0' FROM %s)) END",
                            zq, zT);
      else
        sqlite3_str_appendf(s,
                            "CASE WHEN %s = 0 THEN '0' WHEN LOCATE('.', %s) > 0 THEN "
                            "TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM %s)) ELSE %s END",
                            zq, zT, zT, zT);
      sqlite3_free(zT);
      break;
    }
    case PT_K_BLOB: sqlite3_str_appendf(s, "LOWER(HEX(%s))", zq); break;
    case PT_K_DATE: sqlite3_str_appendf(s, "CAST(%s AS CHAR)", zq); break;
    case PT_K_TIME:
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ: {
      /* the session's time zone is UTC (azMySession) */
      char *z = k == PT_K_TIME
        ? sqlite3_mprintf("TIME_FORMAT(%s, '%%H:%%i:%%s.%%f')", zq)
        : sqlite3_mprintf("DATE_FORMAT(%s, '%%Y-%%m-%%d %%H:%%i:%%s.%%f')", zq);
      if( z ) pt_canon_cut(s, &mySpell, z, prec);
      sqlite3_free(z);
      break;
    }
    default: sqlite3_str_appendf(s, MY_UTF8, zq); break;
  }
}

/* The row's text; the sum of md5's first 60 bits as DECIMAL (SUM of
** BIGINT UNSIGNED), exact.  Backslashes are written CHAR(92), which reads
** the same whatever NO_BACKSLASH_ESCAPES says. */
static int myHashExpr(sqlite3_str *s, int n, const char *const *az, const pt_kind *aKind,
                      const unsigned char *aPrefix, int sum) {
  if( sum ) sqlite3_str_appendall(s, "SUM(CAST(CONV(SUBSTRING(MD5(");
  sqlite3_str_appendall(s, "CONCAT(");
  for( int i = 0; i < n; i++ ) {
    if( i ) sqlite3_str_appendall(s, ", '|', ");
    if( aPrefix && aPrefix[i] )
      sqlite3_str_appendf(s, "COALESCE(CONCAT(LENGTH(%s), ':', %s), CONCAT(" MY_BS ", 'N'))", az[i],
                          az[i]);
    else if( pt_canon_escaped(aKind[i]) )
      sqlite3_str_appendf(s,
                          "COALESCE(REPLACE(REPLACE(%s, " MY_BS ", CONCAT(" MY_BS ", " MY_BS
                          ")), '|', CONCAT(" MY_BS ", '|')), CONCAT(" MY_BS ", 'N'))",
                          az[i]);
    else
      sqlite3_str_appendf(s, "COALESCE(%s, CONCAT(" MY_BS ", 'N'))", az[i]);
  }
  sqlite3_str_appendall(s, ")");
  if( sum ) sqlite3_str_appendall(s, "), 1, 15), 16, 10) AS UNSIGNED))");
  return 0;
}

/* ---- pontoon_ddl: the casting rules into MySQL (docs/ddl.md) ---- */

/* Text that compares as PostgreSQL and SQLite compare it: byte by byte,
** trailing spaces included (MariaDB's NO PAD binary collation). */
#define MY_DDL_BIN " CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"

/* A text column: longtext, or in a primary key a varchar that an index
** holds (3072 bytes of utf8mb4 over the key's text columns). */
static void myDdlText(sqlite3_str *s, const pt_ddl_col *c) {
  if( c->flags & PT_DDL_KEY )
    sqlite3_str_appendf(s, "varchar(%d)", 768 / (c->nKeyText > 0 ? c->nKeyText : 1));
  else
    sqlite3_str_appendall(s, "longtext");
  sqlite3_str_appendall(s, MY_DDL_BIN);
}

static int myDdlFromPg(sqlite3_str *s, const pt_ddl_col *c, char **pzWhy) {
  const char *b = c->zBase;
  if( c->isArray ) {
    sqlite3_str_appendall(s, "json");
    return PT_DDL_OK;
  }
  if( !strcmp(b, "smallint") )
    sqlite3_str_appendall(s, "smallint");
  else if( !strcmp(b, "integer") )
    sqlite3_str_appendall(s, "int");
  else if( !strcmp(b, "bigint") )
    sqlite3_str_appendall(s, "bigint");
  else if( !strcmp(b, "boolean") )
    sqlite3_str_appendall(s, "tinyint(1)");
  else if( !strcmp(b, "real") )
    sqlite3_str_appendall(s, "float");
  else if( !strcmp(b, "double precision") )
    sqlite3_str_appendall(s, "double");
  else if( !strcmp(b, "numeric") ) {
    if( c->nArg >= 1 && c->aArg[0] <= 65 &&
        (c->nArg == 1 || (c->aArg[1] >= 0 && c->aArg[1] <= 30)) ) {
      sqlite3_str_appendf(s, "decimal(%d,%d)", c->aArg[0], c->nArg == 2 ? c->aArg[1] : 0);
    } else {
      sqlite3_str_appendall(s, "decimal(65,30)");
      *pzWhy = sqlite3_mprintf("%s: %s becomes decimal(65,30), which keeps 35 digits before the "
                               "point and 30 after (NaN does not fit)",
                               c->zQuoted, c->zType);
      return PT_DDL_LOSSY;
    }
  } else if( (!strcmp(b, "character varying") || !strcmp(b, "character")) && c->nArg == 1 &&
             !(c->flags & PT_DDL_KEY && c->aArg[0] > 768 / (c->nKeyText > 0 ? c->nKeyText : 1)) ) {
    /* char(n)'s padding is part of the value pontoon reads: varchar keeps it */
    sqlite3_str_appendf(s, "varchar(%d)" MY_DDL_BIN, c->aArg[0]);
  } else if( !strcmp(b, "text") || !strcmp(b, "character varying") || !strcmp(b, "character") ||
             !strcmp(b, "name") || !strcmp(b, "citext") || c->kind == PT_K_ENUM ) {
    myDdlText(s, c);
  } else if( !strcmp(b, "bytea") )
    sqlite3_str_appendall(s, "longblob");
  else if( !strcmp(b, "uuid") )
    sqlite3_str_appendall(s, "char(36) CHARACTER SET ascii COLLATE ascii_bin");
  else if( !strcmp(b, "json") || !strcmp(b, "jsonb") )
    sqlite3_str_appendall(s, "json");
  else if( !strcmp(b, "date") )
    sqlite3_str_appendall(s, "date");
  else if( !strcmp(b, "timestamp without time zone") || !strcmp(b, "timestamp with time zone") ||
           !strcmp(b, "timestamp") || !strcmp(b, "timestamptz") )
    sqlite3_str_appendf(s, "datetime(%d)", c->nArg ? c->aArg[0] : 6);
  else if( !strcmp(b, "time without time zone") || !strcmp(b, "time") )
    sqlite3_str_appendf(s, "time(%d)", c->nArg ? c->aArg[0] : 6);
  else
    return PT_DDL_NONE;
  return PT_DDL_OK;
}

static int myDdlFromSqlite(sqlite3_str *s, const pt_ddl_col *c) {
  const char *b = c->zBase;
  if( strstr(b, "int") )
    sqlite3_str_appendall(s, "bigint");
  else if( strstr(b, "char") || strstr(b, "clob") || strstr(b, "text") )
    myDdlText(s, c);
  else if( strstr(b, "blob") )
    sqlite3_str_appendall(s, "longblob");
  else if( strstr(b, "real") || strstr(b, "floa") || strstr(b, "doub") )
    sqlite3_str_appendall(s, "double");
  else if( strstr(b, "bool") )
    sqlite3_str_appendall(s, "tinyint(1)");
  else if( !strcmp(b, "date") )
    sqlite3_str_appendall(s, "date");
  else if( strstr(b, "datetime") || strstr(b, "timestamp") )
    sqlite3_str_appendall(s, "datetime(6)");
  else if( !strcmp(b, "time") )
    sqlite3_str_appendall(s, "time(6)");
  else if( !strcmp(b, "json") )
    sqlite3_str_appendall(s, "json");
  else if( (strstr(b, "decimal") || strstr(b, "numeric")) && c->nArg == 2 && c->aArg[0] <= 65 )
    sqlite3_str_appendf(s, "decimal(%d,%d)", c->aArg[0], c->aArg[1]);
  else
    return PT_DDL_NONE;
  return PT_DDL_OK;
}

/* xDdlType: the column type in MySQL / MariaDB, and its AUTO_INCREMENT. */
static int myDdlType(sqlite3_str *s, const pt_ddl_col *c, char **pzWhy) {
  int rc = PT_DDL_OK;
  if( !strcmp(c->zEngine, "mysql") )
    sqlite3_str_appendall(s, c->zType);
  else if( !strcmp(c->zEngine, "postgresql") )
    rc = myDdlFromPg(s, c, pzWhy);
  else if( !strcmp(c->zEngine, "sqlite") )
    rc = myDdlFromSqlite(s, c);
  else
    rc = PT_DDL_NONE;
  if( rc != PT_DDL_NONE && (c->flags & PT_DDL_IDENTITY) )
    sqlite3_str_appendall(s, " AUTO_INCREMENT");
  return rc;
}

/* change capture and freeze: below, after the dialects */
static int myCaptureTriggers(sqlite3_str *, int, const pt_capture *, int);
static int myFreezeTrigger(sqlite3_str *, int, const pt_capture *, int);

/* Text keys (and uuids, kept as text) in utf8mb4_nopad_bin: code points,
** trailing spaces significant, whatever the column's collation. */
static pt_kind myBinaryKey(sqlite3_str *s, const char *zq, pt_kind k) {
  if( k == PT_K_TEXT || k == PT_K_CHAR || k == PT_K_ENUM || k == PT_K_UUID ) {
    sqlite3_str_appendf(s, "CONVERT(%s USING utf8mb4) COLLATE utf8mb4_nopad_bin", zq);
    return PT_K_TEXT;
  }
  sqlite3_str_appendall(s, zq);
  return k;
}

static void myOrderText(sqlite3_str *s, const char *zExpr) {
  /* MySQL sorts NULLs first ascending */
  sqlite3_str_appendf(s, "CONVERT((%s) USING utf8mb4) COLLATE utf8mb4_nopad_bin", zExpr);
}

#define PT_MYSQL_DIALECT(ARRAY) \
  { \
    .iVersion = 1, .zName = "mysql", .xQuoteIdent = myQuoteIdent, .xSelectExpr = mySelectExpr, \
    .xPushable = myPushable, .xCondition = myCondition, .xOrderable = myOrderable, \
    .xOrderBy = myOrderBy, .xParamExpr = pt_sql_param, .azSession = azMySession, \
    .azReadOnly = azMyReadOnly, .xSpan = mySpan, .xLimit = pt_sql_limit, .xArrayParam = ARRAY, \
    .xUpsert = myUpsert, .xLockRows = myLockRows, .zWarnings = "SHOW WARNINGS", \
    .xWarning = myWarning, .zBeginReadOnly = "START TRANSACTION READ ONLY", \
    .azLedgerType = { "varchar(255)", "longtext", "bigint", "double", "datetime(6)" }, \
    .zSkipLocked = " FOR UPDATE SKIP LOCKED", .xCanonicalText = myCanonicalText, \
    .xHashExpr = myHashExpr, .xDdlType = myDdlType, .xCaptureTriggers = myCaptureTriggers, \
    .xFreezeTrigger = myFreezeTrigger, .xBinaryKey = myBinaryKey, .xOrderText = myOrderText, \
    .zIntDiv = "DIV", .pDdl = &pt_ddl_mysql \
  }

/* The native driver writes an IN list into the text where $$n stands. */
const pt_dialect pt_dialect_mysql = PT_MYSQL_DIALECT(myArrayParam);
/* Drivers that bind each parameter (ODBC): no IN lists. */
const pt_dialect pt_dialect_mysql_params = PT_MYSQL_DIALECT(0);

/* ---- change capture and freeze (migrate/capture.c, docs/capture.md) ---- */

/* The captured table, or one of pontoon's triggers named zPrefix<name>,
** qualified by the table's database when it has one. */
static void myCaptureName(sqlite3_str *s, const pt_capture *c, const char *zPrefix) {
  if( c->zSchema ) {
    myQuoteIdent(s, c->zSchema);
    sqlite3_str_appendchar(s, 1, '.');
  }
  if( !zPrefix ) {
    myQuoteIdent(s, c->zTable);
    return;
  }
  char *z = sqlite3_mprintf("%s%s", zPrefix, c->zName);
  myQuoteIdent(s, z ? z : "");
  sqlite3_free(z);
}

/* INSERT INTO <changes> ... the key of row zRow (NEW, OLD): the label is
** a hex literal, read the same whatever the session's sql_mode. */
static void myCaptureInsert(sqlite3_str *s, const pt_capture *c, const char *zOp,
                            const char *zRow) {
  static const char hex[] = "0123456789ABCDEF";
  sqlite3_str_appendf(s, "INSERT INTO %s (tbl, op, k, at) VALUES (CONVERT(X'", c->zChanges);
  for( const unsigned char *z = (const unsigned char *)c->zLabel; *z; z++ ) {
    sqlite3_str_appendchar(s, 1, hex[*z >> 4]);
    sqlite3_str_appendchar(s, 1, hex[*z & 15]);
  }
  sqlite3_str_appendf(s, "' USING utf8mb4), '%s', JSON_ARRAY(", zOp);
  for( int i = 0; i < c->nKey; i++ ) {
    sqlite3_str_appendf(s, "%s%s.", i ? ", " : "", zRow);
    myQuoteIdent(s, c->azKey[i]);
  }
  sqlite3_str_appendall(s, "), UTC_TIMESTAMP(6))");
}

/* Statement iStmt of installing (drop, create) or removing (drop) the
** three triggers zPrefix{i,u,d}_<name>. */
static const char *const azMyEvent[] = { "INSERT", "UPDATE", "DELETE" };

/* The statement of trigger zPrefix<table> before its body: its DROP (drop
** 1, then returns 1), or "CREATE TRIGGER ... <zWhen> <event> ON t FOR EACH
** ROW " (returns 0). */
static int myTriggerHead(sqlite3_str *s, const pt_capture *c, const char *zPrefix,
                         const char *zWhen, int ev, int drop) {
  if( drop ) {
    sqlite3_str_appendall(s, "DROP TRIGGER IF EXISTS ");
    myCaptureName(s, c, zPrefix);
    return 1;
  }
  sqlite3_str_appendall(s, "CREATE TRIGGER ");
  myCaptureName(s, c, zPrefix);
  sqlite3_str_appendf(s, " %s %s ON ", zWhen, azMyEvent[ev]);
  myCaptureName(s, c, 0);
  sqlite3_str_appendall(s, " FOR EACH ROW ");
  return 0;
}

/*
** xCaptureTriggers: AFTER INSERT, UPDATE and DELETE row triggers
** pontoon_c{i,u,d}_<name> appending the key as a JSON array (the old key
** too when an UPDATE changes it, compared as bytes: a case-only change of
** a _ci key is a new key for the target) to pontoon_changes, whose seq is
** an AUTO_INCREMENT.
*/
static int myCaptureTriggers(sqlite3_str *s, int op, const pt_capture *c, int iStmt) {
  switch( op ) {
    case PT_CAPTURE_TABLES:
      if( iStmt == 0 ) {
        sqlite3_str_appendf(s,
                            "CREATE TABLE IF NOT EXISTS %s (seq bigint NOT NULL AUTO_INCREMENT "
                            "PRIMARY KEY, tbl varchar(255) NOT NULL, op char(1) NOT NULL, "
                            "k longtext NOT NULL, at datetime(6) NOT NULL, "
                            "KEY pontoon_changes_tbl_seq (tbl, seq)) ENGINE=InnoDB "
                            "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
                            c->zChanges);
        return 1;
      }
      if( iStmt == 1 ) {
        sqlite3_str_appendf(s,
                            "CREATE TABLE IF NOT EXISTS %s (tbl varchar(255) NOT NULL PRIMARY "
                            "KEY, key_columns longtext, started datetime(6)) ENGINE=InnoDB "
                            "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
                            c->zCaptures);
        return 1;
      }
      return 0;
    case PT_CAPTURE_INSTALL:
    case PT_CAPTURE_REMOVE: {
      int install = op == PT_CAPTURE_INSTALL;
      int nPer = install ? 2 : 1;
      if( iStmt >= 3 * nPer ) return 0;
      int ev = iStmt / nPer;
      char zPrefix[16];
      sqlite3_snprintf(sizeof zPrefix, zPrefix, "pontoon_c%c_", "iud"[ev]);
      if( myTriggerHead(s, c, zPrefix, "AFTER", ev, iStmt % nPer == 0) ) return 1;
      if( ev == 0 ) {
        myCaptureInsert(s, c, "I", "NEW");
      } else if( ev == 2 ) {
        myCaptureInsert(s, c, "D", "OLD");
      } else {
        sqlite3_str_appendall(s, "BEGIN IF ");
        for( int i = 0; i < c->nKey; i++ ) {
          sqlite3_str_appendall(s, i ? " OR NOT (CAST(OLD." : "NOT (CAST(OLD.");
          myQuoteIdent(s, c->azKey[i]);
          sqlite3_str_appendall(s, " AS BINARY) <=> CAST(NEW.");
          myQuoteIdent(s, c->azKey[i]);
          sqlite3_str_appendall(s, " AS BINARY))");
        }
        sqlite3_str_appendall(s, " THEN ");
        myCaptureInsert(s, c, "D", "OLD");
        sqlite3_str_appendall(s, "; END IF; ");
        myCaptureInsert(s, c, "U", "NEW");
        sqlite3_str_appendall(s, "; END");
      }
      return 1;
    }
    case PT_CAPTURE_DROP_TABLES:
      if( iStmt > 1 ) return 0;
      sqlite3_str_appendf(s, "DROP TABLE IF EXISTS %s", iStmt ? c->zCaptures : c->zChanges);
      return 1;
    case PT_CAPTURE_MISSING: {
      static const char hex[] = "0123456789ABCDEF";
      if( iStmt ) return 0;
      sqlite3_str_appendall(s,
                            "SELECT 3 - count(*) FROM information_schema.triggers WHERE "
                            "trigger_schema = ");
      if( c->zSchema ) {
        sqlite3_str_appendall(s, "CONVERT(X'");
        for( const unsigned char *z = (const unsigned char *)c->zSchema; *z; z++ ) {
          sqlite3_str_appendchar(s, 1, hex[*z >> 4]);
          sqlite3_str_appendchar(s, 1, hex[*z & 15]);
        }
        sqlite3_str_appendall(s, "' USING utf8mb4)");
      } else {
        sqlite3_str_appendall(s, "database()");
      }
      /* zName is [a-z0-9_] */
      sqlite3_str_appendf(
        s, " AND trigger_name IN ('pontoon_ci_%s', 'pontoon_cu_%s', 'pontoon_cd_%s')", c->zName,
        c->zName, c->zName);
      return 1;
    }
    case PT_CAPTURE_DELETE:
      /* ORDER BY seq makes MySQL look the rows up by its primary key even
      ** when its statistics say the table is tiny: a scan would wait on
      ** the rows that open transactions are inserting */
      if( iStmt ) return 0;
      sqlite3_str_appendf(s, "DELETE FROM %s WHERE seq IN (", c->zChanges);
      for( int i = 0; i < c->nSeq; i++ )
        sqlite3_str_appendf(s, "%s%lld", i ? ", " : "", (long long)c->aSeq[i]);
      sqlite3_str_appendf(s, ") ORDER BY seq LIMIT %d", c->nSeq);
      return 1;
    case PT_CAPTURE_LAG:
      if( iStmt ) return 0;
      sqlite3_str_appendall(
        s, "coalesce(TIMESTAMPDIFF(MICROSECOND, min(at), UTC_TIMESTAMP(6)) / 1000000, 0)");
      return 1;
  }
  return 0;
}

/*
** xFreezeTrigger: BEFORE INSERT, UPDATE and DELETE row triggers
** pontoon_f{i,u,d}_<name> that SIGNAL SQLSTATE '45000' with the message
** (at most 128 characters, as MySQL allows; quotes doubled, backslashes
** written as '/', so that the text reads the same in every sql_mode).
** MySQL has no TRUNCATE trigger.
*/
static int myFreezeTrigger(sqlite3_str *s, int freeze, const pt_capture *c, int iStmt) {
  int nPer = freeze ? 2 : 1;
  if( iStmt >= 3 * nPer ) return 0;
  int ev = iStmt / nPer;
  char zPrefix[16];
  sqlite3_snprintf(sizeof zPrefix, zPrefix, "pontoon_f%c_", "iud"[ev]);
  if( myTriggerHead(s, c, zPrefix, "BEFORE", ev, iStmt % nPer == 0) ) return 1;
  sqlite3_str_appendall(s, "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '");
  const char *z = c->zMessage ? c->zMessage : "pontoon: this table is frozen";
  int nChar = 0;
  for( ; *z; z++ ) {
    unsigned char ch = (unsigned char)*z;
    if( (ch & 0xc0) != 0x80 ) nChar++;
    if( nChar > 128 ) break;
    if( ch == '\'' )
      sqlite3_str_appendall(s, "''");
    else if( ch == '\\' )
      sqlite3_str_appendchar(s, 1, '/');
    else
      sqlite3_str_appendchar(s, 1, (char)ch);
  }
  sqlite3_str_appendchar(s, 1, '\'');
  return 1;
}
