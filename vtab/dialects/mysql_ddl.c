/*
** mysql_ddl.c — what pontoon_ddl knows of MySQL / MariaDB beyond its
** casting rules (mysql.c's xDdlType): its catalog (information_schema) as a
** source, its keys, indexes, collations and AUTO_INCREMENT as a target
** (dialect.h, pt_ddl_dialect).
**
**   SELECT pontoon_ddl('s.users', 'postgresql');      -- information_schema
**   SELECT pontoon_ddl('s.users', 'mysql', 'sequences');
**   -- SET @pontoon_ddl = CONCAT('ALTER TABLE `users` AUTO_INCREMENT = ',
**   --   (SELECT COALESCE(MAX(`id`), 0) + 1 FROM `users`)); PREPARE ...
*/
#include <string.h>
#include "pontoon.h"

/* Table names compare in binary: MySQL's may ignore case. */
#define MY_COLUMNS \
  "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE = 'NO', c.COLUMN_DEFAULT, " \
  "c.EXTRA LIKE '%auto_increment%', " \
  "COALESCE((SELECT k.ORDINAL_POSITION FROM information_schema.KEY_COLUMN_USAGE k " \
  "WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME " \
  "AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'), 0), " \
  "c.COLLATION_NAME, COALESCE(RIGHT(c.COLLATION_NAME, 3) = '_ci', 0) " \
  "FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = COALESCE($1, DATABASE()) " \
  "AND BINARY c.TABLE_NAME = $2 ORDER BY c.ORDINAL_POSITION"

static const char *const azMyIndexes[] = {
  "SELECT INDEX_NAME, 'i', COLUMN_NAME, NULL, NULL, NULL, NULL, NULL, "
  "CASE WHEN INDEX_TYPE NOT IN ('BTREE', 'HASH') THEN CONCAT('a ', INDEX_TYPE, ' index') "
  "WHEN COLUMN_NAME IS NULL THEN 'an index on expressions' END "
  "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = COALESCE($1, DATABASE()) "
  "AND BINARY TABLE_NAME = $2 AND INDEX_NAME <> 'PRIMARY' AND NON_UNIQUE = 1 "
  "ORDER BY INDEX_NAME, SEQ_IN_INDEX",
  0
};

/* Unique keys, foreign keys, checks (MariaDB's json_valid checks of its
** json columns left out: the type says it). */
static const char *const azMyConstraints[] = {
  "SELECT INDEX_NAME, 'U', COLUMN_NAME, NULL, NULL, NULL, NULL, NULL, "
  "CASE WHEN COLUMN_NAME IS NULL THEN 'an index on expressions' END "
  "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = COALESCE($1, DATABASE()) "
  "AND BINARY TABLE_NAME = $2 AND INDEX_NAME <> 'PRIMARY' AND NON_UNIQUE = 0 "
  "ORDER BY INDEX_NAME, SEQ_IN_INDEX",
  "SELECT k.CONSTRAINT_NAME, 'f', k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, "
  "k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE, NULL, NULL "
  "FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
  "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
  "AND r.TABLE_NAME = k.TABLE_NAME "
  "WHERE k.TABLE_SCHEMA = COALESCE($1, DATABASE()) AND BINARY k.TABLE_NAME = $2 "
  "AND k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
  "SELECT cc.CONSTRAINT_NAME, 'c', NULL, NULL, NULL, NULL, NULL, cc.CHECK_CLAUSE, NULL "
  "FROM information_schema.CHECK_CONSTRAINTS cc "
  "WHERE cc.CONSTRAINT_SCHEMA = COALESCE($1, DATABASE()) AND BINARY cc.TABLE_NAME = $2 "
  "AND cc.CHECK_CLAUSE NOT LIKE 'json_valid(%' ORDER BY cc.CONSTRAINT_NAME",
  0
};

static const char *const azMyCheckOwn[] = { "json_valid", 0 };

static char *myCiNote(const char *zCol, const char *zColl, const char *zTo) {
  return sqlite3_mprintf(
    "key column %s compares ignoring case on MySQL (%s); on %s it compares "
    "exactly: keys that differ only in case or trailing spaces become distinct",
    zCol, zColl ? zColl : "_ci", zTo);
}

/* Types an index takes only by a prefix: longtext, longblob, json, text. */
static int myIndexPrefix(const char *z) {
  if( strncmp(z, "long", 4) == 0 || strncmp(z, "json", 4) == 0 || strncmp(z, "text", 4) == 0 ||
      strstr(z, "blob") )
    return 255;
  return 0;
}

/* A MySQL column keeps its collation (unless its type names one); from
** another engine a text column is utf8mb4_nopad_bin (xDdlType), exact. */
static int myCollate(sqlite3_str *s, const pt_ddl_col *c, const char *zColl) {
  if( strcmp(c->zEngine, pt_dialect_mysql.zName) != 0 ) return 0;
  if( zColl && !strstr(c->zType, "COLLATE") ) sqlite3_str_appendf(s, " COLLATE %s", zColl);
  return 1;
}

/* ALTER TABLE takes a number, not an expression: through PREPARE. */
static int mySequence(sqlite3_str *s, int iStmt, const char *zTable, const char *zCol,
                      const char *zQuotedCol) {
  (void)zCol;
  switch( iStmt ) {
    case 0: {
      char *zAlter = sqlite3_mprintf("ALTER TABLE %s AUTO_INCREMENT = ", zTable);
      sqlite3_str_appendall(s, "SET @pontoon_ddl = CONCAT(");
      pt_ddl_literal(s, zAlter ? zAlter : "", zAlter ? (int)strlen(zAlter) : 0, 1);
      sqlite3_str_appendf(s, ", (SELECT COALESCE(MAX(%s), 0) + 1 FROM %s))", zQuotedCol, zTable);
      sqlite3_free(zAlter);
      return 1;
    }
    case 1: sqlite3_str_appendall(s, "PREPARE pontoon_ddl FROM @pontoon_ddl"); return 1;
    case 2: sqlite3_str_appendall(s, "EXECUTE pontoon_ddl"); return 1;
    case 3: sqlite3_str_appendall(s, "DEALLOCATE PREPARE pontoon_ddl"); return 1;
    default: return 0;
  }
}

const pt_ddl_dialect pt_ddl_mysql = {
  .zTitle = "MySQL",
  .zAlias = "mariadb",
  .backslash = 1,
  .zColumns = MY_COLUMNS,
  .azIndexes = azMyIndexes,
  .azConstraints = azMyConstraints,
  .zCharLength = "char_length",
  .bareTextDefault = 1,
  .cCheckQuote = '`',
  .azCheckOwn = azMyCheckOwn,
  .xCiNote = myCiNote,
  .nowPrecision = 1,
  .zeroDates = 1,
  .nKeyChars = 768,
  .xIndexPrefix = myIndexPrefix,
  .xCollate = myCollate,
  .xSequence = mySequence,
};
