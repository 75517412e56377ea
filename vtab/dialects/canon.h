/*
** canon.h — the pieces of the canonical text (docs/diff.md) that the
** dialects share (dialects/ansi.c): the rounding of reals and the
** fraction of times and timestamps, written with each engine's spelling.
*/
#ifndef PT_CANON_H
#define PT_CANON_H

#include "pontoon.h"

/* How an engine spells what the shared expressions need; each template
** takes its argument(s) as %s. */
typedef struct pt_canon_spell {
  const char *zPow10; /* 10 to the power %s, a double */
  const char *zIntText; /* the text of %s, an integral double */
  const char *zZeros; /* %s '0' characters */
  const char *zRtrim0; /* %s without its trailing '0's */
  const char *zLength; /* the length of text %s */
  const char *zInt; /* %s, a whole double, as an integer where the engine needs one */
  int concatFn; /* 1: CONCAT(a, b); 0: a || b */
} pt_canon_spell;

/* Append a || b (or CONCAT(a, b)), n pieces. */
void pt_canon_concat(sqlite3_str *, const pt_canon_spell *, int n, const char *const *az);
/* Append the canonical text of real zDouble (an expression of type double,
** not NULL, not 0, finite) rounded to nDigits significant digits: a plain
** decimal, '-' when negative, no exponent, no trailing zeros. */
void pt_canon_real(sqlite3_str *, const pt_canon_spell *, const char *zDouble, int nDigits);
/* Append zText (text ending in 6 fractional digits) cut to timePrecision
** digits (0: no '.'). */
void pt_canon_cut(sqlite3_str *, const pt_canon_spell *, const char *zText, int timePrecision);

/* 1 if type name zType (may be NULL) contains zWord, ignoring case. */
int pt_canon_type_has(const char *zType, const char *zWord);

#endif /* PT_CANON_H */
