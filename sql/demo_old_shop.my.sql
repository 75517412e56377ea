-- The old system of the demo: a small shop in MariaDB/MySQL, loaded into
-- its database `shop` by sql/demo.sh (the mariadb client).  Deterministic
-- data with NULLs, 4-byte unicode, quotes, tabs and exact money amounts.
-- (pontoon_capture's change table and capture list of an earlier run go too.)
DROP TABLE IF EXISTS orders, users, pontoon_changes, pontoon_captures;
CREATE TABLE users (
  id         bigint PRIMARY KEY,
  email      varchar(100) NOT NULL UNIQUE,
  name       varchar(100),
  country    char(2),
  created_at timestamp NOT NULL,
  active     tinyint(1) NOT NULL DEFAULT 1
) ENGINE=InnoDB DEFAULT CHARSET utf8mb4;
CREATE TABLE orders (
  id        bigint AUTO_INCREMENT PRIMARY KEY,
  user_id   bigint NOT NULL,
  total     decimal(12,2) NOT NULL,
  status    varchar(10) NOT NULL,
  placed_at timestamp NOT NULL,
  note      text,
  FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET utf8mb4;
SET time_zone = '+00:00';
INSERT INTO users
SELECT seq,
       CONCAT('user', seq, '@example.com'),
       CASE WHEN seq % 17 = 0 THEN NULL
            WHEN seq % 5 = 0 THEN CONCAT('Zoë O''Brien 😀 ', seq)
            ELSE CONCAT('User ', seq) END,
       ELT(1 + seq % 5, 'DE', 'FR', 'US', 'JP', 'BR'),
       TIMESTAMP '2020-01-01 00:00:00' + INTERVAL seq * 37 MINUTE,
       seq % 11 <> 0
FROM seq_1_to_10000;
INSERT INTO orders
SELECT seq,
       1 + (seq * 7919) % 10000,
       ((seq * 104729) % 100000) / 100.0,
       ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'returned'),
       TIMESTAMP '2021-01-01 00:00:00' + INTERVAL seq * 11 MINUTE,
       CASE WHEN seq % 13 = 0 THEN 'gift\twrap "please"' END
FROM seq_1_to_50000;
ANALYZE TABLE users, orders;
