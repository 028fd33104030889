# Study B, "Getting More from Less" (config/spontaneous.yaml, selected by `study: spontaneous`):
# validate, derive the study's dimensions, path helpers and input functions, then the stages.
#
#   fetch_reference -> prepare_data -> translate (task x language) -> build_qt_pairs (task x language)
#   -> build_condition -> sft (LoRA, merged) -> evaluate (one process per checkpoint)
#   -> collect_results -> tables and figures; probe_lens / probe_pca -> their figures
#
# A condition fills the {mixture} slot of the shared path scheme (src/mlpt/paths.py).
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError

from mlpt import cluster, code_version, paths, rule_inputs
from mlpt import config as study_config
from mlpt.prompts import PHRASES_FILE
from mlpt.spontaneous import study
from mlpt.spontaneous.prompts import PROMPTS_FILE
from mlpt.spontaneous.sources import local_path


# code("<script>.py"), a param of every script job: the hash of the script and of the package code
# it reaches (mlpt.code_version), so changing that code reruns exactly its jobs ("Params have
# changed"); Snakemake alone notices only a change of the script file itself.
def code(script):
    return code_version.code_hash(f"{workflow.basedir}/workflow/scripts/{script}")


# ---- 1. validate (before any job runs; errors name the key and the file) -------------------
try:
    study_config.validate(
        config,
        source=" + ".join(map(str, workflow.configfiles)) or "config",
        files=workflow.configfiles,
    )
except study_config.ConfigError as err:
    raise WorkflowError(f"Invalid configuration: {err}") from None

# ---- 2. derive the study's dimensions from config -------------------------------------------
RUN = config["run"]
SRC = config["source_language"]
LANGS = list(config["languages"])
TASKS = list(config["tasks"])
MODELS = list(config["models"])
CONDITIONS = study.conditions(config)
BASE = study.BASE
TRAINED = study.trained(config)
QT_LANGS = study.qt_languages(config)
RESOURCES = config["resources_dir"]
PROMPTS = f"{RESOURCES}/{PROMPTS_FILE}"
CHECKSUM_FILE = f"{RESOURCES}/{config['reference']['checksums']}"
CHECKSUMS = study.read_checksums(CHECKSUM_FILE) if Path(CHECKSUM_FILE).is_file() else {}
MT_CODES = {code: spec.get("nllb", code) for code, spec in config["languages"].items()}
SITE = cluster.site_settings()
SFT_RESOURCES = cluster.resource_callables(config, "sft", SITE)
EVALUATE_RESOURCES = cluster.resource_callables(config, "evaluate", SITE)
TRANSLATE_RESOURCES = cluster.resource_callables(config, "translate", SITE)


def out(name, **wildcards):
    """results/<run>/<pattern of `name`> (see src/mlpt/paths.py)."""
    return paths.path(name, RUN, **wildcards)


def log_path(name):
    return paths.log(name, RUN)


def bench_path(name):
    return paths.benchmark(name, RUN)


def alternatives(values):
    """A wildcard regex matching exactly the configured values."""
    return "|".join(re.escape(v) for v in values)


wildcard_constraints:
    task=alternatives(TASKS),
    model=alternatives(MODELS),
    lang=alternatives(LANGS),
    mixture=alternatives(CONDITIONS),


# ---- 3. models: downloaded hub models (download_model, models.smk) or tiny local copies --------
def hub_dir_of(repo):
    return f"{config['hub']['download_dir']}/{repo}"


def model_dir(spec):
    """Where a model is read from: the run's tiny copy, a local directory, or the download."""
    if "tiny" in spec:
        return None
    if Path(spec["hub_id"]).is_dir():
        return spec["hub_id"]
    return paths.hub_model(config["hub"]["download_dir"], spec["hub_id"])


HUB_MODELS = {
    model_dir(spec): spec["hub_id"]
    for spec in [*config["models"].values(), config["translation"]["model"]]
    if "hub_id" in spec and not Path(spec["hub_id"]).is_dir()
}
HUB_CHAT_TEMPLATES = {
    model_dir(spec): f"{RESOURCES}/{spec['chat_template']}"
    for spec in config["models"].values()
    if "hub_id" in spec and "chat_template" in spec
}


def base_model_path(model):
    spec = config["models"][model]
    return model_dir(spec) or out("base_model", model=model)


def mt_model_path():
    return model_dir(config["translation"]["model"]) or out("mt_model")


def checkpoint_path(wildcards):
    """The model one evaluation or probe reads: the base model, or the condition's tuned model."""
    if wildcards.mixture == BASE:
        return base_model_path(wildcards.model)
    return out(
        "sft_model",
        model=wildcards.model,
        task=wildcards.task,
        mixture=wildcards.mixture,
    )


# ---- 4. data input functions -----------------------------------------------------------------
def reference_dir(task):
    """The authors' files of `task` (source reference), or None (source shipped)."""
    if config["tasks"][task]["source"] != "reference":
        return None
    return out("sp_reference", task=task)


def reference_input(wildcards):
    return reference_dir(wildcards.task) or []


def test_file(task, lang):
    """Where the test items of `task` in `lang` are: the English records, or the language's."""
    if lang == SRC:
        return out("data", task=task)
    return out("translated", task=task, lang=lang)


def test_source(task):
    return config["tasks"][task]["source"]


# What every translate / translate_questions job is given (the split aside).
TRANSLATE_PARAMS = dict(
    source=lambda wc: test_source(wc.task),
    reference=lambda wc: reference_dir(wc.task),
    backend=config["translation"],
    codes=MT_CODES,
    mt_model=lambda wc: mt_model_path(),
    languages=config["languages"],
    work_dir=lambda wc: out("translate_work", task=wc.task, lang=wc.lang),
    seed=config["seed"],
    src=SRC,
)


def reference_pairs(task, lang):
    """The authors' question-translation file of `lang`, or None (machine-translated questions)."""
    found = study.qt_file(task, lang, CHECKSUMS)
    if reference_dir(task) is None or found is None:
        return None
    return str(local_path(reference_dir(task), found))


def question_input(wildcards):
    """The language's machine-translated training questions, unless the authors' pairs are used."""
    if reference_pairs(wildcards.task, wildcards.lang):
        return []
    return out("sp_questions", task=wildcards.task, lang=wildcards.lang)


def condition_qt_files(wildcards):
    """The question-translation records of each language of a condition, named "qt/<lang>"."""
    return {
        rule_inputs.key("qt", lang): out("sp_qt", task=wildcards.task, lang=lang)
        for lang in CONDITIONS[wildcards.mixture].languages
    }


def sft_hparams(wildcards):
    """The recipe of the model on the task: mlpt.cluster.sft_recipe (its tier's gradient checkpointing)."""
    return cluster.sft_recipe(config, wildcards.model, wildcards.task)


def sft_mixture_input(wildcards):
    """The condition's records, named by it (mlpt.rule_inputs), as the shared sft script reads them."""
    return {rule_inputs.key("mixture", wildcards.mixture): out("mixture", **wildcards)}


def sft_runs(wildcards):
    """The one run of an sft job: where its model, training log and checkpoints go."""
    return [
        {
            "mixture": wildcards.mixture,
            **{
                key: out(name, **wildcards)
                for key, name in (
                    ("model", "sft_model"),
                    ("train_log", "sft_log"),
                    ("checkpoints", "sft_checkpoints"),
                )
            },
        }
    ]


def accelerate_config(wildcards):
    """FSDP launcher settings for models above sft.fsdp_min_params_b (None: DDP / one process)."""
    return cluster.accelerate_config(config, wildcards.model, workflow.basedir)


# ---- 5. what each analysis reads -----------------------------------------------------------
def probe_runs(kind):
    """(model, task, condition) of every run the `kind` probe reads (config analysis.<kind>)."""
    spec = config["analysis"][kind]
    task = spec.get("task", TASKS[0])
    return [
        (m, task, x)
        for m in spec.get("models", MODELS)
        for x in spec.get("conditions", list(CONDITIONS))
    ]


def probe_languages(kind):
    return config["analysis"][kind].get("languages", LANGS)


def eval_runs():
    return [(m, t, x) for m in MODELS for t in TASKS for x in CONDITIONS]


def trained_runs():
    return [(m, t, x) for m in MODELS for t in TASKS for x in TRAINED]


def condition_languages():
    return {x: list(c.languages) for x, c in CONDITIONS.items()}


def run_inputs(name, runs):
    """The `name` file of each (model, task, condition) run, named "<model>/<task>/<condition>"
    (mlpt.rule_inputs: the script reads each by its run, never by position)."""
    return {
        rule_inputs.key(m, t, x): out(name, model=m, task=t, mixture=x)
        for m, t, x in runs
    }


def checkpoint_inputs(wildcards, languages, qt_languages=()):
    """What one evaluation or probe of a checkpoint reads, named: the model, the prompt wording,
    the test items of each language ("tests/<lang>") and the question-translation records of each
    of `qt_languages` ("qt/<lang>")."""
    return {
        "model": checkpoint_path(wildcards),
        "prompts": PROMPTS,
        **{
            rule_inputs.key("tests", lang): test_file(wildcards.task, lang)
            for lang in languages
        },
        **{
            rule_inputs.key("qt", lang): out("sp_qt", task=wildcards.task, lang=lang)
            for lang in qt_languages
        },
    }


def evaluate_inputs(wildcards):
    # held-out question-translation pairs of every tuned language: what tuning learned
    return checkpoint_inputs(wildcards, LANGS, QT_LANGS)


def probe_inputs(kind):
    return lambda wildcards: checkpoint_inputs(wildcards, probe_languages(kind))


def plot_models():
    return {m: config["models"][m] for m in MODELS}


def get_final_output():
    """Every final table and figure, each figure as PDF and PNG (the Snakefile's rule all)."""
    return [out(name) for name in FINAL_TABLES] + [
        out(f) for name in FINAL_FIGURES for f in (name, f"{name}_png")
    ]


# Named like study A's lists (common.smk), so the LaTeX build (paper.smk) reads either study's.
FINAL_TABLES = [
    "accuracy",
    "sp_qt_validation",
    "sp_conditions",
    "sp_conditions_tex",
    "sp_label_control",
    "sp_label_control_tex",
    "sp_lens_table",
    "sp_pca_table",
]
FINAL_FIGURES = [
    "sp_conditions_fig",
    "sp_label_control_fig",
    "sp_lens_fig",
    "sp_pca_fig",
    "training_curves",
]


# The HTML report's front page: study B's (replaces the Snakefile's, which describes study A).
report: "../report/spontaneous.rst"


include: "models.smk"
include: "spontaneous_data.smk"
include: "spontaneous_train.smk"
include: "spontaneous_analysis.smk"
include: "paper.smk"
