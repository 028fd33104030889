# Two studies as one Snakemake workflow: "English is Not All You Need" (study A, multilingual
# post-training: config/paper.yaml) and "Getting More from Less" (study B, spontaneous multilingual
# learning: config/spontaneous.yaml, `study: spontaneous`).
#
#   make demo                                  tiny models, real data, CPU, minutes
#   snakemake --profile slurm                  study A (config/paper.yaml) on SLURM
#   snakemake --profile slurm results/paper/figures/fig2_accuracy_vs_languages.pdf
#   snakemake --profile slurm preflight        per base model one measured SFT job, before the campaign
#   snakemake --configfile config/spontaneous.yaml     study B
#
# Outputs: results/<run>/{data,translated,mixtures,sft,tasks,eval,tables,figures}/...
# (the whole path scheme is in src/mlpt/paths.py); logs/ and benchmarks/ beside them.


from snakemake.utils import min_version

min_version("9.0")


# Study A by default; `--configfile config/demo.yaml` replaces it (a config file may extend
# another, `extends: paper.yaml`, resolved where the config is validated: config/README.md).
if not workflow.configfiles:

    configfile: "config/paper.yaml"


# Validation, the study the config describes (mlpt.study.Study), the path scheme and what both
# studies share. A study's own files below hold rules only when its config is read (is_activated).
include: "workflow/rules/common.smk"
include: "workflow/rules/multilingual.smk"  # study A's input functions
include: "workflow/rules/spontaneous.smk"  # study B's input functions


report: REPORT_FRONT


# Base models: downloaded, converted from registry packages, or tiny copies (both studies).
include: "workflow/rules/models.smk"
# Data: English records, translations, training mixtures.
include: "workflow/rules/data.smk"  # A
include: "workflow/rules/translate.smk"  # A
include: "workflow/rules/mixtures.smk"  # A
include: "workflow/rules/spontaneous_data.smk"  # B
# Training, one job per (model, task, mixture), and its loss curves (both studies).
include: "workflow/rules/sft.smk"
# Evaluation, one job per checkpoint.
include: "workflow/rules/evaluate.smk"  # A
include: "workflow/rules/spontaneous_evaluate.smk"  # B
# Tables and figures.
include: "workflow/rules/analysis.smk"  # A
include: "workflow/rules/spontaneous_analysis.smk"  # B
# The LaTeX build of the study's paper (both studies).
include: "workflow/rules/paper.smk"
# Per-stage targets and the GPU preflight (study A).
include: "workflow/rules/targets.smk"
include: "workflow/rules/preflight.smk"


# Every final table and figure of the study (mlpt.study.Study.final_outputs).
rule all:
    default_target: True
    input:
        get_final_output(),
