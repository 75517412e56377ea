/*
** The limit of an ODBC driver for pontoon's ODBC scans: a plain C loop that
** runs one query and fetches every row through the driver with column-wise
** bound row arrays (block cursor), touching every value.
**
**   odbc_fetch CONNSTR SQL [ARRAY_ROWS]      (ARRAY_ROWS default 1000)
**
** Prints "rows N checksum X seconds S" (S from SQLExecDirect to the last
** fetch).  Integer types are bound as SQL_C_SBIGINT, float types as
** SQL_C_DOUBLE, timestamps as SQL_C_TYPE_TIMESTAMP and everything else
** (decimals too) as SQL_C_CHAR in COLUMN_SIZE+1 bytes, at least 64 and at
** most 8192.  On an error: the driver's diagnostics on stderr, exit 1.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sql.h>
#include <sqlext.h>

typedef struct Col {
  SQLSMALLINT cType; /* C type bound */
  SQLLEN width; /* bytes per row in buf */
  unsigned char *buf; /* nRows * width bytes */
  SQLLEN *ind; /* nRows length/indicator values */
} Col;

static void fail(SQLSMALLINT type, SQLHANDLE h, const char *zWhat) {
  SQLCHAR state[6], msg[1024];
  SQLINTEGER native;
  SQLSMALLINT len, i;
  fprintf(stderr, "odbc_fetch: %s failed\n", zWhat);
  for( i = 1; h && SQLGetDiagRec(type, h, i, state, &native, msg, sizeof msg, &len) == SQL_SUCCESS;
       i++ ) {
    fprintf(stderr, "  [%s] (%d) %s\n", state, (int)native, msg);
  }
  exit(1);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  SQLHENV env = 0;
  SQLHDBC dbc = 0;
  SQLHSTMT st = 0;
  SQLSMALLINT nCol = 0, i;
  SQLULEN nRows = 1000, nGot = 0, r;
  SQLRETURN rc;
  Col *aCol;
  uint64_t nTotal = 0, sum = 0;
  double t0;

  if( argc < 3 || argc > 4 ) {
    fprintf(stderr, "usage: odbc_fetch CONNSTR SQL [ARRAY_ROWS]\n");
    return 2;
  }
  if( argc == 4 ) nRows = (SQLULEN)strtoul(argv[3], 0, 10);
  if( nRows < 1 ) nRows = 1;

  if( !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env)) ) {
    fail(SQL_HANDLE_ENV, 0, "SQLAllocHandle(ENV)");
  }
  SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
  if( !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc)) ) {
    fail(SQL_HANDLE_ENV, env, "SQLAllocHandle(DBC)");
  }
  rc = SQLDriverConnect(dbc, 0, (SQLCHAR *)argv[1], SQL_NTS, 0, 0, 0, SQL_DRIVER_NOPROMPT);
  if( !SQL_SUCCEEDED(rc) ) fail(SQL_HANDLE_DBC, dbc, "SQLDriverConnect");
  if( !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st)) ) {
    fail(SQL_HANDLE_DBC, dbc, "SQLAllocHandle(STMT)");
  }

  t0 = now();
  rc = SQLExecDirect(st, (SQLCHAR *)argv[2], SQL_NTS);
  if( !SQL_SUCCEEDED(rc) ) fail(SQL_HANDLE_STMT, st, "SQLExecDirect");
  if( !SQL_SUCCEEDED(SQLNumResultCols(st, &nCol)) || nCol < 1 ) {
    fail(SQL_HANDLE_STMT, st, "SQLNumResultCols");
  }
  if( !SQL_SUCCEEDED(
        SQLSetStmtAttr(st, SQL_ATTR_ROW_BIND_TYPE, (SQLPOINTER)SQL_BIND_BY_COLUMN, 0)) ||
      !SQL_SUCCEEDED(
        SQLSetStmtAttr(st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)(uintptr_t)nRows, 0)) ||
      !SQL_SUCCEEDED(SQLSetStmtAttr(st, SQL_ATTR_ROWS_FETCHED_PTR, &nGot, 0)) ) {
    fail(SQL_HANDLE_STMT, st, "SQLSetStmtAttr");
  }
  aCol = calloc(nCol, sizeof(Col));
  if( aCol == 0 ) {
    fprintf(stderr, "odbc_fetch: out of memory\n");
    return 1;
  }
  for( i = 0; i < nCol; i++ ) {
    SQLCHAR zName[256];
    SQLSMALLINT nName, type, scale, nullable;
    SQLULEN size;
    Col *c = &aCol[i];
    if( !SQL_SUCCEEDED(SQLDescribeCol(st, i + 1, zName, sizeof zName, &nName, &type, &size, &scale,
                                      &nullable)) ) {
      fail(SQL_HANDLE_STMT, st, "SQLDescribeCol");
    }
    switch( type ) {
      case SQL_BIT:
      case SQL_TINYINT:
      case SQL_SMALLINT:
      case SQL_INTEGER:
      case SQL_BIGINT:
        c->cType = SQL_C_SBIGINT;
        c->width = sizeof(int64_t);
        break;
      case SQL_REAL:
      case SQL_FLOAT:
      case SQL_DOUBLE:
        c->cType = SQL_C_DOUBLE;
        c->width = sizeof(double);
        break;
      case SQL_TYPE_TIMESTAMP:
      case SQL_DATETIME:
        c->cType = SQL_C_TYPE_TIMESTAMP;
        c->width = sizeof(SQL_TIMESTAMP_STRUCT);
        break;
      default:
        c->cType = SQL_C_CHAR;
        c->width = size >= 8192 ? 8192 : (SQLLEN)size + 1;
        if( c->width < 64 ) c->width = 64;
        break;
    }
    c->buf = malloc(nRows * c->width);
    c->ind = malloc(nRows * sizeof(SQLLEN));
    if( c->buf == 0 || c->ind == 0 ) {
      fprintf(stderr, "odbc_fetch: out of memory\n");
      return 1;
    }
    if( !SQL_SUCCEEDED(SQLBindCol(st, i + 1, c->cType, c->buf, c->width, c->ind)) ) {
      fail(SQL_HANDLE_STMT, st, "SQLBindCol");
    }
  }

  while( (rc = SQLFetch(st)) != SQL_NO_DATA ) {
    if( !SQL_SUCCEEDED(rc) ) fail(SQL_HANDLE_STMT, st, "SQLFetch");
    for( i = 0; i < nCol; i++ ) {
      Col *c = &aCol[i];
      for( r = 0; r < nGot; r++ ) {
        const unsigned char *p = c->buf + r * c->width;
        SQLLEN n = c->ind[r];
        if( n == SQL_NULL_DATA ) continue;
        switch( c->cType ) {
          case SQL_C_SBIGINT: sum += (uint64_t) * (const int64_t *)p; break;
          case SQL_C_DOUBLE: sum += (uint64_t)(int64_t) * (const double *)p; break;
          case SQL_C_TYPE_TIMESTAMP: {
            const SQL_TIMESTAMP_STRUCT *ts = (const SQL_TIMESTAMP_STRUCT *)p;
            sum +=
              ts->year + ts->month + ts->day + ts->hour + ts->minute + ts->second + ts->fraction;
            break;
          }
          default: sum += (uint64_t)n + p[0]; break;
        }
      }
    }
    nTotal += nGot;
  }
  printf("rows %llu checksum %llu seconds %.3f\n", (unsigned long long)nTotal,
         (unsigned long long)sum, now() - t0);
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  SQLFreeHandle(SQL_HANDLE_ENV, env);
  for( i = 0; i < nCol; i++ ) {
    free(aCol[i].buf);
    free(aCol[i].ind);
  }
  free(aCol);
  return 0;
}
