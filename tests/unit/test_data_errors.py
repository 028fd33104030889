"""Broken or altered copies of the shipped data: every error names the file, the line or item,
and the field; altered data fails its checksum; empty test sets, duplicates and disagreeing
golds stop prepare_data instead of a later stage."""

import json
import shutil

import pytest

from mlpt import data

MATH = {"n_train": 20, "n_val": 5, "n_test": 10}
API = {"n_train": 20, "n_val": 5, "n_test": 10}
CONTROL = {"n_train": 20, "n_val": 5, "n_test": 10}
LANGS = ["en", "es", "ja"]


@pytest.fixture
def res(tmp_path, root):
    """A copy of resources/ that a test may break."""
    shutil.copytree(root / "resources", tmp_path / "resources")
    return tmp_path / "resources"


def math(res, verify=False):
    return data.prepare("gsm8k_mgsm", res, "math", MATH, LANGS, "en", seed=1, verify_checksums=verify)


def api(res, verify=False):
    return data.prepare("api_bank", res, "api", API, ["en"], "en", seed=1, verify_checksums=verify)


def control(res, verify=False):
    return data.prepare("synthetic_arithmetic", res, "control", CONTROL, LANGS, "en", seed=1, verify_checksums=verify)


def _fails(prepare, res, *fragments):
    with pytest.raises(data.SourceError) as err:
        prepare(res)
    message = str(err.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def _edit_lines(path, edit):
    lines = path.read_text(encoding="utf-8").split("\n")
    edit(lines)
    path.write_text("\n".join(lines), encoding="utf-8")


def _edit_json(path, edit):
    items = json.loads(path.read_text(encoding="utf-8"))
    edit(items)
    path.write_text(json.dumps(items), encoding="utf-8")


# --- checksums ---------------------------------------------------------------------------------


def test_shipped_data_matches_its_checksums(res):
    assert math(res, verify=True).report["test"] == 10
    assert api(res, verify=True).report["test"] == 10


def test_altered_file_fails_its_checksum(res):
    _edit_lines(res / "gsm8k/train.jsonl", lambda lines: lines.pop(100))
    _fails(lambda r: math(r, verify=True), res, "gsm8k/train.jsonl", "SHA-256 differs", "SHA256SUMS",
           "data.verify_checksums")
    assert math(res, verify=False).report["pool"] == 7472  # a deliberate edit, switched off


def test_an_altered_control_template_fails_its_checksum(res):
    """"gets {b} more" -> "gets {b} fewer" would make every control gold answer wrong."""
    path = res / "control/templates.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("gets {b} more", "gets {b} fewer"), encoding="utf-8")
    spec = {"n_train": 10, "n_val": 2, "n_test": 4}
    _fails(lambda r: data.prepare("synthetic_arithmetic", r, "control", spec, LANGS, "en", seed=1, verify_checksums=True),
           res, "control/templates.yaml", "SHA-256 differs")


def test_a_file_that_is_read_but_not_listed_is_an_error(res):
    _edit_lines(res / "SHA256SUMS", lambda lines: lines.remove(next(l for l in lines if l.endswith("gsm8k/test.jsonl"))))
    _fails(lambda r: math(r, verify=True), res, "gsm8k/test.jsonl", "not listed in", "sha256sum gsm8k/test.jsonl")


def test_missing_checksum_list(res):
    (res / "SHA256SUMS").unlink()
    _fails(lambda r: api(r, verify=True), res, "SHA256SUMS: not found")


def test_malformed_checksum_line(res):
    _edit_lines(res / "SHA256SUMS", lambda lines: lines.insert(2, "not-a-digest gsm8k/train.jsonl"))
    _fails(lambda r: math(r, verify=True), res, "SHA256SUMS:3:", "<sha256>  <path>")


# --- empty test sets, duplicates, golds that differ between languages ---------------------------


def test_empty_mgsm_file(res):
    (res / "mgsm/mgsm_es.tsv").write_text("")
    _fails(math, res, "mgsm_es.tsv: no items")


def test_empty_api_test_list(res):
    (res / "api_bank/test-data/level-1-api.json").write_text("[]")
    _fails(api, res, "level-1-api.json: no items")


def test_mgsm_files_not_row_aligned(res):
    _edit_lines(res / "mgsm/mgsm_ja.tsv", lambda lines: lines.pop(3))
    _fails(math, res, "mgsm_ja.tsv: 249 items", "mgsm_en.tsv has 250")


def test_duplicate_gsm8k_item(res):
    _edit_lines(res / "gsm8k/train.jsonl", lambda lines: lines.insert(-1, lines[1]))
    _fails(math, res, "train.jsonl:7474: field 'question': duplicate of", "train.jsonl:2")


def test_duplicate_mgsm_item(res):
    _edit_lines(res / "mgsm/mgsm_es.tsv", lambda lines: lines.__setitem__(9, lines[4]))
    _fails(math, res, "mgsm_es.tsv:10: field 'question': duplicate of", "mgsm_es.tsv:5")


def test_duplicate_api_test_id(res):
    def same_id(items):
        items[7]["file"], items[7]["id"] = items[3]["file"], items[3]["id"]
    _edit_json(res / "api_bank/test-data/level-1-api.json", same_id)
    _fails(api, res, "level-1-api.json: item 7: field 'file+id': duplicate of", "level-1-api.json: item 3")


def test_mgsm_gold_differs_between_languages(res):
    def change_gold(lines):
        question, gold = lines[0].split("\t")
        assert gold == "18"
        lines[0] = f"{question}\t19"
    _edit_lines(res / "mgsm/mgsm_ja.tsv", change_gold)
    _fails(math, res, "mgsm-000", "field 'answer'", "en=18", "ja=19", "mgsm_ja.tsv:1")


# --- errors name the file, the line or item, and the field ----------------------------------------


def test_record_without_a_field(res):
    def drop_question(lines):
        row = json.loads(lines[2])
        del row["question"]
        lines[2] = json.dumps(row)
    _edit_lines(res / "gsm8k/train.jsonl", drop_question)
    _fails(math, res, "gsm8k/train.jsonl:3: field 'question': missing")


def test_gsm8k_answer_without_final_line(res):
    def drop_final(lines):
        row = json.loads(lines[4])
        row["answer"] = row["answer"].split("####")[0]
        lines[4] = json.dumps(row)
    _edit_lines(res / "gsm8k/train.jsonl", drop_final)
    _fails(math, res, "gsm8k/train.jsonl:5: field 'answer'", "'#### N'")


@pytest.mark.parametrize("relative, line", [("mgsm/mgsm_es.tsv", 5), ("gsm8k/train.jsonl", 12)])
def test_file_not_in_utf8(res, relative, line):
    path = res / relative
    raw = path.read_bytes().split(b"\n")
    raw[line - 1] = b"caf\xe9 " + raw[line - 1]  # "café" in Latin-1
    path.write_bytes(b"\n".join(raw))
    _fails(math, res, f"{relative}:{line}: not UTF-8", "byte 0xe9 at column 4")


def test_mgsm_answer_not_a_number(res):
    _edit_lines(res / "mgsm/mgsm_es.tsv", lambda lines: lines.__setitem__(3, lines[3].split("\t")[0] + "\tveinte"))
    _fails(math, res, "mgsm_es.tsv:4: field 'answer' (column 2)", "'veinte' is not a number")


def test_api_file_not_valid_json(res):
    path = res / "api_bank/test-data/level-1-api.json"
    path.write_text(path.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    _fails(api, res, "level-1-api.json:", "not valid JSON")


@pytest.mark.parametrize("relative, key", [
    ("api_bank/test-data/level-1-api.json", "expected_output"),
    ("api_bank/test-data/level-1-api.json", "input"),
    ("api_bank/training-data/lv3-api-train.json", "output"),
])
def test_api_item_without_a_field(res, relative, key):
    _edit_json(res / relative, lambda items: items[6].pop(key))
    _fails(api, res, f"{relative}: item 6: field '{key}': missing")


def test_api_gold_call_that_does_not_parse(res):
    def break_call(items):
        items[2]["expected_output"] = "API-Request: [not a call"
    _edit_json(res / "api_bank/test-data/level-1-api.json", break_call)
    _fails(api, res, "level-1-api.json: item 2: field 'expected_output': gold call does not parse")


def test_empty_control_templates_file(res):
    (res / "control/templates.yaml").write_text("")
    _fails(control, res, "templates.yaml: field 'languages': missing (the file is empty)")


def test_control_templates_not_valid_yaml(res):
    (res / "control/templates.yaml").write_text("languages:\n  en: [unclosed\n")
    _fails(control, res, "templates.yaml:", "not valid YAML")


def test_control_template_with_unknown_placeholder(res):
    path = res / "control/templates.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{name} has {a} {item}.", "{nme} has {a} {item}.", 1),
                    encoding="utf-8")
    _fails(control, res, "templates.yaml: field 'languages/en/templates/0'", "'nme'")


def test_control_languages_not_parallel(res):
    path = res / "control/templates.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("names: [Lucía, Mateo, Sofía, Diego]",
                                                             "names: [Lucía, Mateo, Sofía]", 1), encoding="utf-8")
    _fails(control, res, "templates.yaml: field 'languages/es/names': 3 entries", "'languages/en/names' has 4")


def test_duplicate_control_template(res):
    import yaml

    path = res / "control/templates.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["languages"]["ja"]["templates"][2] = doc["languages"]["ja"]["templates"][0]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _fails(control, res, "languages/ja/templates/2: field 'template': duplicate of", "languages/ja/templates/0")
