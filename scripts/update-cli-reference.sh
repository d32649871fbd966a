#!/bin/sh
# Rewrites the generated part of docs/cli.md (everything from the line
# "<!-- generated: ..." on) with scripts/cli-reference.sh's output.
#   scripts/update-cli-reference.sh [build/physopt]
set -eu
bin=${1:-build/physopt}
doc=docs/cli.md
tmp=$doc.tmp.$$
trap 'rm -f "$tmp"' EXIT
sed '/^<!-- generated:/,$d' "$doc" >"$tmp"
sh scripts/cli-reference.sh "$bin" >>"$tmp"
mv "$tmp" "$doc"
