/*
** fuzz_canon.c — the value texts that pontoon_checksum and pontoon_diff
** read and write outside SQL:
**   mode 0  a column's canonical-text expression (each dialect's
**           xCanonicalText, driven by the column's type name as the
**           server spells it, pt_canon_type_has), float_digits= and
**           time_precision= over their whole range
**   mode 1  the hidden key of composite-key tables, [12,"abc","x00ff"]
**           (pt_key_decode), and a value written back (pt_key_append)
**   mode 2  dates as engines write them and as pontoon does ("0044-03-15
**           BC" <-> "-0043-03-15": xDateValue, xDateParam) and exact
**           decimal text (pt_decimal_classify); a ledger's values and
**           times as the migration layer reads them back (pt_value_int,
**           pt_value_real, pt_value_text, pt_utc_seconds)
**
** Input: byte 0 the mode and the kinds; the rest the text.
*/
#include <stdio.h>
#include "fuzz.h"
#include "dialect.h"
#include "dialects/canon.h"
#include "migrate/migrate.h"

static const pt_dialect *const aD[] = { &pt_dialect_postgresql, &pt_dialect_mysql,
                                        &pt_dialect_sqlite };
#define N_D (sizeof(aD) / sizeof(aD[0]))

static void canonical(unsigned b, const char *zType) {
  pt_kind k = (pt_kind)((b >> 2) % PT_K_COUNT);
  for( size_t i = 0; i < N_D; i++ ) {
    if( !aD[i]->xCanonicalText ) continue;
    for( int digits = 1; digits <= 17; digits += 8 ) {
      for( int prec = 0; prec <= 6; prec += 3 ) {
        sqlite3_str *s = sqlite3_str_new(0);
        aD[i]->xCanonicalText(s, "\"c\"", k, zType[0] ? zType : 0, digits, prec);
        char *z = sqlite3_str_finish(s);
        if( !z ) abort(); /* every kind has a canonical text */
        sqlite3_free(z);
      }
    }
  }
  (void)pt_canon_type_has(zType, "unsigned");
  (void)pt_canon_type_has(zType, "[]");
}

static void key(unsigned b, const char *z, int n) {
  pt_kind aKind[4];
  char *azOut[4];
  int anOut[4];
  int nKey = 1 + (int)((b >> 2) & 3);
  for( int i = 0; i < nKey; i++ ) aKind[i] = (b >> (4 + i)) & 1 ? PT_K_BLOB : PT_K_TEXT;
  if( pt_key_decode(z, n, nKey, aKind, azOut, anOut) != SQLITE_OK ) return;
  sqlite3_str *s = sqlite3_str_new(0);
  for( int i = 0; i < nKey; i++ ) {
    pt_value v;
    memset(&v, 0, sizeof(v));
    v.type = azOut[i] ? (aKind[i] == PT_K_BLOB ? PT_V_BLOB : PT_V_TEXT) : PT_V_NULL;
    v.p = azOut[i];
    v.n = anOut[i];
    if( v.n < 0 ) abort();
    pt_key_append(s, i == 0, &v);
  }
  sqlite3_str_appendchar(s, 1, ']');
  int nText = sqlite3_str_length(s);
  char *zKey = sqlite3_str_finish(s);
  /* what pt_key_append writes, pt_key_decode reads back the same */
  char *azBack[4];
  int anBack[4];
  if( zKey ) {
    if( pt_key_decode(zKey, nText, nKey, aKind, azBack, anBack) != SQLITE_OK ) abort();
    for( int i = 0; i < nKey; i++ ) {
      if( (azBack[i] == 0) != (azOut[i] == 0) || anBack[i] != anOut[i] ) abort();
      if( azBack[i] && memcmp(azBack[i], azOut[i], anOut[i]) != 0 ) abort();
      sqlite3_free(azBack[i]);
    }
  }
  sqlite3_free(zKey);
  for( int i = 0; i < nKey; i++ ) sqlite3_free(azOut[i]);
}

static void dates(unsigned b, const char *z, int n) {
  static const pt_kind aK[] = { PT_K_DATE, PT_K_TIMESTAMP, PT_K_TIMESTAMPTZ, PT_K_TIME };
  pt_kind k = aK[(b >> 2) & 3];
  for( size_t i = 0; i < N_D; i++ ) {
    char out[64];
    if( aD[i]->xDateValue ) {
      int m = aD[i]->xDateValue(k, z, n, out, (int)sizeof(out));
      if( m < 0 || m >= (int)sizeof(out) ) abort();
    }
    if( aD[i]->xDateParam ) {
      int m = aD[i]->xDateParam(k, z, n, out);
      if( m < 0 || m > 64 ) abort();
    }
  }
  int64_t iv = 0;
  double r = 0;
  (void)pt_decimal_classify(z, n, &iv, &r);

  pt_value v;
  memset(&v, 0, sizeof(v));
  v.type = (b & 0x80) ? PT_V_DECIMAL : PT_V_TEXT;
  v.p = z;
  v.n = n;
  (void)pt_value_int(&v);
  (void)pt_value_real(&v);
  sqlite3_free(pt_value_text(&v));
  (void)pt_utc_seconds(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if( size < 1 ) return 0;
  unsigned b = data[0];
  char *z = fz_string(data + 1, size - 1);
  int n = (int)(size - 1);
  switch( b % 3 ) {
    case 0: canonical(b, z); break;
    case 1: key(b, z, n); break;
    default: dates(b, z, n); break;
  }
  free(z);
  return 0;
}
