"""The path scheme: every file the workflow writes, in one place.

Patterns are relative to the working directory and use Snakemake wildcards; ``{run}`` is the
config's run name so runs never overwrite each other. The rules name every file through
:func:`path` (``out`` in workflow/rules/common.smk); scripts get their paths from the rules, and
tests and benchmarks that look for a run's files call :func:`path` as well.
"""

from __future__ import annotations

ROOT = "results/{run}"

PATTERNS = {
    # prepare_data
    "data": "data/{task}/source.jsonl",
    "references": "data/{task}/references.jsonl",
    "data_report": "data/{task}/report.json",
    "test_guard": "data/{task}/test_guard.json",
    # tiny models (only for config entries with `tiny:`)
    "tokenizer": "models/tokenizer",
    "base_model": "models/base/{model}",
    "mt_model": "models/mt",
    # translate
    "translated": "translated/{task}/{lang}.jsonl",
    "translation_qc": "translated/{task}/{lang}.qc.json",
    "translate_work": "work/translate/{task}/{lang}",  # finished MT shards for resuming (not a declared output)
    # select_items (the train/val items every mixture of a task shares) / build_mixture
    "mixture_items": "mixtures/{task}/items.json",
    "mixture": "mixtures/{task}/{mixture}.jsonl",
    "mixture_manifest": "mixtures/{task}/{mixture}.manifest.json",
    # sft (checkpoints for resuming live outside the declared output)
    "sft_model": "sft/{model}/{task}/{mixture}/model",
    "sft_log": "sft/{model}/{task}/{mixture}/train_log.json",
    "sft_checkpoints": "checkpoints/{model}/{task}/{mixture}",
    # GPU preflight (`preflight` target, not part of `all`): one measured SFT job per base model
    "preflight_model": "preflight/{model}.json",
    "preflight": "preflight.json",  # every model's record, read by `make plan`
    "preflight_work": "work/preflight/{model}",  # its records, checkpoint and model meanwhile (removed)
    # build_eval_tasks / evaluate
    "eval_tasks": "tasks/{task}",
    "eval": "eval/{model}/{task}/{mixture}.json",
    "eval_samples": "eval/{model}/{task}/{mixture}.samples.jsonl",
    # analysis
    "accuracy": "tables/accuracy.csv",
    "table1": "tables/table1_languages.csv",
    "table1_tex": "tables/table1_languages.tex",
    "fig2": "figures/fig2_accuracy_vs_languages.pdf",
    "fig2_png": "figures/fig2_accuracy_vs_languages.png",
    "fig2_by_exposure": "figures/fig2_by_exposure.pdf",  # Fig 2 split into direct / zero-shot (extra view)
    "fig2_by_exposure_png": "figures/fig2_by_exposure.png",
    "bilingual_changes": "tables/bilingual_changes.csv",
    "median_changes": "tables/median_changes.csv",
    "table2": "tables/table2_win_rates.csv",
    "table2_tex": "tables/table2_win_rates.tex",
    "table3": "tables/table3_regression.csv",
    "table3_tex": "tables/table3_regression.tex",
    "ttests": "tables/ttest_zero_shot_vs_direct.csv",
    "headlines": "tables/headline_numbers.csv",
    "headlines_tex": "tables/headline_numbers.tex",
    "zs_cases": "tables/zero_shot_vs_direct_cases.csv",  # one McNemar test per case
    "zs_shares": "tables/zero_shot_vs_direct_shares.csv",  # shares of cases better / not different / worse
    "zs_shares_tex": "tables/zero_shot_vs_direct_shares.tex",
    # the paper's statistics on the positive-control tasks (fit_stats_control), never the paper's numbers
    "control_bilingual_changes": "tables/control/bilingual_changes.csv",
    "control_median_changes": "tables/control/median_changes.csv",
    "control_table2": "tables/control/table2_win_rates.csv",
    "control_table2_tex": "tables/control/table2_win_rates.tex",
    "control_table3": "tables/control/table3_regression.csv",
    "control_table3_tex": "tables/control/table3_regression.tex",
    "control_ttests": "tables/control/ttest_zero_shot_vs_direct.csv",
    "control_zs_cases": "tables/control/zero_shot_vs_direct_cases.csv",
    "control_zs_shares": "tables/control/zero_shot_vs_direct_shares.csv",
    "control_zs_shares_tex": "tables/control/zero_shot_vs_direct_shares.tex",
    "control_headlines": "tables/control/headline_numbers.csv",
    "control_headlines_tex": "tables/control/headline_numbers.tex",
    "table4": "tables/table4_datasets.csv",
    "table4_tex": "tables/table4_datasets.tex",
    "fig3": "figures/fig3_median_change.pdf",
    "fig3_png": "figures/fig3_median_change.png",
    "fig4": "figures/fig4_zero_shot_vs_direct.pdf",
    "fig4_png": "figures/fig4_zero_shot_vs_direct.png",
    "fig7": "figures/fig7_heatmaps.pdf",
    "fig7_png": "figures/fig7_heatmaps.png",
    "extra_languages": "figures/extra_languages.pdf",
    "extra_languages_png": "figures/extra_languages.png",
    "fig8": "figures/fig8_scaling.pdf",
    "fig8_png": "figures/fig8_scaling.png",
    "fig9": "figures/fig9_zero_shot_other_models.pdf",
    "fig9_png": "figures/fig9_zero_shot_other_models.png",
    "training_curves": "figures/training_curves.pdf",
    "training_curves_png": "figures/training_curves.png",
    "translation_qc_table": "tables/translation_qc.csv",
    "translation_qc_fig": "figures/translation_qc_flags.pdf",
    "translation_qc_fig_png": "figures/translation_qc_flags.png",
    "mt_quality": "tables/mt_quality.csv",
    "benchmark_table": "tables/benchmarks.csv",
    # paper
    "paper_pdf": "paper/main.pdf",
    # study B (config/spontaneous.yaml) also writes data, translated, translation_qc, translate_work,
    # tokenizer, base_model, mt_model, mixture (a mixture's records), mixture_manifest, sft_*, eval,
    # eval_samples, accuracy and training_curves above; a mixture fills their {mixture} slot
    "sp_reference": "reference/{task}",  # the authors' files one task reads, checksummed (fetch_reference)
    "sp_questions": "translated/{task}/{lang}.questions.jsonl",  # training questions, machine-translated
    "sp_questions_qc": "translated/{task}/{lang}.questions.qc.json",
    # question-translation SFT records of one set of pairs (mlpt.spontaneous.study.QtSet: one direction, zh or
    # en2zh), test items kept out
    "sp_qt": "qt/{task}/{qt}.jsonl",
    "sp_qt_report": "qt/{task}/{qt}.report.json",
    "sp_lens": "probes/lens/{model}/{task}/{mixture}.json",
    "sp_pca": "probes/pca/{model}/{task}/{mixture}.json",
    "sp_qt_validation": "tables/qt_validation.csv",  # held-out question-translation loss per checkpoint
    "sp_mixtures": "tables/accuracy_by_mixture.csv",
    "sp_mixtures_tex": "tables/accuracy_by_mixture.tex",  # one row per mixture, for the LaTeX build
    "sp_mixtures_fig": "figures/accuracy_by_mixture.pdf",
    "sp_mixtures_fig_png": "figures/accuracy_by_mixture.png",
    "sp_lens_table": "tables/logit_lens.csv",
    "sp_lens_fig": "figures/logit_lens.pdf",
    "sp_lens_fig_png": "figures/logit_lens.png",
    "sp_pca_table": "tables/pca_language.csv",
    "sp_pca_fig": "figures/pca_language.pdf",
    "sp_pca_fig_png": "figures/pca_language.png",
    "sp_label_control": "tables/irrelevant_label_control.csv",  # real vs irrelevant label words
    "sp_label_control_tex": "tables/irrelevant_label_control.tex",  # pooled over languages
    "sp_label_control_fig": "figures/irrelevant_label_control.pdf",
    "sp_label_control_fig_png": "figures/irrelevant_label_control.png",
}


def path(name: str, run: str | None = None, **wildcards) -> str:
    """``results/<run>/<pattern>``; wildcards not given stay as ``{name}`` placeholders."""
    pattern = f"{ROOT}/{PATTERNS[name]}"
    values = {"run": run or "{run}", **wildcards}
    return pattern.format_map(_Keep(values))


def log(name: str, run: str) -> str:
    return f"results/{run}/logs/{name}.log"


def benchmark(name: str, run: str) -> str:
    return f"results/{run}/benchmarks/{name}.tsv"


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def hub_folder(hub_id: str) -> str:
    """The folder name of a Hugging Face model: ``<owner>--<name>`` (downloads, reference files)."""
    return hub_id.replace("/", "--")


def hub_model(download_dir: str, hub_id: str) -> str:
    """Where the download_model rule puts a hub model: ``<download_dir>/<owner>--<name>``
    (shared by runs, outside ``results/<run>``)."""
    return f"{download_dir}/{hub_folder(hub_id)}"


def registry_model(download_dir: str, name: str) -> str:
    """Where the convert_registry_model rule writes a checkpoint converted from registry packages
    (``models.<name>.registry``): ``<download_dir>/registry/<name>`` (shared by runs, beside the hub models)."""
    return f"{download_dir}/registry/{name}"


#: The checksums of every reference file under ``<resources_dir>/models/``, verified when they are read.
MODELS_CHECKSUMS = "models/SHA256SUMS"


def model_reference(resources_dir: str, hub_id: str) -> str:
    """The definition files of a real checkpoint (config, special tokens, chat template) that
    tiny copies are built from: ``<resources_dir>/models/<owner>--<name>``."""
    return f"{resources_dir}/models/{hub_folder(hub_id)}"
