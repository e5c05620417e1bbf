#!/usr/bin/env bash
# Render the weekly report's HTML for the demo team in headless Chromium and save a PNG,
# so a reviewer can see what the email looks like. Needs Debian's chromium package
# (apt-get install chromium). Usage: scripts/screenshot-report.sh [OUT.png] [TODAY]
set -euo pipefail
out=${1:-docs/weekly-report.png}
today=${2:-2027-01-11}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "screenshot-report: no chromium found; install it with: apt-get install chromium" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pmsync --today "$today" demo --demo-db "$work/demo.db" > /dev/null
pmsync --db "$work/demo.db" --today "$today" weekly-report --format html > "$work/report.html"
mkdir -p "$(dirname "$out")"
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars --window-size=1100,3300 \
  --screenshot="$(realpath -m "$out")" "file://$work/report.html" 2> "$work/chromium.log" \
  || { cat "$work/chromium.log" >&2; exit 1; }
echo "saved $out"
