#!/usr/bin/env python3
"""Generate HF-LLaMA parity fixtures for the Java (DJL) model implementation.

Run from the repository root (CPU only, no network, deterministic, ~10 s):

    python3 tools/make_parity_fixtures.py              # all cases
    python3 tools/make_parity_fixtures.py yarn llama3  # only the named cases

Requires transformers 5.18 and torch 2.13 (CPU build); `tokenizers` comes with
transformers. Nothing is downloaded: every model is built from a config here.

For every case in CASES this writes `model/src/test/resources/parity/<case>/`:

  * a complete HF checkpoint written by `save_pretrained` (config.json,
    generation_config.json, model.safetensors or sharded shards + index);
  * `expected.json` with the reference token log-probabilities.

`token_logprobs[i] = ln p(input_ids[i+1] | input_ids[0..i])` is computed by
`LlamaForCausalLM` loaded back from the written directory with
`from_pretrained(dir, dtype=torch.float32, attn_implementation="eager")`, so
bf16/f16 checkpoints are upcast exactly as a reader would. The forward pass runs
in float32; the float32 logits are then converted to float64 and
log_softmax/gather are done in float64. Every forward gets an explicit all-ones
attention mask and `use_cache=False` (see the PoSE note in tools/README.md for
why the explicit mask matters). Every sequence is scored by a freshly loaded
model, so the stateful "dynamic" RoPE cache cannot leak between sequences.

Checks (the script fails on any violation):
  * legacy-layout configs load back to the same rope parameters and produce
    exactly the same log-probs as the current layout they were derived from;
  * every non-default RoPE case differs from the same weights run with
    rope_type forced to "default" by > 1e-2 in at least one log-prob;
  * a few variant-specific sensitivity checks (yarn truncate, PoSE positions,
    dynamic short sequence == default, ...);
  * an independent float64 re-implementation of the RoPE formulas
    (`reference_inv_freq`, written out in tools/README.md) matches HF's
    inv_freq/attention_scaling and reproduces the log-probs to < 3e-5;
  * eager vs sdpa attention and float32 vs float64 agree well inside the 1e-4
    tolerance the Java tests use;
  * the byte-level tokenizer encodes/decodes as specified.

The output is byte-for-byte reproducible: weights are seeded per case, token ids
come from `random.Random(seed)`, torch runs single-threaded.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "model" / "src" / "test" / "resources" / "parity"

EXPECTED_TRANSFORMERS = "5.18.0"
EXPECTED_TORCH = "2.13.0"

# Byte-level vocabulary: ids 0..255 are the bytes, then three special tokens.
BOS_ID, EOS_ID, PAD_ID = 256, 257, 258
VOCAB_SIZE = 259

# Tiny model shared by all cases (cases override individual fields).
BASE_CONFIG = dict(
    vocab_size=VOCAB_SIZE,
    hidden_size=64,
    intermediate_size=176,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=4,
    hidden_act="silu",
    bos_token_id=BOS_ID,
    eos_token_id=EOS_ID,
    pad_token_id=PAD_ID,
    tie_word_embeddings=False,
    attention_bias=False,
    mlp_bias=False,
)

# Re-initialisation (the HF default std 0.02 gives near-uniform outputs, which
# would hide RoPE bugs). Chosen so attention is peaked and log-probs spread out
# (mean log-prob about -6.3 vs -5.56 for uniform, per-token range ~ -11..-1, and
# a wrong RoPE moves log-probs by > 1), while float32 rounding stays small:
# float32 vs float64 and eager vs sdpa agree to <= ~4e-6, 25x inside the Java
# tests' 1e-4. Larger stds (0.3) pushed float32 error to ~1e-4.
EMBED_STD = 1.0
TIED_EMBED_STD = 0.15  # a tied embedding is also the lm_head: std 1.0 would give logits of std ~8
PROJ_STD = 0.15  # q/k/v/o, gate/up, lm_head
DOWN_STD = 0.08  # down_proj (176 inputs)
BIAS_STD = 0.2
NORM_JITTER = 0.1  # RMSNorm weight = 1 + NORM_JITTER * N(0, 1)

SENSITIVITY_MIN = 1e-2  # required max |logprob(variant) - logprob(default rope)|
LEGACY_MAX_DIFF = 0.0  # legacy layout must reproduce the current layout exactly
SDPA_MAX_DIFF = 1e-5  # eager vs sdpa (float32)
F64_MAX_DIFF = 1e-5  # float32 forward vs float64 forward
REF_ROPE_MAX_DIFF = 3e-5  # independent reference RoPE (float64 angles) vs HF's float32 RoPE
SIZE_SOFT_LIMIT = 400 * 1024  # per case dir, warn only


@dataclass
class Case:
    name: str
    description: str
    config: dict  # overrides of BASE_CONFIG, incl. rope_parameters
    lengths: tuple[int, int]
    seed: int
    layout: str = "current"  # "current" | "legacy"
    legacy_type_key: str = "rope_type"  # key used inside legacy rope_scaling
    save_dtype: torch.dtype = torch.float32
    max_shard_size: int | str | None = None
    # position_ids per sequence (None = implicit 0..T-1)
    positions: tuple[list[int] | None, ...] = (None, None)
    tokenizer: bool = False
    # extra sensitivity checks: (label, rope_parameters patch, min max-diff)
    variant_checks: list[tuple[str, dict, float]] = field(default_factory=list)


def pose_positions(total: int, first_chunk: int, jump_to: int) -> list[int]:
    """PoSE-style skip-wise positions: [0..first_chunk-1] then [jump_to..]."""
    return list(range(first_chunk)) + list(range(jump_to, jump_to + total - first_chunk))


CASES: list[Case] = [
    Case(
        name="mha-tied-default",
        description="MHA 4/4 heads, tied embeddings (no lm_head tensor in the checkpoint), default RoPE "
        "theta 10000, max_position_embeddings 64 (sequences run past it; default RoPE does not care). "
        "Also carries the byte-level tokenizer.json fixture.",
        config=dict(num_key_value_heads=4, tie_word_embeddings=True, max_position_embeddings=64,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
        lengths=(200, 257),
        seed=1001,
        tokenizer=True,
    ),
    Case(
        name="gqa-untied-linear",
        description="GQA 4/2 heads, untied, linear RoPE factor 4, theta 50000, rms_norm_eps 1e-5. LEGACY "
        "config layout: top-level rope_theta + rope_scaling {\"type\": \"linear\", \"factor\": 4.0}, "
        "no head_dim, torch_dtype instead of dtype.",
        config=dict(num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-5,
                    rope_parameters={"rope_type": "linear", "factor": 4.0, "rope_theta": 50000.0}),
        lengths=(220, 300),
        seed=1002,
        layout="legacy",
        legacy_type_key="type",
    ),
    Case(
        name="gqa-dynamic",
        description="GQA 4/2 heads, dynamic NTK RoPE factor 2 (HF semantics: base rescaled with "
        "L = max(position_ids)+1 when L > max_position_embeddings=128). Sequence 0 is shorter than 128 "
        "(== default RoPE), sequence 1 is longer. LEGACY layout with rope_scaling {\"rope_type\": \"dynamic\"}.",
        config=dict(num_key_value_heads=2, max_position_embeddings=128,
                    rope_parameters={"rope_type": "dynamic", "factor": 2.0, "rope_theta": 10000.0}),
        lengths=(100, 310),
        seed=1003,
        layout="legacy",
        legacy_type_key="rope_type",
    ),
    Case(
        name="yarn",
        description="GQA 4/2 heads, YaRN factor 4, original_max_position_embeddings 32, "
        "max_position_embeddings 128, default betas (32/1), truncate default (true), attention_factor "
        "default (0.1*ln(4)+1), theta 20000, rms_norm_eps 1e-5.",
        config=dict(num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-5,
                    rope_parameters={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32,
                                     "rope_theta": 20000.0}),
        lengths=(240, 320),
        seed=1004,
        variant_checks=[("attention_factor_1.0", {"attention_factor": 1.0}, 1e-2)],
    ),
    Case(
        name="yarn-truncate-false-attn-factor",
        description="GQA 4/2 heads, YaRN factor 4, original_max_position_embeddings 64, "
        "max_position_embeddings 256, truncate false, attention_factor 1.3, beta_fast 16, beta_slow 2, "
        "theta 10000 (correction range high = 1.414 unrounded vs 2 rounded, so truncate matters).",
        config=dict(num_key_value_heads=2, max_position_embeddings=256,
                    rope_parameters={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64,
                                     "truncate": False, "attention_factor": 1.3, "beta_fast": 16.0,
                                     "beta_slow": 2.0, "rope_theta": 10000.0}),
        lengths=(230, 290),
        seed=1005,
        variant_checks=[("truncate_true", {"truncate": True}, 1e-3),
                        ("attention_factor_1.0", {"attention_factor": 1.0}, 1e-2)],
    ),
    Case(
        name="llama3",
        description="GQA 4/2 heads, llama3 RoPE factor 8, low_freq_factor 1, high_freq_factor 4, "
        "original_max_position_embeddings 64, max_position_embeddings 512, theta 500000. With head_dim 16 "
        "the 8 frequencies fall into all three bands (pair 0 high-freq kept, pair 1 smoothed, pairs 2..7 / 8).",
        config=dict(num_key_value_heads=2, max_position_embeddings=512,
                    rope_parameters={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 64,
                                     "rope_theta": 500000.0}),
        lengths=(260, 320),
        seed=1006,
    ),
    Case(
        name="bf16-gqa",
        description="GQA 4/2 heads, default RoPE, weights stored as bfloat16 (reference computed after "
        "exact upcast to float32).",
        config=dict(num_key_value_heads=2, max_position_embeddings=128,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
        lengths=(210, 280),
        seed=1007,
        save_dtype=torch.bfloat16,
    ),
    Case(
        name="sharded-f16",
        description="MHA 4/4 heads, default RoPE, weights stored as float16 and sharded "
        "(max_shard_size 100000 bytes) with model.safetensors.index.json.",
        config=dict(num_key_value_heads=4, max_position_embeddings=128,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
        lengths=(205, 270),
        seed=1008,
        save_dtype=torch.float16,
        max_shard_size=100_000,
    ),
    Case(
        name="head-dim-explicit",
        description="hidden 64, 4 heads, explicit head_dim 32 (!= 64/4; q_proj is 64->128, o_proj 128->64, "
        "attention scale 1/sqrt(32)), 2 kv heads, default RoPE theta 1e6, rms_norm_eps 1e-5.",
        config=dict(num_key_value_heads=2, head_dim=32, max_position_embeddings=128, rms_norm_eps=1e-5,
                    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
        lengths=(215, 300),
        seed=1009,
    ),
    Case(
        name="bias",
        description="GQA 4/2 heads, attention_bias true (q/k/v/o biases) and mlp_bias true "
        "(gate/up/down biases), default RoPE.",
        config=dict(num_key_value_heads=2, max_position_embeddings=128, attention_bias=True, mlp_bias=True,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
        lengths=(225, 260),
        seed=1010,
    ),
    Case(
        name="pose-positions",
        description="GQA 4/2 heads, linear RoPE factor 2 (current layout), max_position_embeddings 512. "
        "Sequences use explicit PoSE skip-wise position_ids: seq 0 = [0..47] + [300..379] (T=128), "
        "seq 1 = [0..63] + [200..295] (T=160). Full causal attention over all tokens (the jump is NOT a "
        "packed-sequence boundary).",
        config=dict(num_key_value_heads=2, max_position_embeddings=512,
                    rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0}),
        lengths=(128, 160),
        seed=1011,
        positions=(pose_positions(128, 48, 300), pose_positions(160, 64, 200)),
    ),
]


# --------------------------------------------------------------------------- model construction


def build_config(case: Case) -> LlamaConfig:
    kwargs = dict(BASE_CONFIG)
    kwargs.update(case.config)
    kwargs["rope_parameters"] = dict(kwargs["rope_parameters"])
    return LlamaConfig(**kwargs)


@torch.no_grad()
def reinit_weights(model: LlamaForCausalLM, seed: int) -> None:
    """Deterministic, deliberately 'loud' initialisation (see constants above)."""
    gen = torch.Generator().manual_seed(seed)
    for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):  # tied weights appear once
        if name.endswith("embed_tokens.weight"):
            std = TIED_EMBED_STD if model.config.tie_word_embeddings else EMBED_STD
        elif name.endswith("norm.weight"):
            p.copy_(1.0 + NORM_JITTER * torch.randn(p.shape, generator=gen))
            continue
        elif name.endswith(".bias"):
            std = BIAS_STD
        elif "down_proj" in name:
            std = DOWN_STD
        else:
            std = PROJ_STD
        p.copy_(std * torch.randn(p.shape, generator=gen))


def make_sequences(case: Case) -> list[dict]:
    rng = random.Random(case.seed)
    seqs = []
    for length, pos in zip(case.lengths, case.positions):
        ids = [BOS_ID] + [rng.randrange(256) for _ in range(length - 1)]
        if pos is not None:
            assert len(pos) == length and all(b > a for a, b in zip(pos, pos[1:])), "positions must increase"
        seqs.append({"input_ids": ids, "position_ids": pos})
    return seqs


# --------------------------------------------------------------------------- scoring


def load(model_dir: Path, config: LlamaConfig | None = None, attn: str = "eager") -> LlamaForCausalLM:
    kwargs = {"dtype": torch.float32, "attn_implementation": attn}
    if config is not None:
        kwargs["config"] = config
    model = LlamaForCausalLM.from_pretrained(model_dir, **kwargs)
    model.eval()
    return model


@torch.no_grad()
def token_logprobs(model: LlamaForCausalLM, seq: dict, explicit_mask: bool = True) -> list[float]:
    ids = torch.tensor([seq["input_ids"]], dtype=torch.long)
    pos = None if seq["position_ids"] is None else torch.tensor([seq["position_ids"]], dtype=torch.long)
    # Explicit all-ones mask: with attention_mask=None and no cache, HF 5.18 would treat a position jump as a
    # packed-sequence boundary and block attention across it (see tools/README.md).
    mask = torch.ones_like(ids) if explicit_mask else None
    logits = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=False).logits
    logp = torch.log_softmax(logits[0, :-1].to(torch.float64), dim=-1)
    return logp.gather(-1, ids[0, 1:, None]).squeeze(-1).tolist()


def score_all(model_dir: Path, seqs: list[dict], config_fn: Callable[[], LlamaConfig] | None = None,
              attn: str = "eager", float64: bool = False) -> list[list[float]]:
    """Score each sequence with a freshly loaded model (dynamic RoPE keeps state between calls)."""
    out = []
    for seq in seqs:
        model = load(model_dir, config_fn() if config_fn else None, attn)
        if float64:
            model = model.to(torch.float64)
        out.append(token_logprobs(model, seq))
    return out


def max_abs_diff(a: list[list[float]], b: list[list[float]]) -> float:
    return max(abs(x - y) for sa, sb in zip(a, b) for x, y in zip(sa, sb))


def per_seq_diff(a: list[list[float]], b: list[list[float]]) -> list[float]:
    return [max(abs(x - y) for x, y in zip(sa, sb)) for sa, sb in zip(a, b)]


def patched_rope_config(model_dir: Path, patch: dict, replace: bool = False) -> Callable[[], LlamaConfig]:
    """Config of model_dir with rope_parameters patched (or replaced) -- same weights."""

    def make() -> LlamaConfig:
        cfg = LlamaConfig.from_pretrained(model_dir)
        rp = {} if replace else {k: v for k, v in cfg.rope_parameters.items() if k != "type"}
        rp.update(patch)
        cfg.rope_parameters = rp
        return cfg

    return make


# --------------------------------------------------------------------------- independent RoPE reference


def resolve_rope(cfg: dict) -> dict:
    """How HF 5.18 resolves RoPE settings from a raw config.json dict (see tools/README.md)."""
    rp = dict(cfg.get("rope_scaling") or cfg.get("rope_parameters") or {})  # legacy rope_scaling wins if both
    rope_type = rp.get("rope_type", rp.get("type", "default"))
    out = dict(rp, rope_type=rope_type, rope_theta=float(rp.get("rope_theta", cfg.get("rope_theta", 10000.0))))
    out.pop("type", None)
    if rope_type in ("llama3", "yarn", "longrope"):
        # A top-level original_max_position_embeddings (Phi-3 style) overrides the one in rope_parameters.
        out["original_max_position_embeddings"] = cfg.get(
            "original_max_position_embeddings",
            rp.get("original_max_position_embeddings", cfg["max_position_embeddings"]))
    out["head_dim"] = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    out["max_position_embeddings"] = cfg["max_position_embeddings"]
    return out


def reference_inv_freq(rope: dict, seq_len: int) -> tuple[list[float], float]:
    """Float64 re-implementation of the HF 5.18 inverse frequencies and attention scaling.

    seq_len = max(position_ids) + 1 of the forward call (only 'dynamic' uses it).
    """
    dim = rope["head_dim"]
    theta = rope["rope_theta"]
    kind = rope["rope_type"]
    half = dim // 2
    base_inv = [theta ** (-2.0 * i / dim) for i in range(half)]
    if kind == "default":
        return base_inv, 1.0
    factor = rope.get("factor")
    if kind == "linear":
        return [f / factor for f in base_inv], 1.0
    if kind == "dynamic":
        max_pos = rope["max_position_embeddings"]
        length = max(seq_len, max_pos)
        base = theta * (factor * length / max_pos - (factor - 1)) ** (dim / (dim - 2))
        return [base ** (-2.0 * i / dim) for i in range(half)], 1.0
    if kind == "yarn":
        orig = rope["original_max_position_embeddings"]
        if factor is None:
            factor = rope["max_position_embeddings"] / orig
        attention_factor = rope.get("attention_factor")
        if attention_factor is None:
            mscale, mscale_all_dim = rope.get("mscale"), rope.get("mscale_all_dim")

            def get_mscale(scale: float, m: float = 1.0) -> float:
                return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

            if mscale and mscale_all_dim:
                attention_factor = get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
            else:
                attention_factor = get_mscale(factor)
        beta_fast = rope.get("beta_fast") or 32.0
        beta_slow = rope.get("beta_slow") or 1.0

        def correction_dim(rotations: float) -> float:  # pair index whose wavelength fits `rotations` times in orig
            return dim * math.log(orig / (rotations * 2 * math.pi)) / (2 * math.log(theta))

        low, high = correction_dim(beta_fast), correction_dim(beta_slow)
        if rope.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += 0.001
        inv = []
        for i in range(half):
            ramp = min(max((i - low) / (high - low), 0.0), 1.0)  # 0 -> keep (extrapolate), 1 -> divide by factor
            inv.append(base_inv[i] / factor * ramp + base_inv[i] * (1 - ramp))
        return inv, float(attention_factor)
    if kind == "llama3":
        orig = rope["original_max_position_embeddings"]
        lo, hi = rope["low_freq_factor"], rope["high_freq_factor"]
        low_freq_wavelen, high_freq_wavelen = orig / lo, orig / hi
        inv = []
        for f in base_inv:
            wavelen = 2 * math.pi / f
            if wavelen < high_freq_wavelen:
                inv.append(f)
            elif wavelen > low_freq_wavelen:
                inv.append(f / factor)
            else:
                smooth = (orig / wavelen - lo) / (hi - lo)
                inv.append((1 - smooth) * f / factor + smooth * f)
        return inv, 1.0
    raise ValueError(f"unsupported rope_type {kind}")


@torch.no_grad()
def hf_rope_state(model_dir: Path, seq: dict) -> tuple[list[float], float]:
    """inv_freq / attention_scaling HF actually used for this sequence (fresh model, one forward)."""
    model = load(model_dir)
    token_logprobs(model, seq)
    rot = model.model.rotary_emb
    return rot.inv_freq.tolist(), float(rot.attention_scaling)


def score_with_reference_rope(model_dir: Path, seqs: list[dict], float32_angles: bool) -> list[list[float]]:
    """Score with HF's RoPE module replaced by reference_inv_freq.

    float32_angles=False: inv_freq, angles, cos and sin all in float64.
    float32_angles=True: like HF, round inv_freq to float32 and form angle = fl32(inv_freq * position) in
    float32 before cos/sin (cos/sin themselves still evaluated in float64, then rounded).
    """
    rope = resolve_rope(json.loads((model_dir / "config.json").read_text()))
    out = []
    for seq in seqs:
        model = load(model_dir)
        pos = seq["position_ids"] or list(range(len(seq["input_ids"])))
        inv, scale = reference_inv_freq(rope, max(pos) + 1)
        dtype = torch.float32 if float32_angles else torch.float64
        angles = (torch.tensor(pos, dtype=dtype)[:, None] * torch.tensor(inv, dtype=dtype)[None, :]).double()
        emb = torch.cat((angles, angles), dim=-1)
        cos, sin = (emb.cos() * scale)[None], (emb.sin() * scale)[None]
        model.model.rotary_emb.forward = lambda x, position_ids, c=cos, s=sin: (c.to(x.dtype), s.to(x.dtype))
        out.append(token_logprobs(model, seq))
    return out


# --------------------------------------------------------------------------- config layouts


def rewrite_legacy(model_dir: Path, case: Case) -> dict:
    """Turn the saved (current layout) config.json into the pre-v5 layout."""
    path = model_dir / "config.json"
    cfg = json.loads(path.read_text())
    rope = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rope["rope_theta"]
    if rope["rope_type"] == "default":
        cfg["rope_scaling"] = None
    else:
        scaling = {case.legacy_type_key: rope["rope_type"]}
        scaling.update({k: v for k, v in rope.items() if k not in ("rope_type", "rope_theta")})
        cfg["rope_scaling"] = scaling
    # Older Llama configs have no head_dim (derived as hidden_size / num_attention_heads) and say torch_dtype.
    if cfg.get("head_dim") == cfg["hidden_size"] // cfg["num_attention_heads"]:
        del cfg["head_dim"]
    if "dtype" in cfg:
        cfg["torch_dtype"] = cfg.pop("dtype")
    path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    return cfg


# --------------------------------------------------------------------------- tokenizer fixture


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


TOKENIZER_TEXT = "Hello, wörld! 123\nnaïve café — 日本語\n\ttab 😀\n"


def write_tokenizer(model_dir: Path) -> dict:
    byte_chars = bytes_to_unicode()
    special = [("<s>", BOS_ID), ("</s>", EOS_ID), ("<pad>", PAD_ID)]
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for s, i in special
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                          "use_regex": False},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [BOS_ID], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {byte_chars[b]: b for b in range(256)},
            "merges": [],
        },
    }
    (model_dir / "tokenizer.json").write_text(json.dumps(tok, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tok_cfg = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "pad_token": "<pad>",
        "model_max_length": 4096,
        "clean_up_tokenization_spaces": False,
    }
    (model_dir / "tokenizer_config.json").write_text(json.dumps(tok_cfg, indent=2) + "\n")
    return verify_tokenizer(model_dir)


def verify_tokenizer(model_dir: Path) -> dict:
    from tokenizers import Tokenizer

    def expect(text: str) -> list[int]:
        return [BOS_ID] + list(text.encode("utf-8"))

    raw = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    fast = PreTrainedTokenizerFast(tokenizer_file=str(model_dir / "tokenizer.json"), bos_token="<s>",
                                   eos_token="</s>", pad_token="<pad>")
    for text in ("Hello, wörld! 123\n", TOKENIZER_TEXT, "  leading spaces\r\n\x00\xff"):
        want = expect(text)
        got_raw = raw.encode(text).ids
        got_fast = fast(text)["input_ids"]
        assert got_raw == want, f"tokenizers encode mismatch for {text!r}: {got_raw}"
        assert got_fast == want, f"PreTrainedTokenizerFast encode mismatch for {text!r}: {got_fast}"
        assert raw.decode(want) == text, raw.decode(want)  # skip_special_tokens defaults to True
        assert raw.decode(want[1:]) == text
        assert fast.decode(want, skip_special_tokens=True) == text
        assert fast.decode(want[1:]) == text
    assert raw.get_vocab_size(with_added_tokens=True) == VOCAB_SIZE
    for s, i in (("<s>", BOS_ID), ("</s>", EOS_ID), ("<pad>", PAD_ID)):
        assert raw.token_to_id(s) == i and fast.convert_tokens_to_ids(s) == i
    assert (fast.bos_token_id, fast.eos_token_id, fast.pad_token_id) == (BOS_ID, EOS_ID, PAD_ID)
    # Special tokens written literally in the text are recognised as single tokens.
    assert raw.encode("a</s>").ids == [BOS_ID, ord("a"), EOS_ID]
    # Loading the directory the way users do.
    auto = transformers.AutoTokenizer.from_pretrained(model_dir)
    assert auto(TOKENIZER_TEXT)["input_ids"] == expect(TOKENIZER_TEXT)
    return {"text": TOKENIZER_TEXT, "ids": expect(TOKENIZER_TEXT)}


# --------------------------------------------------------------------------- one case


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def generate_case(case: Case) -> dict:
    model_dir = OUT_DIR / case.name
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)

    config = build_config(case)
    torch.manual_seed(case.seed)  # HF init (overwritten below) must not depend on global RNG state either
    model = LlamaForCausalLM(config)
    reinit_weights(model, case.seed)
    model = model.to(case.save_dtype)
    save_kwargs = {}
    if case.max_shard_size is not None:
        save_kwargs["max_shard_size"] = case.max_shard_size
    model.save_pretrained(model_dir, **save_kwargs)
    del model

    seqs = make_sequences(case)
    checks: dict = {}
    logprobs = score_all(model_dir, seqs)
    rope = json.loads((model_dir / "config.json").read_text())["rope_parameters"]

    if case.layout == "legacy":
        current_rope = dict(rope)
        rewrite_legacy(model_dir, case)
        reloaded = LlamaConfig.from_pretrained(model_dir)
        got = {k: v for k, v in reloaded.rope_parameters.items() if k != "type"}
        assert got == current_rope, f"legacy config reloads as {got}, expected {current_rope}"
        assert reloaded.head_dim == config.head_dim
        legacy_logprobs = score_all(model_dir, seqs)
        diff = max_abs_diff(logprobs, legacy_logprobs)
        assert diff <= LEGACY_MAX_DIFF, f"legacy layout changes logprobs by {diff}"
        checks["legacy_vs_current_max_abs_diff"] = diff
        logprobs = legacy_logprobs

    # Sensitivity: same weights, rope forced to default.
    if rope["rope_type"] != "default":
        default_cfg = patched_rope_config(model_dir, {"rope_type": "default", "rope_theta": rope["rope_theta"]},
                                          replace=True)
        diffs = per_seq_diff(logprobs, score_all(model_dir, seqs, default_cfg))
        checks["vs_default_rope_max_abs_diff_per_seq"] = diffs
        assert max(diffs) > SENSITIVITY_MIN, f"{case.name}: not sensitive to rope variant ({diffs})"
        if rope["rope_type"] == "dynamic":
            # Below max_position_embeddings dynamic NTK is exactly the default RoPE.
            assert diffs[0] < 1e-6 and len(seqs[0]["input_ids"]) < config.max_position_embeddings, diffs
            assert len(seqs[1]["input_ids"]) > config.max_position_embeddings

    for label, patch, threshold in case.variant_checks:
        diffs = per_seq_diff(logprobs, score_all(model_dir, seqs, patched_rope_config(model_dir, patch)))
        checks[f"vs_{label}_max_abs_diff_per_seq"] = diffs
        assert max(diffs) > threshold, f"{case.name}: variant {label} indistinguishable ({diffs})"

    if any(s["position_ids"] is not None for s in seqs):
        contiguous = [dict(s, position_ids=None) for s in seqs]
        diffs = per_seq_diff(logprobs, score_all(model_dir, contiguous))
        checks["vs_contiguous_positions_max_abs_diff_per_seq"] = diffs
        assert min(diffs) > SENSITIVITY_MIN, f"{case.name}: position_ids have no effect ({diffs})"
        # What HF does without an explicit mask: the jump is taken as a packed-sequence boundary.
        packed = [token_logprobs(load(model_dir), s, explicit_mask=False) for s in seqs]
        diffs = per_seq_diff(logprobs, packed)
        checks["vs_hf_packed_sequence_mask_max_abs_diff_per_seq"] = diffs
        assert min(diffs) > SENSITIVITY_MIN

    # The documented semantics (reference_inv_freq, float64) must match what HF computes.
    rope_resolved = resolve_rope(json.loads((model_dir / "config.json").read_text()))
    hf_states = [hf_rope_state(model_dir, s) for s in seqs]
    for seq, (hf_inv, hf_scale) in zip(seqs, hf_states):
        pos = seq["position_ids"] or list(range(len(seq["input_ids"])))
        ref_inv, ref_scale = reference_inv_freq(rope_resolved, max(pos) + 1)
        assert abs(ref_scale - hf_scale) < 1e-12, (ref_scale, hf_scale)
        rel = max(abs(a - b) / b for a, b in zip(hf_inv, ref_inv))
        assert rel < 1e-6, f"{case.name}: reference inv_freq differs from HF by rel {rel}: {hf_inv} vs {ref_inv}"
    ref_rope = max_abs_diff(logprobs, score_with_reference_rope(model_dir, seqs, float32_angles=False))
    ref_rope32 = max_abs_diff(logprobs, score_with_reference_rope(model_dir, seqs, float32_angles=True))
    checks["float64_reference_rope_vs_hf_max_abs_diff"] = ref_rope
    checks["reference_rope_float32_angles_vs_hf_max_abs_diff"] = ref_rope32
    assert ref_rope < REF_ROPE_MAX_DIFF, f"{case.name}: float64 reference RoPE changes logprobs by {ref_rope}"
    assert ref_rope32 < REF_ROPE_MAX_DIFF, f"{case.name}: reference RoPE changes logprobs by {ref_rope32}"

    # Numerical headroom for the 1e-4 tolerance.
    sdpa = max_abs_diff(logprobs, score_all(model_dir, seqs, attn="sdpa"))
    f64 = max_abs_diff(logprobs, score_all(model_dir, seqs, float64=True))
    checks["eager_vs_sdpa_max_abs_diff"] = sdpa
    checks["float32_vs_float64_max_abs_diff"] = f64
    assert sdpa < SDPA_MAX_DIFF, f"{case.name}: eager vs sdpa differ by {sdpa}"
    assert f64 < F64_MAX_DIFF, f"{case.name}: float32 vs float64 differ by {f64}"

    flat = [x for lp in logprobs for x in lp]
    checks["logprob_mean"] = sum(flat) / len(flat)
    checks["logprob_min"] = min(flat)
    checks["logprob_max"] = max(flat)

    tokenizer_check = write_tokenizer(model_dir) if case.tokenizer else None

    # File layout checks.
    files = sorted(p.name for p in model_dir.iterdir())
    if case.max_shard_size is not None:
        shards = [f for f in files if f.startswith("model-") and f.endswith(".safetensors")]
        assert len(shards) >= 3 and "model.safetensors.index.json" in files, files
    else:
        assert "model.safetensors" in files, files
    assert "generation_config.json" in files, files

    expected = {
        "case": case.name,
        "description": case.description,
        "transformers": transformers.__version__,
        "torch": torch.__version__.split("+")[0],
        "config_layout": case.layout,
        "weights_dtype": str(case.save_dtype).replace("torch.", ""),
        "logprob_computation": "float32 forward (eager attention, explicit all-ones attention_mask, "
        "use_cache=False, fresh model per sequence), logits upcast to float64, log_softmax in float64",
        "sequences": [dict(s, token_logprobs=lp) for s, lp in zip(seqs, logprobs)],
        # What HF's rotary module used (float32 values), per sequence: for unit-testing RoPE alone.
        "rope_reference": {
            "rope_type": rope_resolved["rope_type"],
            "attention_scaling": hf_states[0][1],
            "inv_freq_per_sequence": [inv for inv, _ in hf_states],
        },
        "checks": checks,
    }
    if tokenizer_check is not None:
        expected["tokenizer_check"] = tokenizer_check
    for s, lp in zip(seqs, logprobs):
        assert len(lp) == len(s["input_ids"]) - 1 and all(math.isfinite(x) for x in lp)
    (model_dir / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    return {"case": case.name, "size": dir_size(model_dir), "files": files, "checks": checks}


def main() -> int:
    if transformers.__version__ != EXPECTED_TRANSFORMERS or not torch.__version__.startswith(EXPECTED_TORCH):
        print(f"WARNING: expected transformers {EXPECTED_TRANSFORMERS} / torch {EXPECTED_TORCH}, got "
              f"{transformers.__version__} / {torch.__version__}", file=sys.stderr)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)  # keeps float32 reductions (and thus the fixtures) reproducible

    only = set(sys.argv[1:])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    known = {c.name for c in CASES}
    for entry in OUT_DIR.iterdir():
        if entry.name not in known:
            print(f"note: {entry} is not produced by this script (left alone)")

    total = 0
    for case in CASES:
        if only and case.name not in only:
            continue
        r = generate_case(case)
        total += r["size"]
        c = r["checks"]
        flag = "  (over soft limit)" if r["size"] > SIZE_SOFT_LIMIT else ""
        print(f"{r['case']:34s} {r['size'] / 1024:7.1f} KiB{flag}  files={r['files']}")
        for k, v in c.items():
            if isinstance(v, list):
                v = "[" + ", ".join(f"{x:.4g}" for x in v) + "]"
            elif isinstance(v, float):
                v = f"{v:.4g}"
            print(f"    {k}: {v}")
    print(f"total {total / 1024:.1f} KiB in {OUT_DIR.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
