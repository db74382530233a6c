#!/usr/bin/env python3
"""Score random token sequences with HF transformers on a model directory, writing posemesh's parity format.

Used to prove that a directory *written by posemesh* loads in HF transformers as LlamaForCausalLM and gives the
same logprobs (fixture `model/src/test/resources/parity/posemesh-written-*`):

    ./pose init-model --out DIR ... && python3 tools/hf_score.py DIR --lengths 180 300

Writes DIR/expected.json: {"case", "sequences": [{"input_ids", "position_ids": null, "token_logprobs"}], ...}
token_logprobs[i] = ln p(ids[i+1] | ids[0..i]), float32 forward, log_softmax in float64. Also checks that
AutoTokenizer loads the directory's tokenizer and encodes text as BOS + UTF-8 bytes.
"""
import argparse
import json
import os

import torch
import transformers
from transformers import AutoTokenizer, LlamaForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--lengths", type=int, nargs="+", default=[180, 300])
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    model = LlamaForCausalLM.from_pretrained(args.dir, dtype=torch.float32, attn_implementation="eager").eval()
    seqs = []
    g = torch.Generator().manual_seed(args.seed)
    for n in args.lengths:
        ids = torch.randint(0, 256, (1, n), generator=g)
        ids[0, 0] = model.config.bos_token_id
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=False).logits
        lp = torch.log_softmax(logits[0, :-1].double(), dim=-1).gather(1, ids[0, 1:, None])[:, 0]
        seqs.append({"input_ids": ids[0].tolist(), "position_ids": None, "token_logprobs": lp.tolist()})
    text = "posemesh → HF: wörds\n"
    tok = AutoTokenizer.from_pretrained(args.dir)
    enc = tok(text)["input_ids"]
    assert enc == [model.config.bos_token_id] + list(text.encode("utf-8")), enc
    out = {
        "case": os.path.basename(os.path.normpath(args.dir)),
        "description": "written by ./pose init-model, loaded and scored by HF transformers",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "sequences": seqs,
        "tokenizer_check": {"text": text, "ids": enc},
    }
    with open(os.path.join(args.dir, "expected.json"), "w") as f:
        json.dump(out, f)
    print("wrote", os.path.join(args.dir, "expected.json"), "rope:", model.config.rope_parameters)


if __name__ == "__main__":
    main()
