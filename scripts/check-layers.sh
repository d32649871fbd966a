#!/bin/sh
# Fails when a folder uses a symbol defined in a folder above it.
#
# Usage: scripts/check-layers.sh BUILD_DIR OBJECT...   (make check-layers)
#        scripts/check-layers.sh   (the objects in build/ of every tracked
#        source of the layers; run `make` first)
#
# The layers, lowest first (docs/design-notes.md); a folder may use only
# folders listed before it:
#   core < solvers < problems < physics < backends < algorithms < io < cli
# Inside backends/ the registry (backends/*.c) names every backend's ops
# table, and a backend folder may use the registry and the reference
# backend backends/cpu/ (its fallback), never another device's folder.
#
# Judged from the objects' symbols (nm), not from include lines: an inline
# function or a macro that reaches up is caught too, and so is a
# hand-written extern.  Folders above backends/ reach a backend through the
# registry (backends/*.c) only, never into a backend's folder.
set -eu
LAYERS="core solvers problems physics backends algorithms io cli"

if [ $# -eq 0 ]; then
  set -- build
  for src in $(git ls-files $LAYERS | grep '\.c$'); do
    [ -f "build/${src%.c}.o" ] || {
      echo "check-layers: build/${src%.c}.o is missing (run make first)" >&2
      exit 1
    }
    set -- "$@" "build/${src%.c}.o"
  done
fi
build=$1
shift
tab=$(mktemp)
trap 'rm -f "$tab" "$tab.def" "$tab.use"' EXIT

# folder of an object: build/backends/cim/x.o -> backends/cim; build/io/h5.o -> io
folder_of() {
  rel=${1#"$build"/}
  dirname "$rel"
}

: >"$tab.def"
: >"$tab.use"
for o in "$@"; do
  f=$(folder_of "$o")
  nm -g --defined-only "$o" | awk -v f="$f" -v o="$o" 'NF == 3 { print $3, f, o }' >>"$tab.def"
  nm -u "$o" | awk -v f="$f" -v o="$o" '{ print $NF, f, o }' >>"$tab.use"
done

rank() {
  top=${1%%/*}
  i=0
  for l in $LAYERS; do
    [ "$l" = "$top" ] && {
      echo $i
      return
    }
    i=$((i + 1))
  done
  echo "check-layers: folder $1 is in no layer (add it to LAYERS)" >&2
  echo 99
}

# symbol user_folder user_obj def_folder def_obj
sort -k1,1 "$tab.use" >"$tab.use.s"
sort -k1,1 "$tab.def" >"$tab.def.s"
join "$tab.use.s" "$tab.def.s" >"$tab"
rm -f "$tab.use.s" "$tab.def.s"

bad=0
ranks=$(mktemp)
for l in $(awk '{ print $2; print $4 }' "$tab" | sort -u); do
  printf '%s %s\n' "$l" "$(rank "$l")"
done >"$ranks"

violations=$(awk -v ranks="$ranks" '
  BEGIN { while ((getline line < ranks) > 0) { split(line, a, " "); r[a[1]] = a[2] } }
  {
    sym = $1; uf = $2; uo = $3; df = $4; dobj = $5
    if (uf == df) next
    if (r[df] > r[uf]) { print uo " uses " sym " from " dobj " (" uf " is below " df ")"; next }
    if (r[df] < r[uf] && df ~ /^backends\// && sym !~ /^po_backend_ops_/) {
      print uo " uses " sym " from " dobj " (above backends/ only the registry is public)"; next
    }
    if (r[df] == r[uf] && r[uf] != "") {
      # same layer, different folder: only inside backends/
      if (uf == "backends") next                      # the registry
      if (df == "backends" || df == "backends/cpu") next  # registry, reference backend
      print uo " uses " sym " from " dobj " (a backend uses only the registry and backends/cpu)"
    }
  }' "$tab")
rm -f "$ranks"
if [ -n "$violations" ]; then
  echo "check-layers: dependencies that go up or sideways:" >&2
  echo "$violations" >&2
  bad=1
fi
# Every HDF5 call lives in io/ (the symbols above would show a call, but not
# a macro such as H5P_DEFAULT or a type from hdf5.h used by the CLI).
h5_in_cli=$(grep -n 'H5[A-Z]\|hdf5\.h' cli/*.c cli/*.h 2>/dev/null || true)
if [ -n "$h5_in_cli" ]; then
  echo "check-layers: HDF5 used in cli/ (move it into a function in io/):" >&2
  echo "$h5_in_cli" >&2
  bad=1
fi
n=$(wc -l <"$tab")
if [ $bad -ne 0 ]; then
  echo "check-layers: FAILED ($(echo "$violations" | grep -c . || true) of $n cross-object references)" >&2
  exit 1
fi
echo "check-layers: $n cross-object references, all downward ($LAYERS)"
