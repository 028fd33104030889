# "English is Not All You Need": multilingual post-training, as one Snakemake workflow.
#
#   make demo                                  tiny models, real data, CPU, minutes
#   snakemake --profile slurm                  the full study (config/paper.yaml) on SLURM
#   snakemake --profile slurm results/paper/figures/fig2_accuracy_vs_languages.pdf
#   snakemake --profile slurm preflight        per base model one measured SFT job, before the campaign
#
# Outputs: results/<run>/{data,translated,mixtures,sft,tasks,eval,tables,figures}/...
# (the whole path scheme is in src/mlpt/paths.py); logs/ and benchmarks/ beside them.
#   snakemake --configfile config/spontaneous.yaml     study B, "Getting More from Less"


from snakemake.utils import min_version

min_version("9.0")


# The study by default; `--configfile config/demo.yaml` replaces it (a config file may extend
# another, `extends: paper.yaml`, resolved where the config is validated: config/README.md).
if not workflow.configfiles:

    configfile: "config/paper.yaml"


report: "workflow/report/workflow.rst"


# Study B ("Getting More from Less", config/spontaneous.yaml: `study: spontaneous`) is a second
# experiment family of the same workflow: its rules (workflow/rules/spontaneous*.smk) call the same
# package code for translation, training, evaluation and analysis.
if config.get("study") == "spontaneous":

    include: "workflow/rules/spontaneous.smk"

else:

    include: "workflow/rules/common.smk"

    # Wildcards match only configured values, so paths never parse ambiguously.
    wildcard_constraints:
        task=alternatives(TASKS),
        model=alternatives(MODELS),
        lang=alternatives(LANGS),
        mixture=alternatives([PRETRAINED, *MIXTURES]),

    include: "workflow/rules/models.smk"
    include: "workflow/rules/data.smk"
    include: "workflow/rules/translate.smk"
    include: "workflow/rules/mixtures.smk"
    include: "workflow/rules/sft.smk"
    include: "workflow/rules/evaluate.smk"
    include: "workflow/rules/analysis.smk"
    include: "workflow/rules/paper.smk"
    include: "workflow/rules/targets.smk"
    include: "workflow/rules/preflight.smk"


# Every final table and figure of the selected study (get_final_output: common.smk or spontaneous.smk).
rule all:
    default_target: True
    input:
        get_final_output(),
