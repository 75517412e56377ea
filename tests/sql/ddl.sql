-- pontoon_ddl (docs/ddl.md): issue 14.  Every casting rule by a round
-- trip: the target's table created with pontoon_ddl, the rows copied with
-- pontoon_copy, and pontoon_diff finds no row that differs (0).  MySQL ->
-- PostgreSQL, PostgreSQL -> MySQL, both -> SQLite; then indexes,
-- constraints and sequences after the copy, zero dates, names, collations,
-- and every refusal.  Data: tests/fixtures/ddl.my.sql, ddl.pg.sql.
.mode list
.headers on
SELECT pontoon_connect('pg', '@PG_URI_NOPW@') AS pg, pontoon_connect('my', '@MY_URI_NOPW@') AS my;
ATTACH ':memory:' AS s;
ATTACH ':memory:' AS d;
SELECT pontoon_import('pg', 's', 'ddl') AS pg_tables;
CREATE VIRTUAL TABLE s.my_all USING pontoon(my, ddl_my_all);
CREATE VIRTUAL TABLE s.my_child USING pontoon(my, ddl_my_child);
CREATE VIRTUAL TABLE s.my_zero USING pontoon(my, ddl_my_zero);
CREATE VIRTUAL TABLE s.my_ci USING pontoon(my, ddl_my_ci);
CREATE VIRTUAL TABLE s.my_case USING pontoon(my, "ddl_My Case");
CREATE VIRTUAL TABLE s.my_geo USING pontoon(my, ddl_my_geo);

-- issue 14 items 1-2: MySQL -> PostgreSQL, every rule of the table (the
-- statements themselves are the casting table's rows)
SELECT pontoon_ddl('s.my_all', 'postgresql') AS ddl;
-- (the tables go to public: this harness's user is named pontoon, like the
-- ledger's schema, which "$user" in the search path would pick first)
SELECT pontoon_exec('pg', 'SET search_path = public; ' || pontoon_ddl('s.my_all', 'postgresql')) AS created;
SELECT pontoon_exec('pg', 'SET search_path = public; ' || pontoon_ddl('s.my_child', 'postgresql')) AS created;
SELECT pontoon_exec('pg', 'SET search_path = public; ' || pontoon_ddl('s.my_case', 'postgresql')) AS created;
CREATE VIRTUAL TABLE d.my_all USING pontoon(pg, ddl_my_all);
CREATE VIRTUAL TABLE d.my_child USING pontoon(pg, ddl_my_child);
CREATE VIRTUAL TABLE d.my_case USING pontoon(pg, "ddl_My Case");
SELECT sum(rows) AS copied FROM pontoon_copy('s.my_all', 'd.my_all', 'job=ddl-1');
SELECT sum(rows) AS copied FROM pontoon_copy('s.my_child', 'd.my_child', 'job=ddl-2');
SELECT sum(rows) AS copied FROM pontoon_copy('s.my_case', 'd.my_case', 'job=ddl-3');
SELECT (SELECT count(*) FROM pontoon_diff('s.my_all', 'd.my_all')) AS my_all_diff,
       (SELECT count(*) FROM pontoon_diff('s.my_child', 'd.my_child')) AS my_child_diff,
       (SELECT count(*) FROM pontoon_diff('s.my_case', 'd.my_case')) AS my_case_diff;
-- a diff that could fail: a changed value shows
UPDATE d.my_all SET bu = '18446744073709551614' WHERE id = 1;
SELECT key, side, columns FROM pontoon_diff('s.my_all', 'd.my_all');
UPDATE d.my_all SET bu = '18446744073709551615' WHERE id = 1;
-- the types PostgreSQL now has
CREATE VIRTUAL TABLE d.cols USING pontoon(pg, query='SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, is_nullable::text AS n, column_default::text AS dflt, is_identity::text AS ident FROM information_schema.columns WHERE table_name IN (''ddl_my_all'', ''ddl_My Case'') ORDER BY table_name, ordinal_position');
SELECT * FROM d.cols;
-- item 4: indexes and constraints after the copy, from MySQL's catalog;
-- sequences: the identity goes on from max(id) + 1
SELECT pontoon_ddl('s.my_all', 'postgresql', 'indexes') AS indexes;
SELECT pontoon_ddl('s.my_all', 'postgresql', 'constraints') AS constraints;
SELECT pontoon_ddl('s.my_child', 'postgresql', 'constraints') AS constraints;
SELECT pontoon_ddl('s.my_all', 'postgresql', 'sequences') AS sequences;
SELECT pontoon_exec('pg', pontoon_ddl('s.my_all', 'postgresql', 'indexes')) AS indexes,
       pontoon_exec('pg', pontoon_ddl('s.my_all', 'postgresql', 'constraints')) AS constraints,
       pontoon_exec('pg', pontoon_ddl('s.my_child', 'postgresql', 'constraints')) AS fks,
       pontoon_exec('pg', pontoon_ddl('s.my_all', 'postgresql', 'sequences')) AS sequences;
SELECT pontoon_exec('pg', 'INSERT INTO ddl_my_all (flag, vc) VALUES (false, ''new row'')') AS inserted;
SELECT id, flag, vc, de, en FROM d.my_all WHERE vc = 'new row';
-- the constraints hold: a duplicate, an orphan, a failed check, a bad enum
SELECT pontoon_exec('pg', 'INSERT INTO ddl_my_all (vc) VALUES (''new row'')');
SELECT pontoon_exec('pg', 'INSERT INTO ddl_my_child VALUES (9, 99)');
SELECT pontoon_exec('pg', 'INSERT INTO ddl_my_all (vc, de, dt6) VALUES (''neg'', -500, NULL)');
SELECT pontoon_exec('pg', 'INSERT INTO ddl_my_all (vc, en, dt6) VALUES (''bad enum'', ''c'', NULL)');

-- item 3: a MySQL _ci key: PostgreSQL compares exactly, and the
-- statement says so in a comment
SELECT pontoon_ddl('s.my_ci', 'postgresql') AS ddl;

-- zero dates: kept as written by pontoon, so PostgreSQL's date refuses
-- them at the copy; cast= makes them text, and the round trip is exact
SELECT pontoon_ddl('s.my_zero', 'postgresql') AS ddl;
SELECT pontoon_exec('pg', 'SET search_path = public; ' || pontoon_ddl('s.my_zero', 'postgresql')) AS created;
CREATE VIRTUAL TABLE d.my_zero USING pontoon(pg, ddl_my_zero);
SELECT sum(rows) AS copied FROM pontoon_copy('s.my_zero', 'd.my_zero', 'job=ddl-4');
SELECT pontoon_exec('pg', 'DROP TABLE ddl_my_zero') AS dropped;
SELECT pontoon_ddl('s.my_zero', 'postgresql', 'table', 'cast=''date=varchar(10),datetime=varchar(19)''') AS ddl;
SELECT pontoon_exec('pg', 'SET search_path = public; ' || pontoon_ddl('s.my_zero', 'postgresql', 'table', 'cast=''date=varchar(10),datetime=varchar(19)''')) AS created;
DROP TABLE d.my_zero;
CREATE VIRTUAL TABLE d.my_zero USING pontoon(pg, ddl_my_zero);
SELECT sum(rows) AS copied FROM pontoon_copy('s.my_zero', 'd.my_zero', 'job=ddl-zero2');
SELECT * FROM d.my_zero ORDER BY id;
-- (MySQL's canonical datetime has six fractional digits, the text none)
SELECT count(*) AS zero_diff FROM pontoon_diff('s.my_zero', 'd.my_zero', 'time_precision=0');

-- items 1-2: PostgreSQL -> MySQL; numeric without precision is refused
-- until cast= accepts decimal(65,30)
SELECT pontoon_ddl('s.ddl_pg_all', 'mysql') AS ddl;
SELECT pontoon_ddl('s.ddl_pg_all', 'mysql', 'all', 'cast=numeric=decimal(65,30)') AS ddl;
SELECT pontoon_exec('my', pontoon_ddl('s.ddl_pg_all', 'mysql', 'table', 'cast=numeric=decimal(65,30)')) AS created;
SELECT pontoon_ddl('s.ddl_pg_words', 'mysql') AS ddl;
SELECT column1 AS name, pontoon_exec('my', pontoon_ddl('s.' || column1, 'mysql')) AS created
  FROM (VALUES ('ddl_pg_words'), ('ddl_pg_parent'), ('ddl_pg_child'));
CREATE VIRTUAL TABLE d.pg_all USING pontoon(my, ddl_pg_all);
CREATE VIRTUAL TABLE d.pg_words USING pontoon(my, ddl_pg_words);
CREATE VIRTUAL TABLE d.pg_parent USING pontoon(my, ddl_pg_parent);
CREATE VIRTUAL TABLE d.pg_child USING pontoon(my, ddl_pg_child);
SELECT sum(rows) AS copied FROM pontoon_copy('s.ddl_pg_all', 'd.pg_all', 'job=ddl-5');
SELECT sum(rows) AS copied FROM pontoon_copy('s.ddl_pg_words', 'd.pg_words', 'job=ddl-6');
SELECT sum(rows) AS copied FROM pontoon_copy('s.ddl_pg_parent', 'd.pg_parent', 'job=ddl-7');
SELECT sum(rows) AS copied FROM pontoon_copy('s.ddl_pg_child', 'd.pg_child', 'job=ddl-8');
SELECT (SELECT count(*) FROM pontoon_diff('s.ddl_pg_all', 'd.pg_all')) AS pg_all_diff,
       (SELECT count(*) FROM pontoon_diff('s.ddl_pg_words', 'd.pg_words')) AS pg_words_diff,
       (SELECT count(*) FROM pontoon_diff('s.ddl_pg_parent', 'd.pg_parent')) AS pg_parent_diff,
       (SELECT count(*) FROM pontoon_diff('s.ddl_pg_child', 'd.pg_child')) AS pg_child_diff;
-- the text key kept 'a', 'A' and 'a ' apart (binary, no padding)
SELECT count(*) AS words FROM d.pg_words;
SELECT pontoon_ddl('s.ddl_pg_parent', 'mysql', 'constraints') AS constraints;
SELECT pontoon_ddl('s.ddl_pg_child', 'mysql', 'constraints') AS constraints;
SELECT pontoon_exec('my', pontoon_ddl('s.ddl_pg_all', 'mysql', 'indexes')) AS indexes,
       pontoon_exec('my', pontoon_ddl('s.ddl_pg_all', 'mysql', 'constraints')) AS constraints,
       pontoon_exec('my', pontoon_ddl('s.ddl_pg_parent', 'mysql', 'constraints')) AS uniques,
       pontoon_exec('my', pontoon_ddl('s.ddl_pg_child', 'mysql', 'constraints')) AS fks,
       pontoon_exec('my', pontoon_ddl('s.ddl_pg_parent', 'mysql', 'sequences')) AS sequences;
SELECT pontoon_exec('my', 'INSERT INTO ddl_pg_parent (name) VALUES (''eleven'')') AS inserted;
SELECT id, name FROM d.pg_parent ORDER BY id;
SELECT pontoon_exec('my', 'INSERT INTO ddl_pg_child VALUES (3, 3, 99)');
SELECT pontoon_exec('my', 'INSERT INTO ddl_pg_all (id, b, i2) VALUES (100, 1, -1)');
SELECT pontoon_exec('my', 'INSERT INTO ddl_pg_parent (name) VALUES (''one'')');

-- items 1-2: both -> SQLite: the types whose affinity keeps each value
SELECT pontoon_ddl('s.my_all', 'sqlite', 'all') AS ddl;
.echo off
.output @TMP@/ddl_local.sql
.headers off
SELECT pontoon_ddl('s.my_all', 'sqlite', 'all') || ';';
SELECT pontoon_ddl('s.ddl_pg_all', 'sqlite', 'all') || ';';
.output stdout
.headers on
.echo on
.read @TMP@/ddl_local.sql
SELECT sum(rows) AS copied FROM pontoon_copy('s.my_all', 'main.ddl_my_all', 'job=ddl-9');
SELECT sum(rows) AS copied FROM pontoon_copy('s.ddl_pg_all', 'main.ddl_pg_all', 'job=ddl-10');
SELECT (SELECT count(*) FROM pontoon_diff('s.my_all', 'main.ddl_my_all')) AS my_all_diff,
       (SELECT count(*) FROM pontoon_diff('s.ddl_pg_all', 'main.ddl_pg_all')) AS pg_all_diff;
SELECT bu, typeof(bu), de, typeof(de) FROM main.ddl_my_all ORDER BY id;
-- a local table as the source: SQLite -> PostgreSQL and MySQL
CREATE TABLE ddl_local (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x', score REAL, data BLOB, n INT);
CREATE UNIQUE INDEX ddl_local_name ON ddl_local (name);
INSERT INTO ddl_local VALUES (1, 'a', 0.5, x'00', 1), (4, 'b', NULL, NULL, NULL);
SELECT pontoon_ddl('ddl_local', 'postgresql', 'all') AS ddl;
SELECT pontoon_ddl('ddl_local', 'mysql', 'all') AS ddl;
SELECT pontoon_exec('pg', 'SET search_path = public; ' || pontoon_ddl('ddl_local', 'postgresql')) AS created;
CREATE VIRTUAL TABLE d.local USING pontoon(pg, ddl_local);
SELECT sum(rows) AS copied FROM pontoon_copy('main.ddl_local', 'd.local', 'job=ddl-11');
SELECT count(*) AS local_diff FROM pontoon_diff('main.ddl_local', 'd.local');

-- item 5: a whole schema in one statement
SELECT pontoon_ddl('s.' || name, 'sqlite') IS NOT NULL AS ok, name
  FROM pragma_table_list WHERE schema = 's' AND name LIKE 'ddl_pg_%' AND name <> 'ddl_pg_iv' ORDER BY name;
SELECT length(group_concat(pontoon_ddl('s.' || name, 'mysql', 'table', 'cast=numeric=decimal(65,30)'), ';')) > 0 AS one_text
  FROM pragma_table_list WHERE schema = 's' AND name LIKE 'ddl_pg_%' AND name <> 'ddl_pg_iv';

-- refusals: no rule, a bad dialect, a bad what, an unknown option, no table
SELECT pontoon_ddl('s.my_geo', 'postgresql');
SELECT pontoon_ddl('s.ddl_pg_iv', 'mysql');
SELECT pontoon_ddl('s.ddl_pg_iv', 'mysql', 'table', 'cast=interval=varchar(64)') AS ddl;
SELECT pontoon_ddl('s.my_all', 'oracle');
SELECT pontoon_ddl('s.my_all', 'postgresql', 'views');
SELECT pontoon_ddl('s.my_all', 'postgresql', 'table', 'casts=x');
SELECT pontoon_ddl('s.nothing', 'postgresql');
SELECT pontoon_ddl(NULL, 'postgresql');
-- nothing to say: NULL, so that group_concat skips it
SELECT pontoon_ddl('s.ddl_pg_words', 'postgresql', 'sequences') IS NULL AS no_sequences;
-- table= names the target
SELECT pontoon_ddl('s.my_case', 'mysql', 'table', 'table=Other') AS ddl;
