/*
** fuzz_pg_binary.c — the PostgreSQL driver's value codecs (drivers/pg.c,
** included: they are static there):
**   mode 0  a column value in binary format, as a server sends it, turned
**           into a pt_value by pgColumn (integers, floats, numeric, date,
**           time, timestamp(tz), uuid, bool, bytea, text); the value is
**           put into a real PGresult (libpq's PQsetvalue), no server
**   mode 1  pontoon's text of a value encoded for binary COPY (put_binary:
**           integers, floats, numeric, date, timestamp, uuid, jsonb) and
**           decoded back where the driver decodes that type
**   mode 2  a value's PostgreSQL input text (pg_input_text: JSON arrays
**           as array literals, signed years as BC)
**
** Checked beyond crashes: short values fit their 80-byte scratch slot;
** numeric and timestamp text survive encode, decode, encode unchanged.
*/
#include "fuzz.h"
#include "../../vtab/drivers/pg.c"

static const Oid aOid[] = { 20,   21,   23,   26, 16, 700,  701,  1700, 1082, 1083,
                            1114, 1184, 2950, 17, 25, 3802, 1043, 1042, 114 };
#define N_OID (sizeof(aOid) / sizeof(aOid[0]))

/* mode 0: column value z[n] (n<0: NULL) of type t and kind k */
static void decode(Oid t, pt_kind k, const char *z, int n) {
  PGresult *r = PQmakeEmptyPGresult(0, PGRES_TUPLES_OK);
  if( !r ) return;
  PGresAttDesc a;
  memset(&a, 0, sizeof(a));
  a.name = "c";
  a.format = 1;
  a.typid = t;
  a.typlen = -1;
  a.atttypmod = -1;
  if( !PQsetResultAttrs(r, 1, &a) || !PQsetvalue(r, 0, 0, (char *)z, n) ) {
    PQclear(r);
    return;
  }
  pg_cursor cur;
  sqlite3_str *apScratch[1] = { 0 };
  char aScratch[1][80];
  pt_kind aKind[1] = { k };
  Oid aType[1] = { t };
  memset(&cur, 0, sizeof(cur));
  cur.res = r;
  cur.nRow = 1;
  cur.nCol = 1;
  cur.aKind = aKind;
  cur.aType = aType;
  cur.apScratch = apScratch;
  cur.aScratch = aScratch;
  pt_value v;
  pgColumn(&cur.base, 0, &v);
  if( v.type == PT_V_TEXT || v.type == PT_V_DECIMAL || v.type == PT_V_BLOB ) {
    if( v.n < 0 || (v.n > 0 && !v.p) ) abort();
    if( v.p == aScratch[0] && v.n >= 80 ) abort();
    fz_touch(v.p, v.n);
  }
  sqlite3_free(sqlite3_str_finish(apScratch[0]));
  PQclear(r);
}

/* mode 1: text z[n] as binary of type t, then back */
static void encode(Oid t, const char *z, int n) {
  pt_buf b = { 0 };
  pt_param p = { z, n, PT_K_TEXT, 0 };
  if( put_binary(&b, t, &p) && !b.oom ) {
    if( b.n < 4 ) abort();
    uint32_t len = get32((const unsigned char *)b.z);
    if( len != b.n - 4 ) abort();
    const unsigned char *v = (const unsigned char *)b.z + 4;
    if( t == 1700 ) {
      sqlite3_str *s = sqlite3_str_new(0);
      numeric_text(s, v, (int)len);
      char *zText = sqlite3_str_finish(s);
      pt_buf b2 = { 0 };
      if( zText && strcmp(zText, "NaN") != 0 ) {
        if( !put_numeric(&b2, zText, (int)strlen(zText)) ) abort();
        if( b2.n != b.n || memcmp(b2.z, b.z, b.n) != 0 ) abort();
      }
      pt_buf_free(&b2);
      sqlite3_free(zText);
    } else if( t == 1114 || t == 1184 ) {
      char out[80];
      int64_t us = (int64_t)get64(v), us2 = 0;
      int m = timestamp_chars(out, us, t == 1184);
      if( m <= 0 || m >= 64 ) abort();
      if( parse_timestamp(out, m, t == 1184, &us2) && us2 != us ) abort();
    }
    decode(t, t == 1700 ? PT_K_DECIMAL : PT_K_OTHER, (const char *)v, (int)len);
  }
  pt_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if( size < 2 ) return 0;
  unsigned mode = data[0] % 3;
  Oid t = aOid[data[1] % N_OID];
  pt_kind k = (pt_kind)((data[0] / 3) % PT_K_COUNT);
  char *z = fz_string(data + 2, size - 2);
  int n = (int)(size - 2);
  switch( mode ) {
    case 0:
      decode(t, k, z, n);
      if( n == 0 ) decode(t, k, 0, -1);
      break;
    case 1: encode(t, z, n); break;
    default: {
      sqlite3_str *s = sqlite3_str_new(0);
      pg_input_text(s, k, z, n);
      sqlite3_free(sqlite3_str_finish(s));
      break;
    }
  }
  free(z);
  return 0;
}
