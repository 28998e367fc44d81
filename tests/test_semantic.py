import numpy as np

from commentary_monitor.relevance.semantic import basic_tokens, default_encoder


def test_bert_normalisation_and_wordpiece():
    assert basic_tokens("Zhongnanhai’s café—Putin!") == ["zhongnanhai", "’", "s", "cafe", "—", "putin", "!"]
    enc = default_encoder()
    ids = enc.token_ids("Zhongnanhai")
    assert len(ids) > 1                                   # an unknown word splits into pieces
    assert enc.token_ids("moscow") == [enc.index["moscow"]]
    # the ids are cached per white-space run; they are BERT's pre-tokens' word pieces, in order
    text = "Zhongnanhai’s café—Putin! Moscow, Beijing (2026) and the ‘Power of Siberia 2’ pipeline."
    assert enc.token_ids(text) == [i for w in basic_tokens(text) for i in enc._wordpiece(w)]


def test_embeddings_are_unit_vectors_and_put_like_with_like():
    enc = default_encoder()
    v = enc.encode(["Moscow and Beijing signed a gas pipeline deal.",
                    "Russia and China agreed on new energy exports.",
                    "The octopus nursery lies two miles under the sea.", ""])
    assert v.shape == (4, enc.dims) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[:3], axis=1), 1, atol=1e-5) and not v[3].any()
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert np.array_equal(enc.encode(["same text"]), enc.encode(["same text"]))


def test_encoders_pickle_the_packaged_model_by_reference():
    import pickle

    from commentary_monitor.relevance.semantic import StaticEncoder

    enc = default_encoder()
    enc.encode(["warm the word cache"])
    blob = pickle.dumps(enc)
    assert len(blob) < 1000 and pickle.loads(blob) is enc          # one model per process
    own = StaticEncoder(["[UNK]", "moscow", "beijing"], np.eye(3, 4, dtype=np.float32), {})
    copy = pickle.loads(pickle.dumps(own))
    assert np.array_equal(copy.encode(["Moscow Beijing"]), own.encode(["Moscow Beijing"]))


def test_the_directions_every_english_text_shares_are_left_out():
    from commentary_monitor.relevance.semantic import COMMON_PRINCIPAL, common_directions, without_common

    enc = default_encoder()
    common = common_directions(enc)
    assert common.shape == (1 + COMMON_PRINCIPAL, enc.dims)
    assert np.allclose(common @ common.T, np.eye(len(common)), atol=1e-5)      # orthonormal rows
    texts = ["Moscow and Beijing signed a gas pipeline deal.", "Russia and China agreed on new energy exports.",
             "The octopus nursery lies two miles under the sea.", "Victory parades and memorials as statecraft."]
    v = enc.encode(texts)
    assert (v @ common[0]).min() > 0.15         # every text leans the same way: what English shares
    w = without_common(v, common)
    assert np.allclose(np.linalg.norm(w, axis=1), 1, atol=1e-5) and np.allclose(w @ common.T, 0, atol=1e-5)
    # unrelated texts stop looking alike; related ones still do, and more clearly so
    assert w[0] @ w[2] < v[0] @ v[2] and w[0] @ w[1] - w[0] @ w[2] > v[0] @ v[1] - v[0] @ v[2]
    assert np.allclose(without_common(w, common), w, atol=1e-5)
    assert without_common(v, None) is v


def test_an_ascii_word_is_split_as_the_general_tokenizer_splits_it():
    """ASCII text takes a faster path (a process's first articles meet most of their words
    once, uncached): the same tokens as BERT's normaliser gives, punctuation, digits, case and
    control characters included."""
    from commentary_monitor.relevance.semantic import _any_chunk_tokens, _chunk_tokens

    chunks = ["Moscow's", "U.S.-China", "(2024)", "e-mail:", "A_B", "[x]{y}~`|\\", "x\x00y", "a\x07b", "\x7fz",
              "CO2-emissions", "#hashtag", "@user", "$1,000.50", "--", "'quoted'", '"Q"', "ALLCAPS", "mIxEd123"]
    for chunk in chunks:
        assert _chunk_tokens.__wrapped__(chunk) == _any_chunk_tokens(chunk), chunk
    assert _chunk_tokens("U.S.-China") == ("u", ".", "s", ".", "-", "china")
    # outside ASCII, the general path: accents stripped, curly quotes are punctuation
    assert _chunk_tokens("Naïve’s") == ("naive", "’", "s")
