-- Regression tests of issue 10 for the MySQL/MariaDB driver: values and
-- names that must never become SQL, parameter counts, YEAR 0000, LOCAL
-- INFILE, rows matched, multi-statement pontoon_exec, session settings,
-- and the connections a wide join takes.  Data: tests/fixtures/my_defects.my.sql.
.mode list
.headers on
SELECT pontoon_connect('my', '@MY_URI_NOPW@');
CREATE VIRTUAL TABLE nums USING pontoon(my, md_nums);
-- issue 10 item 1: a value of an integer/decimal column was pasted unquoted
-- into UPDATE: '0--' commented out the WHERE and overwrote every row, '5-3'
-- stored 2, 'e' copied column e.  Now each is refused, and nothing changes.
UPDATE nums SET qty = '0--' WHERE a = 1 AND b = 1;
UPDATE nums SET qty = '5-3' WHERE a = 1 AND b = 1;
UPDATE nums SET qty = 'e' WHERE a = 1 AND b = 1;
UPDATE nums SET price = '0--' WHERE a = 1 AND b = 1;
UPDATE nums SET price = '5-3' WHERE a = 1 AND b = 1;
UPDATE nums SET price = 'e' WHERE a = 1 AND b = 1;
UPDATE nums SET price = '1e1--' WHERE a = 1 AND b = 1;
SELECT * FROM nums ORDER BY a, b;
-- numbers written as text still go in, exactly
UPDATE nums SET qty = '-5', price = '12.25' WHERE a = 1 AND b = 2;
UPDATE nums SET price = '1e1' WHERE a = 1 AND b = 1;
SELECT * FROM nums ORDER BY a, b;
-- text with comment marks stays text (MySQL refuses it for an int column)
SELECT pontoon_exec('my', 'UPDATE md_nums SET qty = $1 WHERE a = 1 AND b = 1', '0--');
SELECT pontoon_exec('my', 'SELECT $1 = ''x'' -- $2', 'x');
-- issue 10 item 14: a column named a$1 made UPDATE write column a1, and a
-- ' in a table or column name broke lookups, UPDATE, DELETE and INSERT.
CREATE VIRTUAL TABLE q USING pontoon(my, "md_it's");
SELECT * FROM q WHERE "id'k" = 1;
UPDATE q SET "a$1" = 5, "c'q" = 'it''s', "$2" = '$1' WHERE "id'k" = 1;
INSERT INTO q VALUES (2, 2, 2, 'y''', '$$1');
SELECT * FROM q ORDER BY 1;
DELETE FROM q WHERE "id'k" = 1;
SELECT * FROM q ORDER BY 1;
-- issue 10 item 16: $n beyond the arguments was sent as NULL, and extra
-- arguments were ignored; both are refused as on PostgreSQL.
SELECT pontoon_exec('my', 'UPDATE md_found SET v = $2 WHERE id = $1', 1);
SELECT pontoon_exec('my', 'UPDATE md_found SET v = 6 WHERE id = $1', 1, 2);
SELECT pontoon_exec('my', 'UPDATE md_found SET v = 6 WHERE id = 1', 1);
SELECT pontoon_exec('my', 'UPDATE md_found SET v = $0 WHERE id = 1');
-- issue 10 item 6: an UPDATE that sets the value a row already has counts
-- as matching it (CLIENT_FOUND_ROWS)
SELECT pontoon_exec('my', 'UPDATE md_found SET v = 5 WHERE id = 1');
SELECT pontoon_exec('my', 'UPDATE md_found SET v = 5 WHERE id = 2');
-- issue 10 item 17: YEAR 0000 was copied as 2000
CREATE VIRTUAL TABLE y USING pontoon(my, md_year);
CREATE VIRTUAL TABLE yc USING pontoon(my, md_year_copy);
SELECT * FROM y ORDER BY id;
INSERT INTO yc SELECT * FROM y;
INSERT INTO yc VALUES (5, 0);
UPDATE yc SET y = 0 WHERE id = 2;
SELECT * FROM yc ORDER BY id;
CREATE VIRTUAL TABLE ytext USING pontoon(my, query='SELECT id, CAST(y AS char) AS y FROM md_year_copy ORDER BY id');
SELECT * FROM ytext;
-- issue 10 item 10: LOAD DATA LOCAL INFILE through pontoon_exec uploaded
-- client files; the file is refused and nothing arrives
SELECT pontoon_exec('my', 'LOAD DATA LOCAL INFILE ''@TMP@/test.sql'' INTO TABLE md_files');
SELECT pontoon_exec('my', 'LOAD DATA LOCAL INFILE ''/etc/passwd'' INTO TABLE md_files');
CREATE VIRTUAL TABLE files USING pontoon(my, md_files);
SELECT count(*) AS uploaded_lines FROM files;
-- pontoon's own bulk path still works
INSERT INTO files VALUES ('a line'), ('another');
SELECT count(*) AS inserted_lines FROM files;
-- issue 10 item 20: several statements in one pontoon_exec run in order,
-- their rows affected summed; an error names its statement and stops there
SELECT pontoon_exec('my', 'UPDATE md_multi SET v = v + 1 WHERE id = 1; UPDATE md_multi SET v = v + 10;');
SELECT pontoon_exec('my', 'UPDATE md_multi SET v = 100 WHERE id = 1; SELECT no_such_column FROM md_multi; UPDATE md_multi SET v = 200');
SELECT pontoon_exec('my', 'UPDATE md_multi SET v = $1 WHERE id = 2; -- a comment; not a statement
  UPDATE md_multi SET v = v + 1 WHERE id = 2', 'x;y');
SELECT pontoon_exec('my', 'UPDATE md_multi SET v = $1 WHERE id = 2; /* ; */ UPDATE md_multi SET v = v + 1 WHERE id = $2', '7', 2);
CREATE VIRTUAL TABLE multi USING pontoon(my, md_multi);
SELECT * FROM multi ORDER BY id;
-- the connection is back to one statement per call afterwards
SELECT pontoon_exec('my', 'SELECT 1; SELECT 2') AS rows_read;
-- issue 10 item 19: a join of 50 tables took a connection per table (and
-- failed with "Too many connections" past the server's limit); now at most
-- max-connections (default 8) for the shell's read-write connection, plus
-- the read-only one that reads PROCESSLIST here
CREATE VIRTUAL TABLE pc USING pontoon(my, query='SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE user = ''pontoon''');
SELECT pontoon_import('my', 'main', NULL, 'mdj_%');
SELECT count(*) AS rows_, sum(t01.v + t02.v + t03.v + t04.v + t05.v + t06.v + t07.v + t08.v + t09.v + t10.v + t11.v + t12.v + t13.v + t14.v + t15.v + t16.v + t17.v + t18.v + t19.v + t20.v + t21.v + t22.v + t23.v + t24.v + t25.v + t26.v + t27.v + t28.v + t29.v + t30.v + t31.v + t32.v + t33.v + t34.v + t35.v + t36.v + t37.v + t38.v + t39.v + t40.v + t41.v + t42.v + t43.v + t44.v + t45.v + t46.v + t47.v + t48.v + t49.v + t50.v) AS total, max(pc.n) <= 9 AS within_bound FROM mdj_01 t01 CROSS JOIN mdj_02 t02 CROSS JOIN mdj_03 t03 CROSS JOIN mdj_04 t04 CROSS JOIN mdj_05 t05 CROSS JOIN mdj_06 t06 CROSS JOIN mdj_07 t07 CROSS JOIN mdj_08 t08 CROSS JOIN mdj_09 t09 CROSS JOIN mdj_10 t10 CROSS JOIN mdj_11 t11 CROSS JOIN mdj_12 t12 CROSS JOIN mdj_13 t13 CROSS JOIN mdj_14 t14 CROSS JOIN mdj_15 t15 CROSS JOIN mdj_16 t16 CROSS JOIN mdj_17 t17 CROSS JOIN mdj_18 t18 CROSS JOIN mdj_19 t19 CROSS JOIN mdj_20 t20 CROSS JOIN mdj_21 t21 CROSS JOIN mdj_22 t22 CROSS JOIN mdj_23 t23 CROSS JOIN mdj_24 t24 CROSS JOIN mdj_25 t25 CROSS JOIN mdj_26 t26 CROSS JOIN mdj_27 t27 CROSS JOIN mdj_28 t28 CROSS JOIN mdj_29 t29 CROSS JOIN mdj_30 t30 CROSS JOIN mdj_31 t31 CROSS JOIN mdj_32 t32 CROSS JOIN mdj_33 t33 CROSS JOIN mdj_34 t34 CROSS JOIN mdj_35 t35 CROSS JOIN mdj_36 t36 CROSS JOIN mdj_37 t37 CROSS JOIN mdj_38 t38 CROSS JOIN mdj_39 t39 CROSS JOIN mdj_40 t40 CROSS JOIN mdj_41 t41 CROSS JOIN mdj_42 t42 CROSS JOIN mdj_43 t43 CROSS JOIN mdj_44 t44 CROSS JOIN mdj_45 t45 CROSS JOIN mdj_46 t46 CROSS JOIN mdj_47 t47 CROSS JOIN mdj_48 t48 CROSS JOIN mdj_49 t49 CROSS JOIN mdj_50 t50 CROSS JOIN pc;
SELECT pontoon_disconnect('my');
SELECT pontoon_connect('my', '@MY_URI_NOPW@?max-connections=3');
SELECT count(*) AS rows_, sum(t01.v + t02.v + t03.v + t04.v + t05.v + t06.v + t07.v + t08.v + t09.v + t10.v + t11.v + t12.v + t13.v + t14.v + t15.v + t16.v + t17.v + t18.v + t19.v + t20.v + t21.v + t22.v + t23.v + t24.v + t25.v + t26.v + t27.v + t28.v + t29.v + t30.v + t31.v + t32.v + t33.v + t34.v + t35.v + t36.v + t37.v + t38.v + t39.v + t40.v + t41.v + t42.v + t43.v + t44.v + t45.v + t46.v + t47.v + t48.v + t49.v + t50.v) AS total, max(pc.n) <= 4 AS within_bound FROM mdj_01 t01 CROSS JOIN mdj_02 t02 CROSS JOIN mdj_03 t03 CROSS JOIN mdj_04 t04 CROSS JOIN mdj_05 t05 CROSS JOIN mdj_06 t06 CROSS JOIN mdj_07 t07 CROSS JOIN mdj_08 t08 CROSS JOIN mdj_09 t09 CROSS JOIN mdj_10 t10 CROSS JOIN mdj_11 t11 CROSS JOIN mdj_12 t12 CROSS JOIN mdj_13 t13 CROSS JOIN mdj_14 t14 CROSS JOIN mdj_15 t15 CROSS JOIN mdj_16 t16 CROSS JOIN mdj_17 t17 CROSS JOIN mdj_18 t18 CROSS JOIN mdj_19 t19 CROSS JOIN mdj_20 t20 CROSS JOIN mdj_21 t21 CROSS JOIN mdj_22 t22 CROSS JOIN mdj_23 t23 CROSS JOIN mdj_24 t24 CROSS JOIN mdj_25 t25 CROSS JOIN mdj_26 t26 CROSS JOIN mdj_27 t27 CROSS JOIN mdj_28 t28 CROSS JOIN mdj_29 t29 CROSS JOIN mdj_30 t30 CROSS JOIN mdj_31 t31 CROSS JOIN mdj_32 t32 CROSS JOIN mdj_33 t33 CROSS JOIN mdj_34 t34 CROSS JOIN mdj_35 t35 CROSS JOIN mdj_36 t36 CROSS JOIN mdj_37 t37 CROSS JOIN mdj_38 t38 CROSS JOIN mdj_39 t39 CROSS JOIN mdj_40 t40 CROSS JOIN mdj_41 t41 CROSS JOIN mdj_42 t42 CROSS JOIN mdj_43 t43 CROSS JOIN mdj_44 t44 CROSS JOIN mdj_45 t45 CROSS JOIN mdj_46 t46 CROSS JOIN mdj_47 t47 CROSS JOIN mdj_48 t48 CROSS JOIN mdj_49 t49 CROSS JOIN mdj_50 t50 CROSS JOIN pc;
SELECT pontoon_connect('my2', '@MY_URI_NOPW@?max-connections=1');
SELECT pontoon_connect('my2', '@MY_URI_NOPW@?max-connections=x');
-- issue 10 item 20: session variables set by init-command on every
-- connection, also the one opened after a KILL
SELECT pontoon_connect('ms', '@MY_URI_NOPW@?init-command=SET%20SESSION%20wait_timeout%3D1234&init-command=SET%20@pt_probe%3D7');
CREATE VIRTUAL TABLE sess USING pontoon(ms, query='SELECT @@session.wait_timeout AS w, @pt_probe AS probe, CONNECTION_ID() AS id');
CREATE TEMP TABLE before AS SELECT * FROM sess;
SELECT w, probe FROM before;
SELECT pontoon_exec('ms', printf('KILL %d', (SELECT id FROM before)));
SELECT w, probe, id <> (SELECT id FROM before) AS new_connection FROM sess;
SELECT pontoon_exec('ms', 'INSERT INTO md_session (w, probe) SELECT @@session.wait_timeout, @pt_probe');
SELECT pontoon_exec('ms', 'KILL CONNECTION_ID()');
SELECT pontoon_exec('ms', 'INSERT INTO md_session (w, probe) SELECT @@session.wait_timeout, @pt_probe');
SELECT pontoon_exec('ms', 'INSERT INTO md_session (w, probe) SELECT @@session.wait_timeout, @pt_probe');
CREATE VIRTUAL TABLE sess_rw USING pontoon(ms, md_session);
SELECT * FROM sess_rw ORDER BY id;
-- issue 10 item 20 (the traps table): MySQL rounds 1.5 into an INT without
-- a warning, LOAD DATA included; pontoon refuses it on every write path
CREATE VIRTUAL TABLE found USING pontoon(my, md_found);
INSERT INTO found VALUES (10, 1.5);
INSERT INTO found VALUES (11, '2.5');
UPDATE found SET v = 1.5 WHERE id = 1;
INSERT INTO found VALUES (12, '12'), (13, -3);
SELECT * FROM found ORDER BY id;
