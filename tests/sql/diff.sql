-- pontoon_diff (docs/diff.md): differences planted one of each kind
-- (tests/fixtures/diff.pg.sql, diff.my.sql) are each found once, with the
-- right side and columns, by bisection (deep, with a small threshold, and
-- with the defaults), by the streaming merge, across engines, with text,
-- composite and no keys; the options; every refusal.
.mode list
.headers on
SELECT pontoon_connect('pg', '@PG_URI_NOPW@');
SELECT pontoon_connect('my', '@MY_URI_NOPW@');
ATTACH ':memory:' AS a;
ATTACH ':memory:' AS b;
SELECT pontoon_import('pg', 'a', 'dfa');
SELECT pontoon_import('pg', 'b', 'dfb');
CREATE VIRTUAL TABLE a.my_users USING pontoon(my, dfm_users);
CREATE VIRTUAL TABLE a.my_words USING pontoon(my, dfm_words);

-- PostgreSQL -> PostgreSQL, the defaults: each planted difference once
SELECT key, side, columns FROM pontoon_diff('a.users', 'b.users') ORDER BY key ->> 0;
-- the rows themselves, as JSON objects
SELECT src, dst FROM pontoon_diff('a.users', 'b.users') WHERE key = '[42]';
SELECT src IS NULL, dst FROM pontoon_diff('a.users', 'b.users') WHERE side = '+';
-- cut deep: a segment of at most 20 rows is fetched, cut in 4 otherwise
SELECT key, side, columns FROM pontoon_diff('a.users', 'b.users', 'threshold=20 factor=4') ORDER BY key ->> 0;
-- the same table on both sides: nothing
SELECT count(*) AS differences FROM pontoon_diff('a.users', 'a.users');
-- the streaming merge finds the same
SELECT key, side, columns FROM pontoon_diff('a.users', 'b.users', 'mode=merge') ORDER BY key ->> 0;
-- MySQL -> PostgreSQL: the same differences, computed by both servers
SELECT key, side, columns FROM pontoon_diff('a.my_users', 'a.users', 'threshold=50 factor=8') ORDER BY key ->> 0;

-- options: max_diffs stops early; exclude= and columns= leave columns out;
-- where= narrows both sides
SELECT count(*) AS first_two FROM pontoon_diff('a.users', 'b.users', 'max_diffs=2');
SELECT key, side, columns FROM pontoon_diff('a.users', 'b.users', 'exclude=name,seen') ORDER BY key ->> 0;
SELECT key, side, columns FROM pontoon_diff('a.users', 'b.users', 'columns=id,score') ORDER BY key ->> 0;
SELECT key, side, columns FROM pontoon_diff('a.users', 'b.users', 'where=''id < 100''') ORDER BY key ->> 0;
-- time_precision=5 hides the microsecond, and nothing else
SELECT key, side, columns FROM pontoon_diff('a.users', 'b.users', 'time_precision=5') ORDER BY key ->> 0;

-- text keys in binary order on both sides: 'abc' and 'Abc', 'pad' and
-- 'pad ' are different keys, whatever the collation
SELECT key, side, columns FROM pontoon_diff('a.words', 'b.words', 'threshold=10 factor=4') ORDER BY side, key;
SELECT key, side, columns FROM pontoon_diff('a.words', 'a.my_words', 'threshold=10 factor=4') ORDER BY side, key;
SELECT key, side, columns FROM pontoon_diff('a.my_words', 'a.words', 'mode=merge') ORDER BY side, key;
-- a composite key
SELECT key, side, columns FROM pontoon_diff('a.pairs', 'b.pairs', 'threshold=10 factor=3') ORDER BY key;
-- no key: whole rows, duplicates counted
SELECT key, side FROM pontoon_diff('a.bag', 'b.bag') ORDER BY key;

-- a plain SQLite table on one side: the merge
CREATE TABLE main.users AS SELECT * FROM a.users;
UPDATE main.users SET name = 'local' WHERE id = 3;
SELECT key, side, columns FROM pontoon_diff('main.users', 'a.users') ORDER BY key ->> 0;
SELECT key, side, columns FROM pontoon_diff('a.users', 'main.users', 'columns=id,name') ORDER BY key ->> 0;

-- refusals, before anything is read
SELECT * FROM pontoon_diff('a.k1', 'b.k1');
SELECT * FROM pontoon_diff('a.k1', 'b.k2');
SELECT * FROM pontoon_diff('b.k2', 'a.k1');
SELECT * FROM pontoon_diff('a.k1', 'b.k3', 'exclude=b');
SELECT * FROM pontoon_diff('b.k3', 'a.k1');
SELECT * FROM pontoon_diff('a.users', 'b.users', 'columns=id,nope');
SELECT * FROM pontoon_diff('a.users', 'b.users', 'colour=red');
SELECT * FROM pontoon_diff('a.users', 'b.users', 'factor=1');
SELECT * FROM pontoon_diff('a.users', 'b.users', 'mode=fast');
SELECT * FROM pontoon_diff('a.users', 'nowhere.users');
SELECT * FROM pontoon_diff('a.users');
-- a where= the server rejects names the server and table
SELECT * FROM pontoon_diff('a.users', 'b.users', 'where=''nonsense >''');

-- a diff that finds nothing marks its job verified in the target's ledger,
-- with the target's checksum; an ad hoc diff writes nothing
SELECT sum(rows) AS copied FROM pontoon_copy('a.pairs', 'b.pairs_copy');
SELECT count(*) AS differences FROM pontoon_diff('a.pairs', 'b.pairs_copy');
SELECT job, state FROM pontoon_jobs WHERE job = 'a.pairs -> b.pairs_copy';
ATTACH ':memory:' AS lg;
SELECT pontoon_import('pg', 'lg', 'pontoon', 'job');
SELECT job, state, checksum = pontoon_checksum('b.pairs_copy') AS same_checksum, verified IS NOT NULL AS dated
  FROM lg.job WHERE job = 'a.pairs -> b.pairs_copy';
SELECT count(*) AS ad_hoc_jobs FROM lg.job WHERE job LIKE 'a.users%';
