/*
** fuzz_my_text.c — the MySQL/MariaDB driver's reading of values in the
** text protocol's form (drivers/mysql.c, included: value_of_text and
** kind_of are static there): integers, floats, decimals, BIT as
** big-endian bytes, datetime and timestamp fractions, with the kind the
** column's type name gives (kind_of); and value.c's parsers such values
** meet next: pt_decimal_classify (decimal text to INTEGER / REAL / TEXT),
** pt_parse_date_prefix and pt_utc_time (a time with a zone, to UTC).
**
** Input: byte 0 the column's kind and BIT flag; the rest the value's
** bytes, as the client library hands them (NUL-terminated, length known).
** From byte 0 % 4 == 3 on, the rest is "type\ncolumn type" for kind_of.
*/
#include "fuzz.h"
#include "../../vtab/drivers/mysql.c"

static void value(pt_kind k, int isBit, const char *z, int n) {
  my_cursor cur;
  pt_kind aKind[1] = { k };
  unsigned char aIsBit[1] = { (unsigned char)isBit };
  char aScratch[1][80];
  memset(&cur, 0, sizeof(cur));
  cur.nCol = 1;
  cur.aKind = aKind;
  cur.aIsBit = aIsBit;
  cur.aScratch = aScratch;
  pt_value v;
  memset(&v, 0, sizeof(v));
  value_of_text(&cur, 0, z, n, &v);
  if( v.type == PT_V_TEXT || v.type == PT_V_DECIMAL || v.type == PT_V_BLOB ) {
    if( v.n < 0 || (v.n > 0 && !v.p) ) abort();
    if( v.p == aScratch[0] && v.n >= 80 ) abort();
    if( v.p != aScratch[0] && (v.p < z || v.p + v.n > z + n) ) abort();
    fz_touch(v.p, v.n);
  }
  if( v.type == PT_V_DECIMAL ) {
    int64_t i = 0;
    double r = 0;
    (void)pt_decimal_classify(v.p, v.n, &i, &r);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if( size < 1 ) return 0;
  unsigned b = data[0];
  char *z = fz_string(data + 1, size - 1);
  int n = (int)(size - 1);
  if( b % 4 == 3 ) {
    char *az[2] = { z, 0 };
    int isBit = 0;
    if( fz_split(z, '\n', az, 2) < 2 ) az[1] = 0;
    pt_kind k = kind_of(az[0], az[1], &isBit);
    if( (int)k < 0 || k >= PT_K_COUNT ) abort();
  } else {
    value((pt_kind)((b >> 2) % PT_K_COUNT), b % 4 == 1, z, n);
    int y, m, d;
    (void)pt_parse_date_prefix(z, n, &y, &m, &d);
    char out[64];
    int k = pt_utc_time(z, n, out);
    if( k < 0 || k > 48 ) abort();
  }
  free(z);
  return 0;
}
