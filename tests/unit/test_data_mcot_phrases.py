"""mCoT-MATH's own phrases: the prompt ends with its authors' "Let's think step by step" in every
language it covers, and the scorer reads its solutions' final answer statements in every language."""

import pytest

from mlpt import prompts, scoring

#: github.com/laihuiyuan/mCoT, data/prompt.txt at commit 20e9a862ad00d70f0f2adefe87ab433d465236f5
#: ("<code> || <phrase>" per line), the prompt the authors evaluate mCoT with.
MCOT_PROMPT_TXT = """\
bn || আসুন ধাপে ধাপে চিন্তা করি।
de || Denken wir Schritt für Schritt.
en || Let's think step by step.
es || Pensemos paso a paso.
fr || Réfléchissons étape par étape.
ja || 段階的に考えてみましょう。
ru || Давайте думать поэтапно.
sw || Hebu fikiria hatua kwa hatua.
te || అంచెలంచెలుగా ఆలోచిద్దాం.
th || ลองคิดทีละขั้นตอน
zh || 让我们一步步思考。
"""
MCOT_STEP_BY_STEP = dict(line.split(" || ") for line in MCOT_PROMPT_TXT.splitlines())

#: Solution endings in the forms mCoT-MATH's solutions take: English ends with its own line
#: "The answer is: N" (MetaMathQA) or "The answer is N."; in the other languages the mCoT model
#: (trained on mCoT-MATH) ends a one-paragraph solution with the statements below, numbers grouped
#: as the language writes them (the authors' outputs/mcot_ft_mgsm_<lang>.json, same commit; bn also
#: writes a bare "উত্তর N।", read as the last number). (language, text, gold); sentences written here.
MCOT_STYLE_ENDINGS = [
    ("en", "Tom has 9 * 2 = 18 apples.\nThe answer is: 18", "18"),
    ("en", "Tom has 9 * 2 = 18 apples.\nThe answer is 18.", "18"),
    ("es", "Ana ahorra 97 500 + 97 500 = 195 000 dólares. La respuesta es 195000.", "195000"),
    ("fr", "Le jardin compte 35 000 + 22 500 = 57 500 fleurs. La réponse est 57 500.", "57500"),
    ("de", "Er läuft 9 x 60 = 540 Meter. Die Antwort ist 540.", "540"),
    ("ru", "Каждый получает 3 / 2 = 1,5 яблока. Ответ: 1,5.", "1.5"),
    ("zh", "一共有 180 x 3 = 540 个苹果。答案是540。", "540"),
    ("ja", "りんごは 2 + 1 = 3 個です。答えは 3 です。", "3"),
    ("th", "รวมเป็น 50,000 + 15,000 = 65,000 บาท คำตอบคือ 65,000", "65000"),
    ("sw", "Ana vitabu 2 + 1 = 3. Jibu ni 3.", "3"),
    ("te", "మొత్తం 40,000 + 30,000 = 70,000. సమాధానం 70000.", "70000"),
    ("bn", "তার কাছে 9 * 2 = 18 টি আপেল আছে। উত্তর হল 18।", "18"),
    ("bn", "তার কাছে 9 * 2 = 18 টি আপেল আছে, 18 - 18 = 0 টি বাকি। উত্তর 0।", "0"),
]


@pytest.fixture(scope="module")
def phrases(root):
    return prompts.load_phrases(root / "resources" / prompts.PHRASES_FILE)


def test_every_math_prompt_ends_with_mcots_own_step_by_step_phrase(phrases):
    assert set(MCOT_STEP_BY_STEP) <= set(phrases["languages"])
    for lang, phrase in MCOT_STEP_BY_STEP.items():
        assert phrases["languages"][lang]["step_by_step"] == phrase, lang
        prompt = prompts.render_prompt("math", {"lang": lang, "question": "Q?"}, phrases)
        assert prompt.endswith("\n" + phrase)


@pytest.mark.parametrize(("lang", "text", "gold"), MCOT_STYLE_ENDINGS)
def test_the_scorer_reads_mcot_final_answer_statements(phrases, lang, text, gold):
    assert scoring.extract_number(text, prompts.answer_phrases(phrases), lang) == gold


def test_a_record_without_its_own_answer_statement_gets_the_language_phrase(phrases):
    """GSM8K (offline) and the control task: the chain of thought, then the project's answer phrase;
    an mCoT-MATH record (answer_stated) is taught as it is."""
    gsm8k = {"lang": "sw", "reasoning": "2 + 1 = 3.", "answer": "3"}
    assert prompts.render_response("math", gsm8k, phrases) == "2 + 1 = 3.\nJibu ni 3."
    mcot = dict(gsm8k, reasoning="Kwa jumla, 2 + 1 = 3 komeo. Jibu ni 3.", answer_stated=True)
    assert prompts.render_response("math", mcot, phrases) == "Kwa jumla, 2 + 1 = 3 komeo. Jibu ni 3."
