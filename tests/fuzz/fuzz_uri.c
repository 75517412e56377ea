/*
** fuzz_uri.c — connection strings as pontoon_connect('name', '...') takes
** them, parsed without connecting: which driver accepts the string
** (pt_driver_for: each driver's xAccepts), the URI form of postgresql://
** and mysql:// (pt_uri_parse), the password found for redaction in every
** form, URI, libpq key=value and odbc: (pt_conninfo_password, pt_redact),
** and the ODBC driver's attribute lookup and UTF-16 conversion (odbc.c,
** included: they are static there).
**
** Not reached: what each driver does with the parsed form happens inside
** its xConnect (libpq's own parse of the string, the MySQL option loop of
** open_one, SQLDriverConnect), after which it connects.
*/
#include "fuzz.h"
#ifdef PT_FUZZ_ODBC
#include "../../vtab/drivers/odbc.c"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *z = fz_string(data, size);

  (void)pt_driver_for(z);

  pt_uri u;
  char *zErr = 0;
  if( pt_uri_parse(z, &u, &zErr) == SQLITE_OK ) {
    /* what myConnect and the URI's readers look at */
    for( int i = 0; i < u.nParam; i++ ) {
      if( !u.azKey[i] || !u.azVal[i] ) abort();
    }
    pt_uri_clear(&u);
  } else if( !zErr ) {
    abort(); /* a refusal always says why */
  }
  sqlite3_free(zErr);

  char *zSecret = pt_conninfo_password(z);
  char *zMsg = sqlite3_mprintf("cannot connect to %s: %s", z, z);
  zMsg = pt_redact(zMsg, zSecret);
  sqlite3_free(zMsg);
  sqlite3_free(zSecret);

#ifdef PT_FUZZ_ODBC
  if( sqlite3_strnicmp(z, "odbc:", 5) == 0 ) {
    const char *zStr = z + 5;
    static const char *azKey[] = { "UseDeclareFetch", "DSN", "Driver", "PWD", "Fetch" };
    for( size_t i = 0; i < sizeof(azKey) / sizeof(azKey[0]); i++ ) {
      if( has_attr(zStr, azKey[i]) ) sqlite3_free(attr_value(zStr, azKey[i]));
    }
  }
  int nW = 0;
  SQLWCHAR *w = od_wide(z, (int)size, &nW);
  if( w ) {
    char *zBack = od_narrow(w, (size_t)nW);
    sqlite3_free(zBack);
    sqlite3_free(w);
  }
#endif
  free(z);
  return 0;
}
