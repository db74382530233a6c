#!/usr/bin/env python3
"""lm-evaluation-harness' rolling loglikelihood over a local JSONL, through an OpenAI-compatible /v1/completions.

Runs lm-eval's `local-completions` model unmodified (tokenized requests, the model directory's tokenizer.json via
transformers) on a task built here from the JSONL ({"id", "text"} per line; `output_type: loglikelihood_rolling`,
word/byte perplexity and bits per byte), and prints one JSON object: lm-eval's metrics plus the token-level
perplexity exp(-sum(loglikelihood) / tokens), where tokens are the documents' tokens as lm-eval encodes them (no
special tokens) -- the quantity `./pose eval ppl` reports as `ppl` over `scored_tokens`.

Also: `--paragraphs TXT --out JSONL` writes a text file's blank-line-separated paragraphs as such a JSONL.

Used by tools/lm_eval_ppl.sh; never on posemesh's runtime path.
"""
import argparse
import json
import math
import os
import sys
import tempfile


def paragraphs(txt, out):
    with open(txt, encoding="utf-8") as f:
        parts = [p.strip() for p in f.read().split("\n\n")]
    with open(out, "w", encoding="utf-8") as f:
        for i, p in enumerate(x for x in parts if x):
            f.write(json.dumps({"id": f"p{i}", "text": p}) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paragraphs", help="write this .txt's paragraphs to --out as JSONL and exit")
    ap.add_argument("--out")
    ap.add_argument("--data", help="JSONL with a 'text' field")
    ap.add_argument("--base-url", default="http://127.0.0.1:8082/v1/completions")
    ap.add_argument("--tokenizer", help="the model directory (tokenizer.json, tokenizer_config.json)")
    ap.add_argument("--model-name", default="", help="the served model's name ('' = the only one)")
    ap.add_argument("--max-length", type=int, required=False, help="lm-eval's max_length (the model's window)")
    a = ap.parse_args()
    if a.paragraphs:
        paragraphs(a.paragraphs, a.out)
        return
    for need in ("data", "tokenizer", "max_length"):
        if getattr(a, need) is None:
            ap.error(f"--{need.replace('_', '-')} is required")

    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import lm_eval
    from lm_eval.tasks import TaskManager
    from transformers import AutoTokenizer

    with tempfile.TemporaryDirectory() as tasks:
        with open(os.path.join(tasks, "posemesh_ppl.yaml"), "w") as f:
            f.write(
                "task: posemesh_ppl\n"
                "dataset_path: json\n"
                "dataset_kwargs:\n"
                "  data_files:\n"
                f"    test: {json.dumps(os.path.abspath(a.data))}\n"
                "test_split: test\n"
                "output_type: loglikelihood_rolling\n"
                'doc_to_text: ""\n'
                'doc_to_target: "{{text}}"\n'
                "metric_list:\n"
                "  - metric: word_perplexity\n"
                "  - metric: byte_perplexity\n"
                "  - metric: bits_per_byte\n"
            )
        out = lm_eval.simple_evaluate(
            model="local-completions",
            model_args={
                "model": a.model_name,
                "base_url": a.base_url,
                "tokenizer_backend": "huggingface",
                "tokenizer": os.path.abspath(a.tokenizer),
                "tokenized_requests": True,
                "max_length": a.max_length,
                "num_concurrent": 1,
                "max_retries": 1,
            },
            tasks=["posemesh_ppl"],
            task_manager=TaskManager(include_path=tasks),
            batch_size=1,
            log_samples=True,
        )
    tok = AutoTokenizer.from_pretrained(os.path.abspath(a.tokenizer))
    ll = 0.0
    tokens = 0
    for s in out["samples"]["posemesh_ppl"]:
        (text,) = s["arguments"][0]  # the string lm-eval scored
        ll += s["filtered_resps"][0] if not isinstance(s["filtered_resps"][0], list) else s["filtered_resps"][0][0]
        tokens += len(tok(text, add_special_tokens=False).input_ids)
    r = out["results"]["posemesh_ppl"]
    print(
        json.dumps(
            {
                "lm_eval_version": lm_eval.__version__ if hasattr(lm_eval, "__version__") else "?",
                "max_length": a.max_length,
                "docs": len(out["samples"]["posemesh_ppl"]),
                "tokens": tokens,
                "loglikelihood_sum": ll,
                "token_ppl": math.exp(-ll / tokens),
                "word_perplexity": r.get("word_perplexity,none"),
                "byte_perplexity": r.get("byte_perplexity,none"),
                "bits_per_byte": r.get("bits_per_byte,none"),
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
