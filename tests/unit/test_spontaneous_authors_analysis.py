"""Study B as the authors evaluate and analyse: 4-bit NF4 precision (the stop where it cannot run,
the fallback, the record), their logit lens (script parsing, token sets, overlap filter, bits)
and their PCA statistic (notebook parsing, first-component Pearson r of parallel items, checked
against scikit-learn), on tiny models and synthetic stand-ins for their files (none of their
text is shipped: the stand-ins only have the structure the parsers read)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mlpt import io, models, prompts, real_tokenizers, registry
from mlpt.spontaneous import evaluation, labels, lens, pca, study
from mlpt.yaml_files import load_yaml
from conftest import tiny_qwen_dir

ROOT = Path(__file__).resolve().parents[2]
PROMPT_FILE = str(ROOT / "resources" / "spontaneous" / "prompts.yaml")
TINY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
        "num_key_value_heads": 1, "head_dim": 16}

#: A stand-in with the structure of the authors' lens script (the parts read_authors_script reads).
SCRIPT = """
import torch
target_lang = 'es'
def changeInupt(n_skip=2):
    for step, inputs in enumerate(sample_iterator):
        out_token_str = inputs['answer'][0]
        if (out_token_str == 'positive' or out_token_str == 'bueno'):
            latent_token_str = 'positive'
        elif (out_token_str == 'negative' or out_token_str == 'malo'):
            latent_token_str = 'negative'
        out_token_id = process_tokens(out_token_str, tokenizer)
for idx, d in enumerate(dataset_gap):
    prompt_prefix = {'en': '''Review one.
Mood: "positive"
Review two.
Mood: "negative"''', 'es': '''Resena uno.
Animo: "bueno"
Resena dos.
Animo: "malo"''', 'bg': '''Otziv edno.
Nastroenie: "dobro"
Otziv dve.
Nastroenie: "losho"'''}
    if target_lang == 'en':
        prompt = [prompt_prefix['en'] + '\\n' + i + '\\nMood: \\"' for i in d['prompt']]
    elif target_lang == 'es':
        prompt = [prompt_prefix['es'] + '\\n' + i + '\\nAnimo: \\"' for i in d['prompt']]
    elif target_lang == 'bg':
        prompt = [prompt_prefix['bg'] + '\\n' + i + '\\nNastroenie: \\"' for i in d['prompt']]
"""


def _notebook(path: Path) -> Path:
    """A stand-in with the structure of the authors' PCA notebook."""
    cells = [{"cell_type": "markdown", "source": ["# PCA"]},
             {"cell_type": "code", "source": ["prompt_prefix = {'en': 'Review one.\\nMood: \"positive\"', "
                                              "'es': 'Resena uno.\\nAnimo: \"bueno\"', "
                                              "'de': 'Kritik eins.\\nStimmung: \"gut\"'}\n",
                                              "emotion_map = {'en': 'Mood: ', 'es': 'Animo: ', 'de': 'Stimmung: '}\n"]},
             {"cell_type": "code", "source": "for language in ['en', 'es', 'de']:\n    pass\n"},
             {"cell_type": "code", "source": "%matplotlib inline\n"},
             {"cell_type": "code", "source": "# layer = 3\nlayer = 1\n"}]
    path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- #
# Precision
# --------------------------------------------------------------------------- #
def test_nf4_config_is_the_authors():
    """BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float16),
    built without loading anything (no bitsandbytes, no GPU needed)."""
    cfg = models.nf4_config()
    assert cfg.load_in_4bit is True and cfg.load_in_8bit is False
    assert cfg.bnb_4bit_quant_type == "nf4" and cfg.bnb_4bit_compute_dtype == torch.float16
    assert cfg.bnb_4bit_use_double_quant is False


def test_nf4_load_passes_the_authors_settings(monkeypatch):
    seen = {}
    monkeypatch.setattr(models, "nf4_unavailable", lambda: "")
    monkeypatch.setattr(models, "load_causal_lm", lambda path, dtype=None, **kw: seen.update(path=path, dtype=dtype, **kw))
    models.load_nf4_causal_lm("some/model")
    assert seen["dtype"] == torch.float16 and seen["device_map"] == "auto"
    assert seen["quantization_config"].bnb_4bit_quant_type == "nf4"


def test_nf4_refused_here_names_the_key_and_the_reason(monkeypatch):
    monkeypatch.setattr(models, "nf4_unavailable", lambda: "bitsandbytes is not installed (optional extra)")
    with pytest.raises(RuntimeError, match=r"evaluation\.quantization is 'nf4'.*bitsandbytes is not installed.*"
                                           r"evaluation\.quantization_fallback: none"):
        evaluation.precision_plan("nf4", None)
    plan = evaluation.precision_plan("nf4", "none", cuda=False)
    assert plan == {"precision": "fp32", "quantization": "none", "requested": "nf4",
                    "fallback_reason": "bitsandbytes is not installed (optional extra)"}
    assert evaluation.precision_plan("none", cuda=True)["precision"] == "bf16"
    monkeypatch.setattr(models, "nf4_unavailable", lambda: "")
    assert evaluation.precision_plan("nf4")["precision"] == "nf4-fp16"
    with pytest.raises(ValueError, match="quantization must be one of"):
        evaluation.precision_plan("int8")


def test_nf4_unavailable_on_this_machine_says_why():
    why = models.nf4_unavailable()
    if not why:
        pytest.skip("bitsandbytes and a CUDA GPU are here")
    assert "bitsandbytes" in why


def test_jobs_stop_before_loading(monkeypatch, tmp_path):
    """Nothing is loaded (the model path does not even exist) before the precision is refused."""
    monkeypatch.setattr(models, "nf4_unavailable", lambda: "no CUDA GPU is visible")
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        evaluation.evaluate_checkpoint(missing, {}, task="snli", prompt_file=PROMPT_FILE, summary_file=str(tmp_path / "s"),
                                       samples_file=str(tmp_path / "x"), quantization="nf4")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        evaluation.probe("pca", missing, {}, str(tmp_path / "p.json"), task="snli", prompt_file=PROMPT_FILE,
                         languages=[], limit=4, quantization="nf4")


def test_configs_precision_selection_and_fetched_analysis_files():
    paper = study.validate(load_yaml(ROOT / "config/spontaneous.yaml"), "spontaneous.yaml")
    demo = study.validate(load_yaml(ROOT / "config/spontaneous-demo.yaml"), "spontaneous-demo.yaml")
    assert paper["evaluation"]["quantization"] == "nf4" and paper["evaluation"]["quantization_fallback"] is None
    assert demo["evaluation"]["quantization"] == "none"
    assert paper["sft"]["selection"] == "last"  # the authors' effective checkpoint
    assert paper["analysis"]["lens"]["prompts"] == paper["analysis"]["pca"]["prompts"] == "authors"
    assert paper["analysis"]["pca"]["layer"] == 18 and len(paper["analysis"]["pca"]["pairs"]) == 9
    assert study.ANALYSIS_FILES == {"lens": lens.AUTHORS_SCRIPT, "pca": pca.AUTHORS_NOTEBOOK}
    sums = study.read_checksums(ROOT / "resources/spontaneous/reference.sha256")
    files = study.reference_files(paper, "amazon", sums)
    assert sums[lens.AUTHORS_SCRIPT] == "a0e5946c57052e17a4e1aa89655e54e724f4cc73d78f113fa0ae13f1501e1195"
    assert {lens.AUTHORS_SCRIPT, pca.AUTHORS_NOTEBOOK} <= set(files)
    assert lens.AUTHORS_SCRIPT not in study.reference_files(paper, "snli", sums)
    assert study.analysis_files(demo, "snli") == []


# --------------------------------------------------------------------------- #
# The authors' lens
# --------------------------------------------------------------------------- #
def test_lens_script_is_parsed_not_run(tmp_path):
    path = tmp_path / "lens.py"
    path.write_text(SCRIPT + "\nraise SystemExit('executed')\n", encoding="utf-8")
    script = lens.read_authors_script(path)
    assert sorted(script.prefixes) == ["bg", "en", "es"]
    assert script.suffixes == {"en": '\nMood: "', "es": '\nAnimo: "', "bg": '\nNastroenie: "'}
    assert script.to_english == {"positive": "positive", "bueno": "positive", "negative": "negative", "malo": "negative"}
    assert lens.authors_prompts(script, "es", ["Hola"]) == ['Resena uno.\nAnimo: "bueno"\nResena dos.\nAnimo: "malo"'
                                                            '\nHola\nAnimo: "']
    kept, skipped = lens.authors_languages(script, ["en", "de", "es", "bg"],
                                           {"en": ["positive"], "es": ["bueno", "malo"], "bg": ["dobro", "losho"]})
    assert kept == ["en", "es"]
    assert "no prompt for 'de'" in skipped["de"] and "lacks ['dobro', 'losho']" in skipped["bg"]
    (tmp_path / "other.py").write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no prompt_prefix"):
        lens.read_authors_script(tmp_path / "other.py")


class _Vocab:
    """A SentencePiece-style vocabulary (Mistral's kind: ``▁`` pieces, ``<0xNN>`` byte fallback)."""

    def __init__(self, pieces):
        self.vocab = {p: i for i, p in enumerate(pieces)}

    def get_vocab(self):
        return dict(self.vocab)


def test_authors_token_sets_sentencepiece():
    tok = _Vocab(["<unk>", "p", "▁po", "pos", "▁positive", "Ġpos", "<0xE7>", "<0xE8>", "积", "x"])
    ids = labels.authors_token_ids(tok, "positive", first_token_of_prefixes=False)
    assert [k for k, v in tok.vocab.items() if v in ids] == ["p", "▁po", "pos", "▁positive"]  # no Ġ form
    # 积 is e7 a7 af in UTF-8: the byte-fallback piece of its first byte, and the piece itself
    assert [k for k, v in tok.vocab.items() if v in labels.authors_token_ids(tok, "积极", False)] == ["<0xE7>", "积"]


def _qwen15():
    try:
        return real_tokenizers.qwen15_tokenizer()
    except registry.RegistryUnavailable as err:
        pytest.skip(f"package registry unreachable: {err}")


def test_authors_token_sets_qwen15():
    """The sets the research notes measured with the authors' own functions on Qwen1.5's tokenizer."""
    tok = _qwen15()

    def strings(word):
        return sorted(tok.convert_ids_to_tokens(list(labels.authors_token_ids(tok, word))))

    assert strings("positive") == sorted(["p", "po", "pos", "posit", "positive"])
    assert strings("negative") == sorted(["n", "ne", "neg", "negative"])
    assert len(labels.authors_token_ids(tok, "积极")) == 2  # 积 and 积极, no partial-byte piece, no Ġ form
    assert not any(s.startswith("Ġ") for s in strings("positive") + strings("积极"))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("authors_analysis")
    texts = ['Review one.\nMood: "positive"', 'Resena dos.\nAnimo: "malo"', "bueno malo positive negative"] * 30
    tiny_qwen_dir(d, texts, 320, TINY)
    return d


def test_authors_lens_sums_sets_drops_overlap_and_counts_bits(tiny_model):
    model, tok = models.load_causal_lm(tiny_model / "model"), prompts.load_tokenizer(str(tiny_model / "model"))
    texts = ['Review one.\nMood: "', 'Resena dos.\nAnimo: "', 'x: "']
    english, target = ["positive", "negative", "positive"], ["bueno", "negative", "positive"]
    res = lens.authors_lens(model, tok, texts, english, target, drop_overlap=True, batch_size=2)
    # item 1 and 2: the English and localized sets are the same word's, so they overlap
    assert res.kept == [0] and res.dropped == {"empty_token_set": [], "overlap": [1, 2]}
    assert res.english.shape == (TINY["num_hidden_layers"], 1)  # one row per decoder layer
    en_ids, tg_ids = labels.authors_token_ids(tok, "positive"), labels.authors_token_ids(tok, "bueno")
    with torch.no_grad():
        own = torch.softmax(model(**tok(texts[0], return_tensors="pt")).logits[0, -1].double(), -1)
    assert res.english[-1, 0] == pytest.approx(float(own[list(en_ids)].sum()), abs=1e-5)
    assert res.target[-1, 0] == pytest.approx(float(own[list(tg_ids)].sum()), abs=1e-5)
    assert res.entropy_bits[-1, 0] == pytest.approx(float(-(own * own.log2()).sum()), abs=1e-4)
    # English is never filtered (the authors' target_lang != 'en')
    all_kept = lens.authors_lens(model, tok, texts, english, target, drop_overlap=False)
    assert all_kept.kept == [0, 1, 2] and all_kept.summary()["n"] == 3
    assert len(all_kept.summary()["english_ci"]) == TINY["num_hidden_layers"]


def _amazon_files(d: Path) -> dict[str, str]:
    words = {"en": ("positive", "negative"), "es": ("bueno", "malo"), "de": ("gut", "schlecht"),
             "bg": ("dobro", "losho")}
    files = {}
    for lang, (pos, neg) in words.items():
        rows = [{"id": f"amazon-{i:04d}", "task": "amazon", "lang": lang, "split": "test",
                 "origin": "source" if lang == "en" else "reference",
                 "review": "Review one." if i == 0 and lang == "en" else f"{lang} review {i}",
                 "label": ["positive", "negative"][i % 2], "label_local": [pos, neg][i % 2]} for i in range(6)]
        files[lang] = str(d / f"{lang}.jsonl")
        io.write_jsonl(files[lang], rows)
    return files


def test_probes_with_the_authors_prompts(tiny_model, tmp_path):
    files = _amazon_files(tmp_path)
    script = tmp_path / lens.AUTHORS_SCRIPT
    script.write_text(SCRIPT, encoding="utf-8")
    res = evaluation.probe("lens", str(tiny_model / "model"), files, str(tmp_path / "lens.json"), task="amazon",
                           prompt_file=PROMPT_FILE, languages=["en", "es", "de", "bg"], limit=6,
                           prompts_from="authors", authors_file=str(script))
    assert res["order"] == ["en", "es"] and set(res["skipped"]) == {"de", "bg"}
    assert res["languages"]["en"]["exemplar_items"] == ["amazon-0000"]  # an exemplar that is a test item
    assert res["languages"]["es"]["label_mismatches"] == 0 and res["prompts"] == "authors"
    assert res["precision"] == "fp32" and res["authors_file"] == lens.AUTHORS_SCRIPT
    with pytest.raises(ValueError, match="Amazon prompts only"):
        evaluation.probe("lens", str(tiny_model / "model"), files, str(tmp_path / "x.json"), task="snli",
                         prompt_file=PROMPT_FILE, languages=["en"], limit=6, prompts_from="authors",
                         authors_file=str(script))
    notebook = _notebook(tmp_path / pca.AUTHORS_NOTEBOOK)
    res = evaluation.probe("pca", str(tiny_model / "model"), files, str(tmp_path / "pca.json"), task="amazon",
                           prompt_file=PROMPT_FILE, languages=["en", "es", "de"], limit=6,
                           prompts_from="authors", authors_file=str(notebook))
    assert res["layer"] == 1 and res["pairs"] == ["en-de"]  # the notebook's layer; its pairs among the languages
    assert all(len(v) == TINY["num_hidden_layers"] + 1 for v in res["pearson"].values())
    assert res["n_items"] == 6 and np.asarray(res["coords"]).shape == (18, 2)


# --------------------------------------------------------------------------- #
# The authors' PCA
# --------------------------------------------------------------------------- #
def test_notebook_is_parsed_not_run(tmp_path):
    nb = pca.read_authors_notebook(_notebook(tmp_path / "nb.ipynb"))
    assert nb.languages == ("en", "es", "de") and nb.layer == 1 and nb.fields["es"] == "Animo: "
    assert pca.authors_prompts(nb, "de", ["Gut."]) == ['Kritik eins.\nStimmung: "gut"\nGut.\nStimmung: "']
    with pytest.raises(KeyError, match="no prompt for 'fr'"):
        pca.authors_prompts(nb, "fr", ["x"])


def test_pc1_pearson_matches_scikit_learn():
    """The notebook's statistic: sklearn PCA(n_components=1).fit_transform over all prompts, then
    np.corrcoef of two languages' first-component coordinates, item by item."""
    decomposition = pytest.importorskip("sklearn.decomposition")
    rng = np.random.default_rng(0)
    langs, n = ["en", "de", "hi"], 50
    content = rng.normal(size=(n, 40))
    x = np.concatenate([content * s + rng.normal(size=(n, 40)) * 0.5 + rng.normal(size=40) * 3
                        for s in (1.0, 0.8, 0.3)])
    pairs = [("en", "de"), ("en", "hi"), ("de", "hi")]
    mine, coords, explained = pca.pc1_pearson(x, langs, n, pairs)
    for solver in ("full", "randomized"):
        ref = decomposition.PCA(n_components=1, svd_solver=solver, random_state=0).fit_transform(x)[:, 0]
        by_lang = {lang: ref[k * n:(k + 1) * n] for k, lang in enumerate(langs)}
        for a, b in pairs:
            assert mine[f"{a}-{b}"] == pytest.approx(np.corrcoef(by_lang[a], by_lang[b])[0, 1], abs=1e-6)
        assert abs(np.corrcoef(coords[:, 0], ref)[0, 1]) == pytest.approx(1.0, abs=1e-9)
    assert mine["en-de"] > 0.5  # the same items in aligned languages agree
    with pytest.raises(ValueError, match="expected 3 languages x 40 items"):
        pca.pc1_pearson(x, langs, 40, pairs)


def test_hidden_states_pooled_as_transformers_returns_them(tiny_model):
    model, tok = models.load_causal_lm(tiny_model / "model"), prompts.load_tokenizer(str(tiny_model / "model"))
    texts = ["Review one.", 'Resena dos.\nAnimo: "malo" and a longer tail']
    pooled = pca.mean_pooled_hidden_states(model, tok, texts, batch_size=2)
    assert pooled.shape[0] == TINY["num_hidden_layers"] + 1
    for i, text in enumerate(texts):
        with torch.no_grad():
            hidden = model(**tok(text, return_tensors="pt"), output_hidden_states=True).hidden_states
        for layer, h in enumerate(hidden):  # the last one after the final norm, as the notebook reads it
            np.testing.assert_allclose(pooled[layer, i], h[0].float().mean(0).numpy(), atol=1e-4, rtol=1e-4)
