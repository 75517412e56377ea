-- pontoon_checksum (docs/checksum.md) and the canonical text of each kind
-- (docs/diff.md), value by value, on every engine: PostgreSQL, MariaDB, a
-- local SQLite table, and ODBC sources (psqlODBC, MariaDB ODBC, the SQLite
-- ODBC driver, whose rows pontoon hashes itself).
-- issue 13 item 1: the same values give the same text, hence equal
-- checksums, on every engine; values that must differ do.
-- Data: tests/fixtures/checksum.pg.sql, checksum.my.sql; the local and the
-- SQLite ODBC tables are copies of the PostgreSQL one, made by pontoon.
.mode list
.headers on
SELECT pontoon_connect('pg', '@PG_URI_NOPW@') AS pg, pontoon_connect('my', '@MY_URI_NOPW@') AS my,
       pontoon_connect('opg', 'odbc:DSN=pontoon_pg') AS opg, pontoon_connect('omy', 'odbc:DSN=pontoon_my') AS omy,
       pontoon_connect('osq', 'odbc:Driver={SQLite3};Database=@TMP@/ck.db') AS osq;
CREATE VIRTUAL TABLE pv USING pontoon(pg, ck.v);
CREATE VIRTUAL TABLE mv USING pontoon(my, ck_v);
CREATE VIRTUAL TABLE opv USING pontoon(opg, ck.v);
CREATE VIRTUAL TABLE omv USING pontoon(omy, ck_v);
-- a local copy, its columns declared as a user would
CREATE TABLE lv (id INTEGER PRIMARY KEY, i INTEGER, u, dec, f8 REAL, f4 REAL, b BOOLEAN, t TEXT,
                 bin BLOB, d DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, js JSON, ch TEXT, arr TEXT);
INSERT INTO lv SELECT * FROM pv;
-- a SQLite file reached through ODBC, written by pontoon
SELECT pontoon_exec('osq', 'CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, u, dec, f8 REAL, f4 REAL, b BOOLEAN, t TEXT, bin BLOB, d DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMP, js TEXT)') AS created;
CREATE VIRTUAL TABLE ov USING pontoon(osq, v);
INSERT INTO ov SELECT id, i, u, dec, f8, f4, b, t, bin, d, tm, ts, tz, js FROM pv;

-- The canonical text of each value (NULL: SQL NULL), by column, row and
-- options; the checksum of one value is that of a one-row, one-column
-- table: '1:' and the 60 bits of md5 of the text ('\N' for NULL, '\' and
-- '|' escaped).
CREATE TABLE expect (col TEXT, id INT, opts TEXT DEFAULT '', txt TEXT);
INSERT INTO expect(col, id, txt) VALUES
 ('i', 1, '0'), ('i', 2, '-9223372036854775808'), ('i', 3, '9223372036854775807'), ('i', 4, NULL), ('i', 5, '42'), ('i', 6, '-1'),
 ('u', 1, '0'), ('u', 2, '18446744073709551615'), ('u', 3, NULL), ('u', 5, '5'),
 ('dec', 1, '0'), ('dec', 2, '1.5'), ('dec', 3, '0'), ('dec', 4, NULL), ('dec', 5, '12345678901234567890.5'), ('dec', 6, '1.51'), ('dec', 7, '0.001'), ('dec', 8, '100'),
 ('f8', 1, '0'), ('f8', 2, '0.1'), ('f8', 3, '-1234.5'), ('f8', 4, NULL), ('f8', 5, '1' || replace(hex(zeroblob(300)), '00', '0')),
 ('f8', 6, '0.3'), ('f8', 7, '0.00000015'), ('f8', 8, '123456.789012346'),
 ('f4', 1, '0'), ('f4', 2, '0.100000001490116'), ('f4', 3, NULL), ('f4', 5, '1.5'), ('f4', 6, '-2.5'), ('f4', 7, '3'), ('f4', 8, '0.5'),
 ('b', 1, '0'), ('b', 2, '1'), ('b', 3, NULL), ('b', 6, '1'),
 ('t', 1, ''), ('t', 2, 'a '), ('t', 3, 'é😀|\x'), ('t', 4, NULL), ('t', 5, 'a'), ('t', 6, 'A'), ('t', 7, '\N'), ('t', 8, 'x\|y'),
 ('bin', 1, ''), ('bin', 2, '00'), ('bin', 3, '00ff10'), ('bin', 4, NULL), ('bin', 5, '61'), ('bin', 7, '5c'), ('bin', 8, '7c'),
 ('d', 1, '2024-02-29'), ('d', 2, '1999-12-31'), ('d', 3, NULL), ('d', 5, '0001-01-01'),
 ('tm', 1, '00:00:00.000000'), ('tm', 2, '13:45:59.123456'), ('tm', 3, '23:59:59.999999'), ('tm', 4, NULL), ('tm', 5, '00:00:00.500000'),
 ('ts', 1, '2024-01-01 00:00:00.000000'), ('ts', 2, '2024-06-01 10:00:00.000001'), ('ts', 3, '1970-01-01 00:00:00.500000'), ('ts', 5, '2024-01-01 12:00:00.123000'),
 ('tz', 1, '2024-01-01 00:00:00.000000'), ('tz', 2, '2024-06-01 10:00:00.500000'), ('tz', 3, NULL), ('tz', 5, '2024-01-01 12:00:00.123000'),
 ('js', 1, '{}'), ('js', 2, '{"a": 1}'), ('js', 3, NULL), ('js', 5, '[1, "x"]'),
 ('ch', 1, 'ab  '), ('ch', 2, 'ab  '), ('ch', 3, NULL),
 ('arr', 1, '[]'), ('arr', 2, '[1,2]'), ('arr', 3, NULL);
-- float_digits= and time_precision=
INSERT INTO expect VALUES
 ('f8', 6, 'float_digits=17', '0.30000000000000004'), ('f8', 8, 'float_digits=6', '123457'),
 ('f8', 2, 'float_digits=1', '0.1'), ('f8', 3, 'float_digits=2', '-1200'), ('f4', 2, 'float_digits=7', '0.1'),
 ('dec', 6, 'float_digits=2', '1.51'),
 ('ts', 2, 'time_precision=0', '2024-06-01 10:00:00'), ('ts', 2, 'time_precision=5', '2024-06-01 10:00:00.00000'),
 ('tm', 2, 'time_precision=3', '13:45:59.123'), ('tz', 2, 'time_precision=1', '2024-06-01 10:00:00.5'),
 ('tm', 3, 'time_precision=0', '23:59:59');
CREATE TABLE engines (tab TEXT, pgonly INT);
INSERT INTO engines VALUES ('pv', 1), ('mv', 0), ('lv', 1), ('ov', 0), ('opv', 1), ('omv', 0);
CREATE VIEW wanted AS
  SELECT e.tab, x.col, x.id, x.opts, x.txt,
         printf('1:%016x', (SELECT pontoon_hash_sum(r) FROM (SELECT coalesce(replace(replace(x.txt, '\', '\\'), '|', '\|'), '\N') AS r))) AS sum
  FROM engines e, expect x WHERE e.pgonly OR x.col NOT IN ('ch', 'arr');
CREATE TABLE got AS
  SELECT tab, col, id, opts, txt, sum, pontoon_checksum(tab, 'columns=' || col || ' where=id=' || id || ' ' || opts) AS got
  FROM wanted;
-- every value on every engine: no line below the count
SELECT tab, count(*) AS checked, sum(got = sum) AS equal FROM got GROUP BY tab ORDER BY tab;
SELECT tab, col, id, opts, txt, got, sum AS wanted FROM got WHERE got IS NOT sum;

-- whole tables: equal on every engine
SELECT tab, pontoon_checksum(tab, CASE WHEN pgonly THEN 'exclude=ch,arr' ELSE '' END) AS checksum FROM engines ORDER BY tab;
SELECT count(DISTINCT pontoon_checksum(tab, 'columns=id,i,u,dec,f8,f4,b,t,bin,d,tm,ts,tz,js')) AS distinct_checksums FROM engines;
SELECT count(DISTINCT pontoon_checksum(tab, 'where=id<3 float_digits=6 time_precision=0 columns=id,i,f8,f4,ts,tz,tm')) AS distinct_checksums FROM engines;

-- values that must differ do, on every engine: NULL and '', 'a' and
-- 'a ', 'a' and 'A', 1.5 and 1.51, one microsecond, one byte
SELECT tab, pontoon_checksum(tab, 'columns=t where=id=1') <> pontoon_checksum(tab, 'columns=t where=id=4') AS null_empty,
       pontoon_checksum(tab, 'columns=t where=id=2') <> pontoon_checksum(tab, 'columns=t where=id=5') AS trailing_space,
       pontoon_checksum(tab, 'columns=t where=id=5') <> pontoon_checksum(tab, 'columns=t where=id=6') AS a_case,
       pontoon_checksum(tab, 'columns=dec where=id=2') <> pontoon_checksum(tab, 'columns=dec where=id=6') AS dec_1_5_1_51,
       pontoon_checksum(tab, 'columns=ts where=id=2') <> pontoon_checksum(tab, 'columns=ts where=id=2 time_precision=5') AS microsecond,
       pontoon_checksum(tab, 'columns=bin where=id=1') <> pontoon_checksum(tab, 'columns=bin where=id=2') AS zero_byte,
       pontoon_checksum(tab, 'columns=bin where=id=3') <> pontoon_checksum(tab, 'columns=bin where=id=2') AS bytes
  FROM engines ORDER BY tab;
-- the separator cannot be forged: ('a|', 'b') and ('a', '|b') differ
CREATE TABLE sep (id INTEGER PRIMARY KEY, x TEXT, y TEXT);
INSERT INTO sep VALUES (1, 'a|', 'b'), (2, 'a', '|b'), (3, '\N', NULL), (4, NULL, '\N');
SELECT pontoon_checksum('sep', 'columns=x,y where=id=1') <> pontoon_checksum('sep', 'columns=x,y where=id=2') AS forged_sep,
       pontoon_checksum('sep', 'columns=x,y where=id=3') <> pontoon_checksum('sep', 'columns=x,y where=id=4') AS forged_null;
-- float_digits hides a difference in the 17th digit and nothing more
CREATE TABLE fl (id INTEGER PRIMARY KEY, r REAL);
INSERT INTO fl VALUES (1, 0.1 + 0.2), (2, 0.3), (3, 0.30000000000001);
SELECT pontoon_checksum('fl', 'columns=r where=id=1') = pontoon_checksum('fl', 'columns=r where=id=2') AS hidden_at_15,
       pontoon_checksum('fl', 'columns=r where=id=1 float_digits=17') <> pontoon_checksum('fl', 'columns=r where=id=2 float_digits=17') AS seen_at_17,
       pontoon_checksum('fl', 'columns=r where=id=2') <> pontoon_checksum('fl', 'columns=r where=id=3') AS seen_14th_digit;

-- an empty table, a where that keeps nothing
CREATE TABLE empty (a INT);
SELECT pontoon_checksum('empty') AS empty, pontoon_checksum('pv', 'where=id>100') AS pg_none, pontoon_checksum('mv', 'where=id>100') AS my_none;

-- bad input: clear errors naming the table
SELECT pontoon_checksum('nosuch');
SELECT pontoon_checksum('pv', 'columns=id,nosuch');
SELECT pontoon_checksum('mv', 'exclude=nosuch');
SELECT pontoon_checksum('lv', 'bogus=1');
SELECT pontoon_checksum('lv', 'float_digits=18');
SELECT pontoon_checksum('lv', 'time_precision=7');
SELECT pontoon_checksum('pv', 'where=nosuch>1');
SELECT pontoon_checksum('mv', 'where=nosuch>1');
SELECT pontoon_checksum(NULL);
-- key= is accepted, as pontoon_copy's
SELECT pontoon_checksum('lv', 'key=id columns=id') = pontoon_checksum('pv', 'columns=id') AS key_ok;
-- it reaches servers: a view cannot call it (DIRECTONLY)
CREATE VIEW ck_view AS SELECT pontoon_checksum('pv') AS c;
SELECT * FROM ck_view;
