#!/usr/bin/env bash
# The main job on the bundled default: compile the bundled tiny Qwen2-VL
# checkpoint (real transformers format, RANDOM weights: the text is gibberish,
# but the tokens are exactly transformers' greedy tokens) and describe the
# bundled photo with it, then tell a story with TinyStories-656K (real trained
# weights). Point --model at a real checkpoint directory or .vlmc for real
# answers.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${VLMC_BUILD_DIR:-build}
export VLMC_CACHE_DIR=${VLMC_CACHE_DIR:-$build_dir/cache}

echo "== vlm-generate: tiny Qwen2-VL (random weights) on test/data/images/chelsea.png"
"$build_dir/bin/vlm-generate" --model test/data/qwen2vl-tiny \
  --prompt "Describe this image." --image test/data/images/chelsea.png --max-tokens 16
echo
echo "== vlm-generate: TinyStories-656K (real weights)"
"$build_dir/bin/vlm-generate" --model test/data/tinystories-656k \
  --prompt "Once upon a time" --max-tokens 64
