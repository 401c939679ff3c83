#!/usr/bin/env bash
# First frame, measured as a reader sees it: start a program in a detached
# 120x40 tmux window and poll the pane until its first frame's text appears.
# Prints the median over N runs beside the same measurement of `head` on a
# file (the floor: the cost of tmux, a process start and a screen of text),
# and of any other Markdown reader installed (mdcat, mdt/md-tui, frogmouth).
#
#   benches/first_frame.sh            # N=21, release binary built if needed
#   N=51 benches/first_frame.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-21}
command -v tmux >/dev/null || { echo "tmux is needed (apt-get install tmux)" >&2; exit 2; }
[ -x target/release/nnbook ] || cargo build --release --quiet
BIN=$PWD/target/release/nnbook
SAMPLE=$PWD/content/p1-cnn.md
SESSION=nnbook-first-frame-$$
# Its own tmux server (-L), started afresh for every run (so every program
# pays the same server start), and other tmux users on the machine do not
# interfere.
trap 'tmux -L "$SESSION" kill-server 2>/dev/null; true' EXIT

now_us() { date +%s%6N; }

# measure NAME MARKER COMMAND: median microseconds until MARKER is on screen.
measure() {
    local name=$1 marker=$2 cmd=$3 times=()
    for _ in $(seq "$N"); do
        local start end
        start=$(now_us)
        tmux -L "$SESSION" new-session -d -s "$SESSION" -x 120 -y 40 "$cmd"
        until tmux -L "$SESSION" capture-pane -p -t "$SESSION" 2>/dev/null | grep -qF -- "$marker"; do sleep 0.002; done
        end=$(now_us)
        times+=($((end - start)))
        tmux -L "$SESSION" kill-server 2>/dev/null || true
        sleep 0.05
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '%-28s %8.1f ms  (median of %d)\n' "$name" "$(echo "$median / 1000" | bc -l)" "$N"
}

echo "first frame in a 120x40 tmux, $(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
measure "head -20 (floor)" "Convolutional" "head -20 $SAMPLE; sleep 30"
measure "nnbook (embedded notebook)" "Contents" "$BIN"
measure "nnbook --content (folder)" "Contents" "$BIN --content $PWD/content"
if command -v mdcat >/dev/null; then measure "mdcat p1" "Convolutional" "mdcat $SAMPLE; sleep 30"; fi
if command -v mdt >/dev/null; then measure "md-tui p1" "Convolutional" "mdt $SAMPLE"; fi
if command -v frogmouth >/dev/null; then measure "frogmouth p1" "Convolutional" "frogmouth $SAMPLE"; fi
