#!/usr/bin/env bash
# Runs on the GPU machine, from gpu-bundle/ (scripts/gpu-bundle.sh bench):
#   ours   vlm-bench on Qwen2-VL-2B-shaped artifacts (synthetic weights) in
#          bf16, affine-4, nvfp4 -qa and mxfp8 -qa, with and without CUDA
#          graphs, a per-kernel profile of each, bf16 with a 1280x720 image
#          (vision encoder and image prefill), bf16 without vlm-fuse-ops
#          (--no-fusion), and TinyStories-656K
#   sampled  greedy vs sampled decoding (temperature, top-p, top-k, penalty)
#   fast   peer_fast_decode.py: a torch.compile static-cache decoder, bf16
#          and int4, same prompt and generation lengths
#   hf     peer_bench.py: copy bandwidth, cuBLAS at the same layer shapes,
#          transformers eager decode (and its static-cache compile)
# Output (few files: the device returns at most 8) in $OUT or
# /tmp/vlmc-gpu-bench: ours.jsonl, profiles.txt, the peers' logs and JSON.
#   scripts/gpu-bench.sh [ours] [sampled] [fast] [hf]  (default: ours fast hf)
set -uo pipefail
cd "$(dirname "$0")/.."
[[ $# -gt 0 ]] || set -- ours fast hf
source scripts/gpu-unpack.sh
bin=gpu-bundle/bin
art=gpu-bundle/artifacts
logs=${OUT:-/tmp/vlmc-gpu-bench}
mkdir -p "$logs"
export VLMC_CACHE_DIR=${VLMC_CACHE_DIR:-/tmp/vlmc-cache}
prompt=${VLMC_BENCH_PROMPT:-512}
gen=${VLMC_BENCH_GEN:-256}
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader | tee "$logs/gpu.txt"

bench() { # label args... : one JSON line, labelled, into ours.jsonl
  local label=$1; shift
  local line
  if line=$("$bin/vlm-bench" "$@" --json 2>&1); then
    echo "{\"label\":\"$label\",${line#\{}" | tee -a "$logs/ours.jsonl"
  else
    echo "FAILED $label: $line" | tee -a "$logs/ours.jsonl"
  fi
}

for what in "$@"; do
  case $what in
  ours)
    for mode in bf16 affine4 nvfp4-qa mxfp8-qa; do
      a=$art/qwen2-vl-2b.$mode.cuda.vlmc
      start=$(date +%s)
      bench "2b-$mode" --model "$a" --prompt-tokens "$prompt" --gen-tokens "$gen" --repeats 3
      echo "  (load, warm-up and 3 runs: $(( $(date +%s) - start )) s)"
      bench "2b-$mode-eager" --model "$a" --prompt-tokens "$prompt" --gen-tokens "$gen" --repeats 1 --no-cuda-graphs
      { echo "== qwen2-vl-2b $mode"; "$bin/vlm-bench" --model "$a" --prompt-tokens "$prompt" \
          --gen-tokens 32 --repeats 1 --profile --top 14; } >> "$logs/profiles.txt" 2>&1
    done
    a=$art/qwen2-vl-2b.bf16.cuda.vlmc
    bench "2b-bf16-image" --model "$a" --image 1280x720 --prompt-tokens 64 --gen-tokens 64 --repeats 3
    a=$art/qwen2-vl-2b.bf16-unfused.cuda.vlmc
    [[ -f $a ]] && bench "2b-bf16-unfused" --model "$a" --prompt-tokens "$prompt" --gen-tokens "$gen" --repeats 3
    a=$art/tinystories-656k.cuda.vlmc
    bench tinystories --model "$a" --prompt-tokens 32 --gen-tokens 256
    bench tinystories-eager --model "$a" --prompt-tokens 32 --gen-tokens 256 --no-cuda-graphs
    ;;
  sampled)
    # Decoding with the Sample kernel (MLX-VLM-style settings) next to greedy.
    for mode in bf16 affine4; do
      a=$art/qwen2-vl-2b.$mode.cuda.vlmc
      bench "2b-$mode" --model "$a" --prompt-tokens "$prompt" --gen-tokens "$gen" --repeats 3
      bench "2b-$mode-sampled" --model "$a" --prompt-tokens "$prompt" --gen-tokens "$gen" \
        --repeats 3 --temperature 0.7 --top-p 0.9 --top-k 50 --repetition-penalty 1.1
      bench "2b-$mode-sampled-top-p" --model "$a" --prompt-tokens "$prompt" --gen-tokens "$gen" \
        --repeats 3 --temperature 0.7 --top-p 0.9
    done
    ;;
  fast)
    echo "== peer_fast_decode.py (torch.compile static-cache decode, prompt $prompt, gen $gen)"
    timeout "${VLMC_PEER_TIMEOUT:-420}" python3 gpu-bundle/peers/peer_fast_decode.py --out "$logs" \
      --prompt "$prompt" --gen "$gen" > "$logs/peer_fast_decode.log" 2>&1 || echo "peer_fast_decode FAILED ($?)"
    tail -n 15 "$logs/peer_fast_decode.log"
    ;;
  hf)
    echo "== peer_bench.py (copy bandwidth, cuBLAS at the layer shapes, transformers decode)"
    timeout "${VLMC_PEER_TIMEOUT:-420}" python3 gpu-bundle/peers/peer_bench.py --out "$logs" \
      > "$logs/peer_bench.log" 2>&1 || echo "peer_bench FAILED ($?)"
    tail -n 45 "$logs/peer_bench.log"
    ;;
  *) echo "unknown part '$what' (ours, fast or hf)"; exit 2 ;;
  esac
done
