#!/bin/sh
# Installs physopt into a temporary prefix and checks that it works as the
# README says (make check-install; .ci/run):
#   - libphysopt.so carries its SONAME and the versioned file names;
#   - `pkg-config --static --libs physopt` puts -lgsl before -lopenblas and
#     never names -lgslcblas (GSL's reference CBLAS must not serve sgemm);
#   - the README's library example, extracted from README.md, compiles with
#     pkg-config against the shared and against the static library and runs
#     without LD_LIBRARY_PATH, printing the same line both ways;
#   - the installed physopt runs without LD_LIBRARY_PATH and finds an
#     installed configuration by name from another directory;
#   - the installed Python package imports with /usr/bin/python3, loads the
#     prefix's libphysopt.so (not the checkout's) and solves a small problem.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=$(mktemp -d /tmp/physopt-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fail() {
  echo "check-install: $*" >&2
  exit 1
}

make -C "$root" --no-print-directory install PREFIX="$prefix" >"$prefix.log" 2>&1 ||
  fail "make install PREFIX=$prefix failed (log: $prefix.log)"
rm -f "$prefix.log"
lib=$prefix/lib
readelf -d "$lib/libphysopt.so.0.1.0" | grep -q 'SONAME.*\[libphysopt\.so\.0\]' ||
  fail "no SONAME libphysopt.so.0"
[ "$(readlink "$lib/libphysopt.so")" = libphysopt.so.0 ] &&
  [ "$(readlink "$lib/libphysopt.so.0")" = libphysopt.so.0.1.0 ] ||
  fail "symlinks libphysopt.so -> .so.0 -> .so.0.1.0 missing"

export PKG_CONFIG_PATH="$lib/pkgconfig"
unset LD_LIBRARY_PATH || true
static_libs=$(pkg-config --static --libs physopt)
echo "$static_libs" | grep -q -- '-lgslcblas' && fail "physopt.pc names -lgslcblas: $static_libs"
echo "$static_libs" | awk '{ for (i = 1; i <= NF; i++) { if ($i == "-lgsl") g = i; if ($i == "-lopenblas") o = i } }
  END { exit !(g && o && g < o) }' || fail "-lgsl must come before -lopenblas: $static_libs"

# The README's example: the first ```c block after "## Using the library".
work=$prefix/work
mkdir -p "$work"
awk '/^## Using the library/ { on = 1 } on && /^```c$/ { grab = 1; next } grab && /^```$/ { exit }
  grab { print }' "$root/README.md" >"$work/prog.c"
[ -s "$work/prog.c" ] || fail "no C example under '## Using the library' in README.md"
cd "$work"
# The README's command, as written (shared library, found through the rpath).
cc prog.c $(pkg-config --cflags --libs --static physopt) -o prog-shared ||
  fail "README example does not build against the shared library"
ldd prog-shared | grep -q "$lib/libphysopt.so.0" || fail "prog-shared does not use $lib"
# Static: the archive instead of the .so, the same private libraries.
cc prog.c $(pkg-config --cflags physopt) "$lib/libphysopt.a" \
  $(pkg-config --static --libs physopt | sed 's/-lphysopt//') -o prog-static ||
  fail "README example does not build against the static library"
ldd prog-static | grep -q libphysopt && fail "prog-static still needs libphysopt.so"
# libgsl.so itself needs libgslcblas.so, so it is always loaded; what counts
# is that OpenBLAS comes first in the lookup order and serves cblas_sgemm.
for p in prog-shared prog-static; do
  LD_BIND_NOW=1 LD_DEBUG=bindings ./$p 2>&1 >/dev/null | grep "symbol \`cblas_sgemm'" |
    grep -v -q libopenblas && fail "$p: cblas_sgemm is not OpenBLAS's"
  LD_BIND_NOW=1 LD_DEBUG=bindings ./$p 2>&1 >/dev/null | grep "symbol \`cblas_sgemm'" |
    grep -q libopenblas || fail "$p: cblas_sgemm does not bind to OpenBLAS"
done
out_shared=$(./prog-shared) || fail "prog-shared failed"
out_static=$(./prog-static) || fail "prog-static failed"
[ "$out_shared" = "$out_static" ] || fail "shared and static differ: '$out_shared' vs '$out_static'"
echo "$out_shared" | grep -q '^best E = ' || fail "unexpected output: $out_shared"

# The installed CLI, from a directory without configs/, config by name.
"$prefix/bin/physopt" --version >/dev/null ||
  fail "installed physopt does not run without LD_LIBRARY_PATH"
"$prefix/bin/physopt" solve --problem sk:20:1 --backend cim --algorithm cac --config cim-gset \
  --replicas 2 --steps 50 >/dev/null || fail "physopt --config cim-gset not found in $prefix/share"
"$prefix/bin/physopt" solve --problem sk:20:1 --backend cim --algorithm cac \
  --config configs/cim-gset.ini --replicas 2 --steps 50 >/dev/null ||
  fail "physopt --config configs/cim-gset.ini not found in $prefix/share"
"$prefix/bin/physopt" solve --problem sk:20:1 --backend cim \
  --config configs/devices/cim-hamerly2019.ini --replicas 2 --steps 50 >/dev/null ||
  fail "physopt --config configs/devices/cim-hamerly2019.ini not found in $prefix/share"
"$prefix/bin/physopt" backends cim | grep -q 'cim-hamerly2019' ||
  fail "installed 'physopt backends cim' does not list the device files"
# The cim recipes (configs/cim-recipes, docs/cim.md "Scale-aware defaults").
"$prefix/bin/physopt" solve --problem er:60:0.5:1 --backend cim --set cim.recipe=auto \
  --replicas 2 --steps 50 --json | grep -q "$prefix/share/physopt/configs/cim-recipes/dense-maxcut.ini" ||
  fail "physopt --set cim.recipe=auto did not find the installed configs/cim-recipes"

# The Python package: PREFIX/lib/python3.X/dist-packages is on python3's
# path for a real prefix (/usr/local); here PYTHONPATH names it.  Run from
# $work so that the checkout's python/ cannot be picked up.
pydir=$(ls -d "$prefix"/lib/python3*/dist-packages 2>/dev/null | head -1)
[ -n "$pydir" ] && [ -f "$pydir/physopt/_libpath.py" ] || fail "no Python package under $prefix/lib"
out_py=$(PYTHONPATH="$pydir" PHYSOPT_LIB= /usr/bin/python3 -c '
import sys, physopt
assert physopt.library_path.startswith(sys.argv[1]), physopt.library_path
r = physopt.solve("sk:20:1", replicas=4, steps=100)
print("python: best E = %.6g from %s" % (r.best_energy, physopt.library_path))
' "$prefix") || fail "the installed Python package does not import or solve"
echo "check-install: installed to a temporary prefix; README example (shared, static): $out_shared; $out_py"
