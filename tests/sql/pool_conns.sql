-- issue 11 item 4: conn.c owns the connections of a server: a second scan
-- while one streams on a connection that holds one result at a time (the
-- native MySQL driver) takes a connection of the
-- server's pool, the same one each time it is idle again (pontoon_servers
-- counts them as pooled), and a pool connection the server dropped is
-- replaced once, by conn.c, when it is next used.  Before, each driver kept
-- a pool of its own, out of conn.c's sight.  Data: tests/fixtures/pool_conns.my.sql
-- and pool_conns.pg.sql.
.mode list
.headers on
SELECT pontoon_connect('my', '@MY_URI_NOPW@');
CREATE VIRTUAL TABLE a USING pontoon(my, pool_a);
CREATE VIRTUAL TABLE who USING pontoon(my, pool_who);
SELECT cursors, pooled FROM pontoon_servers WHERE name = 'my';
-- the outer scan streams on the server's connection; the inner one, run
-- three times, on one connection of the pool
CREATE TEMP TABLE j1 AS SELECT a.id AS aid, w.cid, w.v FROM a CROSS JOIN who w;
SELECT count(*) AS rows_, sum(v) AS total, count(DISTINCT cid) AS inner_connections FROM j1;
SELECT cursors, pooled FROM pontoon_servers WHERE name = 'my';
-- a scan alone reads on the server's own connection, not the pool's
SELECT count(*) AS on_the_pool_connection FROM who WHERE cid IN (SELECT cid FROM j1);
-- the server drops the idle pool connection: the next join replaces it once
SELECT pontoon_exec('my', printf('KILL %d', (SELECT cid FROM j1 LIMIT 1))) AS killed;
CREATE TEMP TABLE j2 AS SELECT a.id AS aid, w.cid, w.v FROM a CROSS JOIN who w;
SELECT count(*) AS rows_, sum(v) AS total, count(DISTINCT cid) AS inner_connections,
       (SELECT cid FROM j1 LIMIT 1) NOT IN (SELECT cid FROM j2) AS new_connection FROM j2;
SELECT connected, cursors, pooled FROM pontoon_servers WHERE name = 'my';

-- through ODBC: psqlODBC runs several statements at once on one connection
-- (xBusy 0), so the inner scans share the server's connection and nothing
-- is pooled; that connection, dropped by the server while idle, is
-- replaced once when the next join starts
SELECT pontoon_connect('o', 'odbc:DSN=pontoon_pg');
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
CREATE VIRTUAL TABLE oa USING pontoon(o, pool_a);
CREATE VIRTUAL TABLE owho USING pontoon(o, pool_who);
CREATE TEMP TABLE k1 AS SELECT a.id AS aid, w.cid, w.v FROM oa a CROSS JOIN owho w;
SELECT count(*) AS rows_, sum(v) AS total, count(DISTINCT cid) AS inner_connections FROM k1;
SELECT cursors, pooled FROM pontoon_servers WHERE name = 'o';
SELECT count(*) AS on_the_same_connection FROM owho WHERE cid IN (SELECT cid FROM k1);
SELECT pontoon_exec('pg', printf('SELECT pg_terminate_backend(%d)', (SELECT cid FROM k1 LIMIT 1))) AS killed;
CREATE TEMP TABLE k2 AS SELECT a.id AS aid, w.cid, w.v FROM oa a CROSS JOIN owho w;
SELECT count(*) AS rows_, sum(v) AS total, count(DISTINCT cid) AS inner_connections,
       (SELECT cid FROM k1 LIMIT 1) NOT IN (SELECT cid FROM k2) AS new_connection FROM k2;
SELECT connected, cursors, pooled FROM pontoon_servers WHERE name = 'o';
