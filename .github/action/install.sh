#!/usr/bin/env bash
# Installs addon-conform from the action's own checkout (the ref the workflow names) into
# $INSTALL_ROOT, unless the cache already restored it there.
set -euo pipefail

: "${ACTION_PATH:?the directory of the action checkout}"
: "${INSTALL_ROOT:?where to install}"

if [[ -x "$INSTALL_ROOT/bin/addon-conform" ]]; then
    echo "addon-conform restored from the cache: $("$INSTALL_ROOT/bin/addon-conform" --version)"
else
    cargo install --locked --path "$ACTION_PATH/crates/addon-conform" --root "$INSTALL_ROOT"
fi
if [[ -n "${GITHUB_PATH:-}" ]]; then
    echo "$INSTALL_ROOT/bin" >> "$GITHUB_PATH"
fi
