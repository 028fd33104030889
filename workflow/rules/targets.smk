# One target per stage of study A, from the run lists of common.smk: each plans its stage's jobs
# and what they need, nothing after it.
#   snakemake all_translations | all_sft | all_eval | all_figures


if is_activated(MULTILINGUAL):

    rule all_translations:
        input:
            for_jobs(out("translated"), TRANSLATIONS, TRANSLATION_WILDCARDS),

    rule all_sft:
        input:
            for_jobs(out("sft_model"), SFT_RUNS, RUN_WILDCARDS),

    rule all_eval:
        input:
            all_eval_files(),

    rule all_figures:
        input:
            [out(f) for name in FINAL_FIGURES for f in (name, f"{name}_png")],
            out("translation_qc_fig"),
            out("translation_qc_fig_png"),
