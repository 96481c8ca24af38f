"""Token ids → UTF-8 bytes, as a table the TS reward service decodes responses with.

A trainer holds responses as token ids; decoding them in Python before sending (``batch_decode``) was most of
the reward manager's time (1.2 s of 1.5 s for 1,024 responses of 8 K tokens). For a byte-level BPE tokenizer
(GPT-2's byte alphabet: Qwen2.5, DeepSeek-R1-Distill, Llama 3) decoding is exact concatenation: each id stands
for fixed bytes, special tokens for none (``skip_special_tokens=True``), and the text is those bytes read as
UTF-8 with invalid sequences replaced. So the ids travel and TS concatenates the table's bytes.

``token_table(tokenizer)`` builds the table once, or returns None when the shortcut would not be exact (another
decoder, space clean-up, or a self-check against the tokenizer's own ``decode`` that disagrees): callers then
send text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenTable:
    #: sha256 of bytes + offsets: the name TS keeps the table under.
    sha: str
    #: Every id's bytes, concatenated; id i is ``data[offsets[i]:offsets[i + 1]]``.
    data: np.ndarray
    offsets: np.ndarray

    @property
    def size(self) -> int:
        return len(self.offsets) - 1

    def decode(self, ids: list[int]) -> str:
        # An id past the table (a model's padded embedding rows) decodes to nothing, as in the tokenizer.
        return b"".join(
            self.data[self.offsets[i] : self.offsets[i + 1]].tobytes() for i in ids if i < self.size
        ).decode("utf-8", errors="replace")


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """GPT-2's reversible byte → printable character map, inverted (the ByteLevel decoder's table)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars)}


def _token_bytes(token: str, byte_decoder: dict[str, int]) -> bytes:
    # The ByteLevel decoder maps a token whose every character is in the byte alphabet, and passes any other
    # (an added token such as "<tool call>", with a space) through as its own UTF-8.
    try:
        return bytes(byte_decoder[c] for c in token)
    except KeyError:
        return token.encode("utf-8")


def token_table(tokenizer) -> TokenTable | None:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    decoder = json.loads(backend.to_str()).get("decoder") or {}
    if decoder.get("type") != "ByteLevel" or getattr(tokenizer, "clean_up_tokenization_spaces", False):
        return None
    size = len(tokenizer)
    special = set(tokenizer.all_special_ids)
    byte_decoder = _byte_decoder()
    pieces = [
        b"" if i in special or tok is None else _token_bytes(tok, byte_decoder)
        for i, tok in enumerate(tokenizer.convert_ids_to_tokens(list(range(size))))
    ]
    offsets = np.zeros(size + 1, dtype=np.int64)
    np.cumsum([len(p) for p in pieces], out=offsets[1:])
    data = np.frombuffer(b"".join(pieces), dtype=np.uint8)
    sha = hashlib.sha256(data.tobytes() + offsets.tobytes()).hexdigest()
    table = TokenTable(sha, data, offsets)
    if not _agrees(table, tokenizer, size):
        logger.warning("token table of %s disagrees with its decode(): responses are decoded in Python", tokenizer)
        return None
    return table


def _agrees(table: TokenTable, tokenizer, size: int) -> bool:
    """The table against the tokenizer's own decode: every id in order, and random sequences (split
    multi-byte characters and special tokens included)."""
    rng = random.Random(0)
    seqs = [list(range(start, min(start + 512, size))) for start in range(0, size, 512)]
    seqs += [[rng.randrange(size) for _ in range(rng.randint(1, 64))] for _ in range(64)]
    return tokenizer.batch_decode(seqs, skip_special_tokens=True) == [table.decode(s) for s in seqs]
