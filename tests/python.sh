#!/bin/sh
# The Python package's tests (python/tests, pytest from Debian) against the
# library of this build: make test runs it as one entry of tests/run-all.sh.
#
# Sanitizer builds: the instrumented libphysopt.so cannot be loaded by an
# uninstrumented python3 unless the ASan runtime is preloaded; it is, with
# leak detection off (the interpreter's own allocations are not ours).
set -eu
: "${BUILD:=build}"
: "${PYTHON:=/usr/bin/python3}"
if ! "$PYTHON" -c 'import numpy, pytest' 2>/dev/null; then
  echo "python tests: $PYTHON lacks numpy or pytest (make deps installs python3-numpy, python3-pytest)"
  exit 1
fi
export PHYSOPT_LIB="$PWD/$BUILD/libphysopt.so" BUILD
if [ "${SANITIZE:-0}" = 1 ]; then
  asan=$(${CC:-gcc} -print-file-name=libasan.so)
  ubsan=$(${CC:-gcc} -print-file-name=libubsan.so)
  export LD_PRELOAD="$asan $ubsan" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi
exec "$PYTHON" -m pytest -q -p no:cacheprovider python/tests
