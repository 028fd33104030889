# "English is Not All You Need": multilingual post-training, as one Snakemake workflow.
#
#   make demo                                  tiny models, real data, CPU, minutes
#   snakemake --profile slurm                  the full study (config/paper.yaml) on SLURM
#   snakemake --profile slurm results/paper/figures/fig2_accuracy_vs_languages.pdf
#
# Outputs: results/<run>/{data,translated,mixtures,sft,tasks,eval,tables,figures}/...
# (the whole path scheme is in src/mlpt/paths.py); logs/ and benchmarks/ beside them.


from snakemake.utils import min_version

min_version("9.0")


# The study by default; `--configfile config/demo.yaml` replaces it (configs are not merged:
# an experiment is one file).
if not workflow.configfiles:

    configfile: "config/paper.yaml"


report: "workflow/report/workflow.rst"


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


rule all:
    default_target: True
    input:
        get_final_output(),
