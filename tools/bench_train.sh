#!/usr/bin/env bash
# The PoSE paper's Fig. 3 on this machine: time per optimizer step and peak memory of PoSE vs Full-length
# fine-tuning from the same base (Lc = 256) at 2x, 4x, 8x, 16x extension (Lt = 512 .. 4096). One JVM per row so the
# peak RSS belongs to that row. Writes docs/benchmarks/train-fig3.md. Run on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
steps=${STEPS:-4}
batch=${BATCH:-4}
./pose init-model --out "$work/base" --layers 4 --hidden 256 --heads 8 --max-pos 256 --seed 0 >/dev/null
# speed and memory do not depend on the text: long documents made of the repository's own sources
mkdir -p "$work/docs"
git ls-files '*.java' | sort | xargs cat > "$work/all.txt"
split -b 20000 -d -a 3 "$work/all.txt" "$work/docs/doc-"
for f in "$work"/docs/doc-*; do mv "$f" "$f.txt"; done
rows=()
for lt in 512 1024 2048 4096; do
  for method in pose full; do
    line=$(./pose train --base "$work/base" --method "$method" --rope linear --train-len 256 --target-len "$lt" \
      --steps "$steps" --batch "$batch" --micro-batch "$batch" --lr 1e-4 --warmup 0 --checkpoint-every 0 \
      --held-out 0 --data "$work/docs" --out "$work/out-$method-$lt" 2>/dev/null | grep '^throughput:')
    s_per_step=$(sed -E 's/throughput: ([0-9.]+) s\/step.*/\1/' <<<"$line")
    toks=$(sed -E 's/.*s\/step, ([0-9,]+) tokens\/s.*/\1/' <<<"$line")
    rss=$(sed -E 's/.*peak RSS ([0-9]+) MB.*/\1/' <<<"$line")
    rows+=("| $((lt / 256))x | $lt | $method | $([ "$method" = full ] && echo "$lt" || echo 256) | $s_per_step | $toks | $rss |")
  done
done
{
  echo "# Fig. 3 on this machine: PoSE vs Full-length fine-tuning cost"
  echo
  echo "Base: random 4-layer d=256 byte-level LLaMA (3.3 M parameters), Lc = 256, Linear PI to Lt. Batch $batch"
  echo "sequences per step (no accumulation), $steps steps, float32, fused SDPA attention. s/step is the mean over"
  echo "the run (includes the first step's warm-up); peak RSS is the whole JVM (VmHWM), including data loading."
  echo "PoSE trains on Lc-token inputs whatever Lt is; Full-length on Lt-token inputs."
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB RAM; libtorch 2.7.1 CPU; $(date -u +%Y-%m-%d)."
  echo "Command: \`./tools/bench_train.sh\` (env STEPS, BATCH)."
  echo
  echo "| extension | Lt | method | input tokens | s/step | tokens/s | peak RSS MB |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > docs/benchmarks/train-fig3.md
cat docs/benchmarks/train-fig3.md
