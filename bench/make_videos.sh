#!/bin/bash
# Writes N videos of a phone's size to DIR for timing `clipsearch index` on videos (videos/s,
# frames/s; bench/RESULTS.md, "Indexing videos"): 1280x720, 30 fps, H.264 (yuv420p, x264
# preset medium, a keyframe every 2 s as phones write them), SECONDS long (default 10), each from
# another of FFmpeg's generated sources so that no two are alike. Nothing is downloaded.
#
#   bench/make_videos.sh N DIR [SECONDS]
set -euo pipefail
n=${1:?usage: make_videos.sh N DIR [SECONDS]}
dir=${2:?usage: make_videos.sh N DIR [SECONDS]}
seconds=${3:-10}
mkdir -p "$dir"
sources=(
  "testsrc2=s=1280x720:r=30"
  "mandelbrot=s=1280x720:r=30"
  "life=s=1280x720:r=30:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00"
  "cellauto=s=1280x720:r=30:rule=110"
  "smptehdbars=s=1280x720:r=30"
  "rgbtestsrc=s=1280x720:r=30"
)
for ((i = 0; i < n; i++)); do
  src=${sources[i % ${#sources[@]}]}
  # A hue turn per video: the same source twice still gives two different videos.
  ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "$src" -t "$seconds" \
    -vf "hue=h=$((i * 37 % 360))" -c:v libx264 -preset medium -g 60 -pix_fmt yuv420p \
    "$dir/video_$(printf %04d "$i").mp4"
done
echo "wrote $n videos of $seconds s (1280x720, 30 fps, H.264) to $dir"
