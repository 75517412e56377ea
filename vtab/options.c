/*
** options.c — parsing of what users type: connection URIs, libpq-style
** key=value strings, SQL-style table names, the key=value arguments of
** CREATE VIRTUAL TABLE, and the `columns=` list that pontoon_import writes.
** Pure functions, no I/O: unit-tested in tests/unit/test_options.c.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "pontoon.h"

static int hexval(int c) {
  if( c >= '0' && c <= '9' ) return c - '0';
  if( c >= 'a' && c <= 'f' ) return c - 'a' + 10;
  if( c >= 'A' && c <= 'F' ) return c - 'A' + 10;
  return -1;
}

/* Percent-decode z[0..n) into a new string; NULL on a bad escape. */
static char *pct_decode(const char *z, int n) {
  char *out = sqlite3_malloc(n + 1);
  int j = 0;
  if( !out ) return 0;
  for( int i = 0; i < n; i++ ) {
    if( z[i] == '%' ) {
      if( i + 2 >= n ) {
        sqlite3_free(out);
        return 0;
      }
      int h = hexval(z[i + 1]), l = hexval(z[i + 2]);
      if( h < 0 || l < 0 ) {
        sqlite3_free(out);
        return 0;
      }
      out[j++] = (char)(h * 16 + l);
      i += 2;
    } else {
      out[j++] = z[i];
    }
  }
  out[j] = 0;
  return out;
}

void pt_uri_clear(pt_uri *p) {
  sqlite3_free(p->zScheme);
  sqlite3_free(p->zUser);
  sqlite3_free(p->zPassword);
  sqlite3_free(p->zHost);
  sqlite3_free(p->zPort);
  sqlite3_free(p->zPath);
  for( int i = 0; i < p->nParam; i++ ) {
    sqlite3_free(p->azKey[i]);
    sqlite3_free(p->azVal[i]);
  }
  sqlite3_free(p->azKey);
  sqlite3_free(p->azVal);
  memset(p, 0, sizeof(*p));
}

/*
** Parse scheme://[user[:password]@][host][:port][/path][?key=value&...].
** Components are percent-decoded; absent ones are NULL.  The host may be a
** bracketed IPv6 address.  On error *pzErr says what is wrong, without
** repeating the URI (it may hold a password).
*/
int pt_uri_parse(const char *zUri, pt_uri *p, char **pzErr) {
  memset(p, 0, sizeof(*p));
  const char *z = zUri;
  const char *zSep = strstr(z, "://");
  if( !zSep || zSep == z ) {
    *pzErr = sqlite3_mprintf("malformed URI: expected scheme://");
    return SQLITE_ERROR;
  }
  for( const char *c = z; c < zSep; c++ ) {
    if( !isalnum((unsigned char)*c) && *c != '+' && *c != '-' && *c != '.' ) {
      *pzErr = sqlite3_mprintf("malformed URI: bad scheme");
      return SQLITE_ERROR;
    }
  }
  p->zScheme = pt_strndup(z, (int)(zSep - z));
  for( char *c = p->zScheme; *c; c++ ) *c = (char)tolower((unsigned char)*c);
  z = zSep + 3;
  /* authority ends at '/', '?' or the end */
  int nAuth = (int)strcspn(z, "/?");
  const char *zAt = 0;
  for( int i = nAuth - 1; i >= 0; i-- )
    if( z[i] == '@' ) {
      zAt = z + i;
      break;
    }
  const char *zHostPart = z;
  if( zAt ) {
    int nUser = (int)(zAt - z);
    const char *zColon = memchr(z, ':', nUser);
    if( zColon ) {
      p->zUser = pct_decode(z, (int)(zColon - z));
      p->zPassword = pct_decode(zColon + 1, (int)(zAt - zColon - 1));
      if( !p->zUser || !p->zPassword ) goto bad_escape;
    } else {
      p->zUser = pct_decode(z, nUser);
      if( !p->zUser ) goto bad_escape;
    }
    if( p->zUser && !p->zUser[0] ) {
      sqlite3_free(p->zUser);
      p->zUser = 0;
    }
    zHostPart = zAt + 1;
  }
  int nHostPart = (int)(z + nAuth - zHostPart);
  if( nHostPart > 0 ) {
    const char *zPortSep = 0;
    if( zHostPart[0] == '[' ) {
      const char *zEnd = memchr(zHostPart, ']', nHostPart);
      if( !zEnd ) {
        *pzErr = sqlite3_mprintf("malformed URI: unterminated [ in host");
        pt_uri_clear(p);
        return SQLITE_ERROR;
      }
      p->zHost = pt_strndup(zHostPart + 1, (int)(zEnd - zHostPart - 1));
      if( zEnd + 1 < zHostPart + nHostPart ) {
        if( zEnd[1] != ':' ) {
          *pzErr = sqlite3_mprintf("malformed URI: junk after ]");
          pt_uri_clear(p);
          return SQLITE_ERROR;
        }
        zPortSep = zEnd + 1;
      }
    } else {
      zPortSep = memchr(zHostPart, ':', nHostPart);
      int nHost = zPortSep ? (int)(zPortSep - zHostPart) : nHostPart;
      if( nHost > 0 ) {
        p->zHost = pct_decode(zHostPart, nHost);
        if( !p->zHost ) goto bad_escape;
      }
    }
    if( zPortSep ) {
      const char *zPort = zPortSep + 1;
      int nPort = (int)(zHostPart + nHostPart - zPort);
      if( nPort == 0 || nPort > 5 ) {
        *pzErr = sqlite3_mprintf("malformed URI: bad port");
        pt_uri_clear(p);
        return SQLITE_ERROR;
      }
      for( int i = 0; i < nPort; i++ ) {
        if( !isdigit((unsigned char)zPort[i]) ) {
          *pzErr = sqlite3_mprintf("malformed URI: port must be a number");
          pt_uri_clear(p);
          return SQLITE_ERROR;
        }
      }
      p->zPort = pt_strndup(zPort, nPort);
      int port = atoi(p->zPort);
      if( port < 1 || port > 65535 ) {
        *pzErr = sqlite3_mprintf("malformed URI: port out of range");
        pt_uri_clear(p);
        return SQLITE_ERROR;
      }
    }
  }
  z += nAuth;
  if( *z == '/' ) {
    z++;
    int nPath = (int)strcspn(z, "?");
    if( nPath > 0 ) {
      p->zPath = pct_decode(z, nPath);
      if( !p->zPath ) goto bad_escape;
    }
    z += nPath;
  }
  if( *z == '?' ) {
    z++;
    while( *z ) {
      int nItem = (int)strcspn(z, "&");
      if( nItem > 0 ) {
        const char *zEq = memchr(z, '=', nItem);
        if( !zEq ) {
          *pzErr = sqlite3_mprintf("malformed URI: parameter without '='");
          pt_uri_clear(p);
          return SQLITE_ERROR;
        }
        char *zKey = pct_decode(z, (int)(zEq - z));
        char *zVal = pct_decode(zEq + 1, (int)(z + nItem - zEq - 1));
        char **azK = sqlite3_realloc(p->azKey, sizeof(char *) * (p->nParam + 1));
        if( azK ) p->azKey = azK;
        char **azV = sqlite3_realloc(p->azVal, sizeof(char *) * (p->nParam + 1));
        if( azV ) p->azVal = azV;
        if( !zKey || !zVal || !azK || !azV ) {
          sqlite3_free(zKey);
          sqlite3_free(zVal);
          goto bad_escape;
        }
        p->azKey[p->nParam] = zKey;
        p->azVal[p->nParam] = zVal;
        p->nParam++;
      }
      z += nItem;
      if( *z == '&' ) z++;
    }
  }
  return SQLITE_OK;

bad_escape:
  pt_uri_clear(p);
  *pzErr = sqlite3_mprintf("malformed URI: bad %%-escape");
  return SQLITE_ERROR;
}

/*
** The password fields of connection string zUri: where the text that holds
** a password starts and how long it is, as written (still %-encoded, inside
** its quotes or braces).  Up to nMax fields; returns how many.  A malformed
** string is read the way a lenient parser would, so that a password is found
** even where libpq or a driver would fail on the string (and quote it).
**
**   URI:      scheme://user:FIELD@host...?password=FIELD&...
**             (userinfo ends at the last '@' before '?', since an
**             unencoded '@' or '/' in a password must still be found)
**   key=value password=FIELD, password='FIELD', pwd={FIELD}; ODBC strings
**             (odbc:...) run a value to the next ';' unless in braces.
*/
static int password_fields(const char *zUri, int *aOff, int *aLen, int nMax) {
  int n = 0;
  const char *zSep = strstr(zUri, "://");
  if( zSep ) {
    const char *zA = zSep + 3;
    const char *zQ = strchr(zA, '?');
    if( !zQ ) zQ = zA + strlen(zA);
    const char *zAt = 0;
    for( const char *p = zA; p < zQ; p++ )
      if( *p == '@' ) zAt = p;
    if( zAt ) {
      const char *zColon = memchr(zA, ':', zAt - zA);
      if( zColon && zAt > zColon + 1 && n < nMax ) {
        aOff[n] = (int)(zColon + 1 - zUri);
        aLen[n] = (int)(zAt - zColon - 1);
        n++;
      }
    }
    const char *z = *zQ ? zQ + 1 : zQ;
    while( *z ) {
      int nItem = (int)strcspn(z, "&");
      const char *zEq = memchr(z, '=', nItem);
      if( zEq && zEq - z == 8 && sqlite3_strnicmp(z, "password", 8) == 0 && z + nItem > zEq + 1 &&
          n < nMax ) {
        aOff[n] = (int)(zEq + 1 - zUri);
        aLen[n] = (int)(z + nItem - zEq - 1);
        n++;
      }
      z += nItem;
      if( *z == '&' ) z++;
    }
    return n;
  }
  int odbc = sqlite3_strnicmp(zUri, "odbc:", 5) == 0;
  const char *z = zUri;
  while( *z ) {
    while( *z && (isspace((unsigned char)*z) || *z == ';') ) z++;
    const char *zKey = z;
    while( *z && *z != '=' && !isspace((unsigned char)*z) && *z != ';' ) z++;
    int nKey = (int)(z - zKey);
    while( *z && isspace((unsigned char)*z) ) z++;
    if( *z != '=' ) {
      if( *z ) z++;
      continue;
    }
    z++;
    while( *z && isspace((unsigned char)*z) ) z++;
    const char *zStart, *zEnd;
    if( odbc && *z == '{' ) {
      zStart = ++z;
      while( *z && (*z != '}' || z[1] == '}') ) z += *z == '}' ? 2 : 1;
      zEnd = z;
      if( *z ) z++;
    } else if( odbc ) {
      zStart = z;
      while( *z && *z != ';' ) z++;
      zEnd = z;
      while( zEnd > zStart && isspace((unsigned char)zEnd[-1]) ) zEnd--;
    } else if( *z == '\'' ) {
      zStart = ++z;
      while( *z && *z != '\'' ) {
        if( *z == '\\' && z[1] ) z++;
        z++;
      }
      zEnd = z;
      if( *z ) z++;
    } else if( *z == '{' ) {
      zStart = ++z;
      while( *z && *z != '}' ) z++;
      zEnd = z;
      if( *z ) z++;
    } else {
      zStart = z;
      while( *z && !isspace((unsigned char)*z) && *z != ';' ) {
        if( *z == '\\' && z[1] ) z++;
        z++;
      }
      zEnd = z;
    }
    if( ((nKey == 8 && sqlite3_strnicmp(zKey, "password", 8) == 0) ||
         (nKey == 3 && sqlite3_strnicmp(zKey, "pwd", 3) == 0)) &&
        zEnd > zStart && n < nMax ) {
      aOff[n] = (int)(zStart - zUri);
      aLen[n] = (int)(zEnd - zStart);
      n++;
    }
  }
  return n;
}

/* The password as the server receives it, from field z[0..n) of a
** connection string (password_fields): %-decoded in a URI (as written if
** the escapes are bad), unescaped in key=value and ODBC strings. */
static char *field_value(const char *zUri, const char *z, int n) {
  if( strstr(zUri, "://") ) {
    char *zPw = pct_decode(z, n);
    return zPw ? zPw : pt_strndup(z, n);
  }
  int odbc = sqlite3_strnicmp(zUri, "odbc:", 5) == 0;
  int braced = z > zUri && z[-1] == '{';
  sqlite3_str *v = sqlite3_str_new(0);
  for( int i = 0; i < n; i++ ) {
    if( odbc && braced && z[i] == '}' && i + 1 < n )
      i++;
    else if( !odbc && z[i] == '\\' && i + 1 < n )
      i++;
    sqlite3_str_appendchar(v, 1, z[i]);
  }
  return sqlite3_str_finish(v);
}

/*
** The password in a connection string (URI, key=value or ODBC form), or
** NULL if it has none.  Used only to keep it out of messages.
**
** The result is the password as a C string; the same allocation carries,
** after its terminating NUL, what pt_redact() needs to find the password by
** its position rather than by its text: for each password field, the field
** as written and as decoded, and the characters around it in the string:
**
**   "\1PTS" nField { before after len(4 bytes, little-endian) text } ...
**
** Free with sqlite3_free().  Only strings made here may be given to
** pt_redact().
*/
char *pt_conninfo_password(const char *zUri) {
  if( !zUri ) return 0;
  int aOff[8], aLen[8];
  int nField = password_fields(zUri, aOff, aLen, 8);
  if( nField == 0 ) return 0;
  /* the password the server gets: libpq takes ?password= over user:pw@ */
  char *zPw = 0;
  for( int i = nField - 1; i >= 0 && !zPw; i-- ) {
    zPw = field_value(zUri, zUri + aOff[i], aLen[i]);
    if( zPw && !zPw[0] ) {
      sqlite3_free(zPw);
      zPw = 0;
    }
  }
  if( !zPw ) return 0;
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, zPw);
  sqlite3_free(zPw);
  sqlite3_str_append(s, "\0\1PTS", 5);
  sqlite3_str_appendchar(s, 1, (char)(nField * 2));
  for( int i = 0; i < nField; i++ ) {
    char before = zUri[aOff[i] - 1];
    char after = zUri[aOff[i] + aLen[i]];
    char *zDec = field_value(zUri, zUri + aOff[i], aLen[i]);
    for( int j = 0; j < 2; j++ ) {
      const char *zT = j == 0 ? zUri + aOff[i] : (zDec ? zDec : "");
      unsigned n = j == 0 ? (unsigned)aLen[i] : (unsigned)strlen(zT);
      unsigned char aHdr[6] = { (unsigned char)before,    (unsigned char)after,
                                (unsigned char)n,         (unsigned char)(n >> 8),
                                (unsigned char)(n >> 16), (unsigned char)(n >> 24) };
      sqlite3_str_append(s, (const char *)aHdr, 6);
      sqlite3_str_append(s, zT, (int)n);
    }
    sqlite3_free(zDec);
  }
  if( sqlite3_str_errcode(s) ) {
    sqlite3_free(sqlite3_str_finish(s));
    return 0;
  }
  return sqlite3_str_finish(s);
}

/* Strip one level of SQL quoting: 'x''y' -> x'y, "a""b" -> a"b, [x] -> x.
** Other text is returned trimmed.  Result is sqlite3_malloc'd. */
char *pt_sql_unquote(const char *zIn) {
  while( isspace((unsigned char)*zIn) ) zIn++;
  int n = (int)strlen(zIn);
  while( n > 0 && isspace((unsigned char)zIn[n - 1]) ) n--;
  char q = n >= 2 ? zIn[0] : 0;
  char qEnd = q == '[' ? ']' : q;
  if( (q == '\'' || q == '"' || q == '`' || q == '[') && zIn[n - 1] == qEnd ) {
    char *out = sqlite3_malloc(n);
    int j = 0;
    if( !out ) return 0;
    for( int i = 1; i < n - 1; i++ ) {
      out[j++] = zIn[i];
      if( zIn[i] == qEnd && q != '[' && i + 1 < n - 1 && zIn[i + 1] == qEnd ) i++;
    }
    out[j] = 0;
    return out;
  }
  return pt_strndup(zIn, n);
}

/* Read one SQL identifier at *pz (bare or "quoted"), advance past it. */
static char *ident_read(const char **pz, char **pzErr) {
  const char *z = *pz;
  sqlite3_str *s = sqlite3_str_new(0);
  while( isspace((unsigned char)*z) ) z++;
  if( *z == '"' ) {
    z++;
    for( ;; ) {
      if( *z == 0 ) {
        sqlite3_free(sqlite3_str_finish(s));
        *pzErr = sqlite3_mprintf("unterminated quoted identifier");
        return 0;
      }
      if( *z == '"' ) {
        if( z[1] == '"' ) {
          sqlite3_str_appendchar(s, 1, '"');
          z += 2;
          continue;
        }
        z++;
        break;
      }
      sqlite3_str_appendchar(s, 1, *z++);
    }
  } else {
    while( *z && *z != '.' && !isspace((unsigned char)*z) ) { sqlite3_str_appendchar(s, 1, *z++); }
  }
  while( isspace((unsigned char)*z) ) z++;
  *pz = z;
  char *zOut = sqlite3_str_finish(s);
  if( !zOut || !zOut[0] ) {
    sqlite3_free(zOut);
    *pzErr = sqlite3_mprintf("empty name");
    return 0;
  }
  return zOut;
}

/*
** Split a table name written as SQL writes one: `users`, `public.users`,
** `"Mixed Case"`, `hid."we""ird"`, optionally wrapped whole in single quotes.
** Bare names keep their case (the remote is asked for exactly that name).
** *pzSchema is NULL when no schema is given.
*/
int pt_ident_split(const char *zIn, char **pzSchema, char **pzName, char **pzErr) {
  *pzSchema = *pzName = 0;
  char *zText = 0;
  const char *z = zIn;
  while( isspace((unsigned char)*z) ) z++;
  if( *z == '\'' ) {
    zText = pt_sql_unquote(z);
    z = zText;
  }
  char *zA = ident_read(&z, pzErr);
  if( !zA ) {
    sqlite3_free(zText);
    return SQLITE_ERROR;
  }
  if( *z == '.' ) {
    z++;
    char *zB = ident_read(&z, pzErr);
    if( !zB ) {
      sqlite3_free(zA);
      sqlite3_free(zText);
      return SQLITE_ERROR;
    }
    *pzSchema = zA;
    *pzName = zB;
  } else {
    *pzName = zA;
  }
  if( *z ) {
    sqlite3_free(*pzSchema);
    sqlite3_free(*pzName);
    *pzSchema = *pzName = 0;
    *pzErr = sqlite3_mprintf("cannot read a table name in %s", zIn);
    sqlite3_free(zText);
    return SQLITE_ERROR;
  }
  sqlite3_free(zText);
  return SQLITE_OK;
}

/*
** The `columns=` text: `"name" kind [key N] [notnull], ...`.  It lets
** xConnect declare the table without asking the server (see module.c).
*/
char *pt_columns_format(const pt_table_desc *p) {
  sqlite3_str *s = sqlite3_str_new(0);
  for( int i = 0; i < p->nCol; i++ ) {
    const pt_column *c = &p->aCol[i];
    if( i ) sqlite3_str_appendall(s, ", ");
    sqlite3_str_appendf(s, "\"%w\" %s", c->zName, pt_kind_name(c->kind));
    if( c->iKey ) sqlite3_str_appendf(s, " key %d", c->iKey);
    if( c->notNull ) sqlite3_str_appendall(s, " notnull");
  }
  return sqlite3_str_finish(s);
}

int pt_columns_parse(const char *z, pt_table_desc **pp, char **pzErr) {
  int n = 1;
  *pp = 0;
  /* upper bound on the column count: every comma + 1 (a quote inside a
  ** bare name must not hide the commas after it: found by fuzz_options) */
  for( const char *c = z; *c; c++ )
    if( *c == ',' ) n++;
  pt_table_desc *p = pt_desc_new(n);
  if( !p ) return SQLITE_NOMEM;
  p->nCol = 0;
  while( *z ) {
    if( p->nCol >= n ) {
      *pzErr = sqlite3_mprintf("columns=: cannot be read");
      goto fail;
    }
    pt_column *c = &p->aCol[p->nCol];
    c->zName = ident_read(&z, pzErr);
    if( !c->zName ) goto fail;
    p->nCol++;
    const char *zKind = z;
    while( isalpha((unsigned char)*z) ) z++;
    int k = pt_kind_from_name(zKind, (int)(z - zKind));
    if( k < 0 ) {
      *pzErr = sqlite3_mprintf("columns=: unknown kind '%.*s' for column %s", (int)(z - zKind),
                               zKind, c->zName);
      goto fail;
    }
    c->kind = k;
    for( ;; ) {
      while( isspace((unsigned char)*z) ) z++;
      if( sqlite3_strnicmp(z, "key", 3) == 0 && !isalpha((unsigned char)z[3]) ) {
        z += 3;
        while( isspace((unsigned char)*z) ) z++;
        c->iKey = 0;
        while( isdigit((unsigned char)*z) ) {
          /* past any real position: 0, the error below (no overflow) */
          c->iKey = c->iKey > 100000 ? 100001 : c->iKey * 10 + (*z - '0');
          z++;
        }
        if( c->iKey > 100000 ) c->iKey = 0;
        if( c->iKey <= 0 ) {
          *pzErr = sqlite3_mprintf("columns=: bad key position for column %s", c->zName);
          goto fail;
        }
      } else if( sqlite3_strnicmp(z, "notnull", 7) == 0 ) {
        z += 7;
        c->notNull = 1;
      } else {
        break;
      }
    }
    if( *z == ',' ) {
      z++;
      continue;
    }
    if( *z ) {
      *pzErr = sqlite3_mprintf("columns=: unexpected text at '%.20s'", z);
      goto fail;
    }
  }
  if( p->nCol == 0 ) {
    *pzErr = sqlite3_mprintf("columns=: no columns");
    goto fail;
  }
  *pp = p;
  return SQLITE_OK;
fail:
  pt_desc_free(p);
  return SQLITE_ERROR;
}

/*
** Split a module argument `key=value` (value maybe 'quoted').  Returns 1 and
** sets both (sqlite3_malloc'd, key lower-cased) when it is one, 0 when the
** argument is positional.
*/
int pt_arg_split(const char *zArg, char **pzKey, char **pzVal) {
  const char *z = zArg;
  while( isspace((unsigned char)*z) ) z++;
  const char *zKey = z;
  while( isalnum((unsigned char)*z) || *z == '_' ) z++;
  int nKey = (int)(z - zKey);
  while( isspace((unsigned char)*z) ) z++;
  if( nKey == 0 || *z != '=' ) return 0;
  z++;
  *pzKey = pt_strndup(zKey, nKey);
  for( char *c = *pzKey; c && *c; c++ ) *c = (char)tolower((unsigned char)*c);
  *pzVal = pt_sql_unquote(z);
  return 1;
}

/*
** 1 if a module argument would put a secret into the database file: a
** password option, or a connection string with credentials in it.
*/
int pt_looks_secret(const char *zKey, const char *zVal) {
  if( zKey &&
      (strstr(zKey, "password") || strcmp(zKey, "pwd") == 0 || strcmp(zKey, "passwd") == 0 ||
       strcmp(zKey, "pw") == 0) )
    return 1;
  if( zVal ) {
    char *zPw = pt_conninfo_password(zVal);
    if( zPw ) {
      sqlite3_free(zPw);
      return 1;
    }
  }
  return 0;
}

/* ---- CREATE VIRTUAL TABLE ... USING pontoon(...) arguments ---- */

void pt_table_args_clear(pt_table_args *p) {
  sqlite3_free(p->zServer);
  sqlite3_free(p->zRemoteSchema);
  sqlite3_free(p->zRemoteTable);
  sqlite3_free(p->zQuery);
  sqlite3_free(p->zColumns);
  sqlite3_free(p->zKey);
  memset(p, 0, sizeof(*p));
}

/*
** Parse the module arguments of table zName (argv[argc]: those after the
** table's own name) into *p: the server, the remote table as SQL writes a
** name, and the options query=, columns=, key=, fetch=, readonly.  An
** unquoted key=a,b arrives as "key=a" and "b" and is joined back.  A
** password or a connection string is refused: the arguments are stored in
** plain text in the database file.  On error *pzErr names the table and
** *p is cleared.
*/
int pt_table_args_parse(const char *zName, int argc, const char *const *argv, pt_table_args *p,
                        char **pzErr) {
  char *zTableArg = 0;
  int nPos = 0;
  int rc = SQLITE_ERROR;
  memset(p, 0, sizeof(*p));
  int keyOpen = 0; /* the last argument was key=: an unquoted
                             ** key=a,b arrives as "key=a" and "b" */

  for( int i = 0; i < argc; i++ ) {
    char *zKey = 0, *zVal = 0;
    int wasKey = keyOpen;
    keyOpen = 0;
    if( wasKey && nPos >= 2 && !strchr(argv[i], '=') &&
        sqlite3_stricmp(argv[i], "readonly") != 0 ) {
      char *z = sqlite3_mprintf("%s,%s", p->zKey, argv[i]);
      if( !z ) {
        rc = SQLITE_NOMEM;
        goto fail;
      }
      sqlite3_free(p->zKey);
      p->zKey = z;
      keyOpen = 1;
      continue;
    }
    if( pt_arg_split(argv[i], &zKey, &zVal) ) {
      if( pt_looks_secret(zKey, zVal) ) {
        *pzErr = sqlite3_mprintf(
          "pontoon: table %s: a password in CREATE VIRTUAL TABLE "
          "arguments would be stored in plain text in the database file; register the "
          "server with pontoon_connect(name, uri) and name it here",
          zName);
        sqlite3_free(zKey);
        sqlite3_free(zVal);
        goto fail;
      }
      if( strcmp(zKey, "query") == 0 ) {
        sqlite3_free(p->zQuery); /* given twice: the last (fuzz_options) */
        p->zQuery = zVal;
        zVal = 0;
      } else if( strcmp(zKey, "columns") == 0 ) {
        sqlite3_free(p->zColumns);
        p->zColumns = zVal;
        zVal = 0;
      } else if( strcmp(zKey, "key") == 0 ) {
        sqlite3_free(p->zKey);
        p->zKey = zVal;
        zVal = 0;
        keyOpen = 1;
      } else if( strcmp(zKey, "fetch") == 0 ) {
        p->nFetch = atoi(zVal);
        if( p->nFetch <= 0 ) {
          *pzErr =
            sqlite3_mprintf("pontoon: table %s: fetch= must be a positive number of rows", zName);
          sqlite3_free(zKey);
          sqlite3_free(zVal);
          goto fail;
        }
      } else if( strcmp(zKey, "readonly") == 0 ) {
        p->readOnly = !(zVal[0] == '0' || sqlite3_stricmp(zVal, "false") == 0 ||
                        sqlite3_stricmp(zVal, "off") == 0);
      } else {
        *pzErr = sqlite3_mprintf("pontoon: table %s: unknown option '%s' (known: query, "
                                 "columns, key, fetch, readonly)",
                                 zName, zKey);
        sqlite3_free(zKey);
        sqlite3_free(zVal);
        goto fail;
      }
      sqlite3_free(zKey);
      sqlite3_free(zVal);
      continue;
    }
    /* the server name may be quoted; the table name is split later by
    ** pt_ident_split, which reads its own quotes */
    char *zArg = nPos == 1 ? pt_strdup(argv[i]) : pt_sql_unquote(argv[i]);
    if( !zArg ) {
      rc = SQLITE_NOMEM;
      goto fail;
    }
    if( sqlite3_stricmp(zArg, "readonly") == 0 && nPos >= 1 ) {
      p->readOnly = 1;
      sqlite3_free(zArg);
      continue;
    }
    if( pt_looks_secret(0, zArg) || strstr(zArg, "://") ) {
      *pzErr = sqlite3_mprintf(
        "pontoon: table %s: %s", zName,
        pt_looks_secret(0, zArg)
          ? "a password in CREATE VIRTUAL TABLE arguments would be stored in plain text in the "
            "database file; register the server with pontoon_connect(name, uri) and name it here"
          : "the first argument names a server registered with pontoon_connect(name, uri), "
            "not a connection string");
      sqlite3_free(zArg);
      goto fail;
    }
    if( nPos == 0 )
      p->zServer = zArg;
    else if( nPos == 1 )
      zTableArg = zArg;
    else {
      *pzErr = sqlite3_mprintf("pontoon: table %s: unexpected argument %s (several key "
                               "columns are written key='a,b')",
                               zName, argv[i]);
      sqlite3_free(zArg);
      goto fail;
    }
    nPos++;
  }
  if( !p->zServer ) {
    *pzErr = sqlite3_mprintf("pontoon: table %s: usage: CREATE VIRTUAL TABLE %s USING "
                             "pontoon(server, [schema.]table [, option=value ...])",
                             zName, zName);
    goto fail;
  }
  if( zTableArg ) {
    if( p->zQuery ) {
      *pzErr = sqlite3_mprintf("pontoon: table %s: give a remote table or query=, not both", zName);
      goto fail;
    }
    if( pt_ident_split(zTableArg, &p->zRemoteSchema, &p->zRemoteTable, pzErr) ) {
      char *z = *pzErr;
      *pzErr = sqlite3_mprintf("pontoon: table %s: %s", zName, z);
      sqlite3_free(z);
      goto fail;
    }
  } else if( !p->zQuery ) {
    *pzErr =
      sqlite3_mprintf("pontoon: table %s: name the remote table, or give query='...'", zName);
    goto fail;
  }
  sqlite3_free(zTableArg);
  return SQLITE_OK;

fail:
  sqlite3_free(zTableArg);
  pt_table_args_clear(p);
  return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/*
** Rationale (security): the SQL of a query= table (and the where of
** pontoon_count) is one SELECT that pontoon writes inside its own
** statement, "SELECT ... FROM (<query>) AS q ...", on a connection that
** is read-only.  Read by the server's own tokenizer (xSpan, under the
** session's lexFlags), outside strings, quoted names and comments, the
** text may not hold a ';' (a second statement, which PostgreSQL's
** extended protocol refuses but a driver speaking the simple one would
** run, after a COMMIT of its own), nor a ')' that closes more than it
** opened, nor an unclosed '(' (either would end pontoon's SELECT and let
** the rest stand at the top: on MySQL "SELECT 1) AS q INTO OUTFILE ..."
** writes a file, which a READ ONLY transaction does not prevent), nor, on
** MySQL, the words OUTFILE or DUMPFILE.  zWhat names the text in the
** message ("query=", "where").  SQLITE_ERROR and *pzErr if refused.
*/
int pt_query_check(const pt_dialect *d, int lexFlags, const char *zWhat, const char *zSql,
                   char **pzErr) {
  int depth = 0, isMy = strcmp(d->zName, "mysql") == 0;
  const char *zWhy = 0;
  const char *z = zSql;
  while( *z && !zWhy ) {
    int n = d->xSpan ? d->xSpan(zSql, z, lexFlags) : 0;
    if( n > 0 ) {
      z += n;
      continue;
    }
    if( *z == '(' ) {
      depth++;
    } else if( *z == ')' ) {
      if( --depth < 0 ) zWhy = "a ')' closes a parenthesis it did not open";
    } else if( *z == ';' ) {
      zWhy = "';' ends a statement: give one SELECT, without ';'";
    } else if( isMy && (isalpha((unsigned char)*z) || *z == '_') &&
               !(z > zSql && (isalnum((unsigned char)z[-1]) || z[-1] == '_' || z[-1] == '$')) ) {
      const char *e = z;
      while( isalnum((unsigned char)*e) || *e == '_' || *e == '$' ) e++;
      if( (e - z == 7 && sqlite3_strnicmp(z, "outfile", 7) == 0) ||
          (e - z == 8 && sqlite3_strnicmp(z, "dumpfile", 8) == 0) ) {
        zWhy = "INTO OUTFILE and INTO DUMPFILE write files on the server";
      }
      z = e;
      continue;
    }
    z++;
  }
  if( !zWhy && depth > 0 ) zWhy = "a '(' is not closed";
  if( !zWhy ) return SQLITE_OK;
  *pzErr = sqlite3_mprintf("%s refused: %s (it must be one read-only SELECT)", zWhat, zWhy);
  return SQLITE_ERROR;
}

/* ---- the options string of pontoon_copy, pontoon_diff, pontoon_sync ----
**
**   'chunk=50000 workers=2 where=''id < 1000'''     (as SQL writes it)
**   chunk=50000 workers=2 where='id < 1000'         (the string's value)
**
** key=value pairs separated by spaces; a value with spaces is single-quoted,
** a quote inside doubled, as in SQL.  Keys are lower-cased; a key given
** twice, a key not in azAllowed, or text that is not key=value is an error
** naming the function.
*/
void pt_opts_clear(pt_opts *p) {
  for( int i = 0; i < p->n; i++ ) {
    sqlite3_free(p->azKey[i]);
    sqlite3_free(p->azVal[i]);
  }
  sqlite3_free(p->azKey);
  sqlite3_free(p->azVal);
  memset(p, 0, sizeof(*p));
}

int pt_opts_parse(const char *z, const char *zFunc, const char *const *azAllowed, pt_opts *p,
                  char **pzErr) {
  memset(p, 0, sizeof(*p));
  if( !z ) return SQLITE_OK;
  while( 1 ) {
    while( isspace((unsigned char)*z) ) z++;
    if( !*z ) return SQLITE_OK;
    const char *zKey = z;
    while( isalnum((unsigned char)*z) || *z == '_' ) z++;
    int nKey = (int)(z - zKey);
    if( nKey == 0 || *z != '=' ) {
      *pzErr = sqlite3_mprintf("%s: cannot read the options at \"%.20s\": write key=value pairs "
                               "separated by spaces",
                               zFunc, zKey);
      goto fail;
    }
    z++;
    pt_buf v = { 0 };
    if( *z == '\'' ) {
      z++;
      while( 1 ) {
        if( !*z ) {
          pt_buf_free(&v);
          *pzErr =
            sqlite3_mprintf("%s: option %.*s: the quoted value does not end", zFunc, nKey, zKey);
          goto fail;
        }
        if( *z == '\'' ) {
          if( z[1] != '\'' ) {
            z++;
            break;
          }
          z++;
        }
        pt_buf_char(&v, *z++);
      }
    } else {
      while( *z && !isspace((unsigned char)*z) ) pt_buf_char(&v, *z++);
    }
    pt_buf_char(&v, 0);
    char *zK = pt_strndup(zKey, nKey);
    char *zV = v.oom ? 0 : pt_strdup(v.z);
    pt_buf_free(&v);
    char **azK = sqlite3_realloc64(p->azKey, sizeof(char *) * (p->n + 1));
    if( azK ) p->azKey = azK;
    char **azV = sqlite3_realloc64(p->azVal, sizeof(char *) * (p->n + 1));
    if( azV ) p->azVal = azV;
    if( !zK || !zV || !azK || !azV ) {
      sqlite3_free(zK);
      sqlite3_free(zV);
      *pzErr = sqlite3_mprintf("%s: out of memory", zFunc);
      goto fail;
    }
    for( char *c = zK; *c; c++ ) *c = (char)tolower((unsigned char)*c);
    p->azKey[p->n] = zK;
    p->azVal[p->n] = zV;
    p->n++;
    int known = 0;
    for( int i = 0; azAllowed && azAllowed[i]; i++ )
      if( strcmp(azAllowed[i], zK) == 0 ) known = 1;
    if( !known ) {
      sqlite3_str *s = sqlite3_str_new(0);
      for( int i = 0; azAllowed && azAllowed[i]; i++ )
        sqlite3_str_appendf(s, "%s%s", i ? ", " : "", azAllowed[i]);
      char *zList = sqlite3_str_finish(s);
      *pzErr =
        sqlite3_mprintf("%s: unknown option %s (it takes %s)", zFunc, zK, zList ? zList : "");
      sqlite3_free(zList);
      goto fail;
    }
    for( int i = 0; i < p->n - 1; i++ ) {
      if( strcmp(p->azKey[i], zK) == 0 ) {
        *pzErr = sqlite3_mprintf("%s: option %s is given twice", zFunc, zK);
        goto fail;
      }
    }
  }
fail:
  pt_opts_clear(p);
  return SQLITE_ERROR;
}

/* The value of option zKey, or NULL when it was not given. */
/*
** The names of a comma-separated option value (columns=a, b): *pn names,
** each sqlite3_malloc'd, spaces around them dropped; free with
** pt_opts_names_free.  NULL z is no names.
*/
char **pt_opts_names(const char *z, int *pn) {
  int n = 0, nAlloc = 0;
  char **az = 0;
  while( z && *z ) {
    while( *z == ' ' || *z == ',' ) z++;
    if( !*z ) break;
    const char *zStart = z;
    while( *z && *z != ',' ) z++;
    int len = (int)(z - zStart);
    while( len > 0 && zStart[len - 1] == ' ' ) len--;
    if( n == nAlloc ) {
      nAlloc = nAlloc ? nAlloc * 2 : 8;
      char **a = sqlite3_realloc64(az, sizeof(char *) * nAlloc);
      if( !a ) break;
      az = a;
    }
    az[n++] = pt_strndup(zStart, len);
  }
  *pn = n;
  return az;
}

void pt_opts_names_free(char **az, int n) {
  for( int i = 0; i < n; i++ ) sqlite3_free(az[i]);
  sqlite3_free(az);
}

const char *pt_opts_get(const pt_opts *p, const char *zKey) {
  for( int i = 0; i < p->n; i++ )
    if( strcmp(p->azKey[i], zKey) == 0 ) return p->azVal[i];
  return 0;
}

/* Option zKey as an integer in [lo, hi], *pOut unchanged when absent. */
int pt_opts_int(const pt_opts *p, const char *zKey, int64_t lo, int64_t hi, int64_t *pOut,
                const char *zFunc, char **pzErr) {
  const char *z = pt_opts_get(p, zKey);
  if( !z ) return SQLITE_OK;
  char *zEnd = 0;
  long long v = strtoll(z, &zEnd, 10);
  if( !*z || *zEnd || v < lo || v > hi ) {
    *pzErr = sqlite3_mprintf("%s: option %s=%s: expected an integer from %lld to %lld", zFunc, zKey,
                             z, (long long)lo, (long long)hi);
    return SQLITE_ERROR;
  }
  *pOut = v;
  return SQLITE_OK;
}
