#!/usr/bin/env bash
# Forward-pass time and peak RSS of a random 4-layer d=256 byte-level LLaMA, one process per row (so VmHWM is that
# row's peak). Writes docs/benchmarks/forward.md. Run on an otherwise idle machine: ./tools/bench_forward.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/benchmarks/forward.md
rows=()
for spec in "1024 fused" "4096 fused" "16384 fused" "32768 fused" "1024 plain" "4096 plain"; do
  set -- $spec
  rows+=("$(./pose bench-forward --tokens "$1" --attention "$2" --repeat 2 2>/dev/null)")
done
{
  echo "# Forward pass: time and peak memory"
  echo
  echo "4 layers, d=256, 8 heads (head_dim 32), SwiGLU 688, vocab 259 (3.3 M parameters), float32, batch 1, one"
  echo "stateless forward over N tokens (final hidden states; no logits). Best of 2 runs. Peak RSS is the whole JVM"
  echo "process (VmHWM), including libtorch and the JVM heap. fused = torch SDPA via the generated TorchScript module;"
  echo "plain = materialised [T x T] scores per head."
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB RAM, $(uname -m); libtorch 2.7.1 CPU; $(date -u +%Y-%m-%d)."
  echo "Command: \`./tools/bench_forward.sh\` (rows: \`./pose bench-forward --tokens N --attention fused|plain\`)."
  echo
  echo "| tokens | attention | forward s | tokens/s | peak RSS MB |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$out"
cat "$out"
