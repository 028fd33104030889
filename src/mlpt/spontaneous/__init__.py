"""Study B, "Getting More from Less: Large Language Models are Good Spontaneous Multilingual Learners".

The paper tunes base models on question-translation data only (a task question in language X,
translated into English; no answers) and measures few-shot accuracy in 20 languages. This package
holds the pieces that are specific to that study, each a small pure-Python API that a workflow
script calls:

* :mod:`.data` -- readers of the test sets (one JSON array per task and language, labels mapped
  back to English by row alignment) and of question-translation pairs; builds the SFT records of
  the question-translation stage.
* :mod:`.prompts` -- the few-shot prompts (in-language exemplars and field names, English label
  words in quotes, ending with the answer field and an opening quote).
* :mod:`.labels` -- the constrained label scorer (summed probability of each label word's prefix
  tokens), its irrelevant-label control and the free-generation irrelevant-output rate.
* :mod:`.lens` -- the logit lens (per layer: probability of the English vs the target-language
  label token, and entropy).
* :mod:`.pca` -- mean-pooled hidden states of parallel prompts, PCA per layer and the correlation
  of the first component with language.

Typical use (one task, one language; ``resources`` is the project's resources folder)::

    from mlpt.spontaneous import data, labels, prompts

    spec = prompts.load_prompt_spec(resources / prompts.PROMPTS_FILE)
    records = data.read_test_set(data_dir, "snli", "zh")
    texts = prompts.build_prompts(spec, "snli", records, seed=0)
    sets = labels.label_token_sets(tokenizer, data.TASKS["snli"].labels)  # once per tokenizer
    result = labels.score_labels(model, tokenizer, texts, sets, seed=0, keys=[r["id"] for r in records])
    accuracy = labels.positional_accuracy(result.predictions, [r["label"] for r in records],
                                          sets.labels, sets.labels)

Nothing here reads files outside the paths it is given.
"""
