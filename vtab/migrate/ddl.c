/*
** ddl.c — pontoon_ddl: the statements that create a table on another
** engine, written from the source's own catalog (docs/ddl.md).
**
**   SELECT pontoon_exec('new', pontoon_ddl('old.users', 'postgresql'));
**   ... pontoon_copy ...
**   SELECT pontoon_exec('new', pontoon_ddl('old.users', 'postgresql', 'indexes'));
**
** The source is a pontoon table, or a local SQLite table, of an engine
** whose dialect has DDL members (dialect.h, pt_ddl_dialect): its columns,
** defaults, identity, key, indexes and constraints are read with that
** dialect's catalog queries on the end's own connection, names and values
** as parameters.  Each column's type is the target dialect's xDdlType: the
** casting rules; the rest of what differs between engines (literals,
** defaults, collations, key lengths, index prefixes, constraints,
** sequences) is the target's pDdl.  No engine is named here.  The result
** is text: statements separated by ";\n", each perhaps preceded by a
** comment saying what was not translated.
**
** Rationale: pontoon_ddl reaches servers, so it is SQLITE_DIRECTONLY.  It
** writes nothing; the statements are the user's to read and run.
*/
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "migrate.h"

/* A source column as its catalog describes it. */
typedef struct ddl_col {
  char *zName;
  char *zType; /* the engine's full type name */
  char *zDefault; /* the default's SQL, or NULL */
  char *zColl; /* the collation when not the default, or NULL */
  int notNull;
  int ident; /* identity, serial, auto_increment, SQLite's INTEGER PRIMARY KEY */
  int iKey; /* 1-based position in the primary key, 0 */
  int ci; /* compares ignoring case */
  pt_kind kind;
} ddl_col;

/* What pontoon_ddl works on: the source, the target, the output. */
typedef struct ddl_ctx {
  pt_end e;
  const char *zEngine; /* the source's engine */
  const pt_ddl_dialect *pFrom; /* its DDL members */
  const pt_dialect *pTo; /* the target's */
  int same; /* source and target are the same engine */
  char *zSchema; /* the source table's schema (NULL: default), or a local one's database */
  char *zTable; /* its name on its engine */
  char *zTarget; /* the target table, quoted for the target */
  char *zHandle; /* what the source's zTable query answered, or NULL */
  int nCol;
  ddl_col *aCol;
  char *zCast; /* cast= */
  sqlite3_str *pOut; /* the statements */
  sqlite3_str *pNote; /* comments for the next statement */
  int nStmt;
  char *zErr;
} ddl_ctx;

/* ---- output ---- */

/* A comment for the next statement. */
static void ddl_note(ddl_ctx *x, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  char *z = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if( !x->pNote ) x->pNote = sqlite3_str_new(0);
  /* no comment may end early: a "*" "/" inside is broken */
  sqlite3_str_appendall(x->pNote, "/* pontoon_ddl: ");
  for( const char *p = z; p && *p; p++ ) {
    sqlite3_str_appendchar(x->pNote, 1, *p);
    if( p[0] == '*' && p[1] == '/' ) sqlite3_str_appendchar(x->pNote, 1, ' ');
  }
  sqlite3_str_appendall(x->pNote, " */\n");
  sqlite3_free(z);
}

/* Append statement zStmt (taken), after the pending comments. */
static void ddl_stmt(ddl_ctx *x, char *zStmt) {
  if( x->nStmt++ ) sqlite3_str_appendall(x->pOut, ";\n");
  if( x->pNote ) {
    char *z = sqlite3_str_finish(x->pNote);
    x->pNote = 0;
    sqlite3_str_appendall(x->pOut, z ? z : "");
    sqlite3_free(z);
  }
  sqlite3_str_appendall(x->pOut, zStmt ? zStmt : "");
  sqlite3_free(zStmt);
}

static char *ddl_ident(ddl_ctx *x, const char *zName) {
  return pt_deparse_ident(x->pTo, zName ? zName : "");
}

/* Append a string literal for the target engine. */
static void ddl_literal(ddl_ctx *x, sqlite3_str *s, const char *z, int n) {
  pt_ddl_literal(s, z, n, x->pTo->pDdl->backslash);
}

/* ---- reading the catalog ---- */

/* Text of a column of the current row, copied. */
static char *row_text(pt_end_rows *q, int i) {
  pt_value v;
  pt_end_rows_column(q, i, &v);
  if( v.type == PT_V_NULL ) return 0;
  if( v.type == PT_V_INT ) return sqlite3_mprintf("%lld", (long long)v.i);
  return pt_strndup(v.p ? v.p : "", v.n);
}

static int64_t row_int(pt_end_rows *q, int i) {
  pt_value v;
  pt_end_rows_column(q, i, &v);
  if( v.type == PT_V_INT ) return v.i;
  if( v.type == PT_V_TEXT || v.type == PT_V_DECIMAL ) {
    char b[32];
    int n = v.n < 31 ? v.n : 31;
    memcpy(b, v.p, (size_t)n);
    b[n] = 0;
    if( b[0] == 't' ) return 1;
    return strtoll(b, 0, 10);
  }
  return 0;
}

/*
** Run a catalog query on the source, its columns of kinds aKind[nCol];
** xRow is called per row.  Its SQL names parameters $1 (the schema), $2
** (the table) and $3 (the handle) as pt_ddl_dialect says, or none; only
** those it names are sent, numbered in the order they first appear (a
** server may refuse a parameter a statement does not use).  withParams
** 0: the text has none (a name quoted in it may hold "$1").
*/
static int ddl_query_text(ddl_ctx *x, const char *zSql, int withParams, int nCol,
                          const pt_kind *aKind, int (*xRow)(ddl_ctx *, pt_end_rows *, void *),
                          void *pArg) {
  const char *azArg[3] = { x->zSchema, x->zTable, x->zHandle };
  int aSent[3] = { 0, 0, 0 }; /* 1-based number sent for $1..$3, or 0 */
  pt_param aP[3];
  int nParam = 0;
  pt_sql q;
  pt_stmt st;
  memset(&st, 0, sizeof(st));
  memset(aP, 0, sizeof(aP));
  pt_end_sql(&x->e, &q);
  /* the statement's text: "$n" placeholders as the end's driver writes them */
  for( const char *z = zSql; *z; z++ ) {
    if( withParams && z[0] == '$' && z[1] >= '1' && z[1] <= '3' ) {
      int i = z[1] - '1';
      if( !aSent[i] ) {
        aSent[i] = ++nParam;
        aP[nParam - 1].z = azArg[i];
        aP[nParam - 1].n = azArg[i] ? (int)strlen(azArg[i]) : 0;
        aP[nParam - 1].kind = PT_K_TEXT;
      }
      pt_sql_place(&q, aSent[i], 0);
      z++;
    } else {
      sqlite3_str_appendchar(q.pStr, 1, *z);
    }
  }
  int rc = pt_sql_finish(&q, &st);
  pt_end_rows *r = 0;
  char *zErr = 0;
  if( rc == SQLITE_OK ) rc = pt_end_query(&x->e, &st, nParam, aP, nCol, aKind, &r, &zErr);
  while( rc == SQLITE_OK ) {
    int s = pt_end_rows_next(r, &zErr);
    if( s == SQLITE_DONE ) break;
    if( s != SQLITE_ROW ) {
      rc = s;
      break;
    }
    rc = xRow(x, r, pArg);
  }
  pt_end_rows_close(r);
  pt_stmt_clear(&st);
  if( rc != SQLITE_OK && !x->zErr )
    x->zErr = pt_end_error(&x->e, "catalog", zErr);
  else
    sqlite3_free(zErr);
  return rc;
}

static int ddl_query(ddl_ctx *x, const char *zSql, int nCol, const pt_kind *aKind,
                     int (*xRow)(ddl_ctx *, pt_end_rows *, void *), void *pArg) {
  return ddl_query_text(x, zSql, 1, nCol, aKind, xRow, pArg);
}

static int col_row(ddl_ctx *x, pt_end_rows *q, void *pArg) {
  (void)pArg;
  ddl_col *a = sqlite3_realloc64(x->aCol, sizeof(ddl_col) * (x->nCol + 1));
  if( !a ) return SQLITE_NOMEM;
  x->aCol = a;
  ddl_col *c = &a[x->nCol++];
  memset(c, 0, sizeof(*c));
  c->zName = row_text(q, 0);
  c->zType = row_text(q, 1);
  c->notNull = (int)row_int(q, 2);
  c->zDefault = row_text(q, 3);
  c->ident = (int)row_int(q, 4);
  c->iKey = (int)row_int(q, 5);
  c->zColl = row_text(q, 6);
  c->ci = (int)row_int(q, 7);
  if( !c->zName || !c->zType ) return SQLITE_NOMEM;
  int i = pt_end_find_col(&x->e, c->zName);
  c->kind = i >= 0 ? x->e.aKind[i] : PT_K_OTHER;
  return SQLITE_OK;
}

static int handle_row(ddl_ctx *x, pt_end_rows *q, void *pArg) {
  (void)pArg;
  sqlite3_free(x->zHandle);
  x->zHandle = row_text(q, 0);
  return SQLITE_OK;
}

static const pt_kind aColKind[8] = { PT_K_TEXT, PT_K_TEXT, PT_K_INT,  PT_K_TEXT,
                                     PT_K_INT,  PT_K_INT,  PT_K_TEXT, PT_K_INT };

/* The columns of the source table, from its engine's catalog. */
static int ddl_read_columns(ddl_ctx *x) {
  int rc = SQLITE_OK;
  if( x->pFrom->zTable ) {
    static const pt_kind aText[1] = { PT_K_TEXT };
    rc = ddl_query(x, x->pFrom->zTable, 1, aText, handle_row, 0);
    if( rc == SQLITE_OK && !x->zHandle ) {
      x->zErr = sqlite3_mprintf("table %s: not found in the catalog", x->e.zLabel);
      return SQLITE_ERROR;
    }
  }
  if( rc == SQLITE_OK ) rc = ddl_query(x, x->pFrom->zColumns, 8, aColKind, col_row, 0);
  if( rc == SQLITE_OK && x->nCol == 0 ) {
    x->zErr = sqlite3_mprintf("table %s: no columns in the catalog", x->e.zLabel);
    rc = SQLITE_ERROR;
  }
  return rc;
}

/* ---- casting ---- */

/* Split type name z as pt_ddl_col says (base, numbers, unsigned, array). */
static void ddl_parse_type(const char *z, pt_ddl_col *t) {
  int n = 0;
  t->nArg = 0;
  t->zArgs = 0;
  t->nArgs = 0;
  t->isUnsigned = strstr(z, "unsigned") != 0 || strstr(z, "UNSIGNED") != 0;
  t->isArray = strstr(z, "[]") != 0;
  const char *p = z;
  while( *p && *p != '(' && *p != '[' && n < 63 ) {
    char ch = *p++;
    t->zBase[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  }
  while( n > 0 && t->zBase[n - 1] == ' ' ) n--;
  t->zBase[n] = 0;
  if( *p == '(' ) {
    /* the text to the matching ')', quotes respected */
    const char *q = p + 1;
    int depth = 1;
    char inq = 0;
    for( ; *q; q++ ) {
      if( inq ) {
        if( *q == inq ) inq = q[1] == inq ? (q++, inq) : 0;
      } else if( *q == '\'' || *q == '"' ) {
        inq = *q;
      } else if( *q == '(' ) {
        depth++;
      } else if( *q == ')' && --depth == 0 ) {
        break;
      }
    }
    t->zArgs = p + 1;
    t->nArgs = (int)(q - p - 1);
    char *zEnd = 0;
    const char *a = p + 1;
    for( int i = 0; i < 2; i++ ) {
      long v = strtol(a, &zEnd, 10);
      if( zEnd == a ) break;
      t->aArg[t->nArg++] = (int)v;
      while( *zEnd == ' ' ) zEnd++;
      if( *zEnd != ',' ) break;
      a = zEnd + 1;
    }
    /* "timestamp(3) with time zone": the words after the numbers */
    if( *q == ')' && strncmp(q + 1, " with", 5) == 0 && n + (int)strlen(q + 1) < 63 ) {
      for( const char *w = q + 1; *w; w++ ) t->zBase[n++] = *w;
      t->zBase[n] = 0;
    } else if( *q == ')' && strncmp(q + 1, " without", 8) == 0 && n + (int)strlen(q + 1) < 63 ) {
      for( const char *w = q + 1; *w; w++ ) t->zBase[n++] = *w;
      t->zBase[n] = 0;
    }
  }
  /* MySQL's "int(10) unsigned zerofill": the base stops at the '(' */
  char *sp = strstr(t->zBase, " unsigned");
  if( sp ) *sp = 0;
}

/* The target type that cast= gives type zType (full name or base), or
** NULL; *pn its length. */
static const char *ddl_cast_lookup(const char *zCast, const char *zType, const char *zBase,
                                   int *pn) {
  const char *p = zCast;
  while( p && *p ) {
    /* one rule: to the next ',' outside parentheses and quotes */
    const char *e = p;
    int depth = 0;
    char inq = 0;
    for( ; *e; e++ ) {
      if( inq ) {
        if( *e == inq ) inq = 0;
      } else if( *e == '\'' ) {
        inq = *e;
      } else if( *e == '(' ) {
        depth++;
      } else if( *e == ')' ) {
        depth--;
      } else if( *e == ',' && depth <= 0 ) {
        break;
      }
    }
    const char *eq = 0;
    depth = 0;
    for( const char *q = p; q < e; q++ ) {
      if( *q == '(' ) depth++;
      if( *q == ')' ) depth--;
      if( *q == '=' && depth == 0 ) {
        eq = q;
        break;
      }
    }
    if( eq ) {
      const char *k = p, *ke = eq;
      while( k < ke && *k == ' ' ) k++;
      while( ke > k && ke[-1] == ' ' ) ke--;
      int nk = (int)(ke - k);
      if( ((int)strlen(zType) == nk && sqlite3_strnicmp(k, zType, nk) == 0) ||
          ((int)strlen(zBase) == nk && sqlite3_strnicmp(k, zBase, nk) == 0) ) {
        const char *v = eq + 1, *ve = e;
        while( v < ve && *v == ' ' ) v++;
        while( ve > v && ve[-1] == ' ' ) ve--;
        *pn = (int)(ve - v);
        return v;
      }
    }
    p = *e ? e + 1 : e;
  }
  return 0;
}

/* Column c as the target dialect's members see it. */
static void ddl_describe(ddl_ctx *x, const ddl_col *c, const char *zQuoted, int nKeyText,
                         pt_ddl_col *t) {
  memset(t, 0, sizeof(*t));
  t->zEngine = x->zEngine;
  t->zType = c->zType;
  ddl_parse_type(c->zType, t);
  t->kind = c->kind;
  t->zQuoted = zQuoted;
  t->flags =
    (c->ident ? PT_DDL_IDENTITY : 0) | (c->iKey ? PT_DDL_KEY : 0) | (c->ci ? PT_DDL_CI : 0);
  t->nKeyText = nKeyText;
}

/* Append column c's type for the target; SQLITE_ERROR names the column
** when no rule translates it, or its rule would lose data. */
static int ddl_type(ddl_ctx *x, sqlite3_str *s, ddl_col *c, const char *zQuoted, int nKeyText) {
  pt_ddl_col t;
  ddl_describe(x, c, zQuoted, nKeyText, &t);
  int nCast = 0;
  const char *zCast = ddl_cast_lookup(x->zCast, c->zType, t.zBase, &nCast);
  if( zCast ) {
    sqlite3_str_appendf(s, "%.*s", nCast, zCast);
    return SQLITE_OK;
  }
  if( !x->pTo->xDdlType ) {
    x->zErr = sqlite3_mprintf("the %s engine has no casting rules", x->pTo->zName);
    return SQLITE_ERROR;
  }
  char *zWhy = 0;
  sqlite3_str *s2 = sqlite3_str_new(0);
  int r = x->pTo->xDdlType(s2, &t, &zWhy);
  int oom = sqlite3_str_errcode(s2) != SQLITE_OK;
  char *zT = sqlite3_str_finish(s2); /* NULL when empty: no declared type */
  if( r == PT_DDL_OK ) {
    sqlite3_str_appendall(s, zT ? zT : "");
    if( zWhy ) ddl_note(x, "%s", zWhy);
  } else if( r == PT_DDL_LOSSY ) {
    x->zErr = sqlite3_mprintf(
      "column %s: %s; to accept it, say so: cast='%s=%s' (or another type for %s)", c->zName,
      zWhy ? zWhy : "values would be lost", c->zType, zT ? zT : "", x->pTo->zName);
  } else {
    x->zErr = sqlite3_mprintf("column %s: no rule turns %s %s into a %s type: give one with "
                              "cast='%s=<type>'",
                              c->zName, x->zEngine, c->zType, x->pTo->zName, c->zType);
  }
  sqlite3_free(zT);
  sqlite3_free(zWhy);
  if( r != PT_DDL_OK ) return SQLITE_ERROR;
  return oom ? SQLITE_NOMEM : SQLITE_OK;
}

/* Skip the SQL string literal at z ('...' with '' inside); its end. */
static const char *skip_literal(const char *z) {
  for( z++; *z; z++ ) {
    if( *z == '\'' ) {
      if( z[1] != '\'' ) return z + 1;
      z++;
    } else if( *z == '\\' && z[1] ) {
      z++;
    }
  }
  return 0;
}

/* Append column c's default translated for the target ("" when none),
** or note why it is left out. */
static void ddl_default(ddl_ctx *x, sqlite3_str *s, ddl_col *c, const char *zTarget) {
  const char *z = c->zDefault;
  if( !z || c->ident ) return;
  int n = (int)strlen(z);
  for( ;; ) {
    while( *z == ' ' ) z++, n--;
    while( n > 0 && z[n - 1] == ' ' ) n--;
    if( n < 2 || z[0] != '(' || z[n - 1] != ')' ) break;
    z++; /* PostgreSQL's (-1) */
    n -= 2;
  }
  if( n <= 0 || (n == 4 && sqlite3_strnicmp(z, "NULL", 4) == 0) ||
      sqlite3_strnicmp(z, "NULL::", 6) == 0 )
    return;
  const pt_ddl_dialect *to = x->pTo->pDdl;
  int isBool = to->zBoolType && strcmp(zTarget, to->zBoolType) == 0;
  /* a number */
  int i = z[0] == '-' || z[0] == '+' ? 1 : 0, digits = 0, dots = 0;
  for( ; i < n; i++ ) {
    if( z[i] >= '0' && z[i] <= '9' )
      digits++;
    else if( z[i] == '.' )
      dots++;
    else
      break;
  }
  if( i == n && digits > 0 && dots <= 1 ) {
    if( isBool && (n == 1 && (z[0] == '0' || z[0] == '1')) )
      sqlite3_str_appendf(s, " DEFAULT %s", z[0] == '1' ? "true" : "false");
    else if( isBool )
      ddl_note(x, "the default %.*s of column %s is not a boolean: left out", n, z, c->zName);
    else
      sqlite3_str_appendf(s, " DEFAULT %.*s", n, z);
    return;
  }
  /* true / false */
  if( (n == 4 && sqlite3_strnicmp(z, "true", 4) == 0) ||
      (n == 5 && sqlite3_strnicmp(z, "false", 5) == 0) ) {
    if( to->zBoolType )
      sqlite3_str_appendf(s, " DEFAULT %.*s", n, z);
    else
      sqlite3_str_appendf(s, " DEFAULT %d", z[0] == 't' || z[0] == 'T');
    return;
  }
  /* the current time */
  if( sqlite3_strnicmp(z, "current_timestamp", 17) == 0 || sqlite3_strnicmp(z, "now()", 5) == 0 ||
      sqlite3_strnicmp(z, "localtimestamp", 14) == 0 ) {
    const char *pPrec = strchr(zTarget, '(');
    if( to->nowPrecision && pPrec && pPrec[1] >= '1' && pPrec[1] <= '6' )
      sqlite3_str_appendf(s, " DEFAULT CURRENT_TIMESTAMP(%c)", pPrec[1]);
    else
      sqlite3_str_appendall(s, " DEFAULT CURRENT_TIMESTAMP");
    return;
  }
  /* a string: 'text' or 'text'::type (PostgreSQL) */
  if( z[0] == '\'' ) {
    const char *e = skip_literal(z);
    if( e && (e - z == n || (e[0] == ':' && e[1] == ':')) ) {
      /* the value, unescaped */
      sqlite3_str *v = sqlite3_str_new(0);
      int bs = x->pFrom->backslash;
      for( const char *p = z + 1; p < e - 1; p++ ) {
        if( *p == '\'' && p[1] == '\'' )
          p++;
        else if( bs && *p == '\\' && p + 1 < e - 1 )
          p++;
        sqlite3_str_appendchar(v, 1, *p);
      }
      int nv = sqlite3_str_length(v);
      char *zv = sqlite3_str_finish(v);
      if( zv && (strncmp(zv, "0000-00-00", 10) == 0) && !to->zeroDates ) {
        ddl_note(x, "the zero date default '%s' of column %s has no equivalent: left out", zv,
                 c->zName);
      } else if( zv && isBool && nv == 1 && (zv[0] == '0' || zv[0] == '1') ) {
        sqlite3_str_appendf(s, " DEFAULT %s", zv[0] == '1' ? "true" : "false");
      } else if( zv ) {
        sqlite3_str_appendall(s, " DEFAULT ");
        ddl_literal(x, s, zv, nv);
      }
      sqlite3_free(zv);
      return;
    }
  }
  /* a string default without its quotes (MySQL 8) */
  if( x->pFrom->bareTextDefault && (c->kind == PT_K_TEXT || c->kind == PT_K_ENUM) &&
      !strchr(z, '(') ) {
    sqlite3_str_appendall(s, " DEFAULT ");
    ddl_literal(x, s, z, (int)strlen(z));
    return;
  }
  ddl_note(x, "the default of column %s is not translated: %s", c->zName, c->zDefault);
}

/* ---- what= table ---- */

static int ddl_table(ddl_ctx *x) {
  const pt_ddl_dialect *to = x->pTo->pDdl;
  int nKey = 0, nKeyText = 0;
  for( int i = 0; i < x->nCol; i++ ) {
    if( !x->aCol[i].iKey ) continue;
    nKey++;
    pt_kind k = x->aCol[i].kind;
    if( k == PT_K_TEXT || k == PT_K_CHAR || k == PT_K_ENUM || k == PT_K_OTHER ) nKeyText++;
  }
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendf(s, "CREATE TABLE %s (", x->zTarget);
  int rc = SQLITE_OK;
  for( int i = 0; rc == SQLITE_OK && i < x->nCol; i++ ) {
    ddl_col *c = &x->aCol[i];
    char *zq = ddl_ident(x, c->zName);
    if( !zq ) {
      rc = SQLITE_NOMEM;
      break;
    }
    sqlite3_str_appendf(s, "%s\n  %s", i ? "," : "", zq);
    sqlite3_str *sT = sqlite3_str_new(0);
    rc = ddl_type(x, sT, c, zq, nKeyText);
    char *zT = sqlite3_str_finish(sT); /* NULL: no type (SQLite) */
    if( zT && zT[0] ) sqlite3_str_appendf(s, " %s", zT);
    if( rc == SQLITE_OK ) {
      if( c->notNull && !c->iKey ) sqlite3_str_appendall(s, " NOT NULL");
      ddl_default(x, s, c, zT ? zT : "");
    }
    sqlite3_free(zT);
    if( rc == SQLITE_OK ) {
      /* the collation; a note when a key compared ignoring case */
      pt_ddl_col t;
      ddl_describe(x, c, zq, nKeyText, &t);
      int kept = to->xCollate ? to->xCollate(s, &t, c->zColl) : 0;
      if( !kept && c->iKey && c->ci && x->pFrom->xCiNote ) {
        char *zNote = x->pFrom->xCiNote(c->zName, c->zColl, x->pTo->zName);
        if( !zNote ) rc = SQLITE_NOMEM;
        ddl_note(x, "%s", zNote ? zNote : "");
        sqlite3_free(zNote);
      }
    }
    sqlite3_free(zq);
  }
  if( rc == SQLITE_OK && nKey ) {
    sqlite3_str_appendall(s, ",\n  PRIMARY KEY (");
    for( int k = 1, n = 0; k <= nKey; k++ ) {
      for( int i = 0; i < x->nCol; i++ ) {
        if( x->aCol[i].iKey != k ) continue;
        char *zq = ddl_ident(x, x->aCol[i].zName);
        sqlite3_str_appendf(s, "%s%s", n++ ? ", " : "", zq ? zq : "");
        sqlite3_free(zq);
      }
    }
    sqlite3_str_appendall(s, ")");
  }
  sqlite3_str_appendall(s, "\n)");
  char *z = sqlite3_str_finish(s);
  if( rc == SQLITE_OK && !z ) rc = SQLITE_NOMEM;
  if( rc == SQLITE_OK )
    ddl_stmt(x, z);
  else
    sqlite3_free(z);
  return rc;
}

/* A text key column on a target whose index holds nKeyChars characters
** becomes varchar(n) (xDdlType): say so when the source holds longer
** values. */
static int len_row(ddl_ctx *x, pt_end_rows *q, void *pArg) {
  (void)x;
  *(int64_t *)pArg = row_int(q, 0);
  return SQLITE_OK;
}

static int ddl_key_lengths(ddl_ctx *x) {
  const pt_ddl_dialect *to = x->pTo->pDdl;
  if( !to->nKeyChars || x->same ) return SQLITE_OK;
  int nKeyText = 0;
  for( int i = 0; i < x->nCol; i++ ) {
    pt_kind k = x->aCol[i].kind;
    if( x->aCol[i].iKey && (k == PT_K_TEXT || k == PT_K_CHAR || k == PT_K_ENUM || k == PT_K_OTHER) )
      nKeyText++;
  }
  if( nKeyText == 0 ) return SQLITE_OK;
  int nMax = to->nKeyChars / nKeyText;
  char *zFrom = pt_end_table_sql(&x->e);
  int rc = zFrom ? SQLITE_OK : SQLITE_NOMEM;
  for( int i = 0; rc == SQLITE_OK && i < x->nCol; i++ ) {
    ddl_col *c = &x->aCol[i];
    pt_kind k = c->kind;
    if( !c->iKey || !(k == PT_K_TEXT || k == PT_K_CHAR || k == PT_K_ENUM || k == PT_K_OTHER) )
      continue;
    char *zq = pt_end_ident(&x->e, c->zName);
    char *zSql =
      zq ? sqlite3_mprintf("SELECT max(%s(%s)) FROM %s", x->pFrom->zCharLength, zq, zFrom) : 0;
    int64_t nLong = 0;
    static const pt_kind aInt[1] = { PT_K_INT };
    rc = zSql ? ddl_query_text(x, zSql, 0, 1, aInt, len_row, &nLong) : SQLITE_NOMEM;
    if( rc == SQLITE_OK && nLong > nMax )
      ddl_note(x,
               "key column %s holds values of up to %lld characters, more than the %d a %s "
               "key of %d text column%s can index: those rows will be refused; give a shorter "
               "key or another cast=",
               c->zName, (long long)nLong, nMax, to->zTitle, nKeyText, nKeyText > 1 ? "s" : "");
    sqlite3_free(zSql);
    sqlite3_free(zq);
  }
  sqlite3_free(zFrom);
  return rc;
}

/* ---- what= indexes and constraints ---- */

/* One index or constraint being gathered from catalog rows. */
typedef struct ddl_obj {
  char *zName;
  int kind; /* 'i' index, 'u' unique index, 'U' unique constraint, 'f', 'c' */
  int skip; /* not translatable (its note written) */
  sqlite3_str *pCols; /* quoted columns, ", "-separated */
  sqlite3_str *pRef; /* referenced columns */
  char *zRefTable;
  char *zDef; /* a check's text; ON clauses of a foreign key */
} ddl_obj;

static void obj_clear(ddl_obj *o) {
  sqlite3_free(o->zName);
  sqlite3_free(sqlite3_str_finish(o->pCols));
  sqlite3_free(sqlite3_str_finish(o->pRef));
  sqlite3_free(o->zRefTable);
  sqlite3_free(o->zDef);
  memset(o, 0, sizeof(*o));
}

/* 1 if the target quotes names with double quotes. */
static int ddl_target_dq(ddl_ctx *x) {
  char *zq = ddl_ident(x, "x");
  int r = zq && zq[0] == '"';
  sqlite3_free(zq);
  return r;
}

/* Rewrite a check written in the source's SQL for the target: names in
** the source's quotes (cCheckQuote) quoted for the target; NULL when it
** cannot be trusted (a piece only the source reads, or a double-quoted
** name the target would read otherwise). */
static char *ddl_check_text(ddl_ctx *x, const char *z) {
  if( x->same ) return pt_strdup(z);
  for( const char *const *az = x->pFrom->azCheckOwn; az && *az; az++ )
    if( strstr(z, *az) ) return 0;
  if( strchr(z, '"') && !ddl_target_dq(x) ) return 0;
  char cq = x->pFrom->cCheckQuote;
  sqlite3_str *s = sqlite3_str_new(0);
  for( const char *p = z; *p; ) {
    if( *p == '\'' ) {
      const char *e = skip_literal(p);
      if( !e ) break;
      sqlite3_str_append(s, p, (int)(e - p));
      p = e;
    } else if( cq && *p == cq ) {
      const char *e = strchr(p + 1, cq);
      if( !e ) break;
      char *zName = pt_strndup(p + 1, (int)(e - p - 1));
      char *zq = ddl_ident(x, zName);
      sqlite3_str_appendall(s, zq ? zq : "");
      sqlite3_free(zq);
      sqlite3_free(zName);
      p = e + 1;
    } else {
      sqlite3_str_appendchar(s, 1, *p++);
    }
  }
  return sqlite3_str_finish(s);
}

/* Write object o as a statement (or a note). */
static void obj_emit(ddl_ctx *x, ddl_obj *o) {
  if( !o->zName ) return;
  char *zn = ddl_ident(x, o->zName);
  char *zCols = sqlite3_str_finish(o->pCols);
  o->pCols = 0;
  const pt_ddl_dialect *to = x->pTo->pDdl;
  if( o->skip ) {
    /* its note is written */
  } else if( o->kind == 'i' || o->kind == 'u' || (o->kind == 'U' && to->noAddConstraint) ) {
    ddl_stmt(x,
             sqlite3_mprintf("CREATE %sINDEX %s ON %s (%s)", o->kind == 'i' ? "" : "UNIQUE ", zn,
                             x->zTarget, zCols ? zCols : ""));
  } else if( o->kind == 'U' ) {
    ddl_stmt(x,
             sqlite3_mprintf("ALTER TABLE %s ADD CONSTRAINT %s UNIQUE (%s)", x->zTarget, zn,
                             zCols ? zCols : ""));
  } else if( to->noAddConstraint ) {
    ddl_note(x, "%s %s is not translated: %s cannot add it to an existing table",
             o->kind == 'f' ? "foreign key" : "check", o->zName, to->zTitle);
  } else if( o->kind == 'f' ) {
    char *zRef = sqlite3_str_finish(o->pRef);
    o->pRef = 0;
    char *zt = ddl_ident(x, o->zRefTable);
    ddl_stmt(x,
             sqlite3_mprintf(
               "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s)%s", x->zTarget,
               zn, zCols ? zCols : "", zt ? zt : "", zRef ? zRef : "", o->zDef ? o->zDef : ""));
    sqlite3_free(zt);
    sqlite3_free(zRef);
  } else if( o->kind == 'c' ) {
    char *zc = ddl_check_text(x, o->zDef ? o->zDef : "");
    if( zc ) {
      ddl_stmt(x,
               sqlite3_mprintf("ALTER TABLE %s ADD CONSTRAINT %s %s%s%s", x->zTarget, zn,
                               strncmp(zc, "CHECK", 5) ? "CHECK (" : "", zc,
                               strncmp(zc, "CHECK", 5) ? ")" : ""));
    } else {
      ddl_note(x, "check %s is not translated: %s", o->zName, o->zDef ? o->zDef : "");
    }
    sqlite3_free(zc);
  }
  sqlite3_free(zn);
  sqlite3_free(zCols);
  obj_clear(o);
}

/* The ON DELETE / ON UPDATE clauses of a foreign key, from the catalog's
** words (NO ACTION and others: nothing). */
static char *fk_actions(const char *zUpd, const char *zDel) {
  sqlite3_str *s = sqlite3_str_new(0);
  const char *az[2] = { zDel, zUpd };
  for( int i = 0; i < 2; i++ ) {
    const char *z = az[i];
    if( !z ) continue;
    const char *w = 0;
    if( !sqlite3_stricmp(z, "CASCADE") )
      w = "CASCADE";
    else if( !sqlite3_stricmp(z, "SET NULL") )
      w = "SET NULL";
    else if( !sqlite3_stricmp(z, "SET DEFAULT") )
      w = "SET DEFAULT";
    else if( !sqlite3_stricmp(z, "RESTRICT") )
      w = "RESTRICT";
    if( w ) sqlite3_str_appendf(s, " ON %s %s", i ? "UPDATE" : "DELETE", w);
  }
  return sqlite3_str_finish(s);
}

/* The prefix by which the target indexes column zCol (its xIndexPrefix
** of the column's target type), or 0: the whole value. */
static int ddl_index_prefix(ddl_ctx *x, const char *zCol) {
  int (*xPrefix)(const char *) = x->pTo->pDdl->xIndexPrefix;
  if( !xPrefix ) return 0;
  for( int i = 0; i < x->nCol; i++ ) {
    if( strcmp(x->aCol[i].zName, zCol) ) continue;
    sqlite3_str *s = sqlite3_str_new(0);
    if( ddl_type(x, s, &x->aCol[i], "", 0) != SQLITE_OK ) {
      sqlite3_free(x->zErr);
      x->zErr = 0;
    }
    char *z = sqlite3_str_finish(s);
    int r = z ? xPrefix(z) : 0;
    sqlite3_free(z);
    return r;
  }
  return 0;
}

/* Rows: name, kind, column, referenced table, referenced column,
** update rule, delete rule, definition, untranslatable (a reason). */
static int obj_row(ddl_ctx *x, pt_end_rows *q, void *pArg) {
  ddl_obj *o = pArg;
  char *zName = row_text(q, 0);
  char *zKind = row_text(q, 1);
  if( !zName || !zKind ) {
    sqlite3_free(zName);
    sqlite3_free(zKind);
    return SQLITE_NOMEM;
  }
  if( !o->zName || strcmp(o->zName, zName) != 0 || o->kind != zKind[0] ) {
    obj_emit(x, o);
    o->zName = zName;
    zName = 0;
    o->kind = zKind[0];
    o->pCols = sqlite3_str_new(0);
    o->pRef = sqlite3_str_new(0);
    o->zRefTable = row_text(q, 3);
    char *zUpd = row_text(q, 5), *zDel = row_text(q, 6);
    o->zDef = o->kind == 'c' ? row_text(q, 7) : fk_actions(zUpd, zDel);
    sqlite3_free(zUpd);
    sqlite3_free(zDel);
    char *zWhy = row_text(q, 8);
    if( zWhy ) {
      ddl_note(x, "%s %s is not translated: %s",
               o->kind == 'i' || o->kind == 'u' ? "index" : "constraint", o->zName, zWhy);
      o->skip = 1;
    }
    sqlite3_free(zWhy);
  }
  sqlite3_free(zName);
  sqlite3_free(zKind);
  char *zCol = row_text(q, 2);
  if( zCol ) {
    char *zq = ddl_ident(x, zCol);
    sqlite3_str_appendf(o->pCols, "%s%s", sqlite3_str_length(o->pCols) ? ", " : "", zq ? zq : "");
    /* a target that indexes a long column by a prefix only (between two
    ** tables of one engine the type is the source's: no prefix is added) */
    int nPrefix = x->same ? 0 : ddl_index_prefix(x, zCol);
    if( nPrefix > 0 && o->kind == 'i' ) {
      sqlite3_str_appendf(o->pCols, "(%d)", nPrefix);
    } else if( nPrefix > 0 && o->kind != 'f' ) {
      ddl_note(x,
               "%s: %s indexes text column %s by its first %d characters only, "
               "so values equal there collide",
               o->zName, x->pTo->pDdl->zTitle, zCol, nPrefix);
      sqlite3_str_appendf(o->pCols, "(%d)", nPrefix);
    }
    sqlite3_free(zq);
  }
  sqlite3_free(zCol);
  char *zRef = row_text(q, 4);
  if( zRef ) {
    char *zq = ddl_ident(x, zRef);
    sqlite3_str_appendf(o->pRef, "%s%s", sqlite3_str_length(o->pRef) ? ", " : "", zq ? zq : "");
    sqlite3_free(zq);
  }
  sqlite3_free(zRef);
  return SQLITE_OK;
}

static const pt_kind aObjKind[9] = { PT_K_TEXT, PT_K_TEXT, PT_K_TEXT, PT_K_TEXT, PT_K_TEXT,
                                     PT_K_TEXT, PT_K_TEXT, PT_K_TEXT, PT_K_TEXT };

/* Indexes (constraints 0) or unique, foreign key and check constraints,
** from the source's catalog queries in turn. */
static int ddl_objects(ddl_ctx *x, int constraints) {
  ddl_obj o;
  memset(&o, 0, sizeof(o));
  const char *const *azSql = constraints ? x->pFrom->azConstraints : x->pFrom->azIndexes;
  int rc = SQLITE_OK;
  for( int i = 0; rc == SQLITE_OK && azSql && azSql[i]; i++ ) {
    rc = ddl_query(x, azSql[i], 9, aObjKind, obj_row, &o);
    obj_emit(x, &o);
  }
  obj_clear(&o);
  return rc;
}

/* ---- what= sequences ---- */

/* Each identity column's numbering set past the copied keys, by the
** target's statements (none when it numbers from the max itself). */
static int ddl_sequences(ddl_ctx *x) {
  int (*xSequence)(sqlite3_str *, int, const char *, const char *, const char *) =
    x->pTo->pDdl->xSequence;
  for( int i = 0; xSequence && i < x->nCol; i++ ) {
    ddl_col *c = &x->aCol[i];
    if( !c->ident ) continue;
    char *zq = ddl_ident(x, c->zName);
    if( !zq ) return SQLITE_NOMEM;
    for( int iStmt = 0;; iStmt++ ) {
      sqlite3_str *s = sqlite3_str_new(0);
      if( !xSequence(s, iStmt, x->zTarget, c->zName, zq) ) {
        sqlite3_free(sqlite3_str_finish(s));
        break;
      }
      ddl_stmt(x, sqlite3_str_finish(s));
    }
    sqlite3_free(zq);
  }
  return SQLITE_OK;
}

/* ---- the function ---- */

static const char *const azDdlOption[] = { "cast", "table", 0 };

static void ddl_free(ddl_ctx *x) {
  for( int i = 0; i < x->nCol; i++ ) {
    sqlite3_free(x->aCol[i].zName);
    sqlite3_free(x->aCol[i].zType);
    sqlite3_free(x->aCol[i].zDefault);
    sqlite3_free(x->aCol[i].zColl);
  }
  sqlite3_free(x->aCol);
  sqlite3_free(x->zSchema);
  sqlite3_free(x->zTable);
  sqlite3_free(x->zTarget);
  sqlite3_free(x->zHandle);
  sqlite3_free(x->zCast);
  sqlite3_free(sqlite3_str_finish(x->pNote));
  sqlite3_free(x->zErr);
  pt_end_close(&x->e);
}

/* The target dialect the user named (its name or alias), or NULL. */
static const pt_dialect *ddl_target(const char *zTo) {
  for( int i = 0; zTo && pt_ddl_dialects[i]; i++ ) {
    const pt_dialect *d = pt_ddl_dialects[i];
    if( !sqlite3_stricmp(zTo, d->zName) ||
        (d->pDdl->zAlias && !sqlite3_stricmp(zTo, d->pDdl->zAlias)) )
      return d;
  }
  return 0;
}

/* "dialect oracle: expected postgresql, mysql or sqlite" */
static char *ddl_target_error(const char *zTo) {
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendf(s, "dialect %s: expected ", zTo ? zTo : "NULL");
  for( int i = 0; pt_ddl_dialects[i]; i++ ) {
    const char *zSep = !pt_ddl_dialects[i + 1] ? " or " : ", ";
    sqlite3_str_appendf(s, "%s%s", i ? zSep : "", pt_ddl_dialects[i]->zName);
  }
  return sqlite3_str_finish(s);
}

/* pontoon_ddl(src, dialect [, what [, options]]) */
static void ddlFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  pt_registry *r = sqlite3_user_data(ctx);
  const char *zName = (const char *)sqlite3_value_text(argv[0]);
  const char *zTo = (const char *)sqlite3_value_text(argv[1]);
  const char *zWhat = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : 0;
  const char *zOpts = argc > 3 ? (const char *)sqlite3_value_text(argv[3]) : 0;
  ddl_ctx x;
  pt_opts o;
  memset(&x, 0, sizeof(x));
  memset(&o, 0, sizeof(o));
  int rc = SQLITE_OK;
  int wTable = 0, wIdx = 0, wCon = 0, wSeq = 0;
  if( !zWhat || !sqlite3_stricmp(zWhat, "table") )
    wTable = 1;
  else if( !sqlite3_stricmp(zWhat, "indexes") )
    wIdx = 1;
  else if( !sqlite3_stricmp(zWhat, "constraints") )
    wCon = 1;
  else if( !sqlite3_stricmp(zWhat, "sequences") )
    wSeq = 1;
  else if( !sqlite3_stricmp(zWhat, "all") )
    wTable = wIdx = wCon = wSeq = 1;
  else {
    x.zErr =
      sqlite3_mprintf("what=%s: expected table, indexes, constraints, sequences or all", zWhat);
    rc = SQLITE_ERROR;
  }
  if( rc == SQLITE_OK ) {
    x.pTo = ddl_target(zTo);
    if( !x.pTo ) {
      x.zErr = ddl_target_error(zTo);
      rc = x.zErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
  }
  if( rc == SQLITE_OK && !zName ) {
    x.zErr = sqlite3_mprintf("name a table");
    rc = SQLITE_ERROR;
  }
  if( rc == SQLITE_OK ) rc = pt_opts_parse(zOpts, "pontoon_ddl", azDdlOption, &o, &x.zErr);
  if( rc == SQLITE_OK ) {
    x.zCast = pt_strdup(pt_opts_get(&o, "cast"));
    rc = pt_end_open(sqlite3_context_db_handle(ctx), r, zName, 0, &x.e, &x.zErr);
  }
  if( rc == SQLITE_OK ) {
    x.zEngine = x.e.pDialect->zName;
    x.pFrom = x.e.pDialect->pDdl;
    x.same = strcmp(x.zEngine, x.pTo->zName) == 0;
    if( x.e.pTab ) {
      x.zSchema = pt_strdup(x.e.pTab->zRemoteSchema);
      x.zTable = pt_strdup(x.e.pTab->zRemoteTable);
    } else {
      x.zSchema = pt_strdup(x.e.zDb);
      x.zTable = pt_strdup(x.e.zTable);
    }
    if( !x.pFrom ) {
      x.zErr =
        sqlite3_mprintf("the source's engine (%s) has no catalog pontoon_ddl reads", x.zEngine);
      rc = SQLITE_ERROR;
    } else if( x.e.pServer && x.pFrom->zNoServer ) {
      x.zErr = sqlite3_mprintf("%s", x.pFrom->zNoServer);
      rc = SQLITE_ERROR;
    }
  }
  if( rc == SQLITE_OK ) {
    const char *zT = pt_opts_get(&o, "table");
    x.zTarget = ddl_ident(&x, zT ? zT : x.zTable);
    x.pOut = sqlite3_str_new(0);
    rc = x.zTarget ? pt_end_connect(&x.e, &x.zErr) : SQLITE_NOMEM;
    if( rc != SQLITE_OK && x.zErr && x.e.pServer ) x.zErr = pt_end_error(&x.e, "connect", x.zErr);
  }
  if( rc == SQLITE_OK ) rc = ddl_read_columns(&x);
  if( rc == SQLITE_OK && wTable ) rc = ddl_key_lengths(&x);
  if( rc == SQLITE_OK && wTable ) rc = ddl_table(&x);
  if( rc == SQLITE_OK && wIdx ) rc = ddl_objects(&x, 0);
  if( rc == SQLITE_OK && wCon ) rc = ddl_objects(&x, 1);
  if( rc == SQLITE_OK && wSeq ) rc = ddl_sequences(&x);
  if( rc == SQLITE_OK ) {
    if( x.pNote ) {
      /* comments with no statement after them */
      char *z = sqlite3_str_finish(x.pNote);
      x.pNote = 0;
      if( x.nStmt ) sqlite3_str_appendall(x.pOut, "\n");
      sqlite3_str_appendall(x.pOut, z ? z : "");
      x.nStmt++;
      sqlite3_free(z);
    }
    int n = sqlite3_str_length(x.pOut);
    char *z = sqlite3_str_finish(x.pOut);
    x.pOut = 0;
    if( !z && n )
      sqlite3_result_error_nomem(ctx);
    else if( x.nStmt )
      sqlite3_result_text(ctx, z ? z : "", n, sqlite3_free), z = 0;
    else
      sqlite3_result_null(ctx);
    sqlite3_free(z);
  } else if( rc == SQLITE_NOMEM ) {
    sqlite3_result_error_nomem(ctx);
  } else {
    char *z = x.zErr && strncmp(x.zErr, "pontoon", 7) == 0
      ? sqlite3_mprintf("%s", x.zErr)
      : sqlite3_mprintf("pontoon_ddl(%s): %s", zName ? zName : "NULL",
                        x.zErr ? x.zErr : sqlite3_errstr(rc));
    sqlite3_result_error(ctx, z ? z : "pontoon_ddl: out of memory", -1);
    sqlite3_free(z);
  }
  sqlite3_free(sqlite3_str_finish(x.pOut));
  pt_opts_clear(&o);
  ddl_free(&x);
}

int pt_ddl_register(sqlite3 *db, pt_registry *reg) {
  int rc = SQLITE_OK;
  for( int n = 2; n <= 4 && rc == SQLITE_OK; n++ )
    rc = sqlite3_create_function_v2(db, "pontoon_ddl", n, SQLITE_UTF8 | SQLITE_DIRECTONLY, reg,
                                    ddlFunc, 0, 0, 0);
  return rc;
}
