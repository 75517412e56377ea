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
#include "canon.h"

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

/* ---- the canonical text's shared pieces (canon.h, docs/diff.md) ---- */

/* sqlite3_mprintf of a one-argument template (the engine's spelling). */
static char *spell1(const char *zTemplate, const char *zArg) {
  return sqlite3_mprintf(zTemplate, zArg);
}

void pt_canon_concat(sqlite3_str *s, const pt_canon_spell *sp, int n, const char *const *az) {
  sqlite3_str_appendall(s, sp->concatFn ? "CONCAT(" : "(");
  for( int i = 0; i < n; i++ ) {
    if( i ) sqlite3_str_appendall(s, sp->concatFn ? ", " : " || ");
    sqlite3_str_appendall(s, az[i]);
  }
  sqlite3_str_appendchar(s, 1, ')');
}

/* The text pt_canon_concat appends, from sqlite3_malloc. */
static char *concat_text(const pt_canon_spell *sp, int n, const char *const *az) {
  sqlite3_str *s = sqlite3_str_new(0);
  pt_canon_concat(s, sp, n, az);
  return sqlite3_str_finish(s);
}

/*
** A real rounded to nDigits significant digits, by the same IEEE double
** operations on every engine, so that every engine writes the same text:
**   E = floor(log10(|x|))                       the decimal exponent
**   T = the digits of floor(|x| * 10^(nDigits-1-E) + 0.5)
**   S = T without its trailing zeros; P = E + 1 - nDigits + length(T)
** (P: the digits before the point, whether T has nDigits digits or, when
** rounding carried, one more), then S with the point placed P digits in:
** S and zeros, S cut by '.', or '0.', zeros and S.  10^k is exact for
** k <= 22, and multiplication and division are IEEE's, so engines agree
** as long as their libm's log10 and pow do (docs/diff.md says so).
*/
void pt_canon_real(sqlite3_str *s, const pt_canon_spell *sp, const char *zD, int nDigits) {
  int n1 = nDigits - 1;
  char *zLog = sqlite3_mprintf("floor(log10(abs(%s)))", zD);
  char *zE = zLog ? spell1(sp->zInt, zLog) : 0;
  char *zUp = zE ? sqlite3_mprintf("(%s - %d)", zE, n1) : 0;
  char *zDown = zE ? sqlite3_mprintf("(%d - %s)", n1, zE) : 0;
  char *zPowUp = zUp ? spell1(sp->zPow10, zUp) : 0;
  char *zPowDown = zDown ? spell1(sp->zPow10, zDown) : 0;
  char *zX = zPowUp && zPowDown
    ? sqlite3_mprintf("(CASE WHEN %s >= %d THEN abs(%s) / %s ELSE abs(%s) * %s END)", zE, n1, zD,
                      zPowUp, zD, zPowDown)
    : 0;
  char *zRound = zX ? sqlite3_mprintf("floor(%s + 0.5)", zX) : 0;
  char *zT = zRound ? spell1(sp->zIntText, zRound) : 0;
  char *zS = zT ? spell1(sp->zRtrim0, zT) : 0;
  char *zLenT = zT ? spell1(sp->zLength, zT) : 0;
  char *zP = zLenT ? sqlite3_mprintf("(%s + %d + %s)", zE, 1 - nDigits, zLenT) : 0;
  char *zK = zS ? spell1(sp->zLength, zS) : 0;
  char *zPK = zP && zK ? sqlite3_mprintf("%s - %s", zP, zK) : 0;
  char *zZ1 = zPK ? spell1(sp->zZeros, zPK) : 0;
  char *zNegP = zP ? sqlite3_mprintf("0 - %s", zP) : 0;
  char *zZ2 = zNegP ? spell1(sp->zZeros, zNegP) : 0;
  char *zHead = zP && zS ? sqlite3_mprintf("substr(%s, 1, %s)", zS, zP) : 0;
  char *zTail = zP && zS ? sqlite3_mprintf("substr(%s, %s + 1)", zS, zP) : 0;
  char *zA = 0, *zB = 0, *zC = 0, *zSign = 0;
  if( zZ1 && zZ2 && zHead && zTail ) {
    const char *a1[2] = { zS, zZ1 };
    const char *a2[3] = { zHead, "'.'", zTail };
    const char *a3[3] = { "'0.'", zZ2, zS };
    zA = concat_text(sp, 2, a1);
    zB = concat_text(sp, 3, a2);
    zC = concat_text(sp, 3, a3);
    zSign = sqlite3_mprintf("CASE WHEN %s < 0 THEN '-' ELSE '' END", zD);
  }
  if( zA && zB && zC && zSign ) {
    char *zBody = sqlite3_mprintf("CASE WHEN %s >= %s THEN %s WHEN %s > 0 THEN %s ELSE %s END", zP,
                                  zK, zA, zP, zB, zC);
    const char *az[2] = { zSign, zBody ? zBody : "NULL" };
    pt_canon_concat(s, sp, 2, az);
    sqlite3_free(zBody);
  } else {
    sqlite3_str_appendall(s, "NULL"); /* out of memory: the statement is not run */
  }
  char *azFree[] = { zLog, zE,  zUp, zDown, zPowUp, zPowDown, zX,    zRound, zT, zS, zLenT, zP,
                     zK,   zPK, zZ1, zNegP, zZ2,    zHead,    zTail, zA,     zB, zC, zSign };
  for( size_t i = 0; i < sizeof(azFree) / sizeof(azFree[0]); i++ ) sqlite3_free(azFree[i]);
}

/* Times and timestamps are written with 6 fractional digits, then cut. */
void pt_canon_cut(sqlite3_str *s, const pt_canon_spell *sp, const char *zText, int prec) {
  if( prec >= 6 ) {
    sqlite3_str_appendall(s, zText);
    return;
  }
  char *zLen = spell1(sp->zLength, zText);
  sqlite3_str_appendf(s, "substr(%s, 1, %s - %d)", zText, zLen ? zLen : "0", prec ? 6 - prec : 7);
  sqlite3_free(zLen);
}

int pt_canon_escaped(pt_kind k) {
  switch( k ) {
    case PT_K_INT:
    case PT_K_BOOL:
    case PT_K_REAL:
    case PT_K_DECIMAL:
    case PT_K_BLOB:
    case PT_K_DATE:
    case PT_K_TIME:
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ:
    case PT_K_UUID: return 0;
    default: return 1;
  }
}

int pt_canon_type_has(const char *zType, const char *zWord) {
  if( !zType ) return 0;
  int n = (int)strlen(zWord);
  for( const char *z = zType; *z; z++ )
    if( sqlite3_strnicmp(z, zWord, n) == 0 ) return 1;
  return 0;
}
