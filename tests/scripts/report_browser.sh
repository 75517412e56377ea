#!/usr/bin/env bash
# issue 16 item 1: pontoon_report's page, opened in a real headless browser
# (Debian's chromium).  A small migration in two stages (a copy each, a
# capture and a sync, a diff that verifies) from PostgreSQL to MariaDB,
# then the report: the page renders (title, a row per job), the chart has
# one series per stage, the rows shown per job equal the ledgers' (read
# with SQL), a hostile job name is text, not markup; an unwritable path is
# a clear error.  The screenshot is kept under the build dir.
source "$(dirname "$0")/lib.bash" "$@"
export MYSQL_PWD=$PONTOON_MY_PASSWORD
out_dir=$BUILD/tests/out
mkdir -p "$out_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
page=$work/report.html
shot=$out_dir/report_browser.png
browser=$(command -v chromium || command -v chromium-browser || true)
check "chromium is installed (tests/setup.sh installs it)" [ -n "$browser" ]

pg_sql -c "DROP TABLE IF EXISTS public.rpt_users, public.rpt_orders" \
  -c "CREATE TABLE public.rpt_users (id int PRIMARY KEY, name text)" \
  -c "INSERT INTO public.rpt_users SELECT g, 'u' || g FROM generate_series(1, 300) g" \
  -c "CREATE TABLE public.rpt_orders (id int PRIMARY KEY, user_id int, total numeric(10,2))" \
  -c "INSERT INTO public.rpt_orders SELECT g, g % 300 + 1, g * 1.5 FROM generate_series(1, 500) g"
my_sql -e "DROP TABLE IF EXISTS rpt_users_new, rpt_orders_new, rpt_bad_new;
  CREATE TABLE rpt_bad_new (id int PRIMARY KEY, name varchar(2) NOT NULL);
  CREATE TABLE rpt_users_new (id int PRIMARY KEY, name text);
  CREATE TABLE rpt_orders_new (id int PRIMARY KEY, user_id int, total decimal(10,2));"
# a run before this one left its jobs in the ledger (absent on a first run)
for t in pontoon_chunk pontoon_sync_batch pontoon_job; do
  my_sql -e "DELETE FROM $t WHERE job IN ('rpt users', '<script>alert(1)</script>', 'rpt bad')" 2>/dev/null
done

run() {
  sqlite3 -batch -init /dev/null -cmd ".load $BUILD/pontoon" -cmd ".output /dev/null" \
    -cmd "SELECT pontoon_connect('pg', '$PONTOON_PG_URI_NOPW')" \
    -cmd "SELECT pontoon_connect('my', '$MY_URI_NOPW')" -cmd ".output stdout" :memory: "$@" 2>&1
}
sql=$(cat <<EOF
SELECT pontoon_import('pg', 'main', 'public', 'rpt_%');
CREATE VIRTUAL TABLE users_new USING pontoon(my, rpt_users_new);
CREATE VIRTUAL TABLE orders_new USING pontoon(my, rpt_orders_new);
SELECT pontoon_capture('rpt_users');
SELECT 'copied', sum(rows) FROM pontoon_copy('rpt_users', 'users_new', 'stage=rpt-1 chunk=100 job=''rpt users''');
SELECT 'copied', sum(rows) FROM pontoon_copy('rpt_orders', 'orders_new', 'stage=rpt-2 chunk=150 job=<script>alert(1)</script>');
UPDATE rpt_users SET name = 'changed' WHERE id <= 20;
INSERT INTO rpt_users VALUES (1000, 'late');
SELECT 'synced', sum(applied) FROM pontoon_sync('rpt_users', 'users_new', 'until=empty job=''rpt users''');
SELECT 'differences', count(*) FROM pontoon_diff('rpt_orders', 'orders_new', 'job=<script>alert(1)</script>');
SELECT pontoon_capture_stop('rpt_users');
CREATE VIRTUAL TABLE bad_new USING pontoon(my, rpt_bad_new);
SELECT 'bad', sum(rows) FROM pontoon_copy('rpt_users', 'bad_new', 'stage=rpt-2 chunk=100 job=''rpt bad''');
SELECT 'jobs', pontoon_report('$page', 'title=''Shop migration <test>''');
EOF
)
log=$(run <<<"$sql")
echo "$log"
check "the copies ran" [ "$(grep -c '^copied|' <<<"$log")" = 2 ]
check "the sync applied the changes" grep -qx 'synced|21' <<<"$log"
check "the diff found nothing" grep -qx 'differences|0' <<<"$log"
njobs=$(sed -n 's/^jobs|//p' <<<"$log")
check "pontoon_report returned a number of jobs ($njobs)" [ -n "$njobs" ] && [ "${njobs:-0}" -ge 2 ]
check "the page was written" [ -s "$page" ]
check "no temporary file is left beside it" [ "$(ls "$work" | grep -c 'report.html.')" = 0 ]

# the ledgers, read with SQL: job, rows done (chunks done), stage
my_sql -e "SELECT j.job, coalesce((SELECT sum(c.rows_copied) FROM pontoon_chunk c WHERE c.job = j.job AND c.state = 'done'), 0), coalesce(j.stage, '') FROM pontoon_job j" \
  >"$work/ledger.tsv" 2>/dev/null
pg_sql -F $'\t' -c "SELECT j.job, coalesce((SELECT sum(c.rows_copied) FROM pontoon.chunk c WHERE c.job = j.job AND c.state = 'done'), 0), coalesce(j.stage, '') FROM pontoon.job j" \
  >>"$work/ledger.tsv" 2>/dev/null
nledger=$(grep -c . "$work/ledger.tsv")
check "the report counts the ledgers' jobs ($njobs, $nledger)" [ "$njobs" = "$nledger" ]

if [ -n "$browser" ]; then
  env -u LD_PRELOAD timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --screenshot="$shot" --window-size=1280,1400 "file://$page" >/dev/null 2>"$work/chromium.err"
  env -u LD_PRELOAD timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
    --dump-dom "file://$page" >"$work/dom.html" 2>>"$work/chromium.err"
  check "chromium wrote a screenshot" [ -s "$shot" ]
  check "chromium dumped the page's DOM" [ -s "$work/dom.html" ] || tail -5 "$work/chromium.err"
  # what the browser built: title, jobs (name, rows), series, scripts
  env -u LD_PRELOAD python3 - "$work/dom.html" >"$work/dom.txt" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.title = ""; self.in_title = False; self.jobs = []; self.series = []; self.scripts = 0
        self.in_h1 = False; self.h1 = ""
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title" and not self.title: self.in_title = True  # the page's, not the SVG's
        if tag == "h1": self.in_h1 = True
        if tag == "script": self.scripts += 1
        if tag == "tr" and a.get("class") == "job":
            self.jobs.append((a.get("data-job"), a.get("data-rows")))
        if tag == "polygon" and a.get("class") == "series":
            self.series.append(a.get("data-stage"))
    def handle_endtag(self, tag):
        if tag == "title": self.in_title = False
        if tag == "h1": self.in_h1 = False
    def handle_data(self, d):
        if self.in_title: self.title += d
        if self.in_h1: self.h1 += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
print("title\t" + p.title)
print("h1\t" + p.h1)
print("scripts\t%d" % p.scripts)
for s in p.series: print("series\t" + s)
for j, r in p.jobs: print("job\t%s\t%s" % (j, r))
PY
  cat "$work/dom.txt"
  check "the page renders with its title" grep -qx $'title\tShop migration <test>' "$work/dom.txt"
  check "the title shows as text in the page" grep -qx $'h1\tShop migration <test>' "$work/dom.txt"
  check "a row for the stage-1 job" grep -qx $'job\trpt users\t300' "$work/dom.txt"
  # issue 16 item 1: a job named <script>... is text, never markup
  check "the hostile job name is a row's text" grep -qx $'job\t<script>alert(1)</script>\t500' "$work/dom.txt"
  check "no script element in the page" grep -qx $'scripts\t0' "$work/dom.txt"
  check "the page source escapes it" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$page"
  # one series per stage: the distinct stages of the ledgers' jobs
  cut -f3 "$work/ledger.tsv" | sort -u >"$work/stages.want"
  sed -n 's/^series\t//p' "$work/dom.txt" | sort >"$work/stages.got"
  check "the chart has one series per stage ($(wc -l <"$work/stages.got") series)" \
    diff "$work/stages.want" "$work/stages.got"
  check "the stages rpt-1 and rpt-2 are series" grep -qx rpt-2 "$work/stages.got"
  # the rows shown per job equal the ledgers'
  cut -f1,2 "$work/ledger.tsv" | sort >"$work/rows.want"
  sed -n 's/^job\t//p' "$work/dom.txt" | sort >"$work/rows.got"
  check "the rows shown per job equal the ledgers' ($(wc -l <"$work/rows.got") jobs)" \
    diff "$work/rows.want" "$work/rows.got"
  # failures with their errors: the failed copy's, from the ledger
  check "the failed copy's error is in Failures" \
    grep -q '<tr class="failure"><td>rpt bad</td>.*Data truncated for column' "$work/dom.html"
  # the sync's batches and the largest lag one began with, as the ledger has them
  lag=$(my_sql -e "SELECT count(*), max(lag_seconds) IS NOT NULL FROM pontoon_sync_batch WHERE job = 'rpt users'" 2>/dev/null)
  check "the ledger keeps each batch's lag ($lag)" grep -qP '^[1-9][0-9]*\t1$' <<<"$lag"
  check "the job's syncs show batches and the largest lag" \
    grep -q '<td class="syncs">[0-9]* batch.*largest lag' "$work/dom.html"
  echo "screenshot: $shot"
fi

check "the page prints (@media print)" grep -q '@media print' "$page"
check "the page loads nothing (no src=, no href=http, no <script)" \
  [ "$(grep -ciE 'src=|href="?http|<script' "$page")" = 0 ]

# an unwritable path: a clear error, and nothing written
err=$(run <<<"SELECT pontoon_report('$work/no/such/dir/r.html');")
echo "$err"
check "an unwritable path is a clear error" \
  grep -q "pontoon_report: cannot write $work/no/such/dir/r.html: No such file or directory" <<<"$err"
err=$(run <<<"SELECT pontoon_report('$work/r.html', 'colour=red');")
check "an unknown option is refused" grep -q "pontoon_report: unknown option colour" <<<"$err"
finish
