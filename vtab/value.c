/*
** value.c — values crossing the bridge.
**
** Read path: pt_value_result() turns a driver's pt_value into a
** sqlite3_result_*; exact decimals are classified here (pt_decimal_classify)
** so every driver follows one rule:
**   integral and within int64        -> INTEGER
**   at most 15 significant digits    -> REAL (a double holds 15 digits exactly)
**   otherwise, and NaN               -> TEXT, the exact decimal
**
** Pushdown: pt_value_param() turns the right-hand side of a constraint into
** a remote parameter, following SQLite's comparison rules for the column's
** declared affinity (module.c declares INTEGER, REAL, NUMERIC, TEXT or BLOB
** per kind).  Its answer says whether the remote test stays exact, keeps
** extra rows (SQLite re-checks every pushed term: omit is never set), must be
** dropped for this value, or cannot match any row.  The rules are in
** docs/pushdown.md.
*/
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pontoon.h"

/* Classify exact decimal text; returns PT_V_INT, PT_V_REAL or PT_V_TEXT. */
int pt_decimal_classify(const char *z, int n, int64_t *pI, double *pR) {
  int i = 0, neg = 0;
  if( n == 8 && memcmp(z, "Infinity", 8) == 0 ) {
    *pR = INFINITY;
    return PT_V_REAL;
  }
  if( n == 9 && memcmp(z, "-Infinity", 9) == 0 ) {
    *pR = -INFINITY;
    return PT_V_REAL;
  }
  if( i < n && (z[i] == '-' || z[i] == '+') ) {
    neg = z[i] == '-';
    i++;
  }
  int iInt = i;
  while( i < n && isdigit((unsigned char)z[i]) ) i++;
  int iIntEnd = i;
  int iFrac = i, iFracEnd = i;
  if( i < n && z[i] == '.' ) {
    i++;
    iFrac = i;
    while( i < n && isdigit((unsigned char)z[i]) ) i++;
    iFracEnd = i;
  }
  if( i != n || (iIntEnd == iInt && iFracEnd == iFrac) ) return PT_V_TEXT; /* NaN, junk */
  /* trailing zeros of the fraction do not count */
  while( iFracEnd > iFrac && z[iFracEnd - 1] == '0' ) iFracEnd--;
  /* leading zeros of the integer part do not count */
  int iSig = iInt;
  while( iSig < iIntEnd && z[iSig] == '0' ) iSig++;
  if( iFracEnd == iFrac ) {
    /* integral: fits int64? */
    int nDig = iIntEnd - iSig;
    if( nDig <= 18 ||
        (nDig == 19 &&
         memcmp(z + iSig, neg ? "9223372036854775808" : "9223372036854775807", 19) <= 0) ) {
      uint64_t u = 0;
      for( int k = iSig; k < iIntEnd; k++ ) u = u * 10 + (uint64_t)(z[k] - '0');
      *pI = neg ? (int64_t)(0 - u) : (int64_t)u;
      return PT_V_INT;
    }
  }
  int nSig;
  if( iSig < iIntEnd ) {
    nSig = (iIntEnd - iSig) + (iFracEnd - iFrac);
  } else {
    int k = iFrac;
    while( k < iFracEnd && z[k] == '0' ) k++;
    nSig = iFracEnd - k;
  }
  if( nSig <= 15 ) {
    char buf[64];
    if( n < (int)sizeof(buf) ) {
      memcpy(buf, z, n);
      buf[n] = 0;
      *pR = strtod(buf, 0);
      return PT_V_REAL;
    }
  }
  return PT_V_TEXT;
}

void pt_value_result(sqlite3_context *ctx, const pt_value *v) {
  switch( v->type ) {
    case PT_V_INT: sqlite3_result_int64(ctx, v->i); break;
    case PT_V_REAL: sqlite3_result_double(ctx, v->r); break;
    case PT_V_TEXT: sqlite3_result_text(ctx, v->p, v->n, SQLITE_TRANSIENT); break;
    case PT_V_BLOB: sqlite3_result_blob(ctx, v->p ? v->p : "", v->n, SQLITE_TRANSIENT); break;
    case PT_V_DECIMAL: {
      int64_t i;
      double r;
      switch( pt_decimal_classify(v->p, v->n, &i, &r) ) {
        case PT_V_INT: sqlite3_result_int64(ctx, i); break;
        case PT_V_REAL: sqlite3_result_double(ctx, r); break;
        default: sqlite3_result_text(ctx, v->p, v->n, SQLITE_TRANSIENT); break;
      }
      break;
    }
    default: sqlite3_result_null(ctx); break;
  }
}

/* ---- dates and times ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
int64_t pt_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *py, unsigned *pm, unsigned *pd) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  *py = y + (m <= 2);
  *pm = m;
  *pd = d;
}

static char *put_digits(char *p, unsigned v, int width) {
  for( int i = width - 1; i >= 0; i-- ) {
    p[i] = (char)('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

/* Write the date `days` after 1970-01-01 as YYYY-MM-DD into out (at least
** 32 bytes); returns the length.  Years outside 1..9999 are written signed
** and astronomical (44 BC is -0043). */
int pt_date_chars(char *out, int64_t days) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  char *p = out;
  if( y >= 1 && y <= 9999 ) {
    p = put_digits(p, (unsigned)y, 4);
  } else {
    long long ay = y <= 0 ? -y : y;
    int n = snprintf(p, 24, y <= 0 ? "-%04lld" : "+%lld", ay);
    p += n;
  }
  *p++ = '-';
  p = put_digits(p, m, 2);
  *p++ = '-';
  p = put_digits(p, d, 2);
  return (int)(p - out);
}

/* Write a time of day given in microseconds as HH:MM:SS[.ffffff], the
** fraction's trailing zeros dropped; out holds at least 16 bytes. */
int pt_time_chars(char *out, int64_t usec) {
  int64_t sec = usec / 1000000;
  unsigned frac = (unsigned)(usec % 1000000);
  char *p = out;
  p = put_digits(p, (unsigned)(sec / 3600), 2);
  *p++ = ':';
  p = put_digits(p, (unsigned)(sec / 60 % 60), 2);
  *p++ = ':';
  p = put_digits(p, (unsigned)(sec % 60), 2);
  if( frac ) {
    *p++ = '.';
    int nDig = 6;
    while( frac % 10 == 0 ) {
      frac /= 10;
      nDig--;
    }
    p = put_digits(p, frac, nDig);
  }
  return (int)(p - out);
}

void pt_format_date(sqlite3_str *s, int64_t days) {
  char buf[32];
  sqlite3_str_append(s, buf, pt_date_chars(buf, days));
}

void pt_format_time(sqlite3_str *s, int64_t usec) {
  char buf[32];
  sqlite3_str_append(s, buf, pt_time_chars(buf, usec));
}

static int two(const char *z) {
  return isdigit((unsigned char)z[0]) && isdigit((unsigned char)z[1])
    ? (z[0] - '0') * 10 + z[1] - '0'
    : -1;
}

/* If z starts with a valid YYYY-MM-DD (year 0001..9999), set the parts and
** return 10; else 0. */
int pt_parse_date_prefix(const char *z, int n, int *pY, int *pM, int *pD) {
  if( n < 10 || z[4] != '-' || z[7] != '-' ) return 0;
  for( int i = 0; i < 4; i++ )
    if( !isdigit((unsigned char)z[i]) ) return 0;
  int y = (z[0] - '0') * 1000 + (z[1] - '0') * 100 + (z[2] - '0') * 10 + z[3] - '0';
  int m = two(z + 5), d = two(z + 8);
  static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if( y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ) return 0;
  if( m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ) return 0;
  *pY = y;
  *pM = m;
  *pD = d;
  return 10;
}

/* 1 if z[0..n) is exactly HH:MM:SS[.f{1,6}] with no trailing zero. */
static int canonical_time(const char *z, int n) {
  if( n < 8 || z[2] != ':' || z[5] != ':' ) return 0;
  int h = two(z), mi = two(z + 3), se = two(z + 6);
  if( h < 0 || h > 24 || mi < 0 || mi > 59 || se < 0 || se > 59 ) return 0;
  if( h == 24 && (mi || se || n > 8) ) return 0;
  if( n == 8 ) return 1;
  if( z[8] != '.' || n < 10 || n > 15 ) return 0;
  for( int i = 9; i < n; i++ )
    if( !isdigit((unsigned char)z[i]) ) return 0;
  return z[n - 1] != '0';
}

/* 1 if z[0..n) is exactly how pontoon writes a value of date kind k. */
static int canonical_datetime(pt_kind k, const char *z, int n) {
  int y, m, d;
  if( (n == 8 && memcmp(z, "infinity", 8) == 0) || (n == 9 && memcmp(z, "-infinity", 9) == 0) )
    return 1;
  if( !pt_parse_date_prefix(z, n, &y, &m, &d) ) return 0;
  if( k == PT_K_DATE ) return n == 10;
  if( k == PT_K_TIMESTAMPTZ ) {
    if( n < 6 + 19 || memcmp(z + n - 6, "+00:00", 6) != 0 ) return 0;
    n -= 6;
  }
  if( n < 19 || z[10] != ' ' ) return 0;
  return canonical_time(z + 11, n - 11) && two(z + 11) < 24;
}

static int canonical_uuid(const char *z, int n) {
  if( n != 36 ) return 0;
  for( int i = 0; i < 36; i++ ) {
    if( i == 8 || i == 13 || i == 18 || i == 23 ) {
      if( z[i] != '-' ) return 0;
    } else if( !isdigit((unsigned char)z[i]) && !(z[i] >= 'a' && z[i] <= 'f') )
      return 0;
  }
  return 1;
}

/*
** SQLite's NUMERIC affinity on a value, as a comparison with a column of
** INTEGER, REAL or NUMERIC affinity applies it: 1 and *pI for an integer,
** 2 and *pR for a real, 0 when the value stays text or blob.
*/
static int numeric_of(sqlite3_value *v, int64_t *pI, double *pR) {
  switch( sqlite3_value_type(v) ) {
    case SQLITE_INTEGER: *pI = sqlite3_value_int64(v); return 1;
    case SQLITE_FLOAT: *pR = sqlite3_value_double(v); return 2;
    case SQLITE_TEXT: {
      const char *z = (const char *)sqlite3_value_text(v);
      int n = sqlite3_value_bytes(v);
      while( n > 0 && isspace((unsigned char)*z) ) {
        z++;
        n--;
      }
      while( n > 0 && isspace((unsigned char)z[n - 1]) ) n--;
      if( n == 0 || n > 400 ) return 0;
      char buf[401];
      memcpy(buf, z, n);
      buf[n] = 0;
      int seenDigit = 0, isInt = 1;
      for( int i = 0; i < n; i++ ) {
        char c = buf[i];
        if( isdigit((unsigned char)c) )
          seenDigit = 1;
        else if( (c == '+' || c == '-') && (i == 0 || buf[i - 1] == 'e' || buf[i - 1] == 'E') )
          ;
        else if( c == '.' || c == 'e' || c == 'E' )
          isInt = 0;
        else
          return 0;
      }
      if( !seenDigit ) return 0;
      char *zEnd;
      errno = 0;
      if( isInt ) {
        long long x = strtoll(buf, &zEnd, 10);
        if( *zEnd == 0 && errno == 0 ) {
          *pI = x;
          return 1;
        }
      }
      errno = 0;
      double r = strtod(buf, &zEnd);
      if( *zEnd != 0 ) return 0;
      /* SQLite keeps a real that is a whole number in int64 range as such */
      *pR = r;
      return 2;
    }
    default: return 0;
  }
}

static int is_eq(int op) { return op == SQLITE_INDEX_CONSTRAINT_EQ || op == PT_OP_IN; }

static void append_real(sqlite3_str *b, double r, int digits) {
  if( isinf(r) )
    sqlite3_str_appendall(b, r > 0 ? "Infinity" : "-Infinity");
  else {
    char buf[40];
    snprintf(buf, sizeof buf, "%.*g", digits, r);
    sqlite3_str_appendall(b, buf);
  }
}

/*
** Turn the right-hand side v of `column op v` (column of kind k) into the
** text of a remote parameter, appended to pBuf (raw bytes for blobs, then
** *pIsBlob is set).  Returns PT_BIND, PT_BIND_LOOSE, PT_DROP or PT_EMPTY.
** For PT_OP_IN the caller asks once per list element.
*/
int pt_value_param(pt_kind k, int op, sqlite3_value *v, sqlite3_str *pBuf, int *pIsBlob) {
  int t = sqlite3_value_type(v);
  int64_t i = 0;
  double r = 0;
  *pIsBlob = 0;
  if( t == SQLITE_NULL ) return PT_EMPTY; /* any comparison with NULL is NULL */
  if( op == SQLITE_INDEX_CONSTRAINT_LIKE ) {
    const unsigned char *z = sqlite3_value_text(v);
    int n = sqlite3_value_bytes(v);
    if( !z || !pt_utf8_valid(z, n) ) return PT_DROP;
    sqlite3_str_append(pBuf, (const char *)z, n);
    return PT_BIND_LOOSE;
  }
  switch( k ) {
    case PT_K_INT: {
      int c = numeric_of(v, &i, &r);
      if( c == 2 ) {
        if( r == floor(r) && r >= -9223372036854775808.0 && r < 9223372036854775808.0 ) {
          i = (int64_t)r;
          c = 1;
        } else {
          return is_eq(op) ? PT_EMPTY : PT_DROP;
        }
      }
      if( c == 1 ) {
        sqlite3_str_appendf(pBuf, "%lld", (long long)i);
        return PT_BIND;
      }
      return is_eq(op) ? PT_EMPTY : PT_DROP;
    }
    case PT_K_BOOL: {
      int c = numeric_of(v, &i, &r);
      if( c == 2 && (r == 0.0 || r == 1.0) ) {
        i = (int64_t)r;
        c = 1;
      }
      if( c == 1 && (i == 0 || i == 1) ) {
        sqlite3_str_appendall(pBuf, i ? "1" : "0");
        return PT_BIND;
      }
      return is_eq(op) ? PT_EMPTY : PT_DROP;
    }
    case PT_K_REAL: {
      int c = numeric_of(v, &i, &r);
      if( c == 1 ) {
        if( i > 9007199254740992LL || i < -9007199254740992LL ) return PT_DROP;
        sqlite3_str_appendf(pBuf, "%lld", (long long)i);
        return PT_BIND;
      }
      if( c == 2 ) {
        append_real(pBuf, r, 17);
        return PT_BIND;
      }
      return PT_DROP; /* text 'NaN' may equal a NaN read as text */
    }
    case PT_K_DECIMAL: {
      int c = numeric_of(v, &i, &r);
      if( c == 1 ) {
        sqlite3_str_appendf(pBuf, "%lld", (long long)i);
        return PT_BIND;
      }
      if( c == 2 && is_eq(op) && !isinf(r) ) {
        append_real(pBuf, r, 15);
        return PT_BIND_LOOSE;
      }
      return PT_DROP;
    }
    case PT_K_BLOB: {
      if( t == SQLITE_BLOB ) {
        sqlite3_str_append(pBuf, sqlite3_value_blob(v), sqlite3_value_bytes(v));
        *pIsBlob = 1;
        return PT_BIND;
      }
      return is_eq(op) ? PT_EMPTY : PT_DROP;
    }
    default: break;
  }
  /* TEXT affinity kinds.  A number on the right may come from a column of
  ** numeric affinity, which would convert our values instead: leave it. */
  if( t == SQLITE_INTEGER || t == SQLITE_FLOAT ) {
    if( k == PT_K_TEXT || k == PT_K_CHAR || k == PT_K_ENUM || k == PT_K_OTHER || k == PT_K_JSON )
      return PT_DROP;
    return is_eq(op) ? PT_EMPTY : PT_DROP; /* a number never looks like our dates, uuids */
  }
  if( t == SQLITE_BLOB ) return is_eq(op) ? PT_EMPTY : PT_DROP;
  const char *z = (const char *)sqlite3_value_text(v);
  int n = sqlite3_value_bytes(v);
  if( !pt_utf8_valid((const unsigned char *)z, n) ) return is_eq(op) ? PT_EMPTY : PT_DROP;
  switch( k ) {
    case PT_K_TEXT:
    case PT_K_ENUM: sqlite3_str_append(pBuf, z, n); return PT_BIND;
    case PT_K_CHAR: sqlite3_str_append(pBuf, z, n); return PT_BIND_LOOSE;
    case PT_K_DATE:
    case PT_K_TIMESTAMP:
    case PT_K_TIMESTAMPTZ: {
      if( op == PT_OP_DATE_GE || op == PT_OP_DATE_LT ) {
        int y, m, d;
        if( !pt_parse_date_prefix(z, n, &y, &m, &d) ) return PT_DROP;
        int64_t days = pt_days_from_civil(y, m, d) + (op == PT_OP_DATE_LT ? 1 : 0);
        pt_format_date(pBuf, days);
        return PT_BIND_LOOSE;
      }
      if( canonical_datetime(k, z, n) ) {
        if( z[0] == '-' && z[1] != 'i' ) return PT_DROP;
        sqlite3_str_append(pBuf, z, n);
        return PT_BIND;
      }
      /* Not pontoon's form; a server may still hold such text (MySQL's
      ** zero dates '0000-00-00'), so SQLite decides. */
      return PT_DROP;
    }
    case PT_K_TIME:
      if( canonical_time(z, n) ) {
        sqlite3_str_append(pBuf, z, n);
        return PT_BIND;
      }
      return PT_DROP;
    case PT_K_UUID:
      if( canonical_uuid(z, n) ) {
        sqlite3_str_append(pBuf, z, n);
        return PT_BIND;
      }
      return PT_DROP;
    default: return PT_DROP;
  }
}

/* The shortest %g form that reads back as the same double, into buf
** (40 bytes); returns the length.  A decimal of up to 15 digits comes
** back as itself. */
static int real_exact_chars(char *buf, double r) {
  static const double p10[] = { 1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
  if( isinf(r) ) {
    strcpy(buf, r > 0 ? "Infinity" : "-Infinity");
    return (int)strlen(buf);
  }
  if( isnan(r) ) {
    strcpy(buf, "NaN");
    return 3;
  }
  /* Fast path: the value is m / 10^s for some m below 10^15, the form of
  ** every decimal of up to 15 digits (what numeric columns give); m / 10^s
  ** is correctly rounded, so equality proves it reads back the same. */
  double a = fabs(r);
  if( a < 1e15 && (a >= 1e-6 || a == 0.0) ) {
    for( int sc = 0; sc <= 15; sc++ ) {
      double m = nearbyint(a * p10[sc]);
      if( m >= 1e15 ) break;
      if( m / p10[sc] == a ) {
        char tmp[32];
        int i = (int)sizeof tmp;
        unsigned long long u = (unsigned long long)m;
        int nDigits = 0;
        do {
          if( nDigits == sc && sc > 0 ) tmp[--i] = '.';
          tmp[--i] = (char)('0' + u % 10);
          u /= 10;
          nDigits++;
        } while( u || nDigits <= sc );
        int n = 0;
        if( signbit(r) ) buf[n++] = '-';
        memcpy(buf + n, tmp + i, sizeof tmp - i);
        return n + (int)(sizeof tmp - i);
      }
    }
  }
  int n = 0;
  for( int digits = 15; digits <= 17; digits++ ) {
    n = snprintf(buf, 40, "%.*g", digits, r);
    if( strtod(buf, 0) == r ) break;
  }
  return n;
}

static void append_real_exact(sqlite3_str *b, double r) {
  char buf[40];
  sqlite3_str_append(b, buf, real_exact_chars(buf, r));
}

/*
** The text pontoon writes for value v into a column of kind k (the forms of
** docs/types.md, "Writing"), appended to pBuf; *pIsBlob set for raw bytes.
** Returns PT_V_NULL for NULL, PT_V_TEXT otherwise, or -1 with *pzErr when
** the value cannot go into such a column at all.  Text is passed as it is:
** the server rejects what is not valid in its encoding, with its message.
*/
/*
** 1 if text z[0..n) written into a column of kind k is a number of that
** kind: an integer (spaces around it allowed) for PT_K_INT; a decimal with
** an optional exponent, or NaN / Infinity, for PT_K_REAL and PT_K_DECIMAL.
** Anything else is refused before it reaches a server, which might read
** part of it, round it, or (built into SQL text) run it.
*/
static int number_text(const char *z, int n, pt_kind k) {
  int i = 0, digits = 0;
  while( i < n && isspace((unsigned char)z[i]) ) i++;
  while( n > i && isspace((unsigned char)z[n - 1]) ) n--;
  if( i < n && (z[i] == '+' || z[i] == '-') ) i++;
  if( k != PT_K_INT ) {
    static const char *const azWord[] = { "nan", "infinity", "inf" };
    for( size_t w = 0; w < sizeof(azWord) / sizeof(azWord[0]); w++ ) {
      int len = (int)strlen(azWord[w]);
      if( n - i == len && sqlite3_strnicmp(z + i, azWord[w], len) == 0 ) return 1;
    }
  }
  while( i < n && isdigit((unsigned char)z[i]) ) {
    i++;
    digits++;
  }
  if( k == PT_K_INT ) return digits > 0 && i == n;
  if( i < n && z[i] == '.' ) {
    i++;
    while( i < n && isdigit((unsigned char)z[i]) ) {
      i++;
      digits++;
    }
  }
  if( digits == 0 ) return 0;
  if( i < n && (z[i] == 'e' || z[i] == 'E') ) {
    i++;
    if( i < n && (z[i] == '+' || z[i] == '-') ) i++;
    int e = 0;
    while( i < n && isdigit((unsigned char)z[i]) ) {
      i++;
      e++;
    }
    if( e == 0 ) return 0;
  }
  return i == n;
}

int pt_value_write(pt_kind k, sqlite3_value *v, pt_buf *pBuf, int *pIsBlob, char **pzErr) {
  pt_value pv;
  memset(&pv, 0, sizeof(pv));
  pv.type = sqlite3_value_type(v);
  switch( pv.type ) {
    case SQLITE_INTEGER: pv.i = sqlite3_value_int64(v); break;
    case SQLITE_FLOAT: pv.r = sqlite3_value_double(v); break;
    case SQLITE_BLOB:
      pv.p = sqlite3_value_blob(v);
      pv.n = sqlite3_value_bytes(v);
      break;
    case SQLITE_TEXT:
      pv.p = (const char *)sqlite3_value_text(v);
      pv.n = sqlite3_value_bytes(v);
      break;
  }
  return pt_value_write_pv(k, &pv, pBuf, pIsBlob, pzErr);
}

/* The text of a number as SQLite itself renders it (sqlite3_value_text). */
static void number_chars(pt_buf *pBuf, const pt_value *v) {
  char buf[40];
  if( v->type == PT_V_INT ) {
    pt_buf_int(pBuf, (long long)v->i);
  } else {
    sqlite3_snprintf(sizeof buf, buf, "%!.15g", v->r);
    pt_buf_append(pBuf, buf, strlen(buf));
  }
}

/*
** pt_value_write for a value read from a server (copy's driver-to-driver
** path) or from SQLite: the same rules, the same text.  A DECIMAL value is
** its exact text.
*/
int pt_value_write_pv(pt_kind k, const pt_value *v, pt_buf *pBuf, int *pIsBlob, char **pzErr) {
  int t = v->type;
  *pIsBlob = 0;
  if( t == PT_V_NULL ) return PT_V_NULL;
  int isNum = t == PT_V_INT || t == PT_V_REAL;
  if( k == PT_K_BLOB ) {
    if( isNum )
      number_chars(pBuf, v);
    else
      pt_buf_append(pBuf, v->p ? v->p : "", v->n);
    *pIsBlob = 1;
    return PT_V_TEXT;
  }
  if( t == PT_V_BLOB ) {
    if( k == PT_K_INT || k == PT_K_BOOL || k == PT_K_REAL || k == PT_K_DECIMAL ) {
      *pzErr =
        sqlite3_mprintf("a BLOB cannot be written into a column of kind %s", pt_kind_name(k));
      return -1;
    }
    pt_buf_append(pBuf, v->p ? v->p : "", v->n);
    return PT_V_TEXT;
  }
  switch( k ) {
    case PT_K_BOOL:
      if( isNum ) {
        if( (t == PT_V_INT ? (double)v->i : v->r) != 0.0 )
          pt_buf_append(pBuf, "true", 4);
        else
          pt_buf_append(pBuf, "false", 5);
        return PT_V_TEXT;
      }
      break;
    case PT_K_INT:
    case PT_K_REAL:
    case PT_K_DECIMAL:
      if( t == PT_V_INT ) {
        pt_buf_int(pBuf, (long long)v->i);
        return PT_V_TEXT;
      }
      if( t == PT_V_REAL ) {
        double r = v->r;
        if( k == PT_K_INT && r == floor(r) && r >= -9223372036854775808.0 &&
            r < 9223372036854775808.0 ) {
          pt_buf_int(pBuf, (long long)r);
        } else if( k == PT_K_INT ) {
          /* MySQL would round it silently; PostgreSQL refuses it */
          char buf[40];
          buf[real_exact_chars(buf, r)] = 0;
          *pzErr = sqlite3_mprintf("%s is not an integer", buf);
          return -1;
        } else {
          char buf[40];
          pt_buf_append(pBuf, buf, real_exact_chars(buf, r));
        }
        return PT_V_TEXT;
      }
      if( !number_text(v->p, v->n, k) ) {
        /* a server might read part of it, or round it: refuse it here */
        *pzErr = sqlite3_mprintf("'%.40s' is not %s", v->p ? v->p : "",
                                 k == PT_K_INT ? "an integer" : "a number");
        return -1;
      }
      break;
    case PT_K_TIMESTAMP: {
      /* an offset is converted to UTC, the session's zone on every server
      ** (PostgreSQL would drop it, MySQL convert it) */
      if( isNum ) break;
      const char *z = v->p ? v->p : "";
      int n = v->n;
      char tmp[64];
      int m = n >= 19 &&
          (z[n - 1] == 'Z' || (n >= 25 && (z[n - 6] == '+' || z[n - 6] == '-') && z[n - 3] == ':'))
        ? pt_utc_time(z, n, tmp)
        : 0;
      if( m > 0 ) {
        pt_buf_append(pBuf, tmp, m);
        return PT_V_TEXT;
      }
      for( int i = 19; i < n; i++ ) {
        if( z[i] == '+' || z[i] == '-' || isalpha((unsigned char)z[i]) ) {
          *pzErr = sqlite3_mprintf("'%.40s' has a time zone that pontoon cannot convert to UTC "
                                   "for a timestamp without time zone (write +HH:MM or Z)",
                                   z);
          return -1;
        }
      }
      break;
    }
    default: break;
  }
  if( isNum )
    number_chars(pBuf, v);
  else
    pt_buf_append(pBuf, v->p ? v->p : "", v->n);
  return PT_V_TEXT;
}

/* ---- the hidden key of tables with a composite key ----
**
** SQLite writes only to WITHOUT ROWID virtual tables with a one-column
** primary key, so a table keyed by several columns gets a hidden column
** pontoon_key that holds the key as a JSON-like array of pontoon text forms:
** [12,"abc","x00ff"] (blobs as x + hex).  UPDATE and DELETE get it back and
** address the row by every key column.
*/
void pt_key_append(sqlite3_str *s, int first, const pt_value *v) {
  static const char hex[] = "0123456789abcdef";
  sqlite3_str_appendchar(s, 1, first ? '[' : ',');
  switch( v->type ) {
    case PT_V_NULL: sqlite3_str_appendall(s, "null"); return;
    case PT_V_INT: sqlite3_str_appendf(s, "%lld", (long long)v->i); return;
    case PT_V_REAL:
      sqlite3_str_appendchar(s, 1, '"');
      append_real_exact(s, v->r);
      sqlite3_str_appendchar(s, 1, '"');
      return;
    case PT_V_BLOB:
      sqlite3_str_appendall(s, "\"x");
      for( int i = 0; i < v->n; i++ ) {
        unsigned char c = (unsigned char)v->p[i];
        sqlite3_str_appendchar(s, 1, hex[c >> 4]);
        sqlite3_str_appendchar(s, 1, hex[c & 15]);
      }
      sqlite3_str_appendchar(s, 1, '"');
      return;
    default:
      sqlite3_str_appendchar(s, 1, '"');
      for( int i = 0; i < v->n; i++ ) {
        unsigned char c = (unsigned char)v->p[i];
        if( c == '"' || c == '\\' ) sqlite3_str_appendchar(s, 1, '\\');
        sqlite3_str_appendchar(s, 1, (char)c);
      }
      sqlite3_str_appendchar(s, 1, '"');
      return;
  }
}

/*
** Split an encoded key into n values: azOut[i] (sqlite3_malloc'd, NULL for
** null) with lengths anOut[i]; blob elements are decoded to bytes when
** aKind[i] is PT_K_BLOB.  Returns SQLITE_OK or SQLITE_ERROR on a malformed key.
*/
int pt_key_decode(const char *z, int n, int nKey, const pt_kind *aKind, char **azOut, int *anOut) {
  const char *end = z + n;
  int i = 0, rc = SQLITE_OK;
  if( n < 2 || z[0] != '[' ) return SQLITE_ERROR;
  z++;
  for( int j = 0; j < nKey; j++ ) {
    azOut[j] = 0;
    anOut[j] = 0;
  }
  while( z < end && rc == SQLITE_OK ) {
    if( i >= nKey ) {
      rc = SQLITE_ERROR;
      break;
    }
    sqlite3_str *s = sqlite3_str_new(0);
    int isNull = 0;
    if( *z == '"' ) {
      z++;
      while( z < end && *z != '"' ) {
        if( *z == '\\' && z + 1 < end ) z++;
        sqlite3_str_appendchar(s, 1, *z++);
      }
      if( z >= end ) rc = SQLITE_ERROR;
      z++;
    } else {
      const char *start = z;
      while( z < end && *z != ',' && *z != ']' ) z++;
      if( z - start == 4 && memcmp(start, "null", 4) == 0 )
        isNull = 1;
      else
        sqlite3_str_append(s, start, (int)(z - start));
    }
    int len = sqlite3_str_length(s);
    char *zv = sqlite3_str_finish(s);
    if( isNull ) {
      sqlite3_free(zv);
      zv = 0;
      len = 0;
    } else if( !zv ) {
      zv = sqlite3_malloc(1);
      if( zv ) zv[0] = 0;
    }
    if( zv && aKind[i] == PT_K_BLOB && len >= 1 && zv[0] == 'x' ) {
      int nb = (len - 1) / 2;
      for( int j = 0; j < nb; j++ ) {
        int h = zv[1 + 2 * j], l = zv[2 + 2 * j];
        h = h <= '9' ? h - '0' : h - 'a' + 10;
        l = l <= '9' ? l - '0' : l - 'a' + 10;
        zv[j] = (char)(h * 16 + l);
      }
      len = nb;
    }
    azOut[i] = zv;
    anOut[i] = len;
    i++;
    if( z < end && *z == ',' ) {
      z++;
      continue;
    }
    if( z < end && *z == ']' ) break;
    rc = SQLITE_ERROR;
  }
  if( rc == SQLITE_OK && i != nKey ) rc = SQLITE_ERROR;
  if( rc != SQLITE_OK ) {
    for( int j = 0; j < nKey; j++ ) {
      sqlite3_free(azOut[j]);
      azOut[j] = 0;
    }
  }
  return rc;
}

/* A timestamp 'YYYY-MM-DD HH:MM:SS[.f][+HH:MM|Z]' (or with 'T') as UTC
** without offset, written to out (at least 48 bytes); its length, or 0 if z
** is not such a time.  For servers whose timestamps carry no zone. */
/* The two digits at z as a number, or -1: reads z[0..1] only. */
static int two_digits(const char *z) {
  if( z[0] < '0' || z[0] > '9' || z[1] < '0' || z[1] > '9' ) return -1;
  return (z[0] - '0') * 10 + (z[1] - '0');
}

int pt_utc_time(const char *z, int n, char *out) {
  int y, mo, d;
  if( n < 19 || n > 40 || !pt_parse_date_prefix(z, n, &y, &mo, &d) ) return 0;
  if( z[10] != ' ' && z[10] != 'T' ) return 0;
  int end = n, sign = 0, oh = 0, om = 0;
  if( z[n - 1] == 'Z' )
    end = n - 1;
  else if( n >= 25 && (z[n - 6] == '+' || z[n - 6] == '-') && z[n - 3] == ':' ) {
    sign = z[n - 6] == '-' ? -1 : 1;
    oh = two_digits(z + n - 5);
    om = two_digits(z + n - 2);
    end = n - 6;
    if( oh < 0 || om < 0 ) return 0;
  } else if( z[10] != 'T' ) {
    return 0;
  }
  /* reads z[0..n) only: the value need not end in a NUL */
  int h = two_digits(z + 11), mi = two_digits(z + 14), se = two_digits(z + 17);
  if( h < 0 || mi < 0 || se < 0 || z[13] != ':' || z[16] != ':' ) return 0;
  int64_t secs =
    (pt_days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
  int64_t days = secs / 86400, rem = secs % 86400;
  if( rem < 0 ) {
    rem += 86400;
    days--;
  }
  int k = pt_date_chars(out, days);
  out[k++] = ' ';
  k += pt_time_chars(out + k, rem * 1000000);
  if( end > 19 ) {
    memcpy(out + k, z + 19, end - 19);
    k += end - 19;
  } /* the fraction */
  return k;
}
