#!/usr/bin/env bash
# Copy the compiled front-end files from node_modules/ (installed by `npm ci`) into static/vendor/, which is
# git-ignored: USWDS's dist (css, fonts, img, js) is served as our static files, never from a CDN, and
# axe-core's axe.min.js is injected by the browser tests only.
set -euo pipefail
cd "$(dirname "$0")/.."

uswds=node_modules/@uswds/uswds/dist
axe=node_modules/axe-core/axe.min.js
for needed in "$uswds/css/uswds.min.css" "$uswds/js/uswds.min.js" "$axe"; do
    [[ -f $needed ]] || { echo "vendor-static: $needed is missing; run 'npm ci' first" >&2; exit 1; }
done

# Build beside the target and swap, so a running server never sees a half-copied folder for long.
rm -rf static/vendor/.uswds.new
mkdir -p static/vendor/.uswds.new static/vendor/axe
for part in css fonts img js; do
    cp -R "$uswds/$part" static/vendor/.uswds.new/
done
rm -rf static/vendor/uswds
mv static/vendor/.uswds.new static/vendor/uswds
cp "$axe" static/vendor/axe/axe.min.js
echo "vendor-static: USWDS $(node -p 'require("./node_modules/@uswds/uswds/package.json").version') and axe-core $(node -p 'require("./node_modules/axe-core/package.json").version') copied into static/vendor/"
