-- Writing: INSERT (buffered, sent with COPY), UPDATE and DELETE by key,
-- statement atomicity, transactions and savepoints, value conversions.
-- Data: tests/fixtures/pg_write.pg.sql.
.mode list
.headers on
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
ATTACH ':memory:' AS w;
SELECT pontoon_import('pg', 'w', 'wr');
-- INSERT ... VALUES, read back
INSERT INTO w.items(id, name, qty, price, tags, nums, seen, day, data, flag) VALUES
  (1, 'apple', 10, 1.5, '["red", "fruit"]', '[1, 2]', '2024-01-02 03:04:05+00:00', '2024-01-02', x'00ff', 1),
  (2, 'tab	and\backslash', 0, 2, '[]', '[]', NULL, '-0043-03-15', 'text as bytes', 0),
  (3, 'NULLs', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT id, name, qty, price, tags, nums, seen, day, hex(data), flag FROM w.items ORDER BY id;
SELECT pontoon_count('w.items', 'tags = ARRAY[''red'', ''fruit''] AND day = ''2024-01-02''');
SELECT pontoon_count('w.items', 'day = ''0044-03-15 BC''::date');
-- INSERT ... SELECT: 10,000 rows in one statement
INSERT INTO w.items(id, name, qty)
  WITH RECURSIVE g(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM g WHERE i < 10099) SELECT i, 'item ' || i, i % 7 FROM g;
SELECT count(*), sum(qty) FROM w.items;
-- a statement that fails at its 5,000th row leaves the table as it was
INSERT INTO w.items(id, name, qty)
  WITH RECURSIVE g(i) AS (SELECT 20000 UNION ALL SELECT i + 1 FROM g WHERE i < 29999) SELECT i, CASE WHEN i = 24999 THEN NULL ELSE 'x' END, 1 FROM g;
INSERT INTO w.items(id, name, qty)
  WITH RECURSIVE g(i) AS (SELECT 20000 UNION ALL SELECT i + 1 FROM g WHERE i < 29999) SELECT CASE WHEN i = 24999 THEN 100 ELSE i END, 'x', 1 FROM g;
INSERT INTO w.items(id, name, qty)
  WITH RECURSIVE g(i) AS (SELECT 20000 UNION ALL SELECT i + 1 FROM g WHERE i < 29999) SELECT i, 'x', CASE WHEN i = 24999 THEN -1 ELSE 1 END FROM g;
INSERT INTO w.items(id, name, qty)
  WITH RECURSIVE g(i) AS (SELECT 20000 UNION ALL SELECT i + 1 FROM g WHERE i < 29999) SELECT i, 'x', CASE WHEN i = 24999 THEN 3000000000 ELSE 1 END FROM g;
INSERT INTO w.items(id, name, qty) VALUES (30000, 'x', 'not a number');
SELECT count(*), sum(qty) FROM w.items;
-- UPDATE and DELETE by key
UPDATE w.items SET qty = qty + 5 WHERE id = 1;
UPDATE w.items SET name = 'renamed', price = 9.99 WHERE id = 2;
SELECT id, name, qty, price, tags FROM w.items WHERE id IN (1, 2) ORDER BY id;
UPDATE w.items SET qty = 0 WHERE id >= 10090;
SELECT count(*) FROM w.items WHERE qty = 0 AND id >= 10090;
UPDATE w.items SET id = 5 WHERE id = 3;
SELECT id, name FROM w.items WHERE id < 10 ORDER BY id;
DELETE FROM w.items WHERE id BETWEEN 100 AND 10049;
SELECT count(*) FROM w.items;
UPDATE w.items SET qty = -1 WHERE id = 1;
SELECT qty FROM w.items WHERE id = 1;
-- transactions: ROLLBACK undoes remotely, reads see their own writes
BEGIN;
INSERT INTO w.items(id, name) VALUES (500, 'in a transaction');
SELECT name FROM w.items WHERE id = 500;
DELETE FROM w.items WHERE id = 1;
SELECT count(*) FROM w.items;
ROLLBACK;
SELECT count(*), (SELECT count(*) FROM w.items WHERE id IN (1, 500)) AS kept FROM w.items;
-- savepoints
BEGIN;
INSERT INTO w.items(id, name) VALUES (600, 'kept');
SAVEPOINT s1;
INSERT INTO w.items(id, name) VALUES (601, 'undone');
UPDATE w.items SET name = 'undone too' WHERE id = 600;
ROLLBACK TO s1;
INSERT INTO w.items(id, name) VALUES (602, 'after the savepoint');
COMMIT;
SELECT id, name FROM w.items WHERE id BETWEEN 600 AND 699 ORDER BY id;
-- inside BEGIN a bad row may surface at COMMIT; then nothing is kept
BEGIN;
INSERT INTO w.items(id, name) VALUES (700, 'fine');
INSERT INTO w.items(id, name) VALUES (1, 'duplicate key');
COMMIT;
SELECT count(*) FROM w.items WHERE id = 700;
-- a statement that fails inside BEGIN (reported by it, or by a later one,
-- or by COMMIT: UPDATE and DELETE are sent without waiting) spoils the remote
-- transaction: later statements and the COMMIT fail, nothing is kept
BEGIN;
INSERT INTO w.items(id, name) VALUES (710, 'before');
UPDATE w.items SET qty = -5 WHERE id = 1;
INSERT INTO w.items(id, name) VALUES (711, 'after');
COMMIT;
SELECT count(*) FROM w.items WHERE id IN (710, 711);
-- two tables of one server in one transaction; a copy within the server
INSERT INTO w.items_copy SELECT * FROM w.items;
SELECT (SELECT count(*) FROM w.items) = (SELECT count(*) FROM w.items_copy) AS same_count;
SELECT count(*) FROM (SELECT * FROM w.items EXCEPT SELECT * FROM w.items_copy);
BEGIN;
DELETE FROM w.items_copy WHERE id = 1;
INSERT INTO w.pairs VALUES (1, 'a', 10);
COMMIT;
SELECT (SELECT count(*) FROM w.items_copy WHERE id = 1) AS deleted_row, (SELECT count(*) FROM w.pairs) AS pairs;
-- what cannot be written
INSERT INTO w.nokey VALUES (1, 'insert works without a key');
SELECT * FROM w.nokey;
DELETE FROM w.nokey;
-- INSERT OR REPLACE and OR IGNORE resolve conflicts on the server, by key
INSERT OR REPLACE INTO w.items(id, name, qty) VALUES (1, 'replaced', 1), (900, 'new', 2);
INSERT OR IGNORE INTO w.items(id, name, qty) VALUES (2, 'ignored', 3), (901, 'new too', 4);
SELECT id, name, qty FROM w.items WHERE id IN (1, 2, 900, 901) ORDER BY id;
INSERT OR REPLACE INTO w.pairs VALUES (1, 'a', 99);
SELECT * FROM w.pairs ORDER BY a, b;
INSERT OR REPLACE INTO w.nokey VALUES (1, 'x');
INSERT OR REPLACE INTO w.items(id, name, qty) VALUES (902, NULL, 1);
-- a composite key: UPDATE and DELETE address rows by every key column
INSERT INTO w.pairs VALUES (1, 'b', 20), (2, 'a', 30);
UPDATE w.pairs SET v = v + 1 WHERE a = 1;
UPDATE w.pairs SET b = 'c' WHERE a = 2;
SELECT * FROM w.pairs ORDER BY a, b;
DELETE FROM w.pairs WHERE b = 'b';
SELECT * FROM w.pairs ORDER BY a, b;
SELECT hex(k1), k2, k3, v FROM w.odd_keys ORDER BY v;
UPDATE w.odd_keys SET v = v * 10;
DELETE FROM w.odd_keys WHERE v = 20;
SELECT hex(k1), k2, k3, v FROM w.odd_keys ORDER BY v;
-- key= names the columns that identify a row of a table without a key
CREATE VIRTUAL TABLE nk USING pontoon(pg, wr.nokey, key=x);
UPDATE nk SET y = 'updated by x' WHERE x = 1;
SELECT * FROM nk;
DELETE FROM nk WHERE x = 1;
SELECT count(*) FROM nk;
CREATE VIRTUAL TABLE nk2 USING pontoon(pg, wr.nokey, key='x, "y"');
INSERT INTO nk2 VALUES (5, 'five');
UPDATE nk2 SET y = 'FIVE';
SELECT * FROM nk2;
CREATE VIRTUAL TABLE nk3 USING pontoon(pg, wr.nokey, key=z);
CREATE VIRTUAL TABLE q USING pontoon(pg, query='SELECT id FROM wr.items');
INSERT INTO q VALUES (1);
CREATE VIRTUAL TABLE ro USING pontoon(pg, wr.items, readonly);
DELETE FROM ro;
INSERT INTO w.items(id, name, data) VALUES (800, 'x', 1.5);
INSERT INTO w.items(id, name, qty) VALUES (801, 'x', x'01');
INSERT INTO w.items(id, name, nums) VALUES (802, 'x', '[1, "two"]');
SELECT id, hex(data) FROM w.items WHERE id BETWEEN 800 AND 899;
-- pontoon_exec: DDL, and statements with parameters
SELECT pontoon_exec('pg', 'CREATE TABLE wr.made (k int PRIMARY KEY, v text)');
SELECT pontoon_exec('pg', 'INSERT INTO wr.made VALUES ($1, $2), ($3, $4)', 1, 'one', 2, NULL);
SELECT pontoon_exec('pg', 'UPDATE wr.made SET v = $1 WHERE k > $2', 'many', 0);
CREATE VIRTUAL TABLE made USING pontoon(pg, wr.made);
SELECT * FROM made ORDER BY k;
SELECT pontoon_exec('pg', 'DELETE FROM wr.nosuch');
SELECT pontoon_exec('nosuch', 'SELECT 1');
-- inside a transaction that writes, every read of the server sees one
-- snapshot: a row committed meanwhile by another session stays invisible
BEGIN;
INSERT INTO w.items(id, name) VALUES (950, 'mine');
SELECT count(*) AS before FROM w.items WHERE id >= 950 AND id < 1000;
SELECT pontoon_connect('other', '@PG_URI_NOPW@');
SELECT pontoon_exec('other', 'INSERT INTO wr.items(id, name) VALUES (951, ''theirs'')');
SELECT count(*) AS still FROM w.items WHERE id >= 950 AND id < 1000;
COMMIT;
SELECT count(*) AS after FROM w.items WHERE id >= 950 AND id < 1000;
