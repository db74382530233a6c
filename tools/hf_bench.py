"""The HF transformers side of tools/bench_vs_hf.sh: the same checkpoint, the same work, measured the way
posemesh's own commands measure it. Prints one JSON object. Tools only: never on posemesh's runtime path.

  python tools/hf_bench.py generate --model DIR --prompt-tokens N [--new-tokens 64]
      {"prompt_tokens", "prefill_tok_per_s", "decode_tok_per_s"}: prefill = one forward of the prompt without a
      cache (logits of the last position only); decode = (greedy generate of N+1 tokens - generate of 1) / N, after
      a warm-up (1024 tokens, 4 new), random byte ids with BOS first as `./pose bench-generate` does
  python tools/hf_bench.py train --model DIR [--batch 8] [--seq 256] [--steps 20]
      {"tokens_per_s", "losses"}: AdamW (lr 1e-4, betas 0.9/0.999, eps 1e-8), global-norm clip 1.0, one micro-batch
      per step, the first 2 steps untimed
"""
import argparse
import json
import os
import time

import torch
from transformers import LlamaForCausalLM


def load(model_dir):
    torch.set_num_threads(int(os.environ.get("THREADS", os.cpu_count())))
    m = LlamaForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32, attn_implementation="sdpa")
    return m


def prompt(m, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, min(256, m.config.vocab_size), (1, n), generator=g)
    if m.config.bos_token_id is not None:
        ids[0, 0] = m.config.bos_token_id
    return ids


def generate(args):
    m = load(args.model).eval()
    with torch.inference_mode():
        w = prompt(m, min(1024, args.prompt_tokens))
        m.generate(w, max_new_tokens=4, min_new_tokens=4, do_sample=False)
        ids = prompt(m, args.prompt_tokens)
        t0 = time.perf_counter()
        m(ids, use_cache=False, logits_to_keep=1)
        prefill = time.perf_counter() - t0
        t0 = time.perf_counter()
        m.generate(ids, max_new_tokens=1, min_new_tokens=1, do_sample=False)
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        m.generate(ids, max_new_tokens=args.new_tokens + 1, min_new_tokens=args.new_tokens + 1, do_sample=False)
        many = time.perf_counter() - t0
    print(json.dumps({
        "prompt_tokens": args.prompt_tokens,
        "prefill_tok_per_s": args.prompt_tokens / prefill,
        "decode_tok_per_s": args.new_tokens / (many - one),
    }))


def train(args):
    m = load(args.model).train()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    g = torch.Generator().manual_seed(0)
    losses = []
    timed = 0.0
    for step in range(args.steps):
        ids = torch.randint(0, min(256, m.config.vocab_size), (args.batch, args.seq), generator=g)
        t0 = time.perf_counter()
        loss = m(ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        dt = time.perf_counter() - t0
        losses.append(loss.item())
        if step >= 2:
            timed += dt
    print(json.dumps({
        "tokens_per_s": (args.steps - 2) * args.batch * args.seq / timed,
        "losses": losses,
    }))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--model", required=True)
    g.add_argument("--prompt-tokens", type=int, required=True)
    g.add_argument("--new-tokens", type=int, default=64)
    t = sub.add_parser("train")
    t.add_argument("--model", required=True)
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--seq", type=int, default=256)
    t.add_argument("--steps", type=int, default=20)
    a = p.parse_args()
    generate(a) if a.what == "generate" else train(a)


if __name__ == "__main__":
    main()
