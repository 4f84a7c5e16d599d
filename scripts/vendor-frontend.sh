#!/usr/bin/env bash
# Refreshes the dashboard's third-party files from the npm registry at the
# pinned versions below, with their licences, into
# components/dashboard/vendor/. `spin build` never fetches anything: the
# files are committed, and this script is how they change.
set -euo pipefail

VAZIRMATN=33.0.3
UPLOT=1.6.32

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/components/dashboard/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "vazirmatn@$VAZIRMATN" "uplot@$UPLOT" >/dev/null
mkdir vazirmatn uplot
tar xzf "vazirmatn-$VAZIRMATN.tgz" -C vazirmatn
tar xzf "uplot-$UPLOT.tgz" -C uplot

mkdir -p "$vendor/vazirmatn" "$vendor/uplot"
# The static Regular and Bold weights of the main build (Persian, Arabic
# and Latin); the dashboard uses no other weight.
cp vazirmatn/package/fonts/webfonts/Vazirmatn-Regular.woff2 "$vendor/vazirmatn/"
cp vazirmatn/package/fonts/webfonts/Vazirmatn-Bold.woff2 "$vendor/vazirmatn/"
cp vazirmatn/package/OFL.txt "$vendor/vazirmatn/OFL.txt"
# uPlot's browser build (a global `uPlot`) and its stylesheet.
cp uplot/package/dist/uPlot.iife.min.js uplot/package/dist/uPlot.min.css "$vendor/uplot/"
cp uplot/package/LICENSE "$vendor/uplot/LICENSE"

cd "$vendor"
for f in vazirmatn/* uplot/*; do
    printf '%-34s %8d bytes, gzip -9 %8d\n' "$f" "$(wc -c <"$f")" "$(gzip -9c "$f" | wc -c)"
done
