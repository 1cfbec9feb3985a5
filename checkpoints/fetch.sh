#!/usr/bin/env bash
# Downloads one official checkpoint into checkpoints/, verified, never half-written.
# Usage: checkpoints/fetch.sh MODEL [SAMTERM_BINARY]
#   MODEL: sam2.1_hiera_tiny (default) | sam2.1_hiera_small | sam2.1_hiera_base_plus | sam2.1_hiera_large
#          sam2_hiera_tiny | sam2_hiera_small | sam2_hiera_base_plus | sam2_hiera_large
#          sam_vit_b | sam_vit_l | sam_vit_h
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
model=${1:-sam2.1_hiera_tiny}
samterm=${2:-}

sam21=https://dl.fbaipublicfiles.com/segment_anything_2/092824
sam20=https://dl.fbaipublicfiles.com/segment_anything_2/072824
sam1=https://dl.fbaipublicfiles.com/segment_anything

# model -> file name, URL, and the name `samterm inspect` must report
case "$model" in
  sam2.1_hiera_tiny)      file=sam2.1_hiera_tiny.pt;      url=$sam21/$file; expect=sam2.1_hiera_t ;;
  sam2.1_hiera_small)     file=sam2.1_hiera_small.pt;     url=$sam21/$file; expect=sam2.1_hiera_s ;;
  sam2.1_hiera_base_plus) file=sam2.1_hiera_base_plus.pt; url=$sam21/$file; expect=sam2.1_hiera_b+ ;;
  sam2.1_hiera_large)     file=sam2.1_hiera_large.pt;     url=$sam21/$file; expect=sam2.1_hiera_l ;;
  sam2_hiera_tiny)        file=sam2_hiera_tiny.pt;        url=$sam20/$file; expect=sam2_hiera_t ;;
  sam2_hiera_small)       file=sam2_hiera_small.pt;       url=$sam20/$file; expect=sam2_hiera_s ;;
  sam2_hiera_base_plus)   file=sam2_hiera_base_plus.pt;   url=$sam20/$file; expect=sam2_hiera_b+ ;;
  sam2_hiera_large)       file=sam2_hiera_large.pt;       url=$sam20/$file; expect=sam2_hiera_l ;;
  sam_vit_b)              file=sam_vit_b_01ec64.pth;      url=$sam1/$file;  expect=sam_vit_b ;;
  sam_vit_l)              file=sam_vit_l_0b3195.pth;      url=$sam1/$file;  expect=sam_vit_l ;;
  sam_vit_h)              file=sam_vit_h_4b8939.pth;      url=$sam1/$file;  expect=sam_vit_h ;;
  *) echo "fetch.sh: unknown MODEL '$model' (see checkpoints/README.md for the list)" >&2; exit 2 ;;
esac

target=$here/$file
by_hand="Place the file by hand: download $url on a machine with internet and copy it to $target"

if [ -f "$target" ]; then
  echo "checkpoints/$file is already here"
  exit 0
fi

partial=$target.part
trap 'rm -f "$partial"' EXIT
echo "Downloading $url"
if ! curl --fail --location --retry 2 --connect-timeout 15 --progress-bar -o "$partial" "$url"; then
  echo "fetch.sh: download of $url failed (no network, or the server refused). $by_hand" >&2
  exit 1
fi

digest=$(sha256sum "$partial" | cut -d' ' -f1)
pinned=$(awk -v f="$file" '$2 == f {print $1}' "$here/SHA256SUMS")
if [ -n "$pinned" ] && [ "$pinned" != "$digest" ]; then
  echo "fetch.sh: $file has SHA-256 $digest but checkpoints/SHA256SUMS expects $pinned: the download is corrupt or not the official file. $by_hand" >&2
  exit 1
fi

if [ -n "$samterm" ]; then
  found=$("$samterm" inspect "$partial" --json | sed -n 's/.*"model" *: *"\([^"]*\)".*/\1/p')
  if [ "$found" != "$expect" ]; then
    echo "fetch.sh: $file does not hold a $expect model (samterm inspect found '${found:-nothing}'). $by_hand" >&2
    exit 1
  fi
fi

mv "$partial" "$target"
trap - EXIT
echo "checkpoints/$file: SHA-256 $digest${pinned:+ (matches SHA256SUMS)}"
