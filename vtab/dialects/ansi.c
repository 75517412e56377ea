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
void pt_ansi_quote(sqlite3_str *s, const char *z, char open, char close){
  sqlite3_str_appendchar(s, 1, open);
  for(; *z; z++){
    if( *z == close ) sqlite3_str_appendchar(s, 1, close);
    sqlite3_str_appendchar(s, 1, *z);
  }
  sqlite3_str_appendchar(s, 1, close);
}
static void quoteDq(sqlite3_str *s, const char *z){ pt_ansi_quote(s, z, '"', '"'); }
static void quoteBt(sqlite3_str *s, const char *z){ pt_ansi_quote(s, z, '`', '`'); }

void pt_ansi_select(sqlite3_str *s, const char *zq, pt_kind k, int readFlags){
  (void)k; (void)readFlags;
  sqlite3_str_appendall(s, zq);
}

int pt_ansi_pushable(pt_kind k, int op, const char *zColl){
  if( op == SQLITE_INDEX_CONSTRAINT_ISNULL || op == SQLITE_INDEX_CONSTRAINT_ISNOTNULL ) return PT_PUSH_EXACT;
  if( k == PT_K_INT ){
    switch( op ){
      case SQLITE_INDEX_CONSTRAINT_EQ: case SQLITE_INDEX_CONSTRAINT_NE:
      case SQLITE_INDEX_CONSTRAINT_LT: case SQLITE_INDEX_CONSTRAINT_LE:
      case SQLITE_INDEX_CONSTRAINT_GT: case SQLITE_INDEX_CONSTRAINT_GE:
        return PT_PUSH_EXACT;
      default:
        return PT_PUSH_NONE;
    }
  }
  if( k == PT_K_TEXT && op == SQLITE_INDEX_CONSTRAINT_EQ && (!zColl || sqlite3_stricmp(zColl, "BINARY") == 0) ){
    return PT_PUSH_SUPERSET;
  }
  return PT_PUSH_NONE;
}

void pt_ansi_condition(sqlite3_str *s, const char *zq, pt_kind k, int op, int n){
  (void)k;
  const char *zOp = "=";
  switch( op ){
    case SQLITE_INDEX_CONSTRAINT_ISNULL: sqlite3_str_appendf(s, "%s IS NULL", zq); return;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: sqlite3_str_appendf(s, "%s IS NOT NULL", zq); return;
    default: zOp = pt_sql_op(op); break;
  }
  sqlite3_str_appendf(s, "%s %s $%d", zq, zOp, n);
}

int pt_ansi_orderable(pt_kind k){
  return k == PT_K_INT;
}

/* Engines differ on where NULLs go: this puts them first ascending and last
** descending, as SQLite does, in any of them. */
void pt_ansi_order_by(sqlite3_str *s, const char *zq, pt_kind k, int desc){
  (void)k;
  sqlite3_str_appendf(s, "CASE WHEN %s IS NULL THEN 0 ELSE 1 END %s, %s %s", zq, desc ? "DESC" : "ASC",
                      zq, desc ? "DESC" : "ASC");
}

static void fetchFirst(sqlite3_str *s, int n){
  sqlite3_str_appendf(s, "FETCH FIRST $%d ROWS ONLY", n);
}

#define PT_ANSI_DIALECT(QUOTE, LIMIT) { \
  .iVersion = 1, .zName = "ansi", .xQuoteIdent = QUOTE, .xSelectExpr = pt_ansi_select, \
  .xPushable = pt_ansi_pushable, .xCondition = pt_ansi_condition, \
  .xOrderable = pt_ansi_orderable, .xOrderBy = pt_ansi_order_by, .xParamExpr = pt_sql_param, \
  .xLimit = LIMIT, \
  .azLedgerType = { "varchar(255)", "varchar(4000)", "bigint", "double precision", "timestamp" } }

const pt_dialect pt_dialect_ansi = PT_ANSI_DIALECT(quoteDq, 0);
const pt_dialect pt_dialect_ansi_fetch = PT_ANSI_DIALECT(quoteDq, fetchFirst);   /* Oracle, DB2 */
const pt_dialect pt_dialect_ansi_backtick = PT_ANSI_DIALECT(quoteBt, 0);
