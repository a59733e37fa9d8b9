#!/usr/bin/env bash
# Sourced by gpu-check.sh and gpu-bench.sh on the GPU machine: unpacks the
# xz-compressed artifacts and binaries of gpu-bundle/ (scripts/gpu-bundle.sh)
# in place, with Python's lzma (the machine may lack the xz tool).
while IFS= read -r -d '' packed; do
  python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as src, open(sys.argv[1][:-3], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$packed" && rm -f "$packed"
done < <(find gpu-bundle -name '*.xz' -print0)
chmod +x gpu-bundle/bin/* 2>/dev/null || true
