# Validate the config, expand the study's dimensions and the run's jobs, and define the path
# helpers and input functions the rules use (validate, then derive, then input functions).
import math
import os
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from mlpt import cluster, code_version
from mlpt import config as study_config
from mlpt import data as study_data
from mlpt import mixture_grammar, models
from mlpt import paths, rule_inputs, site_limits
from mlpt.prompts import PHRASES_FILE


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
MIXTURES = mixture_grammar.by_name(config)
PRETRAINED = mixture_grammar.PRETRAINED
TRAIN_LANGS = mixture_grammar.training_languages(config)
RESOURCES = config["resources_dir"]
PHRASES = f"{RESOURCES}/{PHRASES_FILE}"
MIXTURE_LANGUAGES = {name: list(m.languages) for name, m in MIXTURES.items()}
TASK_LABELS = {t: {"label": config["tasks"][t].get("label", t)} for t in TASKS}
MT_CODES = {code: spec.get("nllb", code) for code, spec in config["languages"].items()}
# Each task's translation settings: tasks.<task>.translation over the top-level translation block.
TRANSLATION = {task: study_config.task_translation(config, task) for task in TASKS}

# SLURM resources per job, from config (scaled by model size) and the site's MLPT_SLURM_* variables.
SITE = cluster.site_settings()
# A job whose request exceeds its partition's limits would wait in the queue forever: refused here,
# before anything is submitted, when the site states its limits (MLPT_SLURM_MAX_*; mlpt.site_limits).
try:
    _problems = site_limits.violations(config, site_limits.from_environment(), SITE)
except ValueError as err:
    raise WorkflowError(f"Invalid cluster limit: {err}") from None
if _problems:
    raise WorkflowError("Jobs that would never start:\n  " + "\n  ".join(_problems))
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


# The run's jobs, each list defined once and in the order of the tables and figures: every
# (task, lang) translation, (model, task, mixture) SFT run and (model, task, mixture) evaluation,
# the base model ("pretrained") included. Rules that take one file per job read these lists.
TRANSLATIONS = [(t, lang) for t in TASKS for lang in LANGS]
SFT_RUNS = [(m, t, x) for m in MODELS for t in TASKS for x in MIXTURES]
EVALUATIONS = [
    (m, t, x) for m in MODELS for t in TASKS for x in [PRETRAINED, *MIXTURES]
]
TRANSLATION_WILDCARDS = ("task", "lang")
RUN_WILDCARDS = ("model", "task", "mixture")


class JobCut:
    """How a rule's jobs are cut from its grid of items (``grid``, tuples of ``wildcards``):
    one job per item (``per_item``), or one job per group of items that share all but the last
    wildcard, which then takes every one of ``values`` in turn (``one_process_per`` set to the
    group: on a CPU, process start-up is most of a tiny model's job)."""

    def __init__(self, rule, grid, wildcards, values, per_item):
        self.per_item = per_item
        self.member = wildcards[-1]
        self.values = list(values)
        self.wildcards = tuple(wildcards) if per_item else tuple(wildcards[:-1])
        self.jobs = list(dict.fromkeys(item[: len(self.wildcards)] for item in grid))
        # the job's log and benchmark name: rule/{wildcard}/...
        self.name = paths.job_name(rule, self.wildcards)

    def members(self, wildcards):
        """The values of the last wildcard one job covers."""
        return [getattr(wildcards, self.member)] if self.per_item else self.values

    def outputs(self, name):
        """The rule's output files of kind ``name``: one per member, in the order of members."""
        if self.per_item:
            return [out(name)]
        return [out(name, **{self.member: v}) for v in self.values]

    def benchmarks(self):
        return for_jobs(bench_path(self.name), self.jobs, self.wildcards)


TRANSLATE_CUT = JobCut(
    "translate",
    TRANSLATIONS,
    TRANSLATION_WILDCARDS,
    LANGS,
    config["translation"]["one_process_per"] == "language",
)
SFT_CUT = JobCut(
    "sft",
    SFT_RUNS,
    RUN_WILDCARDS,
    MIXTURES,
    config["sft"]["one_process_per"] == "mixture",
)
EVAL_CUT = JobCut(
    "evaluate",
    EVALUATIONS,
    RUN_WILDCARDS,
    [PRETRAINED, *MIXTURES],
    config["evaluation"]["one_process_per"] == "mixture",
)


def for_jobs(pattern, jobs, wildcards):
    """``pattern`` filled in with each job's wildcard values, in the order of ``jobs``."""
    return [pattern.format(**dict(zip(wildcards, job))) for job in jobs]


def keyed(pattern, jobs, wildcards):
    """Rule inputs named by each job's wildcard values (mlpt.rule_inputs): {"math/es": file, ...}."""
    return {
        rule_inputs.key(*job): path
        for job, path in zip(jobs, for_jobs(pattern, jobs, wildcards))
    }


def alternatives(values):
    """A wildcard regex matching exactly the configured values."""
    return "|".join(re.escape(v) for v in values)


# ---- 3. input functions and parameters ------------------------------------------------------
def is_tiny(model_entry):
    return "tiny" in model_entry


def accelerate_config(wildcards):
    """FSDP launcher settings for models above sft.fsdp_min_params_b (None: DDP / one process)."""
    return cluster.accelerate_config(config, wildcards.model, workflow.basedir)


def hub_dir(hub_id):
    """Where a model named by hub_id is read from: a local directory as it is, else where
    download_model puts the hub model, <hub.download_dir>/<owner>--<name>."""
    if Path(hub_id).is_dir():
        return hub_id
    return paths.hub_model(config["hub"]["download_dir"], hub_id)


def hub_dir_of(repo):
    return f"{config['hub']['download_dir']}/{repo}"


# Every model a job loads by hub id (base models, each task's MT model) is downloaded once, before
# the jobs (rule download_model).
HUB_MODELS = {
    hub_dir(spec["hub_id"]): spec["hub_id"]
    for spec in [
        *config["models"].values(),
        *(translation["model"] for translation in TRANSLATION.values()),
    ]
    if "hub_id" in spec and not Path(spec["hub_id"]).is_dir()
}
# A chat template written into a downloaded model that carries none (models.<name>.chat_template).
HUB_CHAT_TEMPLATES = {
    hub_dir(spec["hub_id"]): f"{RESOURCES}/{spec['chat_template']}"
    for spec in config["models"].values()
    if "hub_id" in spec and "chat_template" in spec
}


def base_model_path(model):
    """Where the base weights come from: a locally built tiny model, a checkpoint converted from
    registry packages (rule convert_registry_model), or the downloaded hub model."""
    spec = config["models"][model]
    if is_tiny(spec):
        return out("base_model", model=model)
    if "registry" in spec:
        return paths.registry_model(config["hub"]["download_dir"], spec["registry"])
    return hub_dir(spec["hub_id"])


def get_tiny_reference_files(wildcards):
    """The real checkpoint's definition files a tiny copy is built from (and its chat template)."""
    spec = config["models"][wildcards.model]
    ref = paths.model_reference(RESOURCES, spec["tiny"]["like"])
    files = {
        "config": f"{ref}/config.json",
        "special_tokens": f"{ref}/special_tokens.json",
    }
    if "chat_template" in spec:
        files["chat_template"] = f"{RESOURCES}/{spec['chat_template']}"
    return files


def recorded_weights(path):
    """``path``, once the weights a rule recorded there are checked unchanged (sizes and
    modification times against the folder's record; mlpt.models): Snakemake sees only a folder's
    own time stamp, so a file changed in place would otherwise go unnoticed."""
    changed = models.changed_since_recorded(path) if os.path.isdir(path) else []
    if changed:
        raise WorkflowError(
            f"{path}: {', '.join(changed[:3])} changed since the folder's record was written: rebuild the "
            "model (snakemake -R download_model, build_base_model or convert_registry_model) or restore it"
        )
    return path


def get_base_model_input(wildcards):
    return recorded_weights(base_model_path(wildcards.model))


def mt_model_path(task):
    """The MT model of a task's translation: the run's tiny MT model, or its hub model."""
    spec = TRANSLATION[task]["model"]
    return out("mt_model") if is_tiny(spec) else hub_dir(spec["hub_id"])


def splits_for(lang):
    """Training languages need train+val data; every language is evaluated (test), and needs
    val for the base model's few-shot exemplars when evaluation.baseline_num_fewshot > 0.
    """
    if lang in TRAIN_LANGS:
        return ["train", "val", "test"]
    fewshot = config["evaluation"]["baseline_num_fewshot"] > 0
    return (["val"] if fewshot else []) + ["test"]


# Where each evaluated test set comes from, decided by the task's data adapter when the workflow is
# planned (a language without a human MGSM file gets the English items machine-translated; the
# control task's templates are checked for every language); flagged in accuracy.csv and Table 1.
TEST_SET_ORIGINS = {
    task: study_data.origin_of_test_sets(spec["source"], RESOURCES, LANGS, SRC)
    for task, spec in config["tasks"].items()
}
for _task, _origins in TEST_SET_ORIGINS.items():
    _human = [l for l, o in _origins.items() if o == study_data.HUMAN and l != SRC]
    _mt = [l for l, o in _origins.items() if o == study_data.MACHINE_TRANSLATED]
    if _human and _mt:  # a task with human test sets, but not for every language
        logger.warning(
            f"task '{_task}': no human test set for {_mt} in {RESOURCES}: their test items are "
            "machine-translated from the source language (flagged in accuracy.csv and Table 1)"
        )


def test_set_origins():
    """{task: {lang: "human" | "machine-translated"}} (TEST_SET_ORIGINS)."""
    return TEST_SET_ORIGINS


def get_translate_mt_input(wildcards):
    """The task's MT model, unless the job only copies the source language."""
    needs_mt = any(lang != SRC for lang in TRANSLATE_CUT.members(wildcards))
    return mt_model_path(wildcards.task) if needs_mt else []


def translate_runs(wildcards):
    """What the translate script needs per target language: the splits it needs, where its
    records and QC go, and its folder of resumable MT shards."""
    return [
        {
            "lang": lang,
            "splits": splits_for(lang),
            **{
                key: out(name, task=wildcards.task, lang=lang)
                for key, name in (
                    ("records", "translated"),
                    ("qc", "translation_qc"),
                    ("work_dir", "translate_work"),
                )
            },
        }
        for lang in TRANSLATE_CUT.members(wildcards)
    ]


def get_source_files(wildcards):
    spec = config["tasks"][wildcards.task]
    return study_data.source_files(spec["source"], RESOURCES, LANGS)


def prepare_data_spec(wildcards):
    """What prepare_data reads of the task's config (also recorded as its provenance); a Hub source
    adds the revision hub.revisions pins for its dataset (None: the adapter's own)."""
    task = config["tasks"][wildcards.task]
    keys = ("source", "n_train", "n_val", "n_test", "strip_calculator_annotations")
    spec = {k: task[k] for k in keys}
    # only when set: other runs' provenance stays as it was
    if task.get("expect_pool") is not None:
        spec["expect_pool"] = task["expect_pool"]
    hub = study_data.hub_dataset(task["source"])
    if hub is not None:
        spec["hub_revision"] = config["hub"]["revisions"].get(hub.repo)
    return spec


def language_files(task, languages):
    """The translated records of ``task`` in each of ``languages``, named by language code."""
    return {lang: out("translated", task=task, lang=lang) for lang in languages}


def get_mixture_language_files(wildcards):
    return language_files(wildcards.task, MIXTURES[wildcards.mixture].languages)


def get_training_language_files(wildcards):
    """Every language any mixture trains on (select_items keeps the items all of them have)."""
    return language_files(wildcards.task, TRAIN_LANGS)


def get_eval_language_files(wildcards):
    return language_files(wildcards.task, LANGS)


def get_sft_mixture_inputs(wildcards):
    """The job's mixture files, named by mixture (mlpt.rule_inputs)."""
    return {
        rule_inputs.key("mixture", x): out("mixture", task=wildcards.task, mixture=x)
        for x in SFT_CUT.members(wildcards)
    }


def sft_runs(wildcards):
    """What the sft script needs per run: its mixture (whose file is the input named by it) and
    where the model, the training log and the resumable checkpoints go."""
    wc = dict(wildcards)
    return [
        {
            "mixture": x,
            "model": out("sft_model", **{**wc, "mixture": x}),
            "train_log": out("sft_log", **{**wc, "mixture": x}),
            "checkpoints": out("sft_checkpoints", **{**wc, "mixture": x}),
        }
        for x in SFT_CUT.members(wildcards)
    ]


def sft_priority(wildcards):
    """Longest sft jobs first: the training examples the job's runs go through (repeats counted,
    at least min_steps updates), a proxy of its cost. On few cores a long job started last
    would otherwise run alone at the end; on a cluster the biggest runs are queued first.
    """
    recipe = sft_recipe(wildcards)
    batch, n_train = (
        recipe["global_batch_size"],
        config["tasks"][wildcards.task]["n_train"],
    )
    seen = 0
    for x in SFT_CUT.members(wildcards):
        steps = math.ceil(
            n_train * len(MIXTURES[x].languages) * recipe["epochs"] / batch
        )
        seen += max(steps, recipe.get("min_steps") or 0) * batch
    return seen


def sft_recipe(wildcards):
    """The recipe of the model on the task (mlpt.cluster.sft_recipe: the sft keys with the task's
    overrides and the gradient checkpointing of the model's cluster.sft tier)."""
    recipe = cluster.sft_recipe(config, wildcards.model, wildcards.task)
    return {**recipe, "val_max_new_tokens": config["evaluation"]["max_gen_toks"]}


def checkpoint_path(model, task, mixture):
    """The weights evaluated for (model, task, mixture): the base model for 'pretrained'."""
    if mixture == PRETRAINED:
        return recorded_weights(base_model_path(model))
    return out("sft_model", model=model, task=task, mixture=mixture)


def get_eval_model_inputs(wildcards):
    """The job's checkpoints, named by mixture (mlpt.rule_inputs)."""
    return {
        rule_inputs.key("checkpoint", x): checkpoint_path(
            wildcards.model, wildcards.task, x
        )
        for x in EVAL_CUT.members(wildcards)
    }


def eval_checkpoints(wildcards):
    """What the evaluate script needs per checkpoint: its mixture (whose weights are the input
    named by it), output files, and the in-language exemplars (only the untouched base model
    gets them)."""
    fewshot = config["evaluation"]["baseline_num_fewshot"]
    wc = dict(wildcards)
    return [
        {
            "mixture": x,
            "summary": out("eval", **{**wc, "mixture": x}),
            "samples": out("eval_samples", **{**wc, "mixture": x}),
            "num_fewshot": fewshot if x == PRETRAINED else 0,
        }
        for x in EVAL_CUT.members(wildcards)
    ]


# The GPU preflight measures decode waste on the test prompts of one task (paper: math, i.e. MGSM)
# in every language whose test set is human: they come from prepare_data alone, no translate job.
PREFLIGHT_DECODE_TASK = cluster.preflight_decode_task(config)
PREFLIGHT_DECODE_LANGS = [
    lang
    for lang, origin in TEST_SET_ORIGINS[PREFLIGHT_DECODE_TASK].items()
    if origin == study_data.HUMAN
]


def preflight_decode_prompts(wildcards, input):
    """What a preflight job's decode-waste step decodes, and how evaluation and validation decode
    it (the fields of mlpt.preflight.DecodePrompts)."""
    task = PREFLIGHT_DECODE_TASK
    recipe = cluster.sft_recipe(config, wildcards.model, task)
    return {
        "task": task,
        "kind": config["tasks"][task]["kind"],
        "languages": PREFLIGHT_DECODE_LANGS,
        "source_language": SRC,
        "data_file": input.data,
        "references_file": input.references,
        "phrases_file": input.phrases,
        "items_per_language": config["preflight"]["decode_items_per_language"],
        "max_new_tokens": config["evaluation"]["max_gen_toks"],
        "eval_batch_size": config["evaluation"]["batch_size"],
        "eval_backend": config["evaluation"]["backend"],
        "val_batch_size": recipe["val_batch_size"],
    }


def all_eval_files():
    return for_jobs(out("eval"), EVALUATIONS, RUN_WILDCARDS)


def compute_benchmarks():
    """Benchmark files of the expensive jobs (translation, training, evaluation)."""
    return TRANSLATE_CUT.benchmarks() + SFT_CUT.benchmarks() + EVAL_CUT.benchmarks()


def plotting_params():
    """What every figure needs to know of the study (never the whole config)."""
    return {
        "models": config["models"],
        "tasks": TASK_LABELS,
        "languages": config["languages"],
        "mixtures": [PRETRAINED, *MIXTURES],
        "mixture_languages": MIXTURE_LANGUAGES,
        "source_lang": SRC,
        "run": RUN,
    }


# Positive-control tasks (tasks.<task>.positive_control): plotted, and given the paper's
# statistics in their own tables (rule fit_stats_control), never in the paper's.
CONTROL_TASKS = [t for t in TASKS if config["tasks"][t]["positive_control"]]
CONTROL_TABLES = [
    f"control_{name}"
    for name in (
        "bilingual_changes",
        "median_changes",
        "table2",
        "table2_tex",
        "table3",
        "table3_tex",
        "ttests",
        "zs_cases",
        "zs_shares",
        "zs_shares_tex",
        "headlines",
        "headlines_tex",
    )
    if CONTROL_TASKS
]
FINAL_TABLES = [
    "accuracy",
    "table1",
    "table1_tex",
    "table2",
    "table2_tex",
    "table3",
    "table3_tex",
    "ttests",
    "zs_cases",
    "zs_shares",
    "zs_shares_tex",
    "headlines",
    "headlines_tex",
    "table4",
    "table4_tex",
    "translation_qc_table",
    "mt_quality",
    "benchmark_table",
    *CONTROL_TABLES,
]
FINAL_FIGURES = [
    "fig2",
    "fig2_by_exposure",
    "fig3",
    "fig4",
    "fig7",
    "fig8",
    "fig9",
    "extra_languages",
    "training_curves",
]


def get_final_output():
    return [out(name) for name in FINAL_TABLES] + [
        out(f) for name in FINAL_FIGURES for f in (name, f"{name}_png")
    ]
