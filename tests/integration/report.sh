#!/usr/bin/env bash
# The HTML replay report renders in a real browser: headless Chromium dumps the DOM (the
# expected elements exist) and takes a screenshot that is not blank. Chromium is a test
# dependency (Makefile PACKAGES), so its absence is a failure, not a skip.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "FAIL: chromium is not installed (make deps installs it)"; exit 1; }

"$LUASCALE" replay "$SRC/examples/whatif/config.json" --trace "$SRC/examples/traces/azure_llm_conv_requests_per_second.csv" \
  --policy "$SRC/policies/hpa.lua" --policy "$SRC/examples/quickstart/llm.lua" \
  --report "$work/report.html" --report-title 'What-if <LLM> & friends' --quiet >"$work/summary"
expect "replay --report exits 0" test $? -eq 0
expect "the report was written" test -s "$work/report.html"
expect "no scripts" bash -c "! grep -qi '<script' '$work/report.html'"
expect "no external resources" bash -c "! grep -Eqi '(src|href)=\"(https?:)?//|@import|url\\(' '$work/report.html'"
expect "the title is escaped" grep -q 'What-if &lt;LLM&gt; &amp; friends' "$work/report.html"

# Chromium as root needs --no-sandbox; a private profile keeps it off $HOME.
browse() {
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
    --user-data-dir="$work/profile" --window-size=1100,1600 "$@" "file://$work/report.html" 2>>"$work/chromium.log"
}
browse --dump-dom >"$work/dom.html"
expect "chromium dumped the DOM" test -s "$work/dom.html"
count() { grep -o "$1" "$work/dom.html" | wc -l; }
expect "one comparison table" test "$(count '<table class="comparison">')" -eq 1
expect "a column per policy" test "$(count '<th><a href="#policy-')" -eq 2
expect "a section per policy" test "$(count '<section class="policy"')" -eq 2
expect "demand charts" test "$(count '<svg class="chart demand-chart"')" -eq 2
expect "replica charts" test "$(count '<svg class="chart replicas-chart"')" -eq 2
expect "scale-event strips" test "$(count '<svg class="chart strip"')" -eq 2
expect "replica lines" test "$(count '<path class="replicas" d="M')" -eq 2
expect "node lines (nodes are simulated)" test "$(count '<path class="nodes" d="M')" -eq 2
expect "under-provisioned bands" test "$(count '<rect class="under"')" -ge 2
expect "scale events" test "$(count '<line class="scale-event')" -ge 10

browse --screenshot="$work/shot.png" >/dev/null
expect "chromium wrote a screenshot" test -s "$work/shot.png"
# Decode the PNG (zlib, filters) and measure it: mostly white page, but a real share of ink and
# of colour (the chart lines and bands), not a blank or an all-grey error page.
stats=$(python3 - "$work/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, b''
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
ink = colour = 0
i = 0
for y in range(h):
    f = raw[i]; i += 1
    line = bytearray(raw[i:i + stride]); i += stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        if r < 235 or g < 235 or bl < 235: ink += 1
        if max(r, g, bl) - min(r, g, bl) > 60: colour += 1
    prev = line
print(w, h, ink, colour)
PY
)
echo "screenshot: width height ink-pixels colour-pixels = $stats"
read -r w h ink colour <<<"$stats"
expect "the screenshot has the window's size" test "${w:-0}" -eq 1100
expect "the screenshot is not blank (>= 3% ink)" test "${ink:-0}" -ge $((w * h * 3 / 100))
expect "the screenshot is not all ink (<= 60%)" test "${ink:-0}" -le $((w * h * 60 / 100))
expect "the charts are drawn in colour (>= 0.5%)" test "${colour:-0}" -ge $((w * h / 200))
[ "$fail" -eq 0 ] || { echo "--- chromium log"; tail -n 20 "$work/chromium.log"; }
exit "$fail"
