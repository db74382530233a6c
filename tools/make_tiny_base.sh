#!/usr/bin/env bash
# Pre-trains posemesh's tiny base with posemesh's own trainer, the way it was made: a 4-layer d=256
# LLaMA (4.2 M parameters) with a 2048-token digit-split BPE, at a 256-token window, on the `general` corpus family
# with synthetic retrieval windows mixed in. ≈2 h on 2 idle CPU cores. Needs `./pose data fetch --family general`.
#
#   ./tools/make_tiny_base.sh [WORK_DIR]        # default WORK_DIR: .pose/tiny-base
#
# Stage 1 (text + 50% retrieval windows, batch 32) is stopped after its checkpoint at step 500, as it was
# (its LR schedule is that of a 1500-step run). Stage 2 (only retrieval windows: facts and verbatim repeats over
# corpus filler, batch 8 — many small steps) is where copying ("induction") appears, between steps 1250 and 1750.
# Stage 3 continues it with the two verbatim-cue templates that state a value after "is" (added after stage 2 ran).
# Stage 4 is where retrieval generalises beyond the training templates (passkey within the window goes from 0/50 to
# most trials): half its windows are keyed values under phrases taken from the corpus, stated after a space or a
# line break, with distractors (the phrase mentioned again, another phrase with the same link and a word value,
# repetitive filler) — see RetrievalExamples.keyed. Stage 5 wins text modelling back (held-out perplexity 34.0 → 25.0)
# with a quarter of plain-text windows and half the learning rate, keeping in-window retrieval.
# Stages 1–3 ran with earlier versions of RetrievalExamples (stage 1 before the repeat-gap change of commit ab5bb80,
# stage 2 before the two verbatim-cue templates, all three before keyed windows and line-break leads, commit ad01b41),
# so a rerun of those stages with today's code sees different retrieval windows; stages 4 and 5 ran with today's code.
# Examples depend only on (seed, step), so a rerun of stages 4 and 5 sees the same data; float sums on another CPU may differ
# slightly.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="${1:-$ROOT/.pose/tiny-base}"
POSE="$ROOT/pose"
mkdir -p "$W"

[ -f "$W/tokenizer.json" ] || python3 "$ROOT/tools/train_tokenizer.py" --data "$ROOT/.pose/data/general.jsonl" \
    --vocab 2048 --out "$W/tokenizer.json"
[ -d "$W/init" ] || "$POSE" init-model --out "$W/init" --layers 4 --hidden 256 --heads 8 --max-pos 256 --seed 0 \
    --tokenizer "$W/tokenizer.json"

common=(--method none --rope none --train-len 256 --lr 1e-3 --warmup 10 --clip 1.0 --data general --held-out 0.02
        --save-dtype bfloat16)

if [ ! -d "$W/s1/checkpoint-000500" ]; then
  "$POSE" train --base "$W/init" "${common[@]}" --batch 32 --micro-batch 16 --seed 1 --retrieval-mix 0.5 \
      --steps 1500 --checkpoint-every 100 --out "$W/s1" &
  pid=$!
  until [ -d "$W/s1/checkpoint-000500" ] || ! kill -0 "$pid" 2>/dev/null; do sleep 5; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
fi

"$POSE" train --base "$W/s1/checkpoint-000500" "${common[@]}" --batch 8 --micro-batch 8 --seed 3 \
    --retrieval-mix 1.0 --steps 3000 --checkpoint-every 250 --out "$W/s2"

"$POSE" train --base "$W/s2/checkpoint-003000" "${common[@]}" --batch 8 --micro-batch 8 --seed 4 \
    --retrieval-mix 1.0 --steps 1500 --checkpoint-every 250 --out "$W/s3"

"$POSE" train --base "$W/s3/checkpoint-001500" "${common[@]}" --batch 8 --micro-batch 8 --seed 5 \
    --retrieval-mix 1.0 --steps 2500 --checkpoint-every 250 --out "$W/s4"

# (the common flags with --lr 5e-4 in place of 1e-3)
"$POSE" train --base "$W/s4/checkpoint-002500" "${common[@]/1e-3/5e-4}" --batch 8 --micro-batch 8 --seed 6 \
    --retrieval-mix 0.75 --steps 2500 --checkpoint-every 500 --out "$W/s5"

"$POSE" eval passkey --model "$W/s5/checkpoint-002500" --lengths 128,256 --trials 50
