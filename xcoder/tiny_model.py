"""A tiny Qwen2-architecture model and tokenizer, built locally with no downloads.

Why: every recipe (SFT, GRPO, eval, the demo) must run end to end on a CPU with no network, so we
need a real Hugging Face model directory that ``AutoTokenizer``/``AutoModelForCausalLM`` load like
any hub model. The tokenizer is a byte-level BPE trained on the corpus shipped in
``xcoder/assets`` (plus any files you add), with a ChatML template whose ``{% generation %}``
markers let TRL compute assistant-only loss. Weights are random (seeded): the point is a model
that can *learn*, quickly, not one that already knows anything.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

from xcoder.config import help_field
from xcoder.hashing import digest

logger = logging.getLogger(__name__)

PAD_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = [PAD_TOKEN, IM_START, IM_END]
MARKER_FILE = "xcoder_tiny_model.json"
CORPUS_ASSETS = ("tiny_corpus_handwritten.txt", "tiny_corpus_rendered.txt")
DOC_SEPARATOR = "\n========\n"

# ChatML, as Qwen2.5-Instruct uses, so prompts look the same on the tiny model and the real ones.
# The assistant's <|im_end|> sits inside {% generation %}: the model must learn to stop.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{% generation %}{{- message['content'] + '<|im_end|>' -}}{% endgeneration %}"
    "{{- '\\n' -}}"
    "{%- else -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)


@dataclass
class TinyModelSpec:
    """Sizes of the tiny model. Defaults train at a few hundred tokens per step per second on a
    laptop CPU core and still fit simple programs; the demo may scale them up."""

    vocab_size: int = help_field(
        "Upper bound for the BPE vocabulary; the corpus may support fewer tokens (the shipped corpus gives "
        "about 2.5k).",
        default=4096,
    )
    hidden_size: int = help_field("Width of the residual stream.", default=256)
    num_layers: int = help_field("Number of decoder layers.", default=4)
    num_heads: int = help_field("Attention heads (must divide hidden_size).", default=4)
    num_kv_heads: int = help_field("Key/value heads (grouped-query attention, as Qwen2).", default=2)
    intermediate_size: int | None = help_field("MLP width; default 2.75 x hidden_size rounded to 64.", default=None)
    max_position_embeddings: int = help_field("Longest sequence the model accepts.", default=2048)
    seed: int = help_field("Seed for the weight initialisation.", default=0)
    corpus_files: list[str] = help_field(
        "Extra UTF-8 text files to train the tokenizer on, besides the shipped corpus.", default_factory=list
    )

    def __post_init__(self) -> None:
        for name in (
            "vocab_size",
            "hidden_size",
            "num_layers",
            "num_heads",
            "num_kv_heads",
            "max_position_embeddings",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"TinyModelSpec.{name} must be positive, got {getattr(self, name)}")
        if self.vocab_size < 256 + len(SPECIAL_TOKENS):
            raise ValueError(
                f"TinyModelSpec.vocab_size must be at least {256 + len(SPECIAL_TOKENS)} (bytes + specials)"
            )
        if self.hidden_size % self.num_heads:
            raise ValueError(f"hidden_size {self.hidden_size} is not divisible by num_heads {self.num_heads}")
        if self.num_heads % self.num_kv_heads:
            raise ValueError(f"num_heads {self.num_heads} is not divisible by num_kv_heads {self.num_kv_heads}")
        if self.intermediate_size is None:
            self.intermediate_size = max(64, round(self.hidden_size * 2.75 / 64) * 64)
        self.corpus_files = [str(p) for p in self.corpus_files]


# --------------------------------------------------------------------------------------------
# Corpus and tokenizer


def corpus_documents(extra_files: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The shipped corpus split into documents, then each extra file as documents."""
    docs: list[str] = []
    assets = resources.files("xcoder.assets")
    for name in CORPUS_ASSETS:
        docs.extend(d for d in assets.joinpath(name).read_text(encoding="utf-8").split(DOC_SEPARATOR) if d.strip())
    for path in extra_files:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"tokenizer corpus file {path}: cannot read it as UTF-8 text ({exc})") from None
        docs.extend(d for d in text.split(DOC_SEPARATOR) if d.strip())
    return docs


def train_tokenizer(docs: list[str], vocab_size: int, model_max_length: int = 2048):
    """Train a byte-level BPE and return it as a ``Qwen2Tokenizer`` with our chat template.

    The BPE is trained with exactly the normalizer and pre-tokenizer that transformers'
    ``Qwen2Tokenizer`` rebuilds on load (NFC, Qwen's split regex with one token per digit, then
    byte-level). That matters: ``AutoTokenizer`` always loads a ``qwen2`` model's tokenizer
    through that class, so any other pre-tokenizer would silently tokenize differently after a
    save/load round trip.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    reference = Qwen2Tokenizer()._tokenizer  # an empty tokenizer carrying Qwen2's pipeline
    bpe = Tokenizer(models.BPE())
    bpe.normalizer = reference.normalizer
    bpe.pre_tokenizer = reference.pre_tokenizer
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(docs, trainer)
    trained = json.loads(bpe.to_str())["model"]
    return Qwen2Tokenizer(
        vocab=trained["vocab"],
        merges=[tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in trained["merges"]],
        unk_token=None,
        eos_token=IM_END,
        pad_token=PAD_TOKEN,
        extra_special_tokens=[IM_START, IM_END],
        chat_template=CHAT_TEMPLATE,
        model_max_length=model_max_length,
        clean_up_tokenization_spaces=False,
    )


# --------------------------------------------------------------------------------------------
# Model directory


def holds_model(path: str | Path) -> bool:
    """True when ``path`` looks like a Hugging Face causal-LM directory we can load."""
    p = Path(path)
    has_weights = any(p.glob("*.safetensors")) or any(p.glob("*.bin"))
    has_tokenizer = (p / "tokenizer.json").is_file() or (p / "tokenizer_config.json").is_file()
    return (p / "config.json").is_file() and has_weights and has_tokenizer


def read_spec(path: str | Path) -> TinyModelSpec | None:
    """The spec a tiny model directory was built with, or None for other model directories."""
    marker = Path(path) / MARKER_FILE
    if not marker.is_file():
        return None
    data = json.loads(marker.read_text(encoding="utf-8"))["spec"]
    known = {f.name for f in fields(TinyModelSpec)}
    return TinyModelSpec(**{k: v for k, v in data.items() if k in known})


def special_token_ids(tokenizer) -> dict[str, int | None]:
    """The model config's token ids for a tokenizer from :func:`train_tokenizer`: ChatML's end of turn
    ends a generation, padding has its own token, and there is no BOS."""
    return {
        "bos_token_id": None,
        "eos_token_id": tokenizer.convert_tokens_to_ids(IM_END),
        "pad_token_id": tokenizer.convert_tokens_to_ids(PAD_TOKEN),
    }


def save_with_tokenizer(model, tokenizer, out: Path) -> None:
    """Save ``model`` with a generation config that stops at the end of turn, and ``tokenizer`` beside it."""
    from transformers import GenerationConfig

    model.generation_config = GenerationConfig(**special_token_ids(tokenizer))
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _write_model(out: Path, spec: TinyModelSpec) -> dict[str, Any]:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    docs = corpus_documents(spec.corpus_files)
    tokenizer = train_tokenizer(docs, spec.vocab_size, spec.max_position_embeddings)
    vocab = len(tokenizer)
    config = Qwen2Config(
        vocab_size=vocab,
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_kv_heads,
        max_position_embeddings=spec.max_position_embeddings,
        tie_word_embeddings=True,
        use_cache=True,
        **special_token_ids(tokenizer),
    )
    # A private generator keeps the caller's global RNG state untouched.
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(spec.seed)
        model = Qwen2ForCausalLM(config)
    finally:
        torch.random.set_rng_state(state)
    save_with_tokenizer(model, tokenizer, out)
    n_params = sum(p.numel() for p in model.parameters())
    corpus_hash = digest(DOC_SEPARATOR.join(docs), 64)
    info = {"spec": asdict(spec), "vocab": vocab, "parameters": n_params, "corpus_sha256": corpus_hash}
    (out / MARKER_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def build_tiny_model(out_dir: str | Path, spec: TinyModelSpec | None = None, *, overwrite: bool = False) -> Path:
    """Build the tiny model into ``out_dir`` and return the path.

    Idempotent: a directory that already holds a model is reused (an error if it is a tiny model
    built with a different spec, so sizes never change silently); ``overwrite=True`` rebuilds.
    The build happens in a temporary sibling directory that is renamed into place, so readers and
    concurrent builders (several ranks of one launch) never see a half-written model.
    """
    spec = spec or TinyModelSpec()
    out = Path(out_dir)
    if out.exists() and not overwrite:
        if holds_model(out):
            existing = read_spec(out)
            if existing is not None and asdict(existing) != asdict(spec):
                diff = {k: (v, asdict(spec)[k]) for k, v in asdict(existing).items() if asdict(spec)[k] != v}
                raise ValueError(
                    f"{out} holds a tiny model built with a different spec (existing, requested): {diff}; "
                    "pass overwrite=True (--overwrite) to rebuild it"
                )
            logger.info("reusing the model in %s", out)
            return out
        if out.is_file() or any(out.iterdir()):
            raise FileExistsError(f"{out} exists and does not hold a model; refusing to write into it")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the model is an ordinary directory
    try:
        info = _write_model(tmp, spec)
        if overwrite and out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "model")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            if out.is_dir() and not any(out.iterdir()):
                out.rmdir()
            try:
                os.rename(tmp, out)
            except OSError:
                if holds_model(out):  # another process finished the same build first
                    logger.info("another process built %s first; reusing it", out)
                    return out
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    logger.info("built tiny model in %s: %d parameters, vocabulary %d", out, info["parameters"], info["vocab"])
    return out
