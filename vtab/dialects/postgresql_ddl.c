/*
** postgresql_ddl.c — what pontoon_ddl knows of PostgreSQL beyond its
** casting rules (postgresql.c's xDdlType): its catalog (pg_catalog) as a
** source, its identities as a target (dialect.h, pt_ddl_dialect).
**
**   SELECT pontoon_ddl('s.orders', 'mysql');          -- reads pg_catalog
**   SELECT pontoon_ddl('s.orders', 'postgresql', 'sequences');
**   -- SELECT setval(pg_get_serial_sequence('"orders"', 'id'),
**   --   coalesce(max("id"), 0) + 1, false) FROM "orders"
*/
#include <string.h>
#include "pontoon.h"

/* The table's oid, the handle ($3) of the other queries. */
#define PG_TABLE \
  "SELECT c.oid::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " \
  "WHERE n.nspname = coalesce($1, current_schema()) AND c.relname = $2"

/* Identity and serial columns are the numbered ones; a generated column's
** expression is no default. */
#define PG_COLUMNS \
  "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::int, " \
  "CASE WHEN a.attidentity = '' AND a.attgenerated = '' " \
  "THEN pg_get_expr(d.adbin, d.adrelid) END, " \
  "(a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', " \
  "false))::int, " \
  "coalesce((SELECT k.n FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(att, n) " \
  "WHERE i.indrelid = a.attrelid AND i.indisprimary AND k.att = a.attnum), 0)::int, " \
  "CASE WHEN co.collname <> 'default' THEN co.collname END, " \
  "(NOT coalesce(co.collisdeterministic, true))::int " \
  "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum " \
  "LEFT JOIN pg_collation co ON co.oid = a.attcollation " \
  "WHERE a.attrelid = $3::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"

/* Indexes that back no constraint, by key column (INCLUDE columns left). */
static const char *const azPgIndexes[] = {
  "SELECT ic.relname, CASE WHEN ix.indisunique THEN 'u' ELSE 'i' END, a.attname, NULL, NULL, "
  "NULL, NULL, NULL, CASE WHEN ix.indpred IS NOT NULL THEN 'a partial index' "
  "WHEN ix.indexprs IS NOT NULL THEN 'an index on expressions' "
  "WHEN am.amname <> 'btree' THEN 'a ' || am.amname || ' index' END "
  "FROM pg_index ix JOIN pg_class ic ON ic.oid = ix.indexrelid JOIN pg_am am ON am.oid = ic.relam "
  "CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(att, n) "
  "LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.att "
  "WHERE ix.indrelid = $3::oid AND NOT ix.indisprimary AND k.n <= ix.indnkeyatts "
  "AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = ix.indexrelid "
  "AND co.conrelid = ix.indrelid) ORDER BY ic.relname, k.n",
  0
};

/* A foreign key's rules as words (pg_constraint's one-letter codes). */
#define PG_FK_RULE(COL) \
  "CASE " COL " WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' " \
  "WHEN 'r' THEN 'RESTRICT' END"

static const char *const azPgConstraints[] = {
  "SELECT co.conname, CASE co.contype WHEN 'u' THEN 'U' ELSE co.contype::text END, a.attname, "
  "fr.relname, fa.attname, " PG_FK_RULE("co.confupdtype") ", " PG_FK_RULE(
    "co.confdeltype") ", "
                      "CASE WHEN co.contype = 'c' THEN pg_get_constraintdef(co.oid) END, NULL "
                      "FROM pg_constraint co LEFT JOIN LATERAL unnest(co.conkey) WITH ORDINALITY AS k(att, n) "
                      "ON co.contype <> 'c' LEFT JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.att "
                      "LEFT JOIN pg_class fr ON fr.oid = co.confrelid "
                      "LEFT JOIN pg_attribute fa ON fa.attrelid = co.confrelid AND fa.attnum = co.confkey[k.n] "
                      "WHERE co.conrelid = $3::oid AND co.contype IN ('u', 'f', 'c') "
                      "ORDER BY co.contype DESC, co.conname, k.n",
  0
};

/* Casts (::) and regular expressions (~) are PostgreSQL's own. */
static const char *const azPgCheckOwn[] = { "::", "~", 0 };

static char *pgCiNote(const char *zCol, const char *zColl, const char *zTo) {
  return sqlite3_mprintf("key column %s has the nondeterministic collation %s; on %s it compares "
                         "exactly",
                         zCol, zColl ? zColl : "", zTo);
}

/* The identity's sequence set past the copied keys (setval's false: the
** next value is the one given). */
static int pgSequence(sqlite3_str *s, int iStmt, const char *zTable, const char *zCol,
                      const char *zQuotedCol) {
  if( iStmt > 0 ) return 0;
  sqlite3_str_appendall(s, "SELECT setval(pg_get_serial_sequence(");
  pt_ddl_literal(s, zTable, (int)strlen(zTable), 0);
  sqlite3_str_appendall(s, ", ");
  pt_ddl_literal(s, zCol, (int)strlen(zCol), 0);
  sqlite3_str_appendf(s, "), coalesce(max(%s), 0) + 1, false) FROM %s", zQuotedCol, zTable);
  return 1;
}

const pt_ddl_dialect pt_ddl_postgresql = {
  .zTitle = "PostgreSQL",
  .zAlias = "postgres",
  .zTable = PG_TABLE,
  .zColumns = PG_COLUMNS,
  .azIndexes = azPgIndexes,
  .azConstraints = azPgConstraints,
  .zCharLength = "char_length",
  .azCheckOwn = azPgCheckOwn,
  .xCiNote = pgCiNote,
  .zBoolType = "boolean",
  .xSequence = pgSequence,
};
