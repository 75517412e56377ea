#!/usr/bin/env bash
# issue 11 item 3: keyset pages over any key the server orders and compares
# as SQLite does, not only integers.  The MariaDB ODBC driver cannot stream,
# so pontoon reads keyed tables through it a page at a time (fetch= rows),
# "key > last" in binary collation: text keys (case, trailing spaces,
# accents, digits as text) and a composite (text, int) key come back whole,
# once each, in SQLite's order.
source "$(dirname "$0")/lib.bash" "$@"
my_sql -e "DROP TABLE IF EXISTS sp_text, sp_pair;
  CREATE TABLE sp_text (k varchar(20) PRIMARY KEY, v int) ENGINE=InnoDB;
  INSERT INTO sp_text VALUES ('a', 1), ('B', 2), ('Z', 3), ('é', 4), ('Ö', 5), (' x', 6), ('x ', 7),
    ('_', 8), ('10', 9), ('9', 10), ('ab', 11), ('c', 13), ('', 14);
  CREATE TABLE sp_pair (a varchar(10), b int, v int, PRIMARY KEY (a, b)) ENGINE=InnoDB;
  INSERT INTO sp_pair SELECT CHAR(97 + seq % 5), seq, seq FROM seq_1_to_23;"
out=$(PONTOON_TRACE=1 shell "SELECT pontoon_connect('o', 'odbc:DSN=pontoon_my');" \
  "CREATE VIRTUAL TABLE t USING pontoon(o, sp_text, fetch=3);" \
  "CREATE VIRTUAL TABLE p USING pontoon(o, sp_pair, fetch=4);" \
  "CREATE TABLE lt AS SELECT * FROM t;" \
  "SELECT 'text', count(*), count(DISTINCT k), group_concat(k, '|') FROM (SELECT k FROM t);" \
  "SELECT 'local', count(*), count(DISTINCT k), group_concat(k, '|') FROM (SELECT k FROM lt ORDER BY k);" \
  "SELECT 'pair', count(*), sum(v), (SELECT count(*) FROM (SELECT DISTINCT a, b FROM p)) FROM p;" \
  "SELECT 'pair where', count(*), sum(v) FROM p WHERE v > 5;" 2>&1)
echo "$out" | grep -v "^pontoon: \(odbc\|scan\)" | head -20
text=$(grep "^text|" <<<"$out" | cut -d'|' -f2-)
local=$(grep "^local|" <<<"$out" | cut -d'|' -f2-)
check "a text key paged 3 rows at a time: every row once" grep -q "^text|13|13|" <<<"$out"
check "... in SQLite's byte order, as the local copy sorts it" [ -n "$text" ] && [ "$text" = "$local" ]
check "a composite (text, int) key paged 4 at a time: every row once" grep -q "^pair|23|276|23$" <<<"$out"
check "... with a condition too" grep -q "^pair where|18|261$" <<<"$out"
pages=$(grep -c "^pontoon: scan: .*> " <<<"$out")
check "later pages ask for the rows after the last key ($pages of them)" [ "$pages" -ge 8 ]
check "the text key's pages compare bytes (utf8mb4_nopad_bin)" grep -q "^pontoon: scan: .*nopad_bin > " <<<"$out"
finish
