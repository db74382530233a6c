#!/usr/bin/env bash
# Prefill and decode through the inference engine (serve's Generation: chunked prefill over a KV cache, greedy decode)
# for a random 4-layer d=256 byte-level LLaMA, one JVM per prompt length so each row's peak RSS (VmHWM) is its own.
# Writes the generated part of docs/benchmarks/generate.md (between the bench_generate.sh markers; the text around
# them is kept). Run on an otherwise idle machine: ./tools/bench_generate.sh
#   tools/bench_generate.sh 1024 4096     only these prompt lengths
#   OUT=/tmp/g.md  NEW=64  CHUNK=512  MODEL=DIR (reuse a model with max_position_embeddings >= 131072 + NEW)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-docs/benchmarks/generate.md}
new=${NEW:-64}
chunk=${CHUNK:-512}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1024 4096 16384 32768 65536 131072)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=${MODEL:-$work/model}
maxpos=$((131072 + new))
if [ -z "${MODEL:-}" ]; then
  ./pose init-model --out "$model" --layers 4 --hidden 256 --heads 8 --max-pos "$maxpos" --seed 0 >&2
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s)
rows=()
for n in "${sizes[@]}"; do
  echo "bench_generate: $n prompt tokens..." >&2
  rows+=("$(./pose bench-generate --model "$model" --prompt-tokens "$n" --new-tokens "$new" --prefill-chunk "$chunk")")
  echo "  ${rows[-1]}" >&2
done
minutes=$(( ($(date +%s) - start + 59) / 60 ))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "<!-- bench_generate.sh: begin (generated; rerun tools/bench_generate.sh to replace) -->"
  echo "4 layers, d=256, 8 heads = 8 KV heads (head_dim 32), SwiGLU 688, vocab 259 (3.3 M parameters), float32,"
  echo "default RoPE, max_position_embeddings $maxpos (\`./pose init-model --layers 4 --hidden 256 --heads 8"
  echo "--max-pos $maxpos\`). Per row, one JVM: an untimed warm-up generation (1024 prompt tokens, 4 new), then a random"
  echo "byte prompt (BOS first) and $new greedy tokens with EOS ignored, through \`InferenceEngine.prepareGeneration\` and"
  echo "\`Generation.run\` exactly as inference-service runs a request: prefill chunk $chunk (the service's"
  echo "\`posemesh.inference.prefill-chunk\`), KV cache preallocated for prompt + $new tokens, fused attention (SDPA)."
  echo "Timings are the ones the service's \`Final\` message reports: prefill tok/s = prompt tokens / (KV cache"
  echo "allocation + all prefill chunks); time to first token from admission; decode tok/s = the $((new - 1)) tokens after the"
  echo "first / their time. KV cache MB = 2 · layers · kv_heads · head_dim · 4 B · (prompt + $new) tokens. Peak RSS is the"
  echo "whole JVM process (VmHWM): JVM heap, libtorch, weights, KV cache and the chunks' work space."
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB RAM, $(uname -m); libtorch 2.7.1 CPU; $(date -u +%Y-%m-%d);"
  echo "load average (1/5/15 min) $load_before before, $load_after after; $minutes min in all."
  echo "Command: \`./tools/bench_generate.sh\` (rows: \`./pose bench-generate --model DIR --prompt-tokens N"
  echo "--new-tokens $new --prefill-chunk $chunk\`)."
  echo
  echo "| prompt tokens | prefill s | prefill tok/s | time to first token s | decode tok/s | KV cache MB | peak RSS MB |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo "<!-- bench_generate.sh: end -->"
} > "$work/table.md"

if [ -f "$out" ] && grep -q '^<!-- bench_generate.sh: begin' "$out"; then
  awk -v table="$work/table.md" '
    /^<!-- bench_generate.sh: begin/ { while ((getline l < table) > 0) print l; skip = 1; next }
    /^<!-- bench_generate.sh: end/ { skip = 0; next }
    !skip' "$out" > "$work/doc.md"
else
  { echo "# Generation: prefill and decode through the inference engine"; echo; cat "$work/table.md"; } > "$work/doc.md"
fi
mkdir -p "$(dirname "$out")"
cp "$work/doc.md" "$out"
cat "$out"
