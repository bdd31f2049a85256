#!/usr/bin/env bash
# Runs the suite once and keeps both reports: JUnit for the CI dashboard and the JSON report
# (which also serves as the next run's --baseline). Exits with the tool's own code, so a
# failed check (1), a usage error (2) or an unreachable provider (3) fails the job.
set -uo pipefail

: "${MANIFEST:?the manifest to test}"
PLATFORM="${PLATFORM:-}"
ARGS="${ARGS:-}"
OUT_DIR="${OUT_DIR:-addon-conform-reports}"
ADDON_CONFORM="${ADDON_CONFORM:-addon-conform}"

mkdir -p "$OUT_DIR"
command=("$ADDON_CONFORM" test --manifest "$MANIFEST" --format junit
    --output "$OUT_DIR/junit.xml" --write-baseline "$OUT_DIR/report.json")
if [[ -n "$PLATFORM" ]]; then
    command+=(--platform "$PLATFORM")
fi
# The workflow's own `args` input, with its quoting: `--only 'sso.*' --seed 7`.
eval "extra=($ARGS)"
command+=("${extra[@]}")

echo "+ ${command[*]}"
"${command[@]}"
code=$?

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    {
        echo "exit-code=$code"
        echo "junit=$OUT_DIR/junit.xml"
        echo "report=$OUT_DIR/report.json"
    } >> "$GITHUB_OUTPUT"
fi
exit "$code"
