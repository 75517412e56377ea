-- Every type round-trips: read from one PostgreSQL table, inserted into an
-- empty twin through pontoon, compared on the server (EXCEPT both ways).
-- Then SQLite values written into typed columns convert as a PostgreSQL
-- user expects, and a value that cannot convert fails the statement.
-- Data: tests/fixtures/pg_roundtrip.pg.sql.
.mode list
.headers on
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
CREATE VIRTUAL TABLE src USING pontoon(pg, rt.src);
CREATE VIRTUAL TABLE dst USING pontoon(pg, rt.dst);
INSERT INTO dst SELECT * FROM src;
CREATE VIRTUAL TABLE diff USING pontoon(pg, query='SELECT ''src only'' AS side, id FROM (SELECT id, i2, i4, i8, n_small, n_big, n_free, f4, f8, t, vc, ch, by, bo, d, tm, ts, tstz, iv, u, js::jsonb, jb, ai, at, a2, an, mo, dp FROM rt.src EXCEPT SELECT id, i2, i4, i8, n_small, n_big, n_free, f4, f8, t, vc, ch, by, bo, d, tm, ts, tstz, iv, u, js::jsonb, jb, ai, at, a2, an, mo, dp FROM rt.dst) a UNION ALL SELECT ''dst only'', id FROM (SELECT id, i2, i4, i8, n_small, n_big, n_free, f4, f8, t, vc, ch, by, bo, d, tm, ts, tstz, iv, u, js::jsonb, jb, ai, at, a2, an, mo, dp FROM rt.dst EXCEPT SELECT id, i2, i4, i8, n_small, n_big, n_free, f4, f8, t, vc, ch, by, bo, d, tm, ts, tstz, iv, u, js::jsonb, jb, ai, at, a2, an, mo, dp FROM rt.src) b');
SELECT * FROM diff ORDER BY side, id;
-- column by column, so a difference names its column
CREATE VIRTUAL TABLE coldiff USING pontoon(pg, query='SELECT c.column_name::text AS col, count(*) AS differing FROM information_schema.columns c, rt.src s1 JOIN rt.dst d1 USING (id) WHERE c.table_schema = ''rt'' AND c.table_name = ''src'' AND (to_jsonb(s1) -> c.column_name) IS DISTINCT FROM (to_jsonb(d1) -> c.column_name) GROUP BY 1');
SELECT * FROM coldiff ORDER BY col;
SELECT count(*) AS rows_copied FROM dst;
-- the comparison does see a difference when there is one
SELECT pontoon_exec('pg', 'UPDATE rt.dst SET tstz = tstz + interval ''1 microsecond'' WHERE id = 3');
SELECT * FROM diff ORDER BY side, id;
SELECT * FROM coldiff ORDER BY col;
-- SQLite values into typed columns
DELETE FROM dst;
SELECT count(*) AS left_after_delete FROM dst;
INSERT INTO dst(id, i4, n_small, bo, d, ts, by, f8, ai, t) VALUES
  (10, 7.0, 3, 1, '2024-01-01', '2024-01-01 10:00:00', x'0102', 5, '[1, 2]', 42),
  (11, '8', '2.5', 0, '2024-01-02', '2024-01-01T10:00:00Z', 'bytes', '1e3', '{3,4}', 4.5);
CREATE VIRTUAL TABLE typed USING pontoon(pg, query='SELECT id, i4, n_small::text, bo::text, d::text, ts::text, encode(by, ''hex'') AS by, f8::text, ai::text, t FROM rt.dst WHERE id >= 10 ORDER BY id');
SELECT * FROM typed;
INSERT INTO dst(id, i4) VALUES (12, 2.5);
INSERT INTO dst(id, d) VALUES (13, 'not a date');
INSERT INTO dst(id, bo) VALUES (14, 'maybe');
INSERT INTO dst(id, mo) VALUES (15, 'angry');
INSERT INTO dst(id, dp) VALUES (16, 0);
INSERT INTO dst(id, i2) VALUES (17, 40000);
INSERT INTO dst(id, u) VALUES (18, 'not-a-uuid');
SELECT count(*) FROM dst;
-- types that travel in binary COPY round-trip the same way; a value with no
-- binary form here (a time without seconds) switches the rest to text
CREATE VIRTUAL TABLE bsrc USING pontoon(pg, rt.bsrc);
CREATE VIRTUAL TABLE bdst USING pontoon(pg, rt.bdst);
INSERT INTO bdst SELECT * FROM bsrc;
INSERT INTO bdst(id, ts, tz, n) VALUES (10, '2024-01-01 10:00:00', '2024-01-01 12:00:00+02:00', '0.00000000000000000001'),
  (11, '2024-01-01 10:00', '2024-01-01 10:00', 1e-20), (12, '2024-01-01 10:00:00', NULL, -5);
CREATE VIRTUAL TABLE bdiff USING pontoon(pg, query='SELECT ''src only'' AS side, id FROM (SELECT id, i2, i8, f4, f8, n, t, vc, ch, by, bo, d, ts, tz, u, js::jsonb, jb FROM rt.bsrc EXCEPT SELECT id, i2, i8, f4, f8, n, t, vc, ch, by, bo, d, ts, tz, u, js::jsonb, jb FROM rt.bdst) a UNION ALL SELECT ''dst only'', id FROM (SELECT id, i2, i8, f4, f8, n, t, vc, ch, by, bo, d, ts, tz, u, js::jsonb, jb FROM rt.bdst WHERE id < 10 EXCEPT SELECT id, i2, i8, f4, f8, n, t, vc, ch, by, bo, d, ts, tz, u, js::jsonb, jb FROM rt.bsrc) b');
SELECT * FROM bdiff ORDER BY side, id;
CREATE VIRTUAL TABLE bcheck USING pontoon(pg, query='SELECT id, ts::text, tz::text, n::text, md5(t) AS t_md5 FROM rt.bdst ORDER BY id');
SELECT * FROM bcheck;
