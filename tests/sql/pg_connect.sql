-- pontoon_connect in its forms, pontoon_servers, pontoon_disconnect, and
-- connection errors.  No message may contain a password (the runner checks
-- the output for the harness's password; the wrong ones tried here are
-- visible in the echo and must not come back in an error).
.mode list
.headers on
-- a URI; the password comes from the password file (PGPASSFILE)
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
-- a libpq key=value string
SELECT pontoon_connect('kv', 'host=@PG_HOST@ port=@PG_PORT@ dbname=@PG_DB@ user=@PG_USER@');
-- the password in the URI itself
.echo off
SELECT pontoon_connect('withpw', '@PG_URI@') AS "pontoon_connect('withpw', <URI with password>)";
.echo on
SELECT name, driver, host, port, database, user, version LIKE 'PostgreSQL 15.%' AS v15,
       connected, in_transaction, cursors
FROM pontoon_servers ORDER BY name;
.echo off
SELECT count(*) AS rows_showing_the_password FROM pontoon_servers WHERE instr(name || driver || host || port || database || user || version, '@PG_PASSWORD@') > 0;
.echo on
-- the same name again replaces the server
SELECT pontoon_connect('kv', '@PG_URI_NOPW@');
SELECT count(*) FROM pontoon_servers;
-- disconnect: 1 when it was registered, 0 when not
SELECT pontoon_disconnect('kv'), pontoon_disconnect('kv');
SELECT name FROM pontoon_servers ORDER BY name;
-- errors
SELECT pontoon_connect('bad', 'postgresql://@PG_USER@:wrong-pass-123@@PG_HOST@:@PG_PORT@/@PG_DB@');
SELECT pontoon_connect('bad', 'postgresql://@PG_USER@@@PG_HOST@:@PG_PORT@/no_such_db');
SELECT pontoon_connect('bad', 'postgresql://@PG_USER@@127.0.0.1:1/@PG_DB@');
SELECT pontoon_connect('bad', 'postgresql://@PG_USER@:wrong-pass-456@127.0.0.1:notaport/@PG_DB@');
SELECT pontoon_connect('bad', 'postgresql://@PG_USER@:wrong-pass-789@@PG_HOST@:@PG_PORT@/@PG_DB@?sslmode=bogus');
SELECT pontoon_connect('bad', 'nonsense');
SELECT pontoon_connect('bad', 'ftp://somewhere/x');
SELECT pontoon_connect('bad name', '@PG_URI_NOPW@');
SELECT pontoon_connect('bad', NULL);
SELECT name FROM pontoon_servers WHERE name = 'bad';
-- a table whose server is gone
SELECT pontoon_connect('tmp', '@PG_URI_NOPW@');
CREATE VIRTUAL TABLE probe USING pontoon(tmp, query='SELECT 1 AS one');
SELECT * FROM probe;
SELECT pontoon_disconnect('tmp');
SELECT * FROM probe;
SELECT pontoon_count('probe');
-- a database file keeps table definitions, never servers or passwords
.open @TMP@/kept.db
.load @BUILD@/pontoon
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
CREATE VIRTUAL TABLE kept USING pontoon(pg, query='SELECT 41 + 1 AS answer');
SELECT pontoon_import('pg', 'main', 'pg_catalog', 'pg_am');
SELECT * FROM kept;
.open @TMP@/kept.db
.load @BUILD@/pontoon
-- no server is registered now: .schema and reads of the catalog need none
.schema pg_am
SELECT count(*) FROM pontoon_servers;
SELECT * FROM pg_am;
SELECT * FROM kept;
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
SELECT count(*) > 0 FROM pg_am;
-- query= SQL stored in a file is not run: it comes from the file, not from this session
SELECT * FROM kept;
