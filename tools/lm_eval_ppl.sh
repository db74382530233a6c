#!/usr/bin/env bash
# lm-evaluation-harness' perplexity next to `./pose eval ppl`, on the same text and the same served model.
#
#   tools/lm_eval_ppl.sh [MODEL_DIR] [TEXT.txt]        (defaults: models/tiny-base, the evaluation tests' held-out text)
#
# 1. Installs lm-eval (0.4.13, from the machine's pip mirror) into a venv ($VENV, default .pose/lm-eval-venv): it is
#    never on posemesh's runtime path. Its missing optional dependencies (evaluate, rouge-score, sqlitedict,
#    word2number, pytablewriter are not on the mirror) are not needed for this task: lm-eval is installed --no-deps.
# 2. Serves MODEL_DIR with `./pose serve` (gRPC $GRPC_PORT, HTTP $HTTP_PORT; 9082/8082) unless a service already
#    answers there.
# 3. Runs lm-eval's `local-completions` model unmodified against http://127.0.0.1:$HTTP_PORT/v1/completions
#    (tokenizer_backend=huggingface with MODEL_DIR as tokenizer, tokenized_requests, max_length = the model's window
#    M) on a loglikelihood_rolling task over (a) the text's paragraphs, one document each, and (b) the whole text as
#    one document; and `./pose eval ppl --endpoint` on the same documents.
#
# Comparable settings (see docs/benchmarks/lm-eval-ppl.md): lm-eval with max_length M scores a document in disjoint
# blocks of M - 2 tokens; the first block is conditioned on BOS (prefix token), every later one on the single token
# before it. The seed protocol with W = M - 1 and stride W - 1 makes the same blocks, but starts every window with
# BOS. So for documents of at most M - 2 tokens both score BOS + the document in one window and must agree (compare
# token-level perplexity, exp(-sum loglikelihood / tokens)); for longer documents they differ by the context of
# each later window's tokens.
#
# Env: POSE (the CLI command, default ./pose), VENV, WORK (default .pose/lm-eval), GRPC_PORT, HTTP_PORT, PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=${1:-models/tiny-base}
TEXT=${2:-evaluation/src/test/resources/heldout.txt}
POSE=${POSE:-./pose}
VENV=${VENV:-.pose/lm-eval-venv}
WORK=${WORK:-.pose/lm-eval}
GRPC_PORT=${GRPC_PORT:-9082}
HTTP_PORT=${HTTP_PORT:-8082}
PYTHON=${PYTHON:-python3}
NAME=$(basename "$(cd "$MODEL" && pwd)")

[ -f "$MODEL/config.json" ] || { echo "lm_eval_ppl.sh: $MODEL/config.json: no such file" >&2; exit 2; }
[ -f "$TEXT" ] || { echo "lm_eval_ppl.sh: $TEXT: no such file" >&2; exit 2; }
mkdir -p "$WORK"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import lm_eval, transformers, datasets' 2>/dev/null; then
    echo "== installing lm-eval into $VENV" >&2
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --retries 0 --no-deps lm-eval==0.4.13
    "$VENV/bin/pip" install -q --retries 0 datasets jinja2 sacrebleu scikit-learn more_itertools dill tqdm \
        transformers tokenizers aiohttp tenacity requests
fi
PY="$VENV/bin/python"
M=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["max_position_embeddings"])' "$MODEL/config.json")

"$PY" tools/lm_eval_ppl.py --paragraphs "$TEXT" --out "$WORK/paragraphs.jsonl"
"$PY" -c 'import json,sys; print(json.dumps({"id": "whole", "text": open(sys.argv[1], encoding="utf-8").read().strip()}))' \
    "$TEXT" >"$WORK/whole.jsonl"

SERVER=""
cleanup() { if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi; }
trap cleanup EXIT
if ! curl -sf "http://127.0.0.1:$HTTP_PORT/v1/models" >/dev/null 2>&1; then
    echo "== serving $MODEL as $NAME (gRPC $GRPC_PORT, HTTP $HTTP_PORT)" >&2
    $POSE serve --model "$NAME=$MODEL" --grpc-port "$GRPC_PORT" --http-port "$HTTP_PORT" >"$WORK/serve.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 120); do
        curl -sf "http://127.0.0.1:$HTTP_PORT/q/health/ready" >/dev/null 2>&1 && break
        kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
        sleep 1
    done
    curl -sf "http://127.0.0.1:$HTTP_PORT/q/health/ready" >/dev/null || { echo "service not ready" >&2; exit 1; }
fi

lmeval() { # JSONL OUT
    "$PY" tools/lm_eval_ppl.py --data "$1" --tokenizer "$MODEL" --model-name "$NAME" --max-length "$M" \
        --base-url "http://127.0.0.1:$HTTP_PORT/v1/completions" 2>"$2.log" | tail -1 >"$2"
}
pose_ppl() { # OUT ARGS...
    local out=$1
    shift
    $POSE eval ppl --endpoint "127.0.0.1:$GRPC_PORT" --model-name "$NAME" --docs 100000 --min-tokens 2 --json "$@" \
        2>"$out.log" >"$out"
}

echo "== lm-eval, max_length $M: paragraphs, whole text" >&2
lmeval "$WORK/paragraphs.jsonl" "$WORK/lm-eval-paragraphs.json"
lmeval "$WORK/whole.jsonl" "$WORK/lm-eval-whole.json"
echo "== ./pose eval ppl --endpoint: paragraphs (W = M - 1, one window each), whole text (stride W - 1, and W / 2)" >&2
pose_ppl "$WORK/pose-paragraphs.json" --data "$WORK/paragraphs.jsonl" --lengths $((M - 1)) --truncate \
    --max-tokens $((M - 1))
pose_ppl "$WORK/pose-whole-disjoint.json" --data "$WORK/whole.jsonl" --lengths $((M - 1)) --stride $((M - 2)) \
    --max-tokens 1000000000
pose_ppl "$WORK/pose-whole-half.json" --data "$WORK/whole.jsonl" --lengths $((M - 1)) --max-tokens 1000000000

"$PY" - "$WORK" "$M" <<'PYEOF'
import json, sys
w, m = sys.argv[1], int(sys.argv[2])
j = lambda f: json.load(open(f"{w}/{f}"))
rows = [
    ("paragraphs", "lm-eval local-completions, max_length %d" % m, j("lm-eval-paragraphs.json")),
    ("paragraphs", "pose eval ppl, W %d, --truncate (one window each)" % (m - 1), j("pose-paragraphs.json")),
    ("whole text", "lm-eval local-completions, max_length %d" % m, j("lm-eval-whole.json")),
    ("whole text", "pose eval ppl, W %d, stride %d (disjoint)" % (m - 1, m - 2), j("pose-whole-disjoint.json")),
    ("whole text", "pose eval ppl, W %d, stride W/2 (default)" % (m - 1), j("pose-whole-half.json")),
]
print("| documents | run | docs | tokens | token perplexity |")
print("|---|---|---|---|---|")
for data, run, r in rows:
    if "results" in r:
        x = r["results"][0]
        print(f"| {data} | {run} | {x['docs']} | {x['scored_tokens']} | {x['ppl']:.6f} |")
    else:
        print(f"| {data} | {run} | {r['docs']} | {r['tokens']} | {r['token_ppl']:.6f} |")
a, b = j("lm-eval-paragraphs.json"), j("pose-paragraphs.json")["results"][0]
print(f"\nparagraphs: relative difference {abs(a['token_ppl'] - b['ppl']) / b['ppl']:.2e} "
      f"(tokens {a['tokens']} vs {b['scored_tokens']}); lm-eval word_perplexity {a['word_perplexity']:.4f}, "
      f"byte_perplexity {a['byte_perplexity']:.6f}, bits_per_byte {a['bits_per_byte']:.6f}")
PYEOF
