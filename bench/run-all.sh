#!/bin/sh
# Runs every benchmark binary from the repository root.  Each prints its
# figures as ratios against a baseline measured in the same run.
: "${PHYSOPT_DATA:=../shared/data}"
export PHYSOPT_DATA
status=0
for b in "$@"; do
  echo "== $b"
  "$b" || status=1
done
exit $status
