-- MySQL/MariaDB writes: INSERT in multi-row batches, UPDATE and DELETE by
-- key, statement atomicity on InnoDB, transactions, warnings as errors,
-- 4-byte characters.  Data: tests/fixtures/my_write.my.sql.
.mode list
.headers on
SELECT pontoon_connect('my', '@MY_URI_NOPW@');
ATTACH ':memory:' AS m;
SELECT pontoon_import('my', 'm', NULL, 'mw_%');
INSERT INTO m.mw_items VALUES (1, 'apple 😀', 10, 1.5, 1, x'00ff', '2024-01-02 03:04:05.5'),
  (2, 'quote '' and \ backslash', 0, 2, NULL, NULL, NULL);
SELECT id, name, qty, price, tiny, hex(data), seen FROM m.mw_items ORDER BY id;
INSERT INTO m.mw_items(id, name, qty)
  WITH RECURSIVE g(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM g WHERE i < 10099) SELECT i, 'item ' || i, i % 7 FROM g;
SELECT count(*), sum(qty) FROM m.mw_items;
-- a statement failing at its 5,000th row leaves the table as it was
INSERT INTO m.mw_items(id, name, qty)
  WITH RECURSIVE g(i) AS (SELECT 20000 UNION ALL SELECT i + 1 FROM g WHERE i < 29999) SELECT CASE WHEN i = 24999 THEN 100 ELSE i END, 'x', 1 FROM g;
INSERT INTO m.mw_items(id, name, qty)
  WITH RECURSIVE g(i) AS (SELECT 20000 UNION ALL SELECT i + 1 FROM g WHERE i < 29999) SELECT i, CASE WHEN i = 24999 THEN NULL ELSE 'x' END, 1 FROM g;
SELECT count(*), sum(qty) FROM m.mw_items;
-- what MySQL would change silently is an error
INSERT INTO m.mw_items(id, name, tiny) VALUES (30000, 'x', 300);
INSERT INTO m.mw_items(id, name) VALUES (30001, 'a name far longer than forty characters, which is the limit');
INSERT INTO m.mw_items(id, name, qty) VALUES (30002, 'x', 'abc');
SELECT count(*) FROM m.mw_items WHERE id >= 30000;
-- UPDATE and DELETE by key
UPDATE m.mw_items SET qty = qty + 5 WHERE id = 1;
UPDATE m.mw_items SET name = 'renamed' WHERE id = 2;
DELETE FROM m.mw_items WHERE id BETWEEN 100 AND 10049;
SELECT count(*) FROM m.mw_items;
SELECT id, name, qty FROM m.mw_items WHERE id < 10 ORDER BY id;
-- transactions
BEGIN;
INSERT INTO m.mw_items(id, name) VALUES (500, 'in a transaction');
DELETE FROM m.mw_items WHERE id = 1;
ROLLBACK;
SELECT count(*), (SELECT count(*) FROM m.mw_items WHERE id IN (1, 500)) AS kept FROM m.mw_items;
BEGIN;
INSERT INTO m.mw_items(id, name) VALUES (600, 'kept');
SAVEPOINT s1;
INSERT INTO m.mw_items(id, name) VALUES (601, 'undone');
ROLLBACK TO s1;
COMMIT;
SELECT id, name FROM m.mw_items WHERE id BETWEEN 600 AND 699 ORDER BY id;
-- a copy within the server while the source is read
INSERT INTO m.mw_copy SELECT * FROM m.mw_items;
SELECT count(*) FROM (SELECT * FROM m.mw_items EXCEPT SELECT * FROM m.mw_copy);
SELECT count(*) FROM m.mw_copy;
-- composite keys, OR REPLACE, OR IGNORE
INSERT INTO m.mw_pairs VALUES (1, 'x', 10), (1, 'y', 20);
UPDATE m.mw_pairs SET v = v + 1 WHERE b = 'y';
INSERT OR REPLACE INTO m.mw_pairs VALUES (1, 'x', 99);
INSERT OR IGNORE INTO m.mw_pairs VALUES (1, 'y', 0), (2, 'z', 5);
SELECT * FROM m.mw_pairs ORDER BY a, b;
DELETE FROM m.mw_pairs WHERE a = 1;
SELECT * FROM m.mw_pairs ORDER BY a, b;
-- pontoon_exec
SELECT pontoon_exec('my', 'UPDATE mw_items SET qty = $1 WHERE id = $2', 42, 1);
SELECT qty FROM m.mw_items WHERE id = 1;
SELECT pontoon_exec('my', 'DROP TABLE IF EXISTS mw_made');
SELECT pontoon_exec('my', 'CREATE TABLE mw_made (k int PRIMARY KEY)');
SELECT pontoon_exec('my', 'nonsense');
-- inside a transaction, reads see the transaction's own writes
BEGIN;
INSERT INTO m.mw_items(id, name, qty) VALUES (800, 'mine', 1), (801, 'mine too', 2);
SELECT id, name FROM m.mw_items WHERE id BETWEEN 800 AND 899 ORDER BY id;
UPDATE m.mw_items SET qty = qty + 10 WHERE id BETWEEN 800 AND 899;
SELECT sum(qty) FROM m.mw_items WHERE id BETWEEN 800 AND 899;
INSERT INTO m.mw_copy SELECT * FROM m.mw_items WHERE id BETWEEN 800 AND 899;
SELECT count(*) FROM m.mw_copy WHERE id BETWEEN 800 AND 899;
ROLLBACK;
SELECT count(*) FROM m.mw_items WHERE id BETWEEN 800 AND 899;
-- an error of rows sent at the end of a statement inside BEGIN keeps its message
BEGIN;
INSERT INTO m.mw_copy SELECT * FROM m.mw_items WHERE id < 10;
COMMIT;
