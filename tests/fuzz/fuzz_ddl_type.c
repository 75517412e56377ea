/*
** fuzz_ddl_type.c — pontoon_ddl's reading of a source column (migrate/
** ddl.c, included: its parsers are static there): the type name as the
** source's catalog spells it ("decimal(10,2) unsigned", "enum('a','b')",
** "timestamp(3) with time zone", "int[]": ddl_parse_type), the user's
** cast= rules (ddl_cast_lookup), the target type each engine's casting
** rules give (xDdlType, through ddl_type), and the column's default
** translated for the target (ddl_default, skip_literal).
**
** Input: byte 0 the source engine, the target engine and the column's
** kind; the rest "type\ndefault\ncast".
*/
#include "fuzz.h"
#include "../../vtab/migrate/ddl.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const azEngine[] = { "postgresql", "mysql", "sqlite" };
  if( size < 1 ) return 0;
  unsigned b = data[0];
  char *z = fz_string(data + 1, size - 1);
  char *az[3] = { z, 0, 0 };
  int n = fz_split(z, '\n', az, 3);

  ddl_ctx x;
  memset(&x, 0, sizeof(x));
  int iFrom = (int)(b % 3), iTo = (int)((b / 3) % 3);
  x.zEngine = azEngine[iFrom];
  x.pFrom = pt_ddl_dialects[iFrom]->pDdl;
  x.pTo = pt_ddl_dialects[iTo];
  x.same = iFrom == iTo;
  x.zCast = n > 2 ? pt_strdup(az[2]) : 0;
  x.pOut = sqlite3_str_new(0);

  ddl_col c;
  memset(&c, 0, sizeof(c));
  c.zName = "c";
  c.zType = az[0];
  c.zDefault = n > 1 ? az[1] : 0;
  c.kind = (pt_kind)((b / 9) % PT_K_COUNT);
  c.iKey = (b & 0x80) ? 1 : 0;

  sqlite3_str *s = sqlite3_str_new(0);
  if( ddl_type(&x, s, &c, "\"c\"", c.iKey) == SQLITE_OK ) {
    char *zTarget = sqlite3_str_finish(s);
    s = sqlite3_str_new(0);
    ddl_default(&x, s, &c, zTarget ? zTarget : "");
    sqlite3_free(zTarget);
  }
  sqlite3_free(sqlite3_str_finish(s));

  pt_ddl_col t;
  memset(&t, 0, sizeof(t));
  ddl_parse_type(az[0], &t);
  if( t.nArg < 0 || t.nArg > 2 || strlen(t.zBase) > 63 ) abort();
  if( t.zArgs && (t.nArgs < 0 || t.zArgs + t.nArgs > az[0] + strlen(az[0])) ) abort();

  sqlite3_free(x.zCast);
  x.zCast = 0;
  sqlite3_free(x.zErr);
  x.zErr = 0;
  sqlite3_free(sqlite3_str_finish(x.pNote));
  sqlite3_free(sqlite3_str_finish(x.pOut));
  free(z);
  return 0;
}
