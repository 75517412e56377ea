-- Every MySQL/MariaDB type round-trips: read from one table, inserted into
-- an empty twin through pontoon, compared on the server with NULL-safe
-- equality, column by column.  Data: tests/fixtures/my_roundtrip.my.sql.
.mode list
.headers on
SELECT pontoon_connect('my', '@MY_URI_NOPW@');
CREATE VIRTUAL TABLE src USING pontoon(my, myrt_src);
CREATE VIRTUAL TABLE dst USING pontoon(my, myrt_dst);
-- zero dates go back only where the server's sql_mode lets them in
SELECT pontoon_exec('my', 'SET SESSION sql_mode = ''STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION''');
INSERT INTO dst SELECT * FROM src;
SELECT count(*) AS copied FROM dst;
CREATE VIRTUAL TABLE coldiff USING pontoon(my, query='SELECT c.COLUMN_NAME AS col FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ''myrt_src'' ORDER BY c.ORDINAL_POSITION');
SELECT group_concat(col, ',') AS columns_compared FROM coldiff;
CREATE VIRTUAL TABLE differing USING pontoon(my, query='SELECT s.id FROM myrt_src s JOIN myrt_dst d USING (id) WHERE NOT (s.ti <=> d.ti AND s.tu <=> d.tu AND s.si <=> d.si AND s.mi <=> d.mi AND s.i <=> d.i AND s.iu <=> d.iu AND s.bi <=> d.bi AND s.bu <=> d.bu AND s.t1 <=> d.t1 AND s.dec65 <=> d.dec65 AND s.f <=> d.f AND s.db <=> d.db AND s.bit1 <=> d.bit1 AND s.bit64 <=> d.bit64 AND s.d <=> d.d AND s.dt <=> d.dt AND s.ts <=> d.ts AND s.tm <=> d.tm AND s.y <=> d.y AND BINARY s.c <=> BINARY d.c AND BINARY s.vc <=> BINARY d.vc AND BINARY s.tx <=> BINARY d.tx AND s.bn <=> d.bn AND s.vb <=> d.vb AND s.bl <=> d.bl AND s.e <=> d.e AND s.st <=> d.st AND BINARY s.js <=> BINARY d.js)');
SELECT count(*) AS rows_that_differ FROM differing;
-- the comparison sees a difference when there is one
SELECT pontoon_exec('my', 'UPDATE myrt_dst SET dt = dt + INTERVAL 1 MICROSECOND WHERE id = 1');
SELECT id AS differs FROM differing;
-- a time with a UTC offset is stored in UTC
INSERT INTO dst(id, ts, dt) VALUES (10, '2024-01-01 12:00:00+02:00', '2024-01-01T10:00:00'), (11, '2024-01-01 10:00:00Z', NULL);
SELECT id, ts, dt FROM dst WHERE id >= 10 ORDER BY id;
