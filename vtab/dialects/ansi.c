/*
** ansi.c — generic ANSI SQL, for any ODBC data source pontoon knows
** nothing about, and the pieces other dialects share.
**
**   SELECT "id" FROM "users" WHERE "id" >= $1
**     ORDER BY CASE WHEN "id" IS NULL THEN 0 ELSE 1 END ASC, "id" ASC
**
** The pushdown is what every engine evaluates as SQLite does: integer
** comparisons and NULL tests exactly; text equality under SQLite's BINARY
** as a superset (a collation that ignores case or trailing spaces keeps
** more rows, never fewer, and SQLite checks again).  Everything else (text
** ranges, LIKE, reals, decimals, dates) stays in SQLite: engines differ.
*/
#include "pontoon.h"

/* Append zName between open and close, close doubled inside. */
void pt_ansi_quote(sqlite3_str *s, const char *z, char open, char close) {
  sqlite3_str_appendchar(s, 1, open);
  for( ; *z; z++ ) {
    if( *z == close ) sqlite3_str_appendchar(s, 1, close);
    sqlite3_str_appendchar(s, 1, *z);
  }
  sqlite3_str_appendchar(s, 1, close);
}
static void quoteDq(sqlite3_str *s, const char *z) { pt_ansi_quote(s, z, '"', '"'); }
static void quoteBt(sqlite3_str *s, const char *z) { pt_ansi_quote(s, z, '`', '`'); }

void pt_ansi_select(sqlite3_str *s, const char *zq, pt_kind k, int readFlags) {
  (void)k;
  (void)readFlags;
  sqlite3_str_appendall(s, zq);
}

/* The answer of table aRule for `column op value` on a column of kind k
** under SQLite collation zColl. */
int pt_push_lookup(const pt_push_rule *aRule, pt_kind k, int op, const char *zColl) {
  if( op == SQLITE_INDEX_CONSTRAINT_ISNULL || op == SQLITE_INDEX_CONSTRAINT_ISNOTNULL )
    return PT_PUSH_EXACT;
  if( (int)k < 0 || k >= PT_K_COUNT ) return PT_PUSH_NONE;
  const pt_push_rule *r = &aRule[k];
  if( r->binary && zColl && sqlite3_stricmp(zColl, "BINARY") != 0 ) return PT_PUSH_NONE;
  switch( op ) {
    case SQLITE_INDEX_CONSTRAINT_EQ:
    case PT_OP_IN: return r->eq;
    case SQLITE_INDEX_CONSTRAINT_NE: return r->ne;
    case SQLITE_INDEX_CONSTRAINT_LT:
    case SQLITE_INDEX_CONSTRAINT_LE:
    case SQLITE_INDEX_CONSTRAINT_GT:
    case SQLITE_INDEX_CONSTRAINT_GE: return r->ord;
    case SQLITE_INDEX_CONSTRAINT_LIKE: return r->like;
    case PT_OP_DATE_GE:
    case PT_OP_DATE_LT: return r->dates;
    default: return PT_PUSH_NONE;
  }
}

#define EXACT PT_PUSH_EXACT
#define SUPER PT_PUSH_SUPERSET

/* What every engine evaluates as SQLite does: integers exactly, whatever
** the collation; text equality under BINARY as a superset (a collation
** that ignores case or trailing spaces keeps more rows, never fewer). */
static const pt_push_rule aAnsiPush[PT_K_COUNT] = {
  [PT_K_INT] = { .eq = EXACT, .ne = EXACT, .ord = EXACT, .orderable = 1 },
  [PT_K_TEXT] = { .eq = SUPER, .binary = 1 },
};

int pt_ansi_pushable(pt_kind k, int op, const char *zColl) {
  return pt_push_lookup(aAnsiPush, k, op, zColl);
}

void pt_ansi_condition(pt_sql *q, const char *zq, pt_kind k, int op, int n) {
  (void)k;
  switch( op ) {
    case SQLITE_INDEX_CONSTRAINT_ISNULL: pt_sqlf(q, "%s IS NULL", zq); return;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: pt_sqlf(q, "%s IS NOT NULL", zq); return;
    default: pt_sqlf(q, "%s %s %P", zq, pt_sql_op(op), n); return;
  }
}

int pt_ansi_orderable(pt_kind k) { return (int)k >= 0 && k < PT_K_COUNT && aAnsiPush[k].orderable; }

/* Engines differ on where NULLs go: this puts them first ascending and last
** descending, as SQLite does, in any of them. */
void pt_ansi_order_by(sqlite3_str *s, const char *zq, pt_kind k, int desc) {
  (void)k;
  sqlite3_str_appendf(s, "CASE WHEN %s IS NULL THEN 0 ELSE 1 END %s, %s %s", zq,
                      desc ? "DESC" : "ASC", zq, desc ? "DESC" : "ASC");
}

static void fetchFirst(pt_sql *q, int n) { pt_sqlf(q, "FETCH FIRST %P ROWS ONLY", n); }

/* ---- the tokenizer's pieces (xSpan) ---- */

/* The length of the token at z that close ends (close doubled inside is
** text; bs: a backslash escapes the next byte), to the end of the text
** when it is not closed. */
int pt_span_quoted(const char *z, char close, int bs) {
  int i;
  for( i = 1; z[i]; i++ ) {
    if( bs && z[i] == '\\' && z[i + 1] ) {
      i++;
      continue;
    }
    if( z[i] == close ) {
      if( z[i + 1] != close ) return i + 1;
      i++;
    }
  }
  return i;
}

/* The length of a comment to the end of the line (the newline is not in it). */
int pt_span_line(const char *z) {
  int i = 0;
  while( z[i] && z[i] != '\n' ) i++;
  return i;
}

/* The length of the block comment at z; nested: they nest (PostgreSQL). */
int pt_span_block(const char *z, int nested) {
  int depth = 1, i = 2;
  while( z[i] ) {
    if( z[i] == '*' && z[i + 1] == '/' ) {
      i += 2;
      if( --depth == 0 ) return i;
    } else if( nested && z[i] == '/' && z[i + 1] == '*' ) {
      i += 2;
      depth++;
    } else {
      i++;
    }
  }
  return i;
}

/* ANSI SQL: '...', "...", -- and block comments; cQuote, when not 0, also
** quotes names (`). */
static int ansiSpan(const char *z, char cQuote) {
  if( z[0] == '-' && z[1] == '-' ) return pt_span_line(z);
  if( z[0] == '/' && z[1] == '*' ) return pt_span_block(z, 0);
  if( z[0] == '\'' || z[0] == '"' || (cQuote && z[0] == cQuote) ) return pt_span_quoted(z, z[0], 0);
  return 0;
}
int pt_ansi_span(const char *zStart, const char *z, int lexFlags) {
  (void)zStart;
  (void)lexFlags;
  return ansiSpan(z, 0);
}
int pt_ansi_span_bt(const char *zStart, const char *z, int lexFlags) {
  (void)zStart;
  (void)lexFlags;
  return ansiSpan(z, '`');
}

#define PT_ANSI_DIALECT(QUOTE, SPAN, LIMIT) \
  { \
    .iVersion = 1, .zName = "ansi", .xQuoteIdent = QUOTE, .xSelectExpr = pt_ansi_select, \
    .xPushable = pt_ansi_pushable, .xCondition = pt_ansi_condition, \
    .xOrderable = pt_ansi_orderable, .xOrderBy = pt_ansi_order_by, .xParamExpr = pt_sql_param, \
    .xSpan = SPAN, .xLimit = LIMIT, .azLedgerType = { \
      "varchar(255)", \
      "varchar(4000)", \
      "bigint", \
      "double precision", \
      "timestamp" \
    } \
  }

const pt_dialect pt_dialect_ansi = PT_ANSI_DIALECT(quoteDq, pt_ansi_span, 0);
const pt_dialect pt_dialect_ansi_fetch =
  PT_ANSI_DIALECT(quoteDq, pt_ansi_span, fetchFirst); /* Oracle, DB2 */
const pt_dialect pt_dialect_ansi_backtick = PT_ANSI_DIALECT(quoteBt, pt_ansi_span_bt, 0);
