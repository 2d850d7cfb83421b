"""A tiny randomly initialised Qwen2 and a BPE tokenizer trained on local text: smoke runs, fully offline.

Nothing is downloaded: the tokenizer is trained with the `tokenizers` library on the shard text and given
a ChatML chat template; the model is a `Qwen2ForCausalLM` built from a config with random weights.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass
class TinyModelConfig:
    """Shape of the random model and tokenizer (TRL-style config dataclass)."""

    vocab_size: int = 2048
    hidden_size: int = 32
    num_hidden_layers: int = 2
    num_attention_heads: int = 2
    num_key_value_heads: int = 1
    intermediate_size: int = 64
    max_position_embeddings: int = 32768
    seed: int = 0


def train_tokenizer(texts: Iterable[str], vocab_size: int):
    """A byte-level BPE tokenizer (with offsets, special tokens and a chat template) trained on `texts`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer=trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token=None
    )
    tok.chat_template = CHATML_TEMPLATE
    return tok


def build_tiny_model(
    texts: Iterable[str], out_dir: str | Path, config: TinyModelConfig | None = None
) -> Path:
    """Train the tokenizer, build the random Qwen2, save both to `out_dir`; returns `out_dir`.

    Reuses an existing `out_dir` so a resumed run keeps the same tokenizer and initial weights.
    """
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    out = Path(out_dir)
    if (out / "config.json").exists() and (out / "tokenizer.json").exists():
        return out
    cfg = config or TinyModelConfig()
    tok = train_tokenizer(texts, cfg.vocab_size)
    torch.manual_seed(cfg.seed)
    model_cfg = Qwen2Config(
        vocab_size=len(tok),
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        num_key_value_heads=cfg.num_key_value_heads,
        intermediate_size=cfg.intermediate_size,
        max_position_embeddings=cfg.max_position_embeddings,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    model = Qwen2ForCausalLM(model_cfg)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    log.info("tiny Qwen2 (%d params, vocab %d) saved to %s", model.num_parameters(), len(tok), out)
    return out
