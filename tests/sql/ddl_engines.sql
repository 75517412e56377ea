-- pontoon_ddl's engine knowledge as dialect members (issue 14, its last
-- item; vtab/dialect.h pt_ddl_dialect, vtab/dialects/*_ddl.c): the source's
-- catalog queries take the schema and table as parameters (a local table
-- in an attached database with quotes in its names), the target's
-- statements and the dialect names come from the members, and a check is
-- refused only for pieces of the source engine's own syntax.
-- Data: tests/fixtures/ddl_engines.my.sql, ddl_engines.pg.sql.
.mode list
.headers on
SELECT pontoon_connect('pg', '@PG_URI_NOPW@') AS pg, pontoon_connect('my', '@MY_URI_NOPW@') AS my;
ATTACH ':memory:' AS aux;

-- a local table read through SQLite's PRAGMAs with its database and name
-- as parameters: quotes and a "$1" in the names stay names
CREATE TABLE aux."it's" ("id" INTEGER PRIMARY KEY, "a$1" TEXT NOT NULL DEFAULT 'it''s', "p" INT
  REFERENCES "it's" ("id") ON DELETE CASCADE);
CREATE UNIQUE INDEX aux."it's a$1" ON "it's" ("a$1");
CREATE INDEX aux."it's p" ON "it's" ("p");
SELECT pontoon_ddl('aux."it''s"', 'postgresql', 'all') AS ddl;
SELECT pontoon_ddl('aux."it''s"', 'mysql', 'all') AS ddl;
-- a table of the same name in main is another table
CREATE TABLE main."it's" (other REAL);
SELECT pontoon_ddl('main."it''s"', 'postgresql') AS ddl;

-- the dialect argument: names and aliases from the members
SELECT pontoon_ddl('aux."it''s"', 'MariaDB') = pontoon_ddl('aux."it''s"', 'mysql') AS mariadb,
       pontoon_ddl('aux."it''s"', 'postgres') = pontoon_ddl('aux."it''s"', 'postgresql') AS postgres;
SELECT pontoon_ddl('aux."it''s"', 'ansi');

-- a MySQL check whose string literals hold "::" and "~" translates (they
-- are PostgreSQL's syntax, not MySQL's); its default keeps its backslash
CREATE VIRTUAL TABLE my_eng USING pontoon(my, ddl_eng_my);
SELECT pontoon_ddl('my_eng', 'postgresql', 'all') AS ddl;
SELECT pontoon_exec('pg', 'SET search_path = public; ' || pontoon_ddl('my_eng', 'postgresql', 'all')) AS created;
CREATE VIRTUAL TABLE pg_eng_my USING pontoon(pg, ddl_eng_my);
SELECT sum(rows) AS copied FROM pontoon_copy('my_eng', 'pg_eng_my', 'job=ddl-eng-1');
SELECT count(*) AS diff FROM pontoon_diff('my_eng', 'pg_eng_my');
SELECT pontoon_exec('pg', 'SET search_path = public; ' || pontoon_ddl('my_eng', 'postgresql', 'sequences')) AS sequences;
-- the identity goes on from max + 1, and the check holds on PostgreSQL
SELECT pontoon_exec('pg', 'INSERT INTO public.ddl_eng_my (s) VALUES (''three'')') AS inserted;
SELECT pontoon_exec('pg', 'INSERT INTO public.ddl_eng_my (s) VALUES (''x::y'')');
SELECT id, s FROM pg_eng_my ORDER BY id;

-- a PostgreSQL check with a cast is left out for MySQL, with a note
CREATE VIRTUAL TABLE pg_eng USING pontoon(pg, ddl_eng_pg);
SELECT pontoon_ddl('pg_eng', 'mysql', 'all') AS ddl;
SELECT pontoon_ddl('pg_eng', 'postgresql', 'constraints') AS same_engine;
SELECT pontoon_ddl('pg_eng', 'sqlite', 'all') AS ddl;
