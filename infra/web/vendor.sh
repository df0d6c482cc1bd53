#!/usr/bin/env bash
# Vendors the third-party scripts and styles spotcheck serves itself (/docs, /redoc, the web
# application's charts, the accessibility tests): nothing is loaded from a CDN, so every page
# works on a bureau intranet.
#
#   infra/web/vendor.sh
#
# web/package.json pins exact versions, web/package-lock.json locks them with integrity hashes
# and without download addresses (web/.npmrc): `npm ci` fetches from whatever registry this
# machine's npm is configured for. The few files the pages load, each package's licence and
# VERSIONS.txt (package@version) are copied into spotcheck_common/assets/vendor/ (git-ignored;
# the wheel carries them: libs/common/pyproject.toml). Quick when nothing changed: npm ci only
# when web/node_modules is absent or older than the lockfile, files only rewritten when they
# differ.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WEB="$ROOT/web"
OUT="$ROOT/libs/common/src/spotcheck_common/assets/vendor"

log() { echo "[vendor] $*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
  echo "npm is needed to vendor the web assets: apt-get install npm" >&2
  exit 1
fi

# npm writes node_modules/.package-lock.json last: its age is the age of the installation.
installed="$WEB/node_modules/.package-lock.json"
if [ ! -f "$installed" ] || [ "$WEB/package-lock.json" -nt "$installed" ] \
  || [ "$WEB/package.json" -nt "$installed" ]; then
  log "npm ci in web/ ($(npm --version))"
  (cd "$WEB" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
  touch "$installed"
fi

# Per package: the directory under assets/vendor/, the npm package, then its files to copy.
FILES=(
  "swagger-ui swagger-ui-dist swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt"
  "redoc redoc bundles/redoc.standalone.js bundles/redoc.standalone.js.LICENSE.txt LICENSE"
  "echarts echarts dist/echarts.min.js LICENSE NOTICE"
  "axe-core axe-core axe.min.js LICENSE LICENSE-3RD-PARTY.txt"
)

# Staged next to node_modules (git-ignored, same file system), then moved into place whole.
STAGE="$(mktemp -d "$WEB/node_modules/.vendor.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
: >"$STAGE/VERSIONS.txt"
for entry in "${FILES[@]}"; do
  read -r -a words <<<"$entry"
  dir="${words[0]}" package="${words[1]}"
  src="$WEB/node_modules/$package"
  [ -f "$src/package.json" ] || { log "web/node_modules/$package is missing: is it in web/package.json?"; exit 1; }
  version="$(node -p 'require(process.argv[1]).version' "$src/package.json")"
  echo "$package@$version" >>"$STAGE/VERSIONS.txt"
  mkdir -p "$STAGE/$dir"
  for file in "${words[@]:2}"; do
    [ -f "$src/$file" ] || { log "$package@$version has no $file"; exit 1; }
    cp "$src/$file" "$STAGE/$dir/${file##*/}"
  done
done

if [ -d "$OUT" ] && diff -r -q "$STAGE" "$OUT" >/dev/null 2>&1; then
  exit 0
fi
mkdir -p "$(dirname "$OUT")"
rm -rf "$OUT"
mv "$STAGE" "$OUT"
chmod -R u=rwX,go=rX "$OUT"
log "assets/vendor: $(paste -sd ' ' "$OUT/VERSIONS.txt")"
