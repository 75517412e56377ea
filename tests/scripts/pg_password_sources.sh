#!/usr/bin/env bash
# Where the password comes from: the URI, PGPASSWORD, a password file; and
# that a wrong one fails with a message that names the server and hides it.
source "$(dirname "$0")/lib.bash" "$@"
q="SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW');"
out=$(PGPASSFILE=/nonexistent PGPASSWORD=$PONTOON_PG_PASSWORD shell "$q" 2>&1)
check "PGPASSWORD is used" [ "$out" = postgresql ]
out=$(PGPASSFILE=$PONTOON_PG_PASSFILE shell "$q" 2>&1)
check "the password file is used" [ "$out" = postgresql ]
out=$(PGPASSFILE=/nonexistent shell "SELECT pontoon_connect('pg', '$PONTOON_PG_URI');" 2>&1)
check "the URI's password is used" [ "$out" = postgresql ]
out=$(PGPASSFILE=/nonexistent shell "$q" 2>&1)
echo "$out"
check "no password: a clear error naming the server" grep -q "server 'pg': cannot connect:.*password" <<<"$out"
wrong="${PONTOON_PG_PASSWORD}x"
out=$(PGPASSFILE=/nonexistent shell "SELECT pontoon_connect('pg', 'postgresql://$PONTOON_PG_USER:$wrong@$PONTOON_PG_HOST:$PONTOON_PG_PORT/$PONTOON_PG_DB');" 2>&1)
echo "$out" | sed "s/$wrong/<wrong>/g"
check "wrong password: authentication error" grep -q "password authentication failed" <<<"$out"
check "wrong password: not in the message" bash -c '! grep -qF -- "$1" <<<"$2"' _ "$wrong" "$out"
out=$(PGPASSFILE=/nonexistent shell "SELECT pontoon_connect('pg', 'host=$PONTOON_PG_HOST port=$PONTOON_PG_PORT dbname=nosuchdb user=$PONTOON_PG_USER password=$wrong');" 2>&1)
check "key=value password: not in the message" bash -c '! grep -qF -- "$1" <<<"$2"' _ "$wrong" "$out"
finish
