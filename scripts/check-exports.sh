#!/bin/sh
# Fails unless the dynamic symbols libphysopt.so exports are exactly the
# functions and variables declared in the public headers.
#
# Usage: scripts/check-exports.sh LIB.so HEADER...   (make check-exports)
#
# The declarations are read by the compiler, not by a regex over the
# headers: `cc -aux-info` writes one prototype per function declared in the
# translation unit, with the file it came from; variables are the
# `extern` object declarations of the preprocessed headers.
set -eu
lib=$1
shift
: "${CC:=cc}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for h in "$@"; do echo "#include \"physopt/${h##*/}\""; done >"$work/all.c"
$CC -std=c11 -I. -Iinclude -fsyntax-only -aux-info "$work/aux" "$work/all.c"
# /* include/physopt/error.h:30:NC */ extern const char *po_last_error (void);
# The second flag letter is C for a declaration, F for a definition (a
# static inline function in the header, which is not a library symbol).
grep -E '^/\* (\./)?include/physopt/[^ ]*:[0-9]+:[NO]C \*/' "$work/aux" |
  sed -e 's|^/\*[^*]*\*/ *||' -e 's| *(.*||' -e 's|.*[ *]||' >"$work/decl.fn"
# Object declarations: "extern <type> name;" or "extern <type> name[...];"
# (#pragma lines, which -E keeps, removed: an extern right after the
# visibility pragma would otherwise be missed)
$CC -std=c11 -I. -Iinclude -E -P "$work/all.c" 2>/dev/null | grep -v "^ *#" | tr '\n' ' ' | tr ';' '\n' |
  grep -E '^ *extern [^(]*$' | sed -e 's/\[.*//' -e 's/ *$//' -e 's/.*[ *]//' >"$work/decl.var" || true
# Keep only what the public headers themselves declare (not libc's externs).
for h in "$@"; do cat "$h"; done >"$work/headers.txt"
while read -r v; do
  grep -q "\\b$v\\b" "$work/headers.txt" && echo "$v"
done <"$work/decl.var" >"$work/decl.var2" || true
sort -u "$work/decl.fn" "$work/decl.var2" >"$work/declared"
# .gomp_critical_user_NAME is the lock of `#pragma omp critical (NAME)`:
# GCC makes it a global common symbol so that every object using the same
# name shares one lock; it is part of the OpenMP ABI, not of our API.
# __odr_asan.NAME: AddressSanitizer's ODR-violation indicator of an exported
# variable NAME (sanitizer builds), part of ASan's ABI likewise.
nm -D --defined-only "$lib" | awk '{ print $NF }' | grep -v -e '^\.gomp_critical_user_' -e '^__odr_asan\.' |
  sort -u >"$work/exported"

missing=$(comm -23 "$work/declared" "$work/exported")
extra=$(comm -13 "$work/declared" "$work/exported")
bad=0
if [ -n "$missing" ]; then
  echo "check-exports: declared in include/physopt/ but not exported by $lib:" >&2
  echo "$missing" | sed 's/^/  /' >&2
  bad=1
fi
if [ -n "$extra" ]; then
  echo "check-exports: exported by $lib but declared in no public header:" >&2
  echo "$extra" | sed 's/^/  /' >&2
  bad=1
fi
[ $bad -eq 0 ] || exit 1
echo "check-exports: $(wc -l <"$work/exported") symbols exported = declared in include/physopt/"
