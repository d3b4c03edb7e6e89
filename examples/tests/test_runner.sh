#!/usr/bin/env bash
# Guest test runner: runs the test scripts of one guest. Usage: $0 ID [--suite NAME] -- SCRIPT...
# Each SCRIPT gets the guest ID as $1; the runner reports each result and fails if any test failed.
set -euo pipefail
ID="${1:?usage: $0 ID [--suite NAME] -- SCRIPT...}"
shift
SUITE="all"
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) SUITE="${2:?--suite needs a name}"; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done

failed=0
for script in "$@"; do
  if bash "$script" "$ID"; then echo "PASS $script"; else echo "FAIL $script"; failed=$((failed + 1)); fi
done
echo "guest $ID, suite $SUITE: $# run, $failed failed"
[ "$failed" -eq 0 ]
