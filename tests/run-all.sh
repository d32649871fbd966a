#!/bin/sh
# Runs each cmocka test binary from the repository root and prints one
# closing line "N passed, N failed" counting the binaries.
# PHYSOPT_DATA points at the shared reference instances (../shared/data).
: "${PHYSOPT_DATA:=../shared/data}"
export PHYSOPT_DATA
pass=0
fail=0
failed=""
for t in "$@"; do
  echo "== $t"
  if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t"; fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
