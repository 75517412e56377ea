/*
** pt_check.h — the unit tests' assertions: each prints file, line, the
** expression and both values when it fails, and counts.  check_report()
** prints the closing "N passed, N failed" line.
*/
#ifndef PT_CHECK_H
#define PT_CHECK_H
#include <stdio.h>
#include <string.h>

static int pt_passed, pt_failed;

#define CHECK(e) do{ if( e ) pt_passed++; else { pt_failed++; \
  printf("%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #e); } }while(0)
#define CHECK_INT(a, b) do{ long long _a = (a), _b = (b); if( _a == _b ) pt_passed++; else { pt_failed++; \
  printf("%s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__, #a, #b, _a, _b); } }while(0)
#define CHECK_STR(a, b) do{ const char *_a = (a), *_b = (b); \
  if( (_a && _b && strcmp(_a, _b) == 0) || (!_a && !_b) ) pt_passed++; else { pt_failed++; \
  printf("%s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); } }while(0)
#define CHECK_DBL(a, b) do{ double _a = (a), _b = (b); if( _a == _b ) pt_passed++; else { pt_failed++; \
  printf("%s:%d: %s == %s: %.17g != %.17g\n", __FILE__, __LINE__, #a, #b, _a, _b); } }while(0)

static int check_report(void){
  printf("%d passed, %d failed\n", pt_passed, pt_failed);
  return pt_failed != 0;
}
#endif
