#!/bin/bash
# Seeds for video_fuzz, made by the ffmpeg CLI at test time (never committed): tiny videos of
# every container the indexer reads, each prefixed by the option byte the target reads first.
set -euo pipefail
out=$1
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ff=(ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i testsrc2=s=32x24:r=5 -t 2)
"${ff[@]}" -c:v libx264 -g 3 -pix_fmt yuv420p "$tmp/a.mp4"
"${ff[@]}" -c:v libx264 -pix_fmt yuv420p "$tmp/a.mov"
"${ff[@]}" -c:v libx264 -pix_fmt yuv420p -f matroska "$tmp/a.mkv"
"${ff[@]}" -c:v libvpx-vp9 -b:v 50k "$tmp/a.webm"
"${ff[@]}" -c:v mpeg4 "$tmp/a.avi"
"${ff[@]}" -c:v mjpeg -f matroska "$tmp/b.mkv"
ffmpeg -hide_banner -loglevel error -nostdin -y -i "$tmp/a.mp4" -c copy \
  -metadata:s:v:0 rotate=90 "$tmp/rotated.mp4"
i=0
for f in "$tmp"/*; do
  for sel in 00 02 0f; do
    { printf "\\x$sel"; cat "$f"; } > "$out/seed_${i}_$sel"
  done
  i=$((i + 1))
done
