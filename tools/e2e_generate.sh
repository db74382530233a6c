#!/usr/bin/env bash
# End to end: `./pose serve` (the real inference-service, in a child JVM) and `./pose generate` against it.
# Makes a tiny random model (max context 8192), serves it, then checks: greedy output is deterministic and the same
# whether the prompt goes whole (Generate) or in chunks (GenerateUpload); an unknown model is NOT_FOUND; an
# over-length prompt, small or uploaded (> 1 MiB), exits 2 with OUT_OF_RANGE and the ErrorInfo fields; Ctrl-C cancels
# a generation and the service frees its token budget at once; Ctrl-C on serve stops the service.
# Usage: tools/e2e_generate.sh   (GRPC_PORT / HTTP_PORT override the ports; KEEP=1 keeps the work directory)
set -euo pipefail
cd "$(dirname "$0")/.."
GRPC_PORT=${GRPC_PORT:-19582}
HTTP_PORT=${HTTP_PORT:-18582}
EP="localhost:$GRPC_PORT"
W=$(mktemp -d "${TMPDIR:-/tmp}/pose-e2e.XXXXXX")
SERVE=""

fail() { echo "e2e: FAIL: $*" >&2; exit 1; }
ok() { echo "e2e: ok: $*" >&2; }
cleanup() {
  if [ -n "$SERVE" ] && kill -0 "$SERVE" 2>/dev/null; then kill -INT "$SERVE" 2>/dev/null || true; wait "$SERVE" || true; fi
  if [ -n "${KEEP:-}" ]; then echo "e2e: work directory kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT

# gen NAME ARGS...: ./pose generate ARGS with stdout in $W/NAME.out, stderr in $W/NAME.err; its status in RC
gen() {
  local name="$1"; shift
  RC=0
  ./pose generate --endpoint "$EP" "$@" >"$W/$name.out" 2>"$W/$name.err" || RC=$?
}
# expect NAME STATUS TEXT...: the last gen exited STATUS and its stderr contains every TEXT
expect() {
  local name="$1" status="$2" t; shift 2
  [ "$RC" = "$status" ] || fail "$name: exit $RC, expected $status; stderr: $(cat "$W/$name.err")"
  for t in "$@"; do grep -qF -- "$t" "$W/$name.err" || fail "$name: stderr lacks '$t': $(cat "$W/$name.err")"; done
}

./pose init-model --out "$W/tiny" --layers 2 --hidden 64 --heads 4 --kv-heads 2 --max-pos 8192 \
  --rope-type linear --rope-factor 4 --seed 1 >/dev/null
./pose serve --help >/dev/null # builds inference-service first when its sources changed

set -m # job control: background jobs take SIGINT as a terminal's foreground job does (Ctrl-C)
./pose serve --model "$W/tiny" --grpc-port "$GRPC_PORT" --http-port "$HTTP_PORT" --token-budget 5000 \
  >"$W/serve.log" 2>&1 &
SERVE=$!
for _ in $(seq 1 120); do
  kill -0 "$SERVE" 2>/dev/null || fail "serve exited: $(tail -n 30 "$W/serve.log")"
  curl -sf "http://localhost:$HTTP_PORT/q/health/ready" >/dev/null 2>&1 && break
  sleep 1
done
curl -sf "http://localhost:$HTTP_PORT/q/health/ready" >/dev/null || fail "not ready after 120 s: $(tail -n 30 "$W/serve.log")"
CHILD=$(pgrep -P "$SERVE" | head -n 1 || true)
ok "serve is ready (gRPC $EP, service pid ${CHILD:-?})"

prompt="The quick brown fox" # byte-level: BOS + 19 bytes = 20 tokens
gen greedy --prompt "$prompt" --max-new-tokens 12 --temperature 0 --ignore-eos
expect greedy 0 "finish length: prompt 20 tokens, generated 12;" "prefill [" "decode"
gen greedy2 --model tiny --prompt "$prompt" --max-new-tokens 12 --temperature 0 --ignore-eos
expect greedy2 0 "finish length: prompt 20 tokens, generated 12;"
cmp -s "$W/greedy.out" "$W/greedy2.out" || fail "greedy output differs between two runs"
gen upload --prompt "$prompt" --max-new-tokens 12 --temperature 0 --ignore-eos --upload
expect upload 0 "uploading the prompt (19 bytes of text) in 1 chunk" "finish length: prompt 20 tokens, generated 12;"
cmp -s "$W/greedy.out" "$W/upload.out" || fail "GenerateUpload's output differs from Generate's"
ok "greedy: $(wc -c <"$W/greedy.out") bytes of text, the same twice and through GenerateUpload"

gen sampled --prompt "$prompt" --max-new-tokens 8 --temperature 0.8 --top-k 40 --top-p 0.9 --seed 7 --ignore-eos
expect sampled 0 "generated 8;"
gen sampled2 --prompt "$prompt" --max-new-tokens 8 --temperature 0.8 --top-k 40 --top-p 0.9 --seed 7 --ignore-eos
cmp -s "$W/sampled.out" "$W/sampled2.out" || fail "the same seed gave different samples"
ok "sampling with a seed is repeatable"

gen unknown --model nope --prompt "$prompt"
expect unknown 2 "pose generate: error: NOT_FOUND: " "reason MODEL_NOT_FOUND" "model=nope"
ok "unknown model: $(tail -n 1 "$W/unknown.err")"

long=$(head -c 9000 /dev/zero | tr '\0' a) # 9001 tokens > 8192
gen long --prompt "$long" --max-new-tokens 16
expect long 2 "pose generate: error: OUT_OF_RANGE: " "; reason CONTEXT_LENGTH_EXCEEDED " " prompt_tokens=9001" \
  " max_new_tokens=16" " max_context=8192"
ok "over-length: $(tail -n 1 "$W/long.err")"
# > 1 MiB goes up in chunks: 400,000 x '€' (3 bytes, 3 byte tokens each)
head -c 400000 /dev/zero | tr '\0' e | sed 's/e/€/g' | tr -d '\n' >"$W/huge.txt"
gen huge --prompt-file "$W/huge.txt" --max-new-tokens 16
expect huge 2 "uploading the prompt (1,200,000 bytes of text) in 5 chunks" "pose generate: error: OUT_OF_RANGE: " \
  "; reason CONTEXT_LENGTH_EXCEEDED " " prompt_tokens=1200001" " max_new_tokens=16" " max_context=8192"
ok "over-length upload: $(tail -n 1 "$W/huge.err")"
# a text the service stops reading early (it cuts an upload off once it has more characters than 64 x the context)
head -c 1200000 /dev/zero | tr '\0' b >"$W/giant.txt"
gen giant --prompt-file "$W/giant.txt" --max-new-tokens 16
expect giant 2 "uploading the prompt (1,200,000 bytes of text) in 5 chunks" "pose generate: error: OUT_OF_RANGE: " \
  "; reason CONTEXT_LENGTH_EXCEEDED " " max_context=8192" " prompt_tokens_is_lower_bound=true"
ok "over-length upload, cut off early: $(tail -n 1 "$W/giant.err")"

# Ctrl-C: 4,902 of the 5,000-token budget, cancelled while decoding; then a request for 102 more must be admitted
# and finish well before the cancelled one could have (it would decode for minutes)
./pose generate --endpoint "$EP" --prompt x --max-new-tokens 4900 --ignore-eos --temperature 0 \
  >"$W/cancel.out" 2>"$W/cancel.err" &
G=$!
for _ in $(seq 1 300); do grep -q "prefill" "$W/cancel.err" 2>/dev/null && break; sleep 0.1; done
sleep 1
kill -INT "$G"
RC=0; wait "$G" || RC=$?
[ "$RC" = 0 ] && fail "the 4,900-token generation ended before Ctrl-C; nothing was cancelled"
expect cancel 130 "cancelled after "
gen after --prompt x --max-new-tokens 100 --ignore-eos --temperature 0 --deadline 30
expect after 0 "generated 100;"
ok "Ctrl-C: $(tail -n 1 "$W/cancel.err"); the next request was admitted at once"

kill -INT -- "-$SERVE" # as Ctrl-C in a terminal: to the foreground job's process group (both JVMs)
RC=0; wait "$SERVE" || RC=$?
SERVE=""
[ -z "$CHILD" ] || ! kill -0 "$CHILD" 2>/dev/null || fail "the service (pid $CHILD) outlived ./pose serve"
curl -sf "http://localhost:$HTTP_PORT/q/health/live" >/dev/null 2>&1 && fail "the service still answers after Ctrl-C"
ok "Ctrl-C stopped ./pose serve (exit $RC) and the service"
echo "e2e: all checks passed" >&2
