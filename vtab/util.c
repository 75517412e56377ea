/*
** util.c — small shared pieces: table descriptions, kind names, UTF-8
** validation, password redaction and the PONTOON_TRACE switch.
*/
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pontoon.h"

static const char *const azKindName[PT_K_COUNT] = {
  "int",       "bool",        "real",     "decimal", "text", "char",  "blob", "date", "time",
  "timestamp", "timestamptz", "interval", "uuid",    "json", "array", "enum", "other"
};

const char *pt_kind_name(pt_kind k) { return (k >= 0 && k < PT_K_COUNT) ? azKindName[k] : "other"; }

/* The kind named by z[0..n), or -1. */
int pt_kind_from_name(const char *z, int n) {
  for( int i = 0; i < PT_K_COUNT; i++ ) {
    if( (int)strlen(azKindName[i]) == n && sqlite3_strnicmp(z, azKindName[i], n) == 0 ) return i;
  }
  return -1;
}

char *pt_strdup(const char *z) { return z ? sqlite3_mprintf("%s", z) : 0; }

char *pt_strndup(const char *z, int n) {
  char *p = sqlite3_malloc64((sqlite3_uint64)n + 1);
  if( p ) {
    memcpy(p, z, n);
    p[n] = 0;
  }
  return p;
}

pt_table_desc *pt_desc_new(int nCol) {
  pt_table_desc *p = sqlite3_malloc(sizeof(*p));
  if( !p ) return 0;
  memset(p, 0, sizeof(*p));
  p->nRowEstimate = -1;
  if( nCol > 0 ) {
    p->aCol = sqlite3_malloc64(sizeof(pt_column) * (sqlite3_uint64)nCol);
    if( !p->aCol ) {
      sqlite3_free(p);
      return 0;
    }
    memset(p->aCol, 0, sizeof(pt_column) * nCol);
  }
  p->nCol = nCol;
  return p;
}

void pt_desc_free(pt_table_desc *p) {
  if( !p ) return;
  for( int i = 0; i < p->nCol; i++ ) {
    sqlite3_free(p->aCol[i].zName);
    sqlite3_free(p->aCol[i].zRemoteType);
  }
  sqlite3_free(p->aCol);
  sqlite3_free(p->zSchema);
  sqlite3_free(p);
}

/* 1 if z[0..n) is well-formed UTF-8 without NUL bytes. */
int pt_utf8_valid(const unsigned char *z, int n) {
  int i = 0;
  while( i < n ) {
    unsigned c = z[i];
    int len;
    unsigned min;
    if( c == 0 ) return 0;
    if( c < 0x80 ) {
      i++;
      continue;
    }
    if( (c & 0xE0) == 0xC0 ) {
      len = 2;
      min = 0x80;
      c &= 0x1F;
    } else if( (c & 0xF0) == 0xE0 ) {
      len = 3;
      min = 0x800;
      c &= 0x0F;
    } else if( (c & 0xF8) == 0xF0 ) {
      len = 4;
      min = 0x10000;
      c &= 0x07;
    } else
      return 0;
    if( i + len > n ) return 0;
    for( int j = 1; j < len; j++ ) {
      if( (z[i + j] & 0xC0) != 0x80 ) return 0;
      c = (c << 6) | (z[i + j] & 0x3F);
    }
    if( c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) ) return 0;
    i += len;
  }
  return 1;
}

/*
** Does the occurrence z[0..n) of a password field's text in message zMsg
** stand where that field stands?  The field was between the characters
** before and after in the connection string; the occurrence counts when the
** message has the same character before it and the same after it (or a
** quote, or the end of the message): that is the connection string, or a
** piece of it such as "user:pw@host", quoted by libpq or a driver.  Text
** that merely contains the password ("pass" in "password") does not.  A
** quoted token that is exactly the field counts too when the field has a
** '%' in it: libpq quotes a bad %-escape with its whole field.
*/
static int field_here(const char *zMsg, const char *z, int n, char before, char after,
                      const char *zField) {
  char p = z > zMsg ? z[-1] : 0;
  char a = z[n];
  if( before && p == before && (a == after || a == 0 || a == '"' || a == '\'') ) return 1;
  if( (p == '"' || p == '\'') && a == p && memchr(zField, '%', n) ) return 1;
  return 0;
}

/*
** Mask the password of a connection string wherever the string or a piece
** of it appears in zMsg: each password field is replaced by "***" where it
** stands in its context (field_here), never where the same letters happen
** to appear in other words.  zSecret comes from pt_conninfo_password() (the
** password, then the fields' positions); NULL: nothing to mask.  Takes
** ownership of zMsg (sqlite3_malloc'd) and returns the message to use
** instead.  Every text that could carry a URI passes here before it
** reaches the user.
*/
char *pt_redact(char *zMsg, const char *zSecret) {
  if( !zMsg || !zSecret || !zSecret[0] ) return zMsg;
  const unsigned char *pSpec = (const unsigned char *)zSecret + strlen(zSecret) + 1;
  if( memcmp(pSpec, "\1PTS", 4) != 0 ) return zMsg;
  int nEntry = pSpec[4];
  pSpec += 5;
  for( int e = 0; e < nEntry; e++ ) {
    char before = (char)pSpec[0], after = (char)pSpec[1];
    int n = (int)(pSpec[2] | pSpec[3] << 8 | pSpec[4] << 16 | (unsigned)pSpec[5] << 24);
    const char *zField = (const char *)pSpec + 6;
    pSpec += 6 + n;
    if( n == 0 ) continue;
    sqlite3_str *s = 0;
    const char *z = zMsg;
    const char *zDone = zMsg;
    while( *z ) {
      const char *hit = 0;
      for( const char *q = z; *q; q++ ) {
        if( *q == zField[0] && strncmp(q, zField, n) == 0 ) {
          hit = q;
          break;
        }
      }
      if( !hit ) break;
      if( field_here(zMsg, hit, n, before, after, zField) ) {
        if( !s ) s = sqlite3_str_new(0);
        sqlite3_str_append(s, zDone, (int)(hit - zDone));
        sqlite3_str_appendall(s, "***");
        zDone = z = hit + n;
      } else {
        z = hit + 1;
      }
    }
    if( s ) {
      sqlite3_str_appendall(s, zDone);
      sqlite3_free(zMsg);
      zMsg = sqlite3_str_finish(s);
      if( !zMsg ) return 0;
    }
  }
  return zMsg;
}

/* PONTOON_TRACE=1 logs every callback and remote statement to stderr. */
int pt_trace_on(void) {
  static int on = -1;
  if( on < 0 ) {
    const char *z = getenv("PONTOON_TRACE");
    on = (z && z[0] && strcmp(z, "0") != 0) ? 1 : 0;
  }
  return on;
}

void pt_trace(const char *zFormat, ...) {
  if( !pt_trace_on() ) return;
  va_list ap;
  va_start(ap, zFormat);
  char *z = sqlite3_vmprintf(zFormat, ap);
  va_end(ap);
  if( z ) {
    fprintf(stderr, "pontoon: %s\n", z);
    sqlite3_free(z);
  }
}

/* Make room for nExtra more bytes; non-zero (and b->oom) on failure. */
int pt_buf_grow(pt_buf *b, size_t nExtra) {
  if( b->oom ) return 1;
  size_t cap = b->cap ? b->cap : 256;
  while( cap < b->n + nExtra ) cap *= 2;
  char *z = sqlite3_realloc64(b->z, cap);
  if( !z ) {
    b->oom = 1;
    return 1;
  }
  b->z = z;
  b->cap = cap;
  return 0;
}

void pt_buf_int(pt_buf *b, long long v) {
  char tmp[24];
  int i = (int)sizeof tmp;
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  do {
    tmp[--i] = (char)('0' + u % 10);
    u /= 10;
  } while( u );
  if( v < 0 ) tmp[--i] = '-';
  pt_buf_append(b, tmp + i, sizeof tmp - i);
}

void pt_buf_free(pt_buf *b) {
  sqlite3_free(b->z);
  memset(b, 0, sizeof(*b));
}

/* ---- reading SQL text: calls of pontoon's functions, statement keywords ---- */

static int ident_char(unsigned char c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

/* Skip whitespace and comments from z; nested: PostgreSQL's nested block
** comments; hash: MySQL's '#' line comments. */
static const char *skip_space(const char *z, int nested, int hash) {
  for( ;; ) {
    while( isspace((unsigned char)*z) ) z++;
    if( (z[0] == '-' && z[1] == '-' && (!hash || z[2] == 0 || (unsigned char)z[2] <= ' ')) ||
        (hash && z[0] == '#') ) {
      /* MySQL: "--" opens a comment only before a space or control character */
      while( *z && *z != '\n' ) z++;
    } else if( z[0] == '/' && z[1] == '*' && z[2] != '!' ) {
      /* MySQL runs the text of a comment opened by slash-star-bang: not a comment here */
      int depth = 1;
      z += 2;
      while( *z && depth > 0 ) {
        if( z[0] == '*' && z[1] == '/' ) {
          depth--;
          z += 2;
        } else if( nested && z[0] == '/' && z[1] == '*' ) {
          depth++;
          z += 2;
        } else
          z++;
      }
    } else {
      return z;
    }
  }
}

/*
** 1 if SQLite SQL text zSql calls function zName (any case, bare or quoted
** as "name", [name] or `name`): the name as a token outside strings and
** comments, followed by '('.  Reads SQLite's own tokens: strings '...',
** identifiers "...", [...], `...`, comments -- and slash-star.
*/
int pt_sql_calls(const char *zSql, const char *zName) {
  int nName = (int)strlen(zName);
  const char *z = zSql;
  while( z && *z ) {
    const char *zTok = 0;
    int nTok = 0;
    char c = *z;
    if( c == '\'' ) {
      for( z++; *z; z++ ) {
        if( *z == '\'' ) {
          if( z[1] == '\'' )
            z++;
          else
            break;
        }
      }
      if( *z ) z++;
      continue;
    } else if( c == '"' || c == '`' || c == '[' ) {
      char cEnd = c == '[' ? ']' : c;
      zTok = ++z;
      for( ; *z; z++ ) {
        if( *z == cEnd ) {
          if( cEnd != ']' && z[1] == cEnd )
            z++;
          else
            break;
        }
      }
      nTok = (int)(z - zTok);
      if( *z ) z++;
    } else if( (c == '-' && z[1] == '-') || (c == '/' && z[1] == '*') ) {
      if( c == '-' ) {
        while( *z && *z != '\n' ) z++;
      } else {
        z += 2;
        while( *z && !(z[0] == '*' && z[1] == '/') ) z++;
        if( *z ) z += 2;
      }
      continue;
    } else if( ident_char((unsigned char)c) ) {
      zTok = z;
      while( ident_char((unsigned char)*z) ) z++;
      nTok = (int)(z - zTok);
    } else {
      z++;
      continue;
    }
    if( nTok == nName && sqlite3_strnicmp(zTok, zName, nName) == 0 ) {
      const char *p = z;
      for( ;; ) {
        while( isspace((unsigned char)*p) ) p++;
        if( p[0] == '-' && p[1] == '-' ) {
          while( *p && *p != '\n' ) p++;
          continue;
        }
        if( p[0] == '/' && p[1] == '*' ) {
          p += 2;
          while( *p && !(p[0] == '*' && p[1] == '/') ) p++;
          if( *p ) p += 2;
          continue;
        }
        break;
      }
      if( *p == '(' ) return 1;
    }
  }
  return 0;
}

/*
** The conservative form of pt_sql_calls for text from a database file: 1 if
** zName (any case) appears anywhere, strings and comments included, after a
** character that cannot be part of a name and followed, after an optional
** closing quote, spaces and comments, by '('.  It may see calls that are
** not there; it misses none that SQLite would make.
*/
int pt_sql_may_call(const char *zSql, const char *zName) {
  int nName = (int)strlen(zName);
  for( const char *z = zSql; z && *z; z++ ) {
    if( sqlite3_strnicmp(z, zName, nName) != 0 ) continue;
    if( z > zSql && ident_char((unsigned char)z[-1]) && z[-1] != '$' ) continue;
    const char *p = z + nName;
    if( *p == '"' || *p == ']' || *p == '`' ) p++;
    p = skip_space(p, 0, 0);
    if( *p == '(' ) return 1;
  }
  return 0;
}

/* Words that end, open or split transactions, as the first word of a
** statement (with the second word where the first is ambiguous). */
/* Every way of reading: bit 0 nested comments, bit 1 MySQL's '#' and "-- ". */
#define PT_DIALECT_PG 1
#define PT_DIALECT_MYSQL 2
static const char *txn_word(const char *z, int nested, int hash) {
  static const char *const azWord[] = { "BEGIN", "COMMIT",    "END",     "ROLLBACK",
                                        "ABORT", "SAVEPOINT", "RELEASE", "XA",
                                        "LOCK",  "UNLOCK",    0 };
  z = skip_space(z, nested, hash);
  const char *zW = z;
  while( isalpha((unsigned char)*z) ) z++;
  int n = (int)(z - zW);
  if( n == 0 ) return 0;
  if( n == 5 && sqlite3_strnicmp(zW, "START", 5) == 0 ) return "START TRANSACTION";
  for( int i = 0; azWord[i]; i++ ) {
    if( (int)strlen(azWord[i]) == n && sqlite3_strnicmp(zW, azWord[i], n) == 0 ) return azWord[i];
  }
  const char *z2 = skip_space(z, nested, hash);
  if( n == 7 && sqlite3_strnicmp(zW, "PREPARE", 7) == 0 &&
      sqlite3_strnicmp(z2, "TRANSACTION", 11) == 0 && !ident_char((unsigned char)z2[11]) )
    return "PREPARE TRANSACTION";
  if( n == 3 && sqlite3_strnicmp(zW, "SET", 3) == 0 ) {
    if( sqlite3_strnicmp(z2, "TRANSACTION", 11) == 0 && !ident_char((unsigned char)z2[11]) )
      return "SET TRANSACTION";
    if( sqlite3_strnicmp(z2, "AUTOCOMMIT", 10) == 0 && !ident_char((unsigned char)z2[10]) )
      return "SET autocommit";
  }
  return 0;
}

static const char *txn_scan(const char *zSql, int nested, int hash) {
  const char *z = zSql;
  const char *zHit = txn_word(z, nested, hash);
  while( !zHit && *z ) {
    char c = *z;
    if( c == '\'' || c == '"' || c == '`' ) {
      /* backslashes are taken as plain characters: a string that the
      ** server ends later only makes more text look like statements */
      for( z++; *z && *z != c; z++ ) {}
      if( *z ) z++;
    } else if( !hash && c == '$' && (z == zSql || !ident_char((unsigned char)z[-1])) ) {
      /* PostgreSQL's dollar quotes (read as plain text the MySQL way) */
      const char *t = z + 1;
      while( isalnum((unsigned char)*t) || *t == '_' || (unsigned char)*t >= 0x80 ) t++;
      if( *t == '$' && !isdigit((unsigned char)z[1]) ) {
        int nTag = (int)(t - z + 1);
        const char *e = t + 1;
        while( *e && strncmp(e, z, nTag) != 0 ) e++;
        z = *e ? e + nTag : e;
      } else {
        z++;
      }
    } else if( (c == '-' && z[1] == '-') || (hash && c == '#') ||
               (c == '/' && z[1] == '*' && z[2] != '!') ) {
      const char *zNext = skip_space(z, nested, hash);
      z = zNext > z ? zNext : z + 1;
    } else if( c == ';' ) {
      z++;
      zHit = txn_word(z, nested, hash);
    } else {
      z++;
    }
  }
  return zHit;
}

/*
** The first transaction-control statement in remote SQL text zSql (BEGIN,
** START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE,
** PREPARE TRANSACTION, SET TRANSACTION, SET autocommit, XA, LOCK, UNLOCK),
** as a static word, or NULL.  Skips strings, quoted identifiers, comments
** and dollar quotes, as the server of dialect reads them: PT_DIALECT_PG
** (nested comments, dollar quotes), PT_DIALECT_MYSQL ('#' and "-- "
** comments, no dollar quotes), or 0 when the server is not known (ODBC):
** then it reads the text every way.  Executable comments (slash-star-bang)
** are read as text.  Backslashes never escape a quote here.  It may see a
** statement that is not there, never miss one.
*/
const char *pt_sql_txn_control(const char *zSql, int dialect) {
  const char *z = 0;
  if( dialect == PT_DIALECT_PG ) return txn_scan(zSql, 1, 0);
  if( dialect == PT_DIALECT_MYSQL ) return txn_scan(zSql, 0, 1);
  for( int i = 0; i < 4 && !z; i++ ) z = txn_scan(zSql, i & 1, i >> 1);
  return z;
}

/* 1 if zSql holds nothing but spaces, comments and semicolons. */
int pt_sql_empty(const char *zSql) {
  const char *z = zSql;
  for( ;; ) {
    z = skip_space(z, 1, 0);
    if( *z != ';' ) break;
    z++;
  }
  return *z == 0;
}

/* ---- pieces of SQL text several engines share ---- */

/* 1 if z[0..n) is a decimal number, nothing around it (an integer when
** intOnly): what may be written into SQL text unquoted. */
int pt_is_number(const char *z, int n, int intOnly) {
  int i = 0, nDigit = 0;
  if( i < n && (z[i] == '-' || z[i] == '+') ) i++;
  while( i < n && isdigit((unsigned char)z[i]) ) {
    i++;
    nDigit++;
  }
  if( !intOnly && i < n && z[i] == '.' ) {
    i++;
    while( i < n && isdigit((unsigned char)z[i]) ) {
      i++;
      nDigit++;
    }
  }
  if( nDigit == 0 ) return 0;
  if( !intOnly && i < n && (z[i] == 'e' || z[i] == 'E') ) {
    i++;
    if( i < n && (z[i] == '-' || z[i] == '+') ) i++;
    if( i >= n || !isdigit((unsigned char)z[i]) ) return 0;
    while( i < n && isdigit((unsigned char)z[i]) ) i++;
  }
  return i == n;
}

/* Append z[0..n) as a hexadecimal literal: X'00ff'. */
void pt_append_hex_literal(sqlite3_str *s, const char *z, int n) {
  static const char hex[] = "0123456789abcdef";
  sqlite3_str_appendall(s, "X'");
  for( int i = 0; i < n; i++ ) {
    unsigned char b = (unsigned char)z[i];
    sqlite3_str_appendchar(s, 1, hex[b >> 4]);
    sqlite3_str_appendchar(s, 1, hex[b & 15]);
  }
  sqlite3_str_appendchar(s, 1, '\'');
}

/* The SQL operator of a comparison op (SQLITE_INDEX_CONSTRAINT_EQ ... GE,
** and the date forms), "=" for any other. */
const char *pt_sql_op(int op) {
  switch( op ) {
    case SQLITE_INDEX_CONSTRAINT_NE: return "<>";
    case SQLITE_INDEX_CONSTRAINT_LT:
    case PT_OP_DATE_LT: return "<";
    case SQLITE_INDEX_CONSTRAINT_LE: return "<=";
    case SQLITE_INDEX_CONSTRAINT_GT: return ">";
    case SQLITE_INDEX_CONSTRAINT_GE:
    case PT_OP_DATE_GE: return ">=";
    default: return "=";
  }
}

/* 1 if zName is a table of the migration ledger in a schema-less engine
** (docs/ledger.md): pontoon_import leaves these out. */
int pt_is_ledger_table(const char *zName) {
  static const char *const azLedger[] = { "pontoon_job",        "pontoon_chunk",
                                          "pontoon_sync_batch", "pontoon_changes",
                                          "pontoon_captures",   0 };
  for( int i = 0; azLedger[i]; i++ )
    if( sqlite3_stricmp(zName, azLedger[i]) == 0 ) return 1;
  return 0;
}
