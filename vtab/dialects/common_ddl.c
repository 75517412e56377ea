/*
** common_ddl.c — what pontoon_ddl's engine members share (dialect.h,
** pt_ddl_dialect): the engines it writes for, and string literals.
**
**   SELECT pontoon_ddl('old.users', 'postgresql');
**
** 'postgresql' is looked up in pt_ddl_dialects by each dialect's zName or
** its pDdl->zAlias; a new engine adds its dialect here and its members.
*/
#include "pontoon.h"

const pt_dialect *const pt_ddl_dialects[] = {
  &pt_dialect_postgresql,
  &pt_dialect_mysql,
  &pt_dialect_sqlite,
  0,
};

/* Append z[n] as a string literal: quotes doubled, and backslashes too
** where the engine reads them as escapes (backslash 1). */
void pt_ddl_literal(sqlite3_str *s, const char *z, int n, int backslash) {
  sqlite3_str_appendchar(s, 1, '\'');
  for( int i = 0; i < n; i++ ) {
    if( z[i] == '\'' || (backslash && z[i] == '\\') ) sqlite3_str_appendchar(s, 1, z[i]);
    sqlite3_str_appendchar(s, 1, z[i]);
  }
  sqlite3_str_appendchar(s, 1, '\'');
}
