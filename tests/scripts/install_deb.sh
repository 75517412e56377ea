#!/usr/bin/env bash
# issue 16 item 3: installed, pontoon loads by name, without a path:
# `.load pontoon` in the sqlite3 shell and load_extension('pontoon') in
# Python.  `cmake --install` puts the module in /usr's multiarch library
# directory; CPack builds a .deb that declares its library dependencies.
# Always: the .deb unpacked into a temporary root (dpkg-deb -x), the module
# found there through LD_LIBRARY_PATH.  As root (CI): the .deb installed
# for real with dpkg -i, loaded by name, and removed with dpkg --purge (skipped
# when the package was installed before the test: it is left alone).
source "$(dirname "$0")/lib.bash" "$@"
work=$(mktemp -d)
pkg=libsqlite3-mod-pontoon
installed_here=0
cleanup() {
  if [ "$installed_here" = 1 ]; then env -u LD_PRELOAD dpkg --purge "$pkg" >/dev/null 2>&1; fi
  rm -rf "$work"
}
trap cleanup EXIT
multiarch=$(env -u LD_PRELOAD dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
  env -u LD_PRELOAD gcc -print-multiarch)
libdir=usr/lib/$multiarch

# load_by_name LABEL [ENV...]: the shell and Python load pontoon by name
load_by_name() {
  local what=$1; shift
  local got
  got=$(cd "$work" && env "$@" sqlite3 -batch -init /dev/null :memory: \
    ".load pontoon" "SELECT count(*) FROM pontoon_servers;" 2>&1)
  check "$what: the sqlite3 shell loads pontoon by name ($got)" [ "$got" = 0 ]
  got=$(cd "$work" && env "$@" /usr/bin/python3 - 2>&1 <<'PY'
import sqlite3
con = sqlite3.connect(":memory:")
con.enable_load_extension(True)
con.load_extension("pontoon")
con.enable_load_extension(False)
print(con.execute("SELECT count(*) FROM pontoon_servers").fetchone()[0])
PY
)
  check "$what: Python loads pontoon by name ($got)" [ "$got" = 0 ]
}

# cmake --install: the module in /usr's library directory (into DESTDIR)
env -u LD_PRELOAD DESTDIR="$work/destdir" cmake --install "$BUILD" >"$work/install.log" 2>&1
check "cmake --install puts pontoon.so in /$libdir" [ -f "$work/destdir/$libdir/pontoon.so" ] ||
  cat "$work/install.log"

# the .deb
env -u LD_PRELOAD cpack --config "$BUILD/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1
deb=$(ls "$work"/pkg/*.deb 2>/dev/null | head -1)
check "cpack builds a .deb" [ -n "$deb" ] || tail -20 "$work/cpack.log"
[ -n "$deb" ] || { finish; exit; }
echo "== $(basename "$deb"): dpkg-deb -c"
env -u LD_PRELOAD dpkg-deb -c "$deb" | tee "$work/contents"
depends=$(env -u LD_PRELOAD dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
check "the .deb holds ./$libdir/pontoon.so" grep -q " \./$libdir/pontoon\.so$" "$work/contents"
check "the .deb declares libpq5" grep -q 'libpq5' <<<"$depends"
needed=$(env -u LD_PRELOAD ldd "$BUILD/pontoon.so")
if grep -q libmariadb <<<"$needed"; then
  check "the .deb declares libmariadb3" grep -q 'libmariadb' <<<"$depends"
fi
if grep -q libodbc <<<"$needed"; then
  check "the .deb declares unixODBC's library" grep -q 'libodbc' <<<"$depends"
fi

# unpacked into a temporary root: found through the library path
env -u LD_PRELOAD dpkg-deb -x "$deb" "$work/root"
load_by_name "unpacked" LD_LIBRARY_PATH="$work/root/$libdir"

# installed with dpkg, as root
if [ "$(id -u)" -ne 0 ]; then
  echo "(not root: dpkg -i and dpkg --purge are not tried)"
elif env -u LD_PRELOAD dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
  echo "($pkg was installed before this test: it is left alone, dpkg -i is not tried)"
else
  out=$(env -u LD_PRELOAD dpkg -i "$deb" 2>&1)
  rc=$?
  [ "$rc" = 0 ] && installed_here=1
  check "dpkg -i installs the .deb" [ "$rc" = 0 ] || echo "$out"
  check "dpkg -L lists /$libdir/pontoon.so" \
    grep -qx "/$libdir/pontoon.so" <(env -u LD_PRELOAD dpkg -L "$pkg")
  load_by_name "installed"
  out=$(env -u LD_PRELOAD dpkg --purge "$pkg" 2>&1)
  rc=$?
  [ "$rc" = 0 ] && installed_here=0
  check "dpkg --purge removes it" [ "$rc" = 0 ] || echo "$out"
  check "and the module is gone" [ ! -e "/$libdir/pontoon.so" ]
  got=$(cd "$work" && sqlite3 -batch -init /dev/null :memory: ".load pontoon" 2>&1)
  check "removed, .load pontoon fails" grep -q "cannot open shared object file" <<<"$got"
fi
finish
