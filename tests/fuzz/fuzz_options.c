/*
** fuzz_options.c — the option texts a user writes: the arguments of
** CREATE VIRTUAL TABLE ... USING pontoon(server, 'schema.table', key=...,
** columns='...', fetch=N, readonly) (pt_table_args_parse, pt_arg_split,
** pt_looks_secret, pt_columns_parse), and the options string of
** pontoon_copy / pontoon_diff / pontoon_sync / pontoon_checksum
** (pt_opts_parse, pt_opts_get, pt_opts_int, pt_opts_names,
** pt_canon_options).
**
** Input: the first byte chooses the parser; the rest is the text, its
** module arguments cut at newlines.
*/
#include "fuzz.h"
#include "migrate/migrate.h"

static void table_args(char *z) {
  char *azArg[16];
  int n = fz_split(z, '\n', azArg, 16);
  pt_table_args a;
  char *zErr = 0;
  memset(&a, 0, sizeof(a));
  if( pt_table_args_parse("t", n, (const char *const *)azArg, &a, &zErr) == SQLITE_OK ) {
    if( !a.zServer ) abort();
    if( a.zColumns ) {
      pt_table_desc *p = 0;
      char *zErr2 = 0;
      if( pt_columns_parse(a.zColumns, &p, &zErr2) == SQLITE_OK ) pt_desc_free(p);
      sqlite3_free(zErr2);
    }
  }
  pt_table_args_clear(&a);
  sqlite3_free(zErr);
  for( int i = 0; i < n; i++ ) {
    char *zKey = 0, *zVal = 0;
    if( pt_arg_split(azArg[i], &zKey, &zVal) ) {
      (void)pt_looks_secret(zKey, zVal);
      sqlite3_free(zKey);
      sqlite3_free(zVal);
    }
  }
}

static void columns(const char *z) {
  pt_table_desc *p = 0;
  char *zErr = 0;
  if( pt_columns_parse(z, &p, &zErr) == SQLITE_OK ) {
    /* what pt_columns_format writes, pt_columns_parse reads back */
    char *zText = pt_columns_format(p);
    pt_table_desc *q = 0;
    char *zErr2 = 0;
    if( zText && pt_columns_parse(zText, &q, &zErr2) == SQLITE_OK ) {
      if( q->nCol != p->nCol ) abort();
      for( int i = 0; i < p->nCol; i++ ) {
        if( strcmp(p->aCol[i].zName, q->aCol[i].zName) != 0 ) abort();
        if( p->aCol[i].kind != q->aCol[i].kind || p->aCol[i].iKey != q->aCol[i].iKey ) abort();
      }
      pt_desc_free(q);
    }
    sqlite3_free(zErr2);
    sqlite3_free(zText);
    pt_desc_free(p);
  }
  sqlite3_free(zErr);
}

static void opts(const char *z) {
  static const char *const azAllowed[] = { "batch",        "columns",        "exclude",
                                           "float_digits", "time_precision", "where",
                                           "key",          "workers",        0 };
  pt_opts o;
  char *zErr = 0;
  memset(&o, 0, sizeof(o));
  if( pt_opts_parse(z, "pontoon_copy", azAllowed, &o, &zErr) == SQLITE_OK ) {
    for( int i = 0; azAllowed[i]; i++ ) (void)pt_opts_get(&o, azAllowed[i]);
    int64_t v = 0;
    char *zErr2 = 0;
    pt_opts_int(&o, "batch", 1, 1000000, &v, "pontoon_copy", &zErr2);
    sqlite3_free(zErr2);
    zErr2 = 0;
    pt_canon c;
    pt_canon_default(&c);
    pt_canon_options(&c, &o, &zErr2);
    sqlite3_free(zErr2);
    const char *zCols = pt_opts_get(&o, "columns");
    if( zCols ) {
      int n = 0;
      char **az = pt_opts_names(zCols, &n);
      pt_opts_names_free(az, n);
    }
  }
  pt_opts_clear(&o);
  sqlite3_free(zErr);
  int n = 0;
  char **az = pt_opts_names(z, &n);
  pt_opts_names_free(az, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if( size < 1 ) return 0;
  char *z = fz_string(data + 1, size - 1);
  switch( data[0] % 3 ) {
    case 0: table_args(z); break;
    case 1: columns(z); break;
    default: opts(z); break;
  }
  free(z);
  return 0;
}
