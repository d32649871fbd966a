#!/bin/sh
# Prints the generated part of docs/cli.md: every subcommand's --help.
#   scripts/cli-reference.sh [build/physopt] > /tmp/ref.md
# docs/cli.md keeps everything up to the line "<!-- generated -->" and this
# output after it; tests/test_cli.c checks that the two agree.
set -eu
bin=${1:-build/physopt}
echo "<!-- generated: scripts/cli-reference.sh; do not edit below -->"
echo
echo "## Reference: every subcommand's --help"
echo
echo "The option tables below are \`physopt COMMAND --help\`, verbatim."
for c in $("$bin" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}'); do
  echo
  echo "### physopt $c"
  echo
  echo '```'
  "$bin" "$c" --help
  echo '```'
done
