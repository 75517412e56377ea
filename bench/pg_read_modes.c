/*
** pg_read_modes.c — how fast can libpq hand rows to a client, by protocol?
** The measurement behind the PostgreSQL driver's choice of read path
** (docs/postgresql.md): each mode reads every column of every row of a
** table and touches every byte, as pontoon's xColumn would.
**
**   pg_read_modes CONNINFO TABLE [ROUNDS]
**
** Modes:
**   copy_binary   COPY (SELECT * FROM t) TO STDOUT (FORMAT binary): one
**                 stream, but it holds the connection: no second cursor.
**   single_row    PQsetSingleRowMode on a plain SELECT: holds the connection.
**   cursor_fetch  DECLARE + FETCH 10000 in binary, synchronous.
**   cursor_ahead  as cursor_fetch, the next FETCH sent before the client
**                 works through the current batch (what pontoon does).
** Prints the median seconds of ROUNDS runs per mode.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long sink;

static void touch_result(PGresult *r) {
  int nr = PQntuples(r), nf = PQnfields(r);
  for( int i = 0; i < nr; i++ ) {
    for( int j = 0; j < nf; j++ ) {
      if( PQgetisnull(r, i, j) ) continue;
      const unsigned char *z = (const unsigned char *)PQgetvalue(r, i, j);
      int n = PQgetlength(r, i, j);
      for( int k = 0; k < n; k++ ) sink += z[k];
    }
  }
}

static void die(PGconn *c, const char *what) {
  fprintf(stderr, "%s: %s", what, PQerrorMessage(c));
  exit(1);
}

static long copy_binary(PGconn *c, const char *t) {
  char sql[256];
  snprintf(sql, sizeof sql, "COPY (SELECT * FROM %s) TO STDOUT (FORMAT binary)", t);
  PGresult *r = PQexec(c, sql);
  if( PQresultStatus(r) != PGRES_COPY_OUT ) die(c, "copy");
  PQclear(r);
  char *buf;
  int n;
  long rows = 0;
  while( (n = PQgetCopyData(c, &buf, 0)) > 0 ) {
    for( int k = 0; k < n; k++ ) sink += (unsigned char)buf[k];
    rows++;
    PQfreemem(buf);
  }
  while( (r = PQgetResult(c)) != 0 ) PQclear(r);
  return rows - 1; /* the header comes with the first row; the trailer alone */
}

static long single_row(PGconn *c, const char *t) {
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT * FROM %s", t);
  if( !PQsendQueryParams(c, sql, 0, 0, 0, 0, 0, 1) ) die(c, "send");
  PQsetSingleRowMode(c);
  PGresult *r;
  long rows = 0;
  while( (r = PQgetResult(c)) != 0 ) {
    if( PQresultStatus(r) == PGRES_SINGLE_TUPLE ) {
      touch_result(r);
      rows++;
    }
    PQclear(r);
  }
  return rows;
}

static long cursor(PGconn *c, const char *t, int ahead) {
  char sql[256];
  snprintf(sql, sizeof sql, "BEGIN; DECLARE bc NO SCROLL CURSOR FOR SELECT * FROM %s", t);
  PQclear(PQexec(c, sql));
  const char *fetch = "FETCH 10000 FROM bc";
  long rows = 0;
  if( ahead ) PQsendQueryParams(c, fetch, 0, 0, 0, 0, 0, 1);
  for( ;; ) {
    PGresult *r;
    if( ahead ) {
      r = PQgetResult(c);
      PGresult *x;
      while( (x = PQgetResult(c)) != 0 ) PQclear(x);
    } else {
      r = PQexecParams(c, fetch, 0, 0, 0, 0, 0, 1);
    }
    if( PQresultStatus(r) != PGRES_TUPLES_OK ) die(c, "fetch");
    int n = PQntuples(r);
    if( ahead && n == 10000 ) PQsendQueryParams(c, fetch, 0, 0, 0, 0, 0, 1);
    touch_result(r);
    rows += n;
    PQclear(r);
    if( n < 10000 ) break;
  }
  PQclear(PQexec(c, "CLOSE bc; COMMIT"));
  return rows;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if( argc < 3 ) {
    fprintf(stderr, "usage: %s CONNINFO TABLE [ROUNDS]\n", argv[0]);
    return 2;
  }
  int rounds = argc > 3 ? atoi(argv[3]) : 3;
  PGconn *c = PQconnectdb(argv[1]);
  if( PQstatus(c) != CONNECTION_OK ) die(c, "connect");
  const char *names[] = { "copy_binary", "single_row", "cursor_fetch", "cursor_ahead" };
  printf("%-14s %10s %12s\n", "mode", "rows", "median_s");
  for( int m = 0; m < 4; m++ ) {
    double t[16];
    long rows = 0;
    for( int i = 0; i < rounds && i < 16; i++ ) {
      double t0 = now();
      switch( m ) {
        case 0: rows = copy_binary(c, argv[2]); break;
        case 1: rows = single_row(c, argv[2]); break;
        case 2: rows = cursor(c, argv[2], 0); break;
        case 3: rows = cursor(c, argv[2], 1); break;
      }
      t[i] = now() - t0;
    }
    qsort(t, rounds, sizeof(double), cmp);
    printf("%-14s %10ld %12.3f\n", names[m], rows, t[rounds / 2]);
  }
  PQfinish(c);
  return sink == 42; /* keep the work */
}
