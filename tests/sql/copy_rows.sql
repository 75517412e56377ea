-- pontoon_copy keeps every column of a row: a row with two columns of each
-- kind whose value the driver formats (dates, timestamps, timestamptz,
-- long decimals, uuids, times) arrives whole in PostgreSQL, MySQL and a
-- local table.  Before the drivers kept one formatted value per column,
-- every such column of a row was written with the last one's text: MySQL
-- refused the row ("Data truncated"), PostgreSQL and SQLite stored it.
.mode list
.headers on
.output /dev/null
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
SELECT pontoon_connect('my', '@MY_URI_NOPW@');
.output stdout
CREATE VIRTUAL TABLE temp.src USING pontoon(pg, 'cr.multi');
CREATE VIRTUAL TABLE temp.pgc USING pontoon(pg, 'cr.multi_copy');
CREATE VIRTUAL TABLE temp.myc USING pontoon(my, cr_multi);
CREATE TABLE main.loc (id INTEGER PRIMARY KEY, d1 DATE, d2 DATE, t1 TIMESTAMP, t2 TIMESTAMP,
  z1 TIMESTAMPTZ, z2 TIMESTAMPTZ, n1 DECIMAL, n2 DECIMAL, u1 TEXT, u2 TEXT, h1 TIME, h2 TIME);
SELECT sum(rows) AS to_pg FROM pontoon_copy('temp.src', 'temp.pgc', 'columns=id,d1,d2,t1,t2,z1,z2,n1,n2,u1,u2,h1,h2 mode=upsert job=cr-pg-' || hex(randomblob(4)));
SELECT sum(rows) AS to_my FROM pontoon_copy('temp.src', 'temp.myc', 'job=cr-my-' || hex(randomblob(4)));
SELECT sum(rows) AS to_local FROM pontoon_copy('temp.src', 'main.loc', 'job=cr-loc');
SELECT d1, d2, t1, t2, z1, z2, n1, n2, u1, u2, h1, h2 FROM temp.myc WHERE id = 7;
SELECT d1, d2, t1, t2, z1, z2, n1, n2, u1, u2, h1, h2 FROM main.loc WHERE id = 7;
SELECT (SELECT count(*) FROM (SELECT d1, d2, t1, t2, n1, n2, u1, u2, h1, h2 FROM temp.src EXCEPT SELECT d1, d2, t1, t2, n1, n2, u1, u2, h1, h2 FROM temp.pgc)) AS pg_differ,
       (SELECT count(*) FROM (SELECT d1, d2, t1, t2, u1, u2 FROM temp.src EXCEPT SELECT d1, d2, t1, t2, u1, u2 FROM temp.myc)) AS my_differ,
       (SELECT count(*) FROM (SELECT d1, d2, t1, t2, z1, z2, u1, u2, h1, h2 FROM temp.src EXCEPT SELECT d1, d2, t1, t2, z1, z2, u1, u2, h1, h2 FROM main.loc)) AS local_differ;
SELECT count(*) AS differences FROM pontoon_diff('temp.src', 'temp.myc');
-- (a decimal of more than 15 digits keeps them only in a TEXT column, and
-- is written there as SQLite writes a real: n1, n2 are left out)
SELECT count(*) AS differences FROM pontoon_diff('temp.src', 'main.loc', 'exclude=n1,n2');
