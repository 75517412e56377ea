-- Every PostgreSQL type of docs/types.md read through pontoon: the value,
-- its SQLite type, and the declared affinity of the column.
-- Data: tests/fixtures/pg_types.pg.sql.
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
CREATE VIRTUAL TABLE ty USING pontoon(pg, ty.all_types);
.mode list
.headers on
SELECT name, type FROM pragma_table_info('ty') ORDER BY cid;
-- integers
SELECT id, i2, typeof(i2), i4, typeof(i4), i8, typeof(i8) FROM ty ORDER BY id;
-- exact decimals: INTEGER when whole, REAL up to 15 digits, TEXT beyond
SELECT id, n_small, typeof(n_small), n_big, typeof(n_big), n_free, typeof(n_free) FROM ty ORDER BY id;
-- floating point: NaN as the text 'NaN', infinities as SQLite's
SELECT id, f4, typeof(f4), f8, typeof(f8), f8 = 0.1 AS exact FROM ty ORDER BY id;
-- text kinds; char(n) keeps its padding
SELECT id, quote(t), quote(vc), quote(ch), length(ch) FROM ty ORDER BY id;
-- bytea with zero bytes
SELECT id, typeof(by), length(by), hex(by) FROM ty ORDER BY id;
-- boolean as 0/1
SELECT id, bo, typeof(bo) FROM ty ORDER BY id;
-- dates and times: ISO 8601 text, UTC for timestamptz
SELECT id, d, tm, ts, tstz FROM ty ORDER BY id;
SELECT id, date(d), time(tm), datetime(ts), datetime(tstz), unixepoch(tstz) FROM ty WHERE id IN (1, 3);
-- interval (ISO 8601), uuid (lower case)
SELECT id, iv, u FROM ty ORDER BY id;
-- json and jsonb as JSON text (unicode kept)
SELECT id, js, jb, json_valid(js), json_extract(jb, '$.a') FROM ty ORDER BY id;
-- arrays as JSON arrays
SELECT id, ai, at, a2, json_array_length(ai) FROM ty ORDER BY id;
-- enums as their label, domains as their base type
SELECT id, mo, typeof(mo), dp, typeof(dp), de FROM ty ORDER BY id;
-- a local copy holds the same values, except where SQLite's NUMERIC
-- affinity turns the 30-digit decimals (TEXT here) into REAL: rows 1 and 2
-- (docs/types.md, "Exact decimals")
CREATE TABLE local_ty AS SELECT * FROM ty;
SELECT id FROM (SELECT * FROM ty EXCEPT SELECT * FROM local_ty) ORDER BY id;
SELECT id, typeof(n_big) FROM local_ty ORDER BY id;
CREATE TABLE local_exact(id, n_big);
INSERT INTO local_exact SELECT id, n_big FROM ty;
SELECT count(*) FROM (SELECT id, n_big FROM ty EXCEPT SELECT * FROM local_exact);
-- the same table through query=
CREATE VIRTUAL TABLE tyq USING pontoon(pg, query='SELECT id, n_big, by, tstz, ai, mo, dp FROM ty.all_types');
SELECT name, type FROM pragma_table_info('tyq') ORDER BY cid;
SELECT id, n_big, hex(by), tstz, ai, mo, dp FROM tyq ORDER BY id;
