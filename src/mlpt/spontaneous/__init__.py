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

Nothing here reads files outside the paths it is given.
"""
