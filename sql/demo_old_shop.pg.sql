-- The old system for the demo: a small shop in PostgreSQL, loaded into the
-- "old" database by sql/demo.sh (psql).  Deterministic data with NULLs,
-- unicode, quotes and exact money amounts.
SET client_min_messages = warning;
DROP TABLE IF EXISTS orders, users;
CREATE TABLE users (
  id         bigint PRIMARY KEY,
  email      text NOT NULL UNIQUE,
  name       text,
  country    char(2),
  created_at timestamptz NOT NULL,
  active     boolean NOT NULL DEFAULT true
);
CREATE TABLE orders (
  id         bigint PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users,
  total      numeric(12,2) NOT NULL,
  status     text NOT NULL,
  placed_at  timestamptz NOT NULL,
  note       text
);
INSERT INTO users
SELECT g,
       'user' || g || '@example.com',
       CASE WHEN g % 17 = 0 THEN NULL
            WHEN g % 5 = 0 THEN 'Zoë O''Brien ' || g
            ELSE 'User ' || g END,
       (ARRAY['DE','FR','US','JP','BR'])[1 + g % 5],
       timestamptz '2020-01-01 00:00:00+00' + g * interval '37 minutes',
       g % 11 <> 0
FROM generate_series(1, 10000) AS g;
INSERT INTO orders
SELECT g,
       1 + (g::bigint * 7919) % 10000,
       ((g::bigint * 104729) % 100000) / 100.0,
       (ARRAY['new','paid','shipped','returned'])[1 + g % 4],
       timestamptz '2021-01-01 00:00:00+00' + g * interval '11 minutes',
       CASE WHEN g % 13 = 0 THEN E'gift\twrap "please"' END
FROM generate_series(1, 50000) AS g;
ANALYZE users;
ANALYZE orders;
