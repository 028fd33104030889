# Both studies: validate the config, build the Study it describes (mlpt.study), and define the
# dimensions, paths, resources and input functions every stage shares. Study A's own input functions
# are in multilingual.smk, study B's in spontaneous.smk; a study's rule files are active only when
# its config is read (is_activated).
import math
import os
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError

from mlpt import cluster, code_version
from mlpt import config as study_config
from mlpt import models, paths, rule_inputs, site_limits
from mlpt.prompts import PHRASES_FILE
from mlpt.study import MULTILINGUAL, SPONTANEOUS, Study


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

# ---- 2. the study and its dimensions ---------------------------------------------------------
STUDY = Study(config)


def is_activated(study):
    """Whether the rules of `study` (MULTILINGUAL: study A, SPONTANEOUS: study B) are this run's."""
    return STUDY.is_activated(study)


RUN = config["run"]
SRC = config["source_language"]
LANGS = STUDY.languages
TASKS = STUDY.tasks
MODELS = STUDY.models
# The trained mixtures by name (each with its .languages), and the untuned base model's name.
MIXTURES = STUDY.mixtures
PRETRAINED = STUDY.pretrained
MIXTURE_LANGUAGES = STUDY.mixture_languages()
RESOURCES = config["resources_dir"]
PHRASES = f"{RESOURCES}/{PHRASES_FILE}"
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
# (model, task, mixture) SFT run and evaluation, the base model ("pretrained") included.
SFT_RUNS = STUDY.sft_runs
EVALUATIONS = STUDY.evaluations
RUN_WILDCARDS = ("model", "task", "mixture")


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


# Wildcards match only configured values, so paths never parse ambiguously.
wildcard_constraints:
    task=alternatives(TASKS),
    model=alternatives(MODELS),
    lang=alternatives(LANGS),
    mixture=alternatives(STUDY.evaluated),


# ---- 3. models: downloaded hub models (models.smk), converted registry models, tiny copies ----
def is_tiny(model_entry):
    return "tiny" in model_entry


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
    """The real checkpoint's definition files a tiny copy is built from: its config, and in study A
    also its special tokens and chat template (study B's copies keep the run tokenizer's).
    """
    spec = config["models"][wildcards.model]
    ref = paths.model_reference(RESOURCES, spec["tiny"]["like"])
    files = {"config": f"{ref}/config.json"}
    if is_activated(SPONTANEOUS):
        return files
    files["special_tokens"] = f"{ref}/special_tokens.json"
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


def checkpoint_path(model, task, mixture):
    """The weights evaluated for (model, task, mixture): the base model for 'pretrained'."""
    if mixture == PRETRAINED:
        return recorded_weights(base_model_path(model))
    return out("sft_model", model=model, task=task, mixture=mixture)


# ---- 4. training (rule sft, both studies) ----------------------------------------------------
def accelerate_config(wildcards):
    """FSDP launcher settings for models above sft.fsdp_min_params_b (None: DDP / one process)."""
    return cluster.accelerate_config(config, wildcards.model, workflow.basedir)


def sft_recipe(wildcards):
    """The recipe of the model on the task (mlpt.cluster.sft_recipe: the sft keys with the task's
    overrides and the gradient checkpointing of the model's cluster.sft tier); study A's validation
    decodes answers, at most evaluation.max_gen_toks tokens."""
    recipe = cluster.sft_recipe(config, wildcards.model, wildcards.task)
    if not is_activated(MULTILINGUAL):
        return recipe
    return {**recipe, "val_max_new_tokens": config["evaluation"]["max_gen_toks"]}


def sft_kind(wildcards):
    """What the training records hold: the task's kind (study A), or question-translation pairs,
    which have no answers, so no scorer is ever called (study B, selection `last` or `val_loss`).
    """
    if is_activated(SPONTANEOUS):
        return "question_translation"
    return config["tasks"][wildcards.task]["kind"]


def sft_priority(wildcards):
    """Longest sft jobs first (study A): the training examples the run goes through (repeats
    counted, at least min_steps updates), a proxy of its cost. On few cores a long job started last
    would otherwise run alone at the end; on a cluster the biggest runs are queued first.
    """
    if not is_activated(MULTILINGUAL):
        return 0
    recipe = sft_recipe(wildcards)
    batch, n_train = (
        recipe["global_batch_size"],
        config["tasks"][wildcards.task]["n_train"],
    )
    languages = len(MIXTURES[wildcards.mixture].languages)
    steps = math.ceil(n_train * languages * recipe["epochs"] / batch)
    return max(steps, recipe.get("min_steps") or 0) * batch


# ---- 5. the final tables and figures (rule all, the paper build) -----------------------------
FINAL_TABLES = STUDY.final_tables()
FINAL_FIGURES = STUDY.final_figures()
# The HTML report's front page (snakemake --report), relative to the Snakefile.
REPORT_FRONT = {SPONTANEOUS: "workflow/report/spontaneous.rst"}.get(
    STUDY.name, "workflow/report/workflow.rst"
)


# The training curves of plot_loss_curves (sft.smk), per study: the caption and what the figure reads.
TRAINING_CURVES_CAPTION = {
    SPONTANEOUS: "../report/spontaneous_training_curves.rst"
}.get(STUDY.name, "../report/training_curves.rst")
TRAINING_CURVES_LABELS = {SPONTANEOUS: {"figure": "training curves"}}.get(STUDY.name)


def loss_curve_plotting():
    """The models and tasks (with their labels) of the training curves; study A's plotting params
    also name the run and order the mixtures."""
    if is_activated(MULTILINGUAL):
        return plotting_params()
    return {
        "models": {m: config["models"][m] for m in MODELS},
        "tasks": {t: {"label": t} for t in TASKS},
    }


def get_final_output():
    return [out(name) for name in STUDY.final_outputs()]
