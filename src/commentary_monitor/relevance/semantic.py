"""Sentence embeddings on numpy alone: a static model distilled from all-MiniLM-L6-v2.

The model (``models/minilm-static/``: a WordPiece vocabulary and a float16 matrix of
token embeddings, 128 dimensions) was distilled once with model2vec by
``scripts/distill_static_model.py``; a text's embedding is the mean of its tokens'
vectors, L2-normalised, exactly as model2vec's ``StaticModel.encode`` computes it. The
tokenizer is BERT's uncased WordPiece, reimplemented here so the runtime needs neither
torch nor the tokenizers/huggingface-hub stack.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources

import numpy as np

MODEL_DIR = "models/minilm-static"


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokens(text: str) -> list[str]:
    """BERT's normaliser and pre-tokeniser: clean, lower-case, strip accents, split
    on white space and punctuation (each punctuation character is a token)."""
    out: list[str] = []
    for chunk in text.split():
        out.extend(_chunk_tokens(chunk))
    return out


# An ASCII chunk's tokens, as the loop below makes them: runs of letters and digits, and each
# punctuation character alone (ASCII's are every printable character that is neither); control
# characters but NUL part tokens. 7-8 times faster than the loop, which a process's first articles
# meet for most of their words.
_ASCII_TOKENS = re.compile(r"[a-z0-9]+|[!-/:-@\[-`{-~]")


@lru_cache(maxsize=200_000)
def _chunk_tokens(text: str) -> tuple[str, ...]:
    if text.isascii():
        return tuple(_ASCII_TOKENS.findall(text.lower().replace("\x00", "")))     # NUL: dropped, as below
    return _any_chunk_tokens(text)


def _any_chunk_tokens(text: str) -> tuple[str, ...]:
    out: list[str] = []
    buf: list[str] = []
    text = unicodedata.normalize("NFD", text.lower())
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or unicodedata.category(ch) == "Mn":
            continue
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
            if buf:
                out.append("".join(buf))
                buf = []
        elif _is_punct(ch) or _is_cjk(cp):
            if buf:
                out.append("".join(buf))
                buf = []
            out.append(ch)
        else:
            buf.append(ch)
    if buf:
        out.append("".join(buf))
    return tuple(out)


class StaticEncoder:
    """Encode texts as L2-normalised mean token embeddings."""

    def __init__(self, vocab: list[str], embeddings: np.ndarray, meta: dict, packaged: bool = False) -> None:
        self.meta = dict(meta)
        self.packaged = packaged     # the model shipped in the package (see __reduce__)
        self.index = {t: i for i, t in enumerate(vocab)}
        self.embeddings = embeddings.astype(np.float32)
        self.dims = self.embeddings.shape[1]
        self.unk = meta.get("unk_token", "[UNK]")
        self.prefix = meta.get("continuing_subword_prefix", "##")
        self.max_chars = int(meta.get("max_input_chars_per_word", 100))
        self.name = f"minilm-static-{self.dims}"
        self._word_ids = lru_cache(maxsize=200_000)(self._wordpiece)
        self._chunk_ids = lru_cache(maxsize=200_000)(self._chunk_wordpiece)

    @classmethod
    def load(cls) -> "StaticEncoder":
        base = resources.files("commentary_monitor.relevance").joinpath(MODEL_DIR)
        vocab = base.joinpath("vocab.txt").read_text(encoding="utf-8").splitlines()
        meta = json.loads(base.joinpath("model.json").read_text(encoding="utf-8"))
        with base.joinpath("embeddings.npy").open("rb") as f:
            emb = np.load(f)
        return cls(vocab, emb, meta, packaged=True)

    def __reduce__(self):
        # Scorers travel to worker processes: the packaged model goes by reference (each
        # process loads it once, see default_encoder), any other with its arrays; the
        # word cache stays behind.
        if self.packaged:
            return (default_encoder, ())
        vocab = sorted(self.index, key=self.index.__getitem__)
        return (StaticEncoder, (vocab, self.embeddings, self.meta))

    def _wordpiece(self, word: str) -> tuple[int, ...]:
        if len(word) > self.max_chars:
            return ()
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.index:
                    found = self.index[piece]
                    break
                end -= 1
            if found is None:
                return ()   # the whole word is [UNK], which model2vec drops
            ids.append(found)
            start = end
        return tuple(ids)

    def _chunk_wordpiece(self, chunk: str) -> tuple[int, ...]:
        """The token ids of a run of text without white space: the word pieces of its
        :func:`basic_tokens`, in order (cached per run: most runs are whole words)."""
        return tuple(i for w in _chunk_tokens(chunk) for i in self._word_ids(w))

    def token_ids(self, text: str) -> list[int]:
        ids: list[int] = []
        chunk_ids = self._chunk_ids
        for chunk in text.split():
            ids.extend(chunk_ids(chunk))
        return ids

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for i, t in enumerate(texts):
            ids = self.token_ids(t)
            if ids:
                v = self.embeddings[ids].mean(axis=0)
                n = float(np.linalg.norm(v))
                out[i] = v / n if n > 0 else v
        return out


@lru_cache(maxsize=1)
def default_encoder() -> StaticEncoder:
    """The packaged model, loaded once per process."""
    return StaticEncoder.load()


COMMON_PRINCIPAL = 1    # principal directions removed besides the mean: about dims / 100 ("all-but-the-top")


@lru_cache(maxsize=4)
def common_directions(encoder: StaticEncoder, principal: int = COMMON_PRINCIPAL) -> np.ndarray:
    """What every English text's embedding shares, as orthonormal rows: the mean of the
    model's token vectors weighted by how often each word occurs in ordinary English
    (``wordfreq``), then the ``principal`` leading principal directions of those weighted
    vectors around it. An average of token vectors leans toward the frequent words every
    text has: a typical article passage's cosine to that mean is 0.7, so the cosines of any two
    passages are high and close together. Removed from the article's passages and the
    profile's vectors alike (:func:`without_common`), the cosines measure what the texts
    say rather than that they are English (Arora et al. 2017, "A simple but tough-to-beat
    baseline for sentence embeddings"; Mu and Viswanath 2018, "All-but-the-top", who
    remove about dims / 100 directions). Profile building only: the scorer reads them from
    the profile."""
    from threadpoolctl import threadpool_limits   # comes with scikit-learn
    from wordfreq import get_frequency_list   # words by frequency bucket (bucket b: 10^(-b/100)), cached

    freq = np.zeros(len(encoder.embeddings))
    whole = {t for t in encoder.index if t.isalpha()}    # whole words: not "##ing", digits or punctuation
    for b, words in enumerate(get_frequency_list("en")):
        for token in whole.intersection(words):
            freq[encoder.index[token]] = 10.0 ** (-b / 100.0)
    keep = freq > 0
    E, f = encoder.embeddings[keep].astype(np.float64), freq[keep] / freq[keep].sum()
    # one BLAS thread: this takes 0.03 s on one core, and OpenBLAS's threads, waiting on a
    # busy machine, made it 0.5 s
    with threadpool_limits(limits=1, user_api="blas"):
        mean = f @ E
        rows = [mean]
        if principal:
            X = E - mean
            _, vecs = np.linalg.eigh((X * f[:, None]).T @ X)
            rows.extend(vecs[:, ::-1][:, :principal].T)
        basis = np.linalg.qr(np.array(rows).T)[0].T
    basis[0] *= np.sign(basis[0] @ mean)     # the first row points the mean's way (QR may flip it)
    return basis.astype(np.float32)


def without_common(vectors: np.ndarray, directions: np.ndarray | None) -> np.ndarray:
    """``vectors`` (rows) with the ``directions`` (orthonormal rows, see
    :func:`common_directions`) projected out, L2-normalised again; unchanged without them."""
    if directions is None or not len(directions):
        return vectors
    v = np.atleast_2d(vectors).astype(np.float32)
    v = v - (v @ directions.T) @ directions
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)
