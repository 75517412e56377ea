/*
** fuzz.h — what the libFuzzer targets of tests/fuzz/ share: the input
** as a NUL-terminated string, and cut into fields.
**
** Each target is one file calling the tree's own parsers, linked to the
** same sources as the module (pontoon_test_core; tests/fuzz/CMakeLists.txt).
** A parser that is static in its file is reached by including that file
** here: the target then holds the file's only copy, and the linker leaves
** the library's out.  tests/scripts/fuzz.sh builds and runs them.
*/
#ifndef PT_FUZZ_H
#define PT_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pontoon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data[0..size) as a NUL-terminated string (malloc'd: ASan sees its end). */
static inline char *fz_string(const uint8_t *data, size_t size) {
  char *z = malloc(size + 1);
  if( !z ) abort();
  memcpy(z, data, size);
  z[size] = 0;
  return z;
}

/* Cut z in place at each byte sep into at most nMax fields; returns their
** number (the last field holds the rest). */
static inline int fz_split(char *z, char sep, char **az, int nMax) {
  int n = 0;
  az[n++] = z;
  for( char *p = z; *p && n < nMax; p++ ) {
    if( *p == sep ) {
      *p = 0;
      az[n++] = p + 1;
    }
  }
  return n;
}

/*
** Defects found by fuzzing in files that tests/fuzz does not own are
** reported, and until they are fixed a target may step around them, so
** that the bounded run keeps looking for new ones.  Their inputs are kept
** in tests/fuzz/known/<target>/; with PONTOON_FUZZ_STRICT=1 in the
** environment the targets do not step around (tests/scripts/fuzz.sh runs
** the known inputs so, and says which are still open).
*/
static inline int fz_strict(void) {
  static int strict = -1;
  if( strict < 0 ) strict = getenv("PONTOON_FUZZ_STRICT") != 0;
  return strict;
}

/* 1 if z[n] has a run of at least nMin decimal digits. */
static inline int fz_long_digits(const char *z, int n, int nMin) {
  int run = 0;
  for( int i = 0; i < n; i++ ) {
    run = z[i] >= '0' && z[i] <= '9' ? run + 1 : 0;
    if( run >= nMin ) return 1;
  }
  return 0;
}

/* The byte at data[i], 0 past the end. */
static inline unsigned fz_byte(const uint8_t *data, size_t size, size_t i) {
  return i < size ? data[i] : 0;
}

/* Read n bytes at p (ASan checks that all of them may be read). */
static inline void fz_touch(const char *p, int n) {
  char *c = malloc(n > 0 ? (size_t)n : 1);
  if( !c ) abort();
  if( n > 0 ) memcpy(c, p, (size_t)n);
  free(c);
}

#endif /* PT_FUZZ_H */
