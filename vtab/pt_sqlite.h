/*
** pt_sqlite.h — how pontoon's files see SQLite.  Inside the loadable module
** every call goes through the host's API table (sqlite3ext.h), so the
** extension uses the very SQLite that loaded it.  The unit tests build the
** same files with PT_NO_EXT and link libsqlite3 directly.
*/
#ifndef PT_SQLITE_H
#define PT_SQLITE_H
#ifdef PT_NO_EXT
#include <sqlite3.h>
#else
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#endif
#endif
