/*
** sqlite_ddl.c — what pontoon_ddl knows of SQLite beyond its casting rules
** (sqlite.c's xDdlType): a local table's catalog (its PRAGMAs) as a source,
** what ALTER TABLE cannot add as a target (dialect.h, pt_ddl_dialect).
**
**   CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
**   SELECT pontoon_ddl('t', 'postgresql', 'all');
**
** $1 is the table's attached database, $2 its name.  An INTEGER PRIMARY
** KEY, the rowid, is the identity; it numbers from max(rowid) + 1 itself,
** so there is no sequence to set.
*/
#include "pontoon.h"

#define SQ_COLUMNS \
  "SELECT name, type, \"notnull\", dflt_value, " \
  "pk = 1 AND upper(type) = 'INTEGER' AND (SELECT count(*) FROM pragma_table_xinfo($2, $1) " \
  "WHERE pk > 0) = 1, pk, NULL, 0 FROM pragma_table_xinfo($2, $1) WHERE hidden = 0 ORDER BY cid"

/* Indexes by origin: 'c' created, 'u' a UNIQUE constraint, 'pk'. */
static const char *const azSqIndexes[] = {
  "SELECT l.name, CASE WHEN l.\"unique\" THEN 'u' ELSE 'i' END, i.name, NULL, NULL, NULL, NULL, "
  "NULL, CASE WHEN l.partial THEN 'a partial index' WHEN i.cid = -2 THEN 'an index on "
  "expressions' END FROM pragma_index_list($2, $1) l, pragma_index_info(l.name, $1) i "
  "WHERE l.origin = 'c' ORDER BY l.name, i.seqno",
  0
};

/* Unique constraints and foreign keys (named <table>_fk<n>); checks are
** not in the PRAGMAs. */
static const char *const azSqConstraints[] = {
  "SELECT * FROM (SELECT l.name, 'U', i.name, NULL, NULL, NULL, NULL, NULL, NULL "
  "FROM pragma_index_list($2, $1) l, pragma_index_info(l.name, $1) i WHERE l.origin = 'u' "
  "ORDER BY l.name, i.seqno) UNION ALL SELECT * FROM (SELECT $2 || '_fk' || f.id, 'f', "
  "f.\"from\", f.\"table\", f.\"to\", f.on_update, f.on_delete, NULL, NULL "
  "FROM pragma_foreign_key_list($2, $1) f ORDER BY f.id, f.seq)",
  0
};

const pt_ddl_dialect pt_ddl_sqlite = {
  .zTitle = "SQLite",
  .zNoServer = "a SQLite reached through ODBC: attach the file and name its table",
  .zColumns = SQ_COLUMNS,
  .azIndexes = azSqIndexes,
  .azConstraints = azSqConstraints,
  .zCharLength = "length",
  .noAddConstraint = 1,
};
