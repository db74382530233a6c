#!/usr/bin/env bash
# posemesh next to HF transformers on this machine, same checkpoint, same work, in one run: prefill and greedy decode
# after 1k-32k-token prompts (`./pose bench-generate --json` vs tools/hf_bench.py generate) and training throughput
# (`./pose train --method none`, batch 8 x 256, AdamW vs tools/hf_bench.py train). Writes docs/benchmarks/vs-hf.md.
# Installs torch 2.13.0+cpu and transformers from the machine's pip mirror into a venv (.pose/bench-venv; tools only,
# never on the runtime path). Run on an otherwise idle machine: ./tools/bench_vs_hf.sh
#   tools/bench_vs_hf.sh 1024 4096        only these prompt lengths      OUT=/tmp/v.md  STEPS=20  NEW=64
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-docs/benchmarks/vs-hf.md}
new=${NEW:-64}
steps=${STEPS:-20}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1024 4096 16384 32768)
VENV=${VENV:-.pose/bench-venv}
PYTHON=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import torch, transformers' 2>/dev/null; then
  echo "bench_vs_hf: installing torch 2.13.0+cpu and transformers into $VENV..." >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --retries 0 torch==2.13.0+cpu transformers safetensors >&2
fi
versions=$("$VENV/bin/python" -c 'import torch, transformers; print(f"torch {torch.__version__}, transformers {transformers.__version__}")')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
maxpos=$((32768 + new + 1))
./pose init-model --out "$work/model" --layers 4 --hidden 256 --heads 8 --max-pos "$maxpos" --seed 0 >&2
# a corpus for the training rows: random lowercase text, every document longer than one 256-token window
"$VENV/bin/python" - "$work/train.jsonl" <<'PY'
import json, random, sys
r = random.Random(0)
with open(sys.argv[1], "w") as f:
    for d in range(64):
        text = "".join(r.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(4096))
        f.write(json.dumps({"id": f"d{d}", "text": text}) + "\n")
PY
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s)
field() { "$VENV/bin/python" -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }
rows=()
for n in "${sizes[@]}"; do
  echo "bench_vs_hf: $n prompt tokens..." >&2
  pm=$(./pose bench-generate --model "$work/model" --prompt-tokens "$n" --new-tokens "$new" --prefill-chunk 512 --json)
  hf=$("$VENV/bin/python" tools/hf_bench.py generate --model "$work/model" --prompt-tokens "$n" --new-tokens "$new")
  rows+=("$n $(echo "$hf" | field prefill_tok_per_s) $(echo "$pm" | field prefill_tok_per_s) $(echo "$hf" | field decode_tok_per_s) $(echo "$pm" | field decode_tok_per_s)")
  echo "  posemesh $pm" >&2
  echo "  hf       $hf" >&2
done
echo "bench_vs_hf: training, $steps steps of 8 x 256..." >&2
pm_train=$(./pose train --base "$work/model" --method none --rope none --train-len 256 --data "$work/train.jsonl" \
  --out "$work/run" --steps "$steps" --batch 8 --micro-batch 8 --lr 1e-4 --warmup 0 --held-out 0 \
  --checkpoint-every 0 2>/dev/null | sed -n 's/^throughput: .*s\/step, \([0-9,.]*\) tokens\/s.*/\1/p' | tr -d ,)
hf_train=$("$VENV/bin/python" tools/hf_bench.py train --model "$work/model" --steps "$steps" | field tokens_per_s)
minutes=$(( ($(date +%s) - start + 59) / 60 ))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
ratio() { "$VENV/bin/python" -c "print(f'{$2/$1:.2f}×')"; }
fmt() { "$VENV/bin/python" -c "print(f'{$1:,.0f}' if $1 >= 100 else f'{$1:.1f}')"; }
{
  echo "# posemesh vs HF transformers, same machine, same checkpoint"
  echo
  echo "<!-- bench_vs_hf.sh: generated; rerun tools/bench_vs_hf.sh to replace -->"
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))," \
    "load $load_before before and $load_after after, $minutes min: \`tools/bench_vs_hf.sh ${sizes[*]}\`."
  echo "Model: \`./pose init-model --layers 4 --hidden 256 --heads 8 --max-pos $maxpos --seed 0\` (4 layers, d=256,"
  echo "8 heads, SwiGLU 688, vocab 259, float32, random weights). HF: $versions, SDPA attention, all cores."
  echo "posemesh: \`./pose bench-generate --prefill-chunk 512 --new-tokens $new --json\` (the inference engine as the"
  echo "service runs it: chunked prefill over the KV cache, greedy decode) and \`./pose train --method none\` (batch 8,"
  echo "256-token inputs, AdamW, clip 1.0; its throughput line). HF: \`tools/hf_bench.py\` (prefill = one forward without a"
  echo "cache, logits of the last position; decode = (generate of $((new + 1)) − generate of 1) / $new; train = the same"
  echo "optimizer and clip, steps after the second)."
  echo
  echo "| work | HF tok/s | posemesh tok/s | posemesh / HF | goal (issue 12) |"
  echo "|---|---|---|---|---|"
  for r in "${rows[@]}"; do
    read -r n hfp pmp hfd pmd <<<"$r"
    echo "| prefill $n tokens | $(fmt "$hfp") | $(fmt "$pmp") | $(ratio "$hfp" "$pmp") | ≥ 1.1× |"
  done
  for r in "${rows[@]}"; do
    read -r n hfp pmp hfd pmd <<<"$r"
    echo "| greedy decode after $n tokens | $(fmt "$hfd") | $(fmt "$pmd") | $(ratio "$hfd" "$pmd") | ≥ 2× |"
  done
  echo "| training, batch 8 × 256, AdamW | $(fmt "$hf_train") | $(fmt "$pm_train") | $(ratio "$hf_train" "$pm_train") | ≥ 1.1× |"
} >"$out"
echo "bench_vs_hf: wrote $out" >&2
cat "$out"
