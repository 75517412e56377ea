/*
** unit_core.c — unit tests of the pure parts, no server needed: URI and
** option parsing (options.c), value conversion (value.c), the remote SQL
** text (plan.c with the PostgreSQL and MySQL dialects), redaction (util.c).
*/
#include <math.h>
#include <stdlib.h>
#include "pontoon.h"
#include "pt_check.h"

/* ---- options.c ---- */

static void test_uri(void) {
  pt_uri u;
  char *zErr = 0;
  CHECK_INT(pt_uri_parse(
              "postgresql://app:s%40cret@db.example:6543/shop?sslmode=require&application_name=x",
              &u, &zErr),
            SQLITE_OK);
  CHECK_STR(u.zScheme, "postgresql");
  CHECK_STR(u.zUser, "app");
  CHECK_STR(u.zPassword, "s@cret");
  CHECK_STR(u.zHost, "db.example");
  CHECK_STR(u.zPort, "6543");
  CHECK_STR(u.zPath, "shop");
  CHECK_INT(u.nParam, 2);
  CHECK_STR(u.azKey[0], "sslmode");
  CHECK_STR(u.azVal[1], "x");
  pt_uri_clear(&u);

  CHECK_INT(pt_uri_parse("MySQL://[::1]:3306/db", &u, &zErr), SQLITE_OK);
  CHECK_STR(u.zScheme, "mysql");
  CHECK_STR(u.zHost, "::1");
  CHECK_STR(u.zPort, "3306");
  CHECK(u.zUser == 0 && u.zPassword == 0);
  pt_uri_clear(&u);

  CHECK_INT(pt_uri_parse("mysql://user@host", &u, &zErr), SQLITE_OK);
  CHECK_STR(u.zUser, "user");
  CHECK(u.zPath == 0 && u.zPort == 0);
  pt_uri_clear(&u);

  static const char *azBad[] = { "nonsense",
                                 "://x",
                                 "pg://u:pw@h:99999/db",
                                 "pg://u:pw@h:12a/db",
                                 "pg://u:pw@h:/db",
                                 "pg://u:p%zzw@h/db",
                                 "pg://[::1/db",
                                 "pg://h/db?novalue" };
  for( size_t i = 0; i < sizeof(azBad) / sizeof(azBad[0]); i++ ) {
    zErr = 0;
    CHECK_INT(pt_uri_parse(azBad[i], &u, &zErr), SQLITE_ERROR);
    CHECK(zErr != 0);
    CHECK(zErr == 0 || strstr(zErr, "pw") == 0); /* the password never comes back */
    sqlite3_free(zErr);
  }
}

static void test_password(void) {
  char *z;
  CHECK_STR(z = pt_conninfo_password("postgresql://a:b%20c@h/d"), "b c");
  sqlite3_free(z);
  CHECK_STR(z = pt_conninfo_password("postgresql://a@h/d?password=qq"), "qq");
  sqlite3_free(z);
  CHECK_STR(z = pt_conninfo_password("host=h password='it''s' user=u"), "it");
  sqlite3_free(z);
  CHECK_STR(z = pt_conninfo_password("host=h password = 'a b\\'c' user=u"), "a b'c");
  sqlite3_free(z);
  CHECK_STR(z = pt_conninfo_password("DSN=x;UID=u;PWD={p;w}"), "p;w");
  sqlite3_free(z);
  /* what pontoon_connect is given for ODBC: the scheme glued to the first key */
  CHECK_STR(z = pt_conninfo_password("odbc:Driver={PostgreSQL Unicode};Server=h;pwd=s3cret;UID=u"),
            "s3cret");
  sqlite3_free(z);
  CHECK_STR(z = pt_conninfo_password("odbc:DSN=x;Password=p w"), "p w");
  sqlite3_free(z);
  CHECK_STR(z = pt_conninfo_password("odbc:DSN=x;PWD={a}}b;c}"), "a}b;c");
  sqlite3_free(z);
  CHECK_STR(z = pt_conninfo_password("odbc:DSN=x;PWD='q"), "'q");
  sqlite3_free(z);
  CHECK(pt_conninfo_password("odbc:DSN=x;UID=u") == 0);
  CHECK(pt_conninfo_password("host=h user=u") == 0);
  CHECK(pt_conninfo_password("postgresql://a@h/d") == 0);
}

static void test_ident(void) {
  char *s, *t, *e = 0;
  CHECK_INT(pt_ident_split("users", &s, &t, &e), SQLITE_OK);
  CHECK(s == 0);
  CHECK_STR(t, "users");
  sqlite3_free(t);
  CHECK_INT(pt_ident_split("public.users", &s, &t, &e), SQLITE_OK);
  CHECK_STR(s, "public");
  CHECK_STR(t, "users");
  sqlite3_free(s);
  sqlite3_free(t);
  CHECK_INT(pt_ident_split("\"Mixed Case\"", &s, &t, &e), SQLITE_OK);
  CHECK(s == 0);
  CHECK_STR(t, "Mixed Case");
  sqlite3_free(t);
  CHECK_INT(pt_ident_split("hid.\"we\"\"ird\"", &s, &t, &e), SQLITE_OK);
  CHECK_STR(s, "hid");
  CHECK_STR(t, "we\"ird");
  sqlite3_free(s);
  sqlite3_free(t);
  CHECK_INT(pt_ident_split("'public.users'", &s, &t, &e), SQLITE_OK);
  CHECK_STR(s, "public");
  CHECK_STR(t, "users");
  sqlite3_free(s);
  sqlite3_free(t);
  CHECK_INT(pt_ident_split("'hid.\"a.b\"'", &s, &t, &e), SQLITE_OK);
  CHECK_STR(s, "hid");
  CHECK_STR(t, "a.b");
  sqlite3_free(s);
  sqlite3_free(t);
  static const char *azBad[] = { "a.b.c", "\"open", "", ".x" };
  for( size_t i = 0; i < sizeof(azBad) / sizeof(azBad[0]); i++ ) {
    e = 0;
    CHECK_INT(pt_ident_split(azBad[i], &s, &t, &e), SQLITE_ERROR);
    CHECK(e != 0);
    sqlite3_free(e);
  }
  char *u = pt_sql_unquote(" 'it''s' ");
  CHECK_STR(u, "it's");
  sqlite3_free(u);
  u = pt_sql_unquote("\"a\"\"b\"");
  CHECK_STR(u, "a\"b");
  sqlite3_free(u);
}

static void test_columns(void) {
  pt_table_desc *d = pt_desc_new(3), *back = 0;
  d->aCol[0].zName = pt_strdup("id");
  d->aCol[0].kind = PT_K_INT;
  d->aCol[0].iKey = 1;
  d->aCol[0].notNull = 1;
  d->aCol[1].zName = pt_strdup("we\"ird, name");
  d->aCol[1].kind = PT_K_TEXT;
  d->aCol[2].zName = pt_strdup("when");
  d->aCol[2].kind = PT_K_TIMESTAMPTZ;
  d->aCol[2].iKey = 2;
  char *z = pt_columns_format(d);
  CHECK_STR(z, "\"id\" int key 1 notnull, \"we\"\"ird, name\" text, \"when\" timestamptz key 2");
  char *e = 0;
  CHECK_INT(pt_columns_parse(z, &back, &e), SQLITE_OK);
  CHECK_INT(back->nCol, 3);
  for( int i = 0; i < 3; i++ ) {
    CHECK_STR(back->aCol[i].zName, d->aCol[i].zName);
    CHECK_INT(back->aCol[i].kind, d->aCol[i].kind);
    CHECK_INT(back->aCol[i].iKey, d->aCol[i].iKey);
    CHECK_INT(back->aCol[i].notNull, d->aCol[i].notNull);
  }
  pt_desc_free(back);
  back = 0;
  CHECK_INT(pt_columns_parse("\"id\" nonsense", &back, &e), SQLITE_ERROR);
  CHECK(e && strstr(e, "nonsense"));
  sqlite3_free(e);
  sqlite3_free(z);
  pt_desc_free(d);

  char *k, *v;
  CHECK(pt_arg_split(" Query = 'select ''x''' ", &k, &v));
  CHECK_STR(k, "query");
  CHECK_STR(v, "select 'x'");
  sqlite3_free(k);
  sqlite3_free(v);
  CHECK(!pt_arg_split("\"a=b\"", &k, &v));
  CHECK(pt_looks_secret("password", "x"));
  CHECK(pt_looks_secret(0, "postgresql://u:pw@h/d"));
  CHECK(pt_looks_secret(0, "host=h password=x"));
  CHECK(!pt_looks_secret("fetch", "100"));
  CHECK(!pt_looks_secret(0, "public.users"));
}

/* ---- value.c ---- */

static void test_decimal(void) {
  int64_t i;
  double r;
#define CLS(z) pt_decimal_classify(z, (int)strlen(z), &i, &r)
  CHECK_INT(CLS("9223372036854775807"), PT_V_INT);
  CHECK_INT(i, INT64_MAX);
  CHECK_INT(CLS("-9223372036854775808"), PT_V_INT);
  CHECK(i == INT64_MIN);
  CHECK_INT(CLS("9223372036854775808"), PT_V_TEXT);
  CHECK_INT(CLS("100.00"), PT_V_INT);
  CHECK_INT(i, 100);
  CHECK_INT(CLS("1.50"), PT_V_REAL);
  CHECK_DBL(r, 1.5);
  CHECK_INT(CLS("0.000123"), PT_V_REAL);
  CHECK_DBL(r, 0.000123);
  CHECK_INT(CLS("123456789012.345"), PT_V_REAL); /* 15 digits */
  CHECK_INT(CLS("1234567890123.456"), PT_V_TEXT); /* 16 digits */
  CHECK_INT(CLS("NaN"), PT_V_TEXT);
  CHECK_INT(CLS("Infinity"), PT_V_REAL);
  CHECK(isinf(r) && r > 0);
  CHECK_INT(CLS("-Infinity"), PT_V_REAL);
  CHECK(isinf(r) && r < 0);
#undef CLS
}

static char *date_str(int64_t days) {
  sqlite3_str *s = sqlite3_str_new(0);
  pt_format_date(s, days);
  return sqlite3_str_finish(s);
}

static char *time_str(int64_t usec) {
  sqlite3_str *s = sqlite3_str_new(0);
  pt_format_time(s, usec);
  return sqlite3_str_finish(s);
}

static void test_dates(void) {
  char *z;
  CHECK_INT(pt_days_from_civil(1970, 1, 1), 0);
  CHECK_INT(pt_days_from_civil(2000, 1, 1), 10957);
  CHECK_INT(pt_days_from_civil(2024, 3, 1) - pt_days_from_civil(2024, 2, 28), 2);
  CHECK_STR(z = date_str(pt_days_from_civil(2024, 2, 29)), "2024-02-29");
  sqlite3_free(z);
  CHECK_STR(z = date_str(pt_days_from_civil(1, 1, 1)), "0001-01-01");
  sqlite3_free(z);
  CHECK_STR(z = date_str(pt_days_from_civil(-43, 3, 15)), "-0043-03-15");
  sqlite3_free(z);
  CHECK_STR(z = date_str(pt_days_from_civil(10000, 1, 1)), "+10000-01-01");
  sqlite3_free(z);
  CHECK_STR(z = time_str(0), "00:00:00");
  sqlite3_free(z);
  CHECK_STR(z = time_str(((23 * 60 + 59) * 60 + 59) * 1000000LL + 999999), "23:59:59.999999");
  sqlite3_free(z);
  CHECK_STR(z = time_str(12 * 3600000000LL + 500000), "12:00:00.5");
  sqlite3_free(z);
  int y, m, d;
  CHECK_INT(pt_parse_date_prefix("2024-02-29 10:00", 16, &y, &m, &d), 10);
  CHECK_INT(y * 10000 + m * 100 + d, 20240229);
  CHECK_INT(pt_parse_date_prefix("2023-02-29", 10, &y, &m, &d), 0);
  CHECK_INT(pt_parse_date_prefix("2024-1-1", 8, &y, &m, &d), 0);
  /* pt_utc_time: offsets applied, the value read within its length only
  ** (a regression: "+02:00" followed by other bytes gave 07:59) */
  char out[64];
  const char *zRow = "2024-05-05 10:00:00+02:001"; /* a neighbouring value's "1" after it */
  int k = pt_utc_time(zRow, 25, out);
  out[k > 0 ? k : 0] = 0;
  CHECK_STR(out, "2024-05-05 08:00:00");
  k = pt_utc_time("2024-01-01 00:30:00.25-01:30", 28, out);
  out[k > 0 ? k : 0] = 0;
  CHECK_STR(out, "2024-01-01 02:00:00.25");
  k = pt_utc_time("2024-01-01T23:00:00Z", 20, out);
  out[k > 0 ? k : 0] = 0;
  CHECK_STR(out, "2024-01-01 23:00:00");
  CHECK_INT(pt_utc_time("2024-01-01 10:00:00", 19, out), 0); /* no zone: as it is */
  CHECK_INT(pt_utc_time("2024-01-01 1x:00:00+02:00", 25, out), 0); /* not a time */
}

/* pt_value_param on the value of `SELECT <expr>`. */
static sqlite3 *db;
static int param(pt_kind k, int op, const char *zExpr, char **pzOut) {
  sqlite3_stmt *st;
  char *zSql = sqlite3_mprintf("SELECT %s", zExpr);
  sqlite3_prepare_v2(db, zSql, -1, &st, 0);
  sqlite3_free(zSql);
  sqlite3_step(st);
  sqlite3_str *b = sqlite3_str_new(0);
  int isBlob = 0;
  int r = pt_value_param(k, op, sqlite3_column_value(st, 0), b, &isBlob);
  *pzOut = sqlite3_str_finish(b);
  sqlite3_finalize(st);
  return r;
}

static void test_param(void) {
  char *z = 0;
  const int EQ = SQLITE_INDEX_CONSTRAINT_EQ, GT = SQLITE_INDEX_CONSTRAINT_GT,
            LT = SQLITE_INDEX_CONSTRAINT_LT;
#define P(k, op, e, want, text) \
  do { \
    CHECK_INT(param(k, op, e, &z), want); \
    if( text ) { CHECK_STR(z, (const char *)text); } \
    sqlite3_free(z); \
  } while( 0 )
  P(PT_K_INT, EQ, "5", PT_BIND, "5");
  P(PT_K_INT, EQ, "'5'", PT_BIND, "5");
  P(PT_K_INT, EQ, "' 5 '", PT_BIND, "5");
  P(PT_K_INT, EQ, "2.0", PT_BIND, "2");
  P(PT_K_INT, EQ, "2.5", PT_EMPTY, 0);
  P(PT_K_INT, GT, "2.5", PT_DROP, 0);
  P(PT_K_INT, EQ, "'abc'", PT_EMPTY, 0);
  P(PT_K_INT, LT, "'abc'", PT_DROP, 0);
  P(PT_K_INT, EQ, "NULL", PT_EMPTY, 0);
  P(PT_K_INT, EQ, "x'01'", PT_EMPTY, 0);
  P(PT_K_REAL, EQ, "0.1", PT_BIND, "0.10000000000000001");
  P(PT_K_REAL, EQ, "'NaN'", PT_DROP, 0);
  P(PT_K_DECIMAL, EQ, "2", PT_BIND, "2");
  P(PT_K_DECIMAL, EQ, "0.1", PT_BIND_LOOSE, "0.1");
  P(PT_K_TEXT, EQ, "'abc'", PT_BIND, "abc");
  P(PT_K_TEXT, EQ, "5", PT_DROP, 0);
  P(PT_K_TEXT, SQLITE_INDEX_CONSTRAINT_LIKE, "'a%'", PT_BIND_LOOSE, "a%");
  P(PT_K_BOOL, EQ, "1", PT_BIND, "1");
  P(PT_K_BOOL, EQ, "2", PT_EMPTY, 0);
  P(PT_K_DATE, EQ, "'2024-01-02'", PT_BIND, "2024-01-02");
  P(PT_K_DATE, EQ, "'2024-1-2'", PT_DROP, 0);
  P(PT_K_DATE, EQ, "'0000-00-00'", PT_DROP, 0); /* MySQL holds such text */
  P(PT_K_TIMESTAMP, EQ, "'2024-01-02 10:00:00.5'", PT_BIND, 0);
  P(PT_K_TIMESTAMP, EQ, "'2024-01-02 10:00:00.50'", PT_DROP, 0);
  P(PT_K_TIMESTAMPTZ, EQ, "'2024-01-02 10:00:00+00:00'", PT_BIND, 0);
  P(PT_K_TIMESTAMP, PT_OP_DATE_GE, "'2024-01-02 10:00'", PT_BIND_LOOSE, "2024-01-02");
  P(PT_K_DATE, PT_OP_DATE_LT, "'2024-12-31'", PT_BIND_LOOSE, "2025-01-01");
  P(PT_K_DATE, PT_OP_DATE_LT, "'2024'", PT_DROP, 0);
  P(PT_K_UUID, EQ, "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", PT_DROP, 0);
  P(PT_K_UUID, EQ, "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", PT_BIND, 0);
  P(PT_K_BLOB, EQ, "x'00ff'", PT_BIND, 0);
  P(PT_K_BLOB, EQ, "'text'", PT_EMPTY, 0);
#undef P
}

static void test_write(void) {
  sqlite3_stmt *st;
  sqlite3_prepare_v2(db, "SELECT 0.1, 2.0, 7, -0.0, 1e300, 'x', x'00ff', NULL", -1, &st, 0);
  sqlite3_step(st);
  pt_buf b = { 0 };
  int isBlob;
  char *zErr = 0;
  struct {
    int col;
    pt_kind k;
    const char *want;
  } a[] = {
    { 0, PT_K_DECIMAL, "0.1" }, { 0, PT_K_REAL, "0.1" }, { 1, PT_K_INT, "2" },
    { 2, PT_K_BOOL, "true" },   { 3, PT_K_REAL, "-0" },  { 4, PT_K_REAL, "1e+300" },
    { 5, PT_K_TEXT, "x" },
  };
  for( size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++ ) {
    b.n = 0;
    CHECK_INT(pt_value_write(a[i].k, sqlite3_column_value(st, a[i].col), &b, &isBlob, &zErr),
              PT_V_TEXT);
    pt_buf_char(&b, 0);
    CHECK_STR(b.z, a[i].want);
  }
  b.n = 0;
  CHECK_INT(pt_value_write(PT_K_BLOB, sqlite3_column_value(st, 6), &b, &isBlob, &zErr), PT_V_TEXT);
  CHECK(isBlob && b.n == 2 && (unsigned char)b.z[1] == 0xff);
  CHECK_INT(pt_value_write(PT_K_INT, sqlite3_column_value(st, 6), &b, &isBlob, &zErr), -1);
  CHECK(zErr && strstr(zErr, "BLOB"));
  sqlite3_free(zErr);
  CHECK_INT(pt_value_write(PT_K_TEXT, sqlite3_column_value(st, 7), &b, &isBlob, &zErr), PT_V_NULL);
  pt_buf_free(&b);
  sqlite3_finalize(st);

  /* the hidden key of composite keys */
  sqlite3_str *s = sqlite3_str_new(0);
  pt_value v1 = { PT_V_INT, 12, 0, 0, 0 };
  pt_value v2 = { PT_V_TEXT, 0, 0, "a\"b,]", 5 };
  pt_value v3 = { PT_V_BLOB, 0, 0, "\x00\xff", 2 };
  pt_key_append(s, 1, &v1);
  pt_key_append(s, 0, &v2);
  pt_key_append(s, 0, &v3);
  sqlite3_str_appendchar(s, 1, ']');
  int n = sqlite3_str_length(s);
  char *zKey = sqlite3_str_finish(s);
  pt_kind aKind[3] = { PT_K_INT, PT_K_TEXT, PT_K_BLOB };
  char *az[3];
  int an[3];
  CHECK_INT(pt_key_decode(zKey, n, 3, aKind, az, an), SQLITE_OK);
  CHECK_STR(az[0], "12");
  CHECK_STR(az[1], "a\"b,]");
  CHECK(an[2] == 2 && (unsigned char)az[2][1] == 0xff);
  for( int i = 0; i < 3; i++ ) sqlite3_free(az[i]);
  CHECK_INT(pt_key_decode(zKey, n, 2, aKind, az, an), SQLITE_ERROR);
  CHECK_INT(pt_key_decode("nonsense", 8, 1, aKind, az, an), SQLITE_ERROR);
  sqlite3_free(zKey);
}

/* ---- plan.c with the drivers' dialects ---- */

static void test_plan_sql(void) {
  pt_registry *reg = pt_registry_new(db);
  pt_server srv;
  memset(&srv, 0, sizeof srv);
  srv.zName = "pg";
  srv.pDriver = &pt_pg_driver;
  srv.pDialect = pt_pg_driver.pDialect;
  reg->pServers = &srv;
  pt_vtab v;
  memset(&v, 0, sizeof v);
  v.pReg = reg;
  v.zServer = "pg";
  v.zRemoteSchema = "we\"ird";
  v.zRemoteTable = "a b";
  v.pDesc = pt_desc_new(5);
  const char *azName[] = { "id", "name", "when", "arr", "iv" };
  pt_kind aKind[] = { PT_K_INT, PT_K_TEXT, PT_K_TIMESTAMP, PT_K_ARRAY, PT_K_INTERVAL };
  for( int i = 0; i < 5; i++ ) {
    v.pDesc->aCol[i].zName = pt_strdup(azName[i]);
    v.pDesc->aCol[i].kind = aKind[i];
  }

  pt_plan p;
  memset(&p, 0, sizeof p);
  int aSel[] = { 0, 3, 4 };
  pt_plan_op aOp[] = {
    { 0, SQLITE_INDEX_CONSTRAINT_EQ, 0, PT_PUSH_EXACT },
    { 1, SQLITE_INDEX_CONSTRAINT_GT, 1, PT_PUSH_EXACT },
    { 1, SQLITE_INDEX_CONSTRAINT_LIKE, 2, PT_PUSH_SUPERSET },
    { 2, PT_OP_DATE_GE, 3, PT_PUSH_SUPERSET },
    { 0, PT_OP_IN, 4, PT_PUSH_EXACT },
    { 1, SQLITE_INDEX_CONSTRAINT_ISNULL, -1, PT_PUSH_EXACT },
  };
  int aOrderCol[] = { 1, 0 }, aOrderDesc[] = { 0, 1 };
  p.nSel = 3;
  p.aSel = aSel;
  p.nOp = 6;
  p.aOp = aOp;
  p.nOrder = 2;
  p.aOrderCol = aOrderCol;
  p.aOrderDesc = aOrderDesc;
  p.iLimitArgv = 5;
  char *z = pt_plan_sql(&v, &p, 0, 1);
  CHECK_STR(
    z,
    "SELECT \"id\", to_json(\"arr\")::text, \"iv\"::text FROM \"we\"\"ird\".\"a b\""
    " WHERE \"id\" = $1::int8 AND \"name\" COLLATE \"C\" > $2::text AND \"name\" ILIKE $3::text ESCAPE ''"
    " AND (\"when\" >= $4::timestamp OR \"when\" < '0001-01-01'::timestamp OR \"when\" >= '10000-01-01'::timestamp)"
    " AND \"id\" = ANY($5::int8[]) AND \"name\" IS NULL"
    " ORDER BY \"name\" COLLATE \"C\" ASC NULLS FIRST, \"id\" DESC NULLS LAST LIMIT $6::int8");
  sqlite3_free(z);
  /* a dropped term renumbers the parameters; no limit when asked */
  unsigned char aDrop[6] = { 0, 1, 0, 0, 0, 0 };
  p.nOrder = 0;
  z = pt_plan_sql(&v, &p, aDrop, 0);
  CHECK(strstr(z, "ILIKE $2::text") != 0);
  CHECK(strstr(z, "COLLATE \"C\" >") == 0);
  CHECK(strstr(z, "LIMIT") == 0);
  sqlite3_free(z);
  /* no column read: SELECT 1; a query= table */
  p.nSel = 0;
  p.nOp = 0;
  p.iLimitArgv = -1;
  v.zQuery = "SELECT 1 AS x";
  z = pt_plan_sql(&v, &p, 0, 1);
  CHECK_STR(z, "SELECT 1 FROM (SELECT 1 AS x) AS q");
  sqlite3_free(z);
  v.zQuery = 0;

  /* the MySQL dialect, when this build has the driver */
  if( (srv.pDriver = pt_driver_for("mysql://u@h/db")) != 0 ) {
    srv.pDialect = srv.pDriver->pDialect;
    p.nSel = 1;
    p.aSel = aSel;
    pt_plan_op aMy[] = { { 1, SQLITE_INDEX_CONSTRAINT_EQ, 0, PT_PUSH_EXACT } };
    p.nOp = 1;
    p.aOp = aMy;
    p.nOrder = 1;
    p.aOrderCol = aOrderCol;
    p.aOrderDesc = aOrderDesc;
    z = pt_plan_sql(&v, &p, 0, 1);
    CHECK_STR(
      z,
      "SELECT `id` FROM `we\"ird`.`a b` WHERE (`name` = $1 AND CONVERT(`name` USING utf8mb4)"
      " COLLATE utf8mb4_nopad_bin = $1) ORDER BY CONVERT(`name` USING utf8mb4) COLLATE utf8mb4_nopad_bin ASC");
    sqlite3_free(z);
    /* issue 11 item 2: the statement the driver gets has its own '?' and
    ** marks, written by deparse (no driver scans it); an IN list is a
    ** list mark */
    pt_plan_op aMy2[] = { { 1, SQLITE_INDEX_CONSTRAINT_EQ, 0, PT_PUSH_EXACT },
                          { 0, PT_OP_IN, 1, PT_PUSH_EXACT } };
    p.nOp = 2;
    p.aOp = aMy2;
    p.nOrder = 0;
    p.iLimitArgv = 2;
    pt_stmt st;
    CHECK_INT(pt_plan_stmt(&v, &p, 0, 1, &st), SQLITE_OK);
    CHECK_STR(st.zSql,
              "SELECT `id` FROM `we\"ird`.`a b` WHERE (`name` = ? AND CONVERT(`name` USING utf8mb4)"
              " COLLATE utf8mb4_nopad_bin = ?) AND `id` IN (?) LIMIT ?");
    CHECK_INT(st.nMark, 4);
    for( int i = 0; i < st.nMark; i++ ) CHECK(st.zSql[st.aMark[i].iOffset] == '?');
    CHECK_INT(st.aMark[0].iParam, 0);
    CHECK_INT(st.aMark[1].iParam, 0);
    CHECK_INT(st.aMark[2].iParam, 1);
    CHECK_INT(st.aMark[2].flags, PT_MARK_LIST);
    CHECK_INT(st.aMark[3].iParam, 2);
    CHECK_INT(st.aMark[3].flags, 0);
    pt_stmt_clear(&st);
    z = pt_plan_sql(&v, &p, 0, 1);
    CHECK(strstr(z, "`id` IN ($2) LIMIT $3") != 0);
    sqlite3_free(z);
  }

  reg->pServers = 0;
  pt_desc_free(v.pDesc);
  pt_registry_free(reg);

  /* redaction */
  char *m = pt_redact(sqlite3_mprintf("nothing"), 0);
  CHECK_STR(m, "nothing");
  sqlite3_free(m);
}

/* ---- the tokenizers of a user's SQL (deparse.c, dialects/) ---- */

/* zIn with nParam arguments read by dialect d as a driver taking '?' gets:
** zWant, its marks' parameters azParam ("0,1,0"), nStmt statements. */
static void user_case(const pt_dialect *d, int lexFlags, const char *zIn, int nParam,
                      const char *zWant, const char *zParams, int nStmt) {
  pt_stmt st;
  char *zErr = 0;
  int rc = pt_stmt_user(d, PT_PLACE_QMARK, lexFlags, zIn, nParam, &st, &zErr);
  CHECK_INT(rc, SQLITE_OK);
  if( rc != SQLITE_OK ) {
    printf("  %s: %s\n", zIn, zErr);
    sqlite3_free(zErr);
    return;
  }
  CHECK_STR(st.zSql, zWant);
  char zGot[64] = "";
  for( int i = 0; i < st.nMark && i < 16; i++ ) {
    CHECK(st.zSql[st.aMark[i].iOffset] == '?');
    snprintf(zGot + strlen(zGot), sizeof zGot - strlen(zGot), "%s%d", i ? "," : "",
             st.aMark[i].iParam);
  }
  CHECK_STR(zGot, zParams);
  CHECK_INT(st.nStmt, nStmt);
  pt_stmt_clear(&st);
}

static void user_error(const pt_dialect *d, const char *zIn, int nParam, const char *zWant) {
  pt_stmt st;
  char *zErr = 0;
  CHECK_INT(pt_stmt_user(d, PT_PLACE_QMARK, 0, zIn, nParam, &st, &zErr), SQLITE_ERROR);
  CHECK_STR(zErr, zWant);
  CHECK(st.zSql == 0);
  sqlite3_free(zErr);
}

/* issue 11 item 2: one tokenizer per dialect reads the $n of pontoon_exec
** (strings, quoted names, comments, dollar quotes, escapes), in the bridge */
static void test_user_sql(void) {
  const pt_dialect *pg = &pt_dialect_postgresql, *my = &pt_dialect_mysql, *sq = &pt_dialect_sqlite;
  user_case(pg, 0, "SELECT $1, '$2', \"$3\", E'\\'$4', $$ $5 $$, $t$ $6 $t$, a$1, x$y$ $2", 2,
            "SELECT ?, '$2', \"$3\", E'\\'$4', $$ $5 $$, $t$ $6 $t$, a$1, x$y$ ?", "0,1", 1);
  user_case(pg, 0, "SELECT 'a\\' || $1 -- $2\n/* /* $3 */ $4 */ + $1", 1,
            "SELECT 'a\\' || ? -- $2\n/* /* $3 */ $4 */ + ?", "0,0", 1);
  user_case(pg, 0, "SELECT 1; SELECT $1", 1, "SELECT 1; SELECT ?", "0", 2);
  user_case(pg, 0, "SELECT $1; -- done", 1, "SELECT ?; -- done", "0", 1);
  user_case(my, 0,
            "SELECT $1, 'it\\'s $2', `a$3`, \"$4\" # $5\n, $2 -- $6\n, /*! $1 */ /* $7 */ a$1 --$2",
            2, "SELECT ?, 'it\\'s $2', `a$3`, \"$4\" # $5\n, ? -- $6\n, /*! ? */ /* $7 */ a$1 --?",
            "0,1,0,1", 1);
  /* NO_BACKSLASH_ESCAPES: 'a\' is a whole string */
  user_case(my, PT_LEX_NO_BACKSLASH, "SELECT 'a\\', $1", 1, "SELECT 'a\\', ?", "0", 1);
  user_error(my, "SELECT 'a\\', $1", 1,
             "bind message supplies 1 parameters, but prepared statement \"\" requires 0");
  user_case(sq, 0, "SELECT [$1], `$2`, \"$3\", $1", 1, "SELECT [$1], `$2`, \"$3\", ?", "0", 1);
  user_error(pg, "SELECT $0", 0, "there is no parameter $0");
  user_error(pg, "SELECT $1, $3", 2,
             "bind message supplies 2 parameters, but prepared statement \"\" requires 3");
  user_error(sq, "SELECT $1", 2,
             "bind message supplies 2 parameters, but prepared statement \"\" requires 1");
  /* numbered placeholders: the text as written, the server reads it */
  pt_stmt st;
  char *zErr = 0;
  CHECK_INT(pt_stmt_user(pg, PT_PLACE_NUMBERED, 0, "SELECT $3, '$1'", 1, &st, &zErr), SQLITE_OK);
  CHECK_STR(st.zSql, "SELECT $3, '$1'");
  CHECK_INT(st.nMark, 0);
  pt_stmt_clear(&st);
}

/* issue 10 item 12: the password is masked where its field stands in the
** connection string (or a piece of it) quoted in a message, never by a
** plain text search that would also hit ordinary words. */
static void redact_case(const char *zUri, const char *zMsg, const char *zWant) {
  char *zSecret = pt_conninfo_password(zUri);
  char *m = pt_redact(sqlite3_mprintf("%s", zMsg), zSecret);
  CHECK_STR(m, zWant);
  sqlite3_free(m);
  sqlite3_free(zSecret);
}

static void test_redact(void) {
  /* plain words are left alone: masking them would give the password away */
  redact_case("postgresql://u:pass@h/d", "password authentication failed for user \"u\"",
              "password authentication failed for user \"u\"");
  redact_case("postgresql://u:failed@h/d", "password authentication failed for user \"u\"",
              "password authentication failed for user \"u\"");
  redact_case("postgresql://u:u@h/d", "password authentication failed for user \"u\"",
              "password authentication failed for user \"u\"");
  /* the URI quoted whole (libpq on a typo in an IPv6 host) */
  redact_case(
    "postgresql://u:s3cret@[::1/d",
    "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"postgresql://u:s3cret@[::1/d\"",
    "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"postgresql://u:***@[::1/d\"");
  redact_case("postgresql://u:pass@[::1/d", "in URI: \"postgresql://u:pass@[::1/d\" (password)",
              "in URI: \"postgresql://u:***@[::1/d\" (password)");
  /* a bare % (libpq quotes the field) */
  redact_case("postgresql://u:a%zz@h/d", "invalid percent-encoded token: \"a%zz\"",
              "invalid percent-encoded token: \"***\"");
  redact_case("postgresql://u:a%zz@h/d", "in URI: \"postgresql://u:a%zz@h/d\"",
              "in URI: \"postgresql://u:***@h/d\"");
  /* the same password twice, and a query parameter */
  redact_case("postgresql://u@h/d?password=pw1&sslmode=require",
              "bad: \"postgresql://u@h/d?password=pw1&sslmode=require\"",
              "bad: \"postgresql://u@h/d?password=***&sslmode=require\"");
  redact_case("host=h password=pass user=u", "invalid: \"host=h password=pass user=u\" password",
              "invalid: \"host=h password=*** user=u\" password");
  redact_case("odbc:DSN=x;PWD={a;b};UID=u", "[unixODBC] DSN=x;PWD={a;b};UID=u: a;b",
              "[unixODBC] DSN=x;PWD={***};UID=u: a;b");
  /* a password with '/' or '@' in it, unencoded */
  redact_case("postgresql://u:p/w@x@h/d", "\"postgresql://u:p/w@x@h/d\"",
              "\"postgresql://u:***@h/d\"");
  char *z = pt_conninfo_password("postgresql://u:a%zz@[::1/d");
  CHECK_STR(z, "a%zz");
  sqlite3_free(z);
}

/* in util.c: SQL text readers (declared in funcs.c) */

/* issue 10 item 7: a network function runs only when the statement's own
** text calls it; a definition from a file that calls one is refused. */
static void test_sql_calls(void) {
  CHECK(pt_sql_calls("SELECT pontoon_exec('pg', 'x')", "pontoon_exec"));
  CHECK(pt_sql_calls("select PONTOON_EXEC /* c */ ('pg','x')", "pontoon_exec"));
  CHECK(pt_sql_calls("select \"pontoon_exec\"('pg','x')", "pontoon_exec"));
  CHECK(pt_sql_calls("select [pontoon_exec] -- c\n ('pg','x')", "pontoon_exec"));
  CHECK(pt_sql_calls("select `pontoon_exec`('pg','x')", "pontoon_exec"));
  CHECK(!pt_sql_calls("INSERT INTO t VALUES (1)", "pontoon_exec"));
  CHECK(!pt_sql_calls("INSERT INTO t VALUES ('pontoon_exec(1)')", "pontoon_exec"));
  CHECK(!pt_sql_calls("SELECT 1 -- pontoon_exec(1)", "pontoon_exec"));
  CHECK(!pt_sql_calls("SELECT 1 /* pontoon_exec(1) */", "pontoon_exec"));
  CHECK(!pt_sql_calls("SELECT my_pontoon_exec(1)", "pontoon_exec"));
  CHECK(!pt_sql_calls("SELECT pontoon_exec2(1)", "pontoon_exec"));
  CHECK(!pt_sql_calls("SELECT pontoon_exec FROM t", "pontoon_exec"));
  CHECK(!pt_sql_calls("SELECT pontoon_count('a') FROM t", "pontoon_exec"));
  CHECK(pt_sql_may_call("CREATE TABLE t(a CHECK (Pontoon_Exec/**/('pg','x')))", "pontoon_exec"));
  CHECK(pt_sql_may_call("CREATE TABLE t(a CHECK (\"pontoon_exec\" ('pg','x')))", "pontoon_exec"));
  CHECK(pt_sql_may_call("CREATE TABLE t(a DEFAULT ('pontoon_exec('))", "pontoon_exec"));
  CHECK(!pt_sql_may_call("CREATE TABLE t(pontoon_exec INT)", "pontoon_exec"));
  CHECK(!pt_sql_may_call("CREATE TABLE t(a CHECK (my_pontoon_exec(1)))", "pontoon_exec"));
}

/* issue 10 item 20: transaction control in pontoon_exec's SQL */
static void test_txn_control(void) {
  CHECK_STR(pt_sql_txn_control("COMMIT", 1), "COMMIT");
  CHECK_STR(pt_sql_txn_control("  /* x */ rollback", 1), "ROLLBACK");
  CHECK_STR(pt_sql_txn_control("SELECT 1; end", 1), "END");
  CHECK_STR(pt_sql_txn_control("start transaction", 2), "START TRANSACTION");
  CHECK_STR(pt_sql_txn_control("prepare  transaction 'x'", 1), "PREPARE TRANSACTION");
  CHECK(pt_sql_txn_control("PREPARE q AS SELECT 1", 1) == 0);
  CHECK_STR(pt_sql_txn_control("set transaction read only", 1), "SET TRANSACTION");
  CHECK_STR(pt_sql_txn_control("SET autocommit = 1", 2), "SET autocommit");
  CHECK(pt_sql_txn_control("SET search_path = x", 1) == 0);
  CHECK(pt_sql_txn_control("SELECT 'a; COMMIT'", 1) == 0);
  CHECK(pt_sql_txn_control("SELECT \"a; COMMIT\"", 1) == 0);
  CHECK(pt_sql_txn_control("SELECT $$; COMMIT$$", 1) == 0);
  CHECK(pt_sql_txn_control("SELECT $q$; COMMIT$q$", 1) == 0);
  CHECK(pt_sql_txn_control("DO $$BEGIN PERFORM 1; END$$", 1) == 0);
  CHECK_STR(pt_sql_txn_control("SELECT $$; COMMIT$$", 2), "COMMIT"); /* MySQL: no dollar quotes */
  CHECK_STR(pt_sql_txn_control("SELECT $1; COMMIT", 1), "COMMIT");
  CHECK(pt_sql_txn_control("SELECT 1 /* /* */ ; COMMIT */", 1) == 0); /* nested, PostgreSQL */
  CHECK_STR(pt_sql_txn_control("SELECT 1 /* /* */ ; COMMIT */", 2), "COMMIT");
  CHECK(pt_sql_txn_control("SELECT 1 # ; COMMIT", 2) == 0);
  CHECK_STR(pt_sql_txn_control("SELECT 1 # x\n; COMMIT", 2), "COMMIT");
  CHECK_STR(pt_sql_txn_control("SELECT 1 --1\n; COMMIT", 2), "COMMIT");
  CHECK_STR(pt_sql_txn_control("SELECT 1 --1; COMMIT", 2),
            "COMMIT"); /* "--1" is no comment in MySQL */
  CHECK(pt_sql_txn_control("SELECT 1 --1; COMMIT", 1) == 0);
  CHECK_STR(pt_sql_txn_control("SELECT 1 /*!; COMMIT */", 2), "COMMIT"); /* executable comment */
  CHECK_STR(pt_sql_txn_control("SELECT 'a\\'; COMMIT; -- '", 2), "COMMIT"); /* backslash: seen */
  CHECK_STR(pt_sql_txn_control("SELECT 1 # ; COMMIT", 0), "COMMIT"); /* unknown: every way */
  CHECK_STR(pt_sql_txn_control("XA START 'x'", 0), "XA");
  CHECK(pt_sql_txn_control("UPDATE t SET commit = 1", 0) == 0);
  CHECK(pt_sql_empty(""));
  CHECK(pt_sql_empty("  -- x\n /* y */ ; ;"));
  CHECK(!pt_sql_empty("SELECT 1"));
  CHECK(!pt_sql_empty("/* x */ ;SELECT 1"));
}

int main(void) {
  sqlite3_open(":memory:", &db);
  test_uri();
  test_password();
  test_ident();
  test_columns();
  test_decimal();
  test_dates();
  test_param();
  test_write();
  test_plan_sql();
  test_user_sql();
  test_redact();
  test_sql_calls();
  test_txn_control();
  sqlite3_close(db);
  return check_report();
}
