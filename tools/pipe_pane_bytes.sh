#!/usr/bin/env bash
# The bytes samterm writes per action, as issue #14 counts them: `samterm edit IMAGE` in a
# detached 200x60 tmux pane, recorded with `tmux pipe-pane -o 'cat > FILE'` from its first byte,
# each action measured as the recording's growth between idle screens.
#
#   tools/pipe_pane_bytes.sh [SAMTERM [CHECKPOINT [IMAGE]]]
#
# Defaults: .build/release/samterm, the tiny fixture model, Resources/samples/astronaut.jpg.
# Actions: first frame (startup until idle), foreground click (Space), cursor move (l),
# background click (x, after that move). Renderers are forced: kitty goes through tmux's
# passthrough (allow-passthrough on), sixel is written though tmux 3.3a drops it; the bytes
# are what samterm writes either way. Sessions go to a scratch folder, so none is restored
# (or left beside the image). Prints a Markdown table.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
samterm=$(realpath "${1:-$root/.build/release/samterm}")
checkpoint=$(realpath "${2:-$root/Tests/Fixtures/sam2/tiny_sam2.1.pt}")
image=$(realpath "${3:-$root/Resources/samples/astronaut.jpg}")
[ -x "$samterm" ] || { echo "no samterm at $samterm: swift build -c release first" >&2; exit 2; }
[ -f "$checkpoint" ] || { echo "no checkpoint at $checkpoint" >&2; exit 2; }
[ -f "$image" ] || { echo "no image at $image" >&2; exit 2; }
command -v tmux >/dev/null || { echo "tmux is missing" >&2; exit 2; }

work=$(mktemp -d /tmp/pipe-pane-bytes.XXXXXX)
socket="pipe-bytes-$$"
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

t() { tmux -L "$socket" "$@"; }

size() { stat -c %s "$work/pane.bytes" 2>/dev/null || echo 0; }

# Waits until the recording has grown past $1, the screen shows no background work (and
# matches $2, a grep pattern, when given), and nothing more is written for a second; prints
# the recording's size.
wait_idle() {
    local previous=$1 pattern=${2:-} last=-1 stable=0 now screen
    for _ in $(seq 1 3000); do
        now=$(size)
        if [ "$now" != "$last" ]; then last=$now; stable=0; else stable=$((stable + 1)); fi
        if [ "$now" -gt "$previous" ] && [ "$stable" -ge 10 ]; then
            screen=$(t capture-pane -p -t bytes)
            if ! grep -qE 'loading model|encoding|preparing image|predicting' <<<"$screen" \
                && { [ -z "$pattern" ] || grep -qE "$pattern" <<<"$screen"; }; then
                echo "$now"
                return
            fi
        fi
        sleep 0.1
    done
    echo "timed out; the screen:" >&2
    t capture-pane -p -t bytes >&2
    exit 1
}

# One renderer's row: first frame, foreground click, background click, cursor move.
measure() {
    local renderer=$1
    rm -rf "$work/run" && mkdir -p "$work/run"
    t kill-server 2>/dev/null || true
    t -f /dev/null new-session -d -s bytes -x 200 -y 60 \
        "cd '$work/run' && while [ ! -e go ]; do sleep 0.05; done; env LC_ALL=C.UTF-8 XDG_CACHE_HOME='$work/run/cache' \
'$samterm' edit '$image' --checkpoint '$checkpoint' --device cpu --renderer $renderer --session-dir '$work/run'; sleep 600"
    t set-option -g allow-passthrough on
    t pipe-pane -o -t bytes "cat > '$work/pane.bytes'"
    touch "$work/run/go"
    local first click move background
    first=$(wait_idle 0 'no objects')
    t send-keys -t bytes Space
    click=$(wait_idle "$first" '\| [0-9]+ ms')
    t send-keys -t bytes l
    move=$(wait_idle "$click")
    t send-keys -t bytes x
    # The background click's latency replaces the first: wait for the refined mask's single score.
    background=$(wait_idle "$move" '\| [0-9]+ ms')
    t kill-server 2>/dev/null || true
    printf '| %s | %s B | %s B | %s B | %s B |\n' "$renderer" "$(group "$first")" "$(group $((click - first)))" \
        "$(group $((background - move)))" "$(group $((move - click)))"
}

# 1016962 -> 1,016,962
group() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }

echo "samterm edit $(basename "$image") with $(basename "$checkpoint"), 200x60 tmux $(tmux -V | cut -d' ' -f2), bytes from pipe-pane -o"
echo
echo "| renderer | first frame | foreground click | background click | cursor move |"
echo "|---|---|---|---|---|"
for renderer in kitty sixel truecolor 256; do
    measure "$renderer"
done
