# Hub models (base models, the MT model) downloaded once before the jobs that load them, on the
# node that runs Snakemake: compute nodes need no internet (mlpt.hub).


localrules:
    download_model,


rule download_model:
    input:
        lambda wc: HUB_CHAT_TEMPLATES.get(hub_dir_of(wc.repo), []),
    output:
        directory(f"{config['hub']['download_dir']}/{{repo}}"),
    log:
        f"{config['hub']['download_dir']}/logs/{{repo}}.log",
    benchmark:
        f"{config['hub']['download_dir']}/logs/{{repo}}.benchmark.tsv"
    wildcard_constraints:
        repo=alternatives([d.rsplit("/", 1)[1] for d in HUB_MODELS]),
    conda:
        "../../envs/pipeline.yaml"
    params:
        hub_id=lambda wc: HUB_MODELS[hub_dir_of(wc.repo)],
        revision=lambda wc: config["hub"]["revisions"].get(
            HUB_MODELS[hub_dir_of(wc.repo)]
        ),
        chat_template=lambda wc: HUB_CHAT_TEMPLATES.get(hub_dir_of(wc.repo)),
    script:
        "../scripts/download_model.py"
