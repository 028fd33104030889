"""Language-aware sentence splitting before MT: lossless, and the punctuation of each script."""

from hypothesis import given
from hypothesis import strategies as st

from mlpt import sentences, translate


def _texts(lang, text, limit=8):
    pieces = sentences.split(text, lang, limit)
    assert sentences.join(pieces) == text
    return [p for p, _ in pieces]


def test_japanese_and_chinese_full_width_stops():
    assert _texts("ja", "今日は晴れです。明日は雨ですか？はい！そうです") == ["今日は晴れです。", "明日は雨ですか？", "はい！", "そうです"]
    assert _texts("zh", "我很好。你呢？我也很好！") == ["我很好。", "你呢？", "我也很好！"]


def test_bengali_danda():
    assert _texts("bn", "আমি ভাত খাই। তুমি কী খাও?", 12) == ["আমি ভাত খাই।", "তুমি কী খাও?"]


def test_telugu_full_stop_and_danda():
    assert _texts("te", "నేను వెళ్తాను. నువ్వు రా।సరే", 14) == ["నేను వెళ్తాను.", "నువ్వు రా।", "సరే"]


def test_thai_splits_on_whitespace_runs_and_packs_phrases():
    text = "สวัสดีครับ  ผมชื่อสมชาย วันนี้อากาศดีมาก"
    assert _texts("th", text, 23) == ["สวัสดีครับ  ผมชื่อสมชาย", "วันนี้อากาศดีมาก"]
    assert sentences.split(text, "th", 23)[0][1] == " "  # the original separator is kept


def test_latin_needs_a_space_after_the_stop():
    assert _texts("en", "It costs 2.50 dollars. Is it? Yes!", 22) == ["It costs 2.50 dollars.", "Is it?", "Yes!"]


def test_short_text_is_never_split():
    assert sentences.split("One. Two.", "en", 100) == [("One. Two.", "")]


def test_overlong_sentence_is_cut_at_whitespace():
    assert all(len(p) <= 10 for p in _texts("en", "a b c d e f g h i j k l m n o p q r", 10))


@given(st.text(alphabet="ab .!?。！？।\n ", max_size=60), st.sampled_from(["en", "ja", "zh", "th", "bn", "te"]),
       st.integers(min_value=1, max_value=20))
def test_splitting_is_lossless(text, lang, limit):
    assert sentences.join(sentences.split(text, lang, limit)) == text


def test_long_segments_are_translated_sentence_by_sentence():
    seen = []

    def mt(texts, src, tgt):
        seen.extend(texts)
        return [t.upper() for t in texts]

    rec = {"id": "x", "lang": "en", "split": "train", "question": "One two three. Four five six! Seven?", "answer": "1"}
    (out,), _ = translate.translate_records([rec], "math", "en", "de", mt, max_segment_chars=16)
    assert sorted(seen) == ["Four five six!", "One two three.", "Seven?"]
    assert out["question"] == "ONE TWO THREE. FOUR FIVE SIX! SEVEN?"
