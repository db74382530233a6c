#!/usr/bin/env python3
"""Trains the small byte-level BPE tokenizer.json of posemesh's tiny base model (offline reference tooling; the
product only reads the file). Digits are split one per token, so a number of any value is as many tokens as digits
and copying it is token-by-token; byte-level BPE means every string is encodable (no unknown token).

    python3 tools/train_tokenizer.py --data .pose/data/general.jsonl --vocab 2048 --out models/tiny-bpe/tokenizer.json

Special tokens: <s> (BOS, id 0, prepended by the post-processor), </s> (EOS, id 1), <pad> (id 2).
"""
import argparse
import json

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers


def texts(path, limit_chars):
    seen = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)["text"]
            yield t
            seen += len(t)
            if seen >= limit_chars:
                return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="JSONL corpus with a text field (the general training family)")
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--chars", type=int, default=20_000_000, help="train on at most this many characters")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=a.vocab, special_tokens=["<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts(a.data, a.chars), trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 0)])
    tok.save(a.out)
    sample = "The pass key is 71432. Remember it."
    enc = tok.encode(sample)
    print(f"vocab {tok.get_vocab_size()}; {sample!r} -> {len(enc.ids)} tokens {enc.tokens}")


if __name__ == "__main__":
    main()
