"""mlpt: the pipeline behind "English is Not All You Need" (multilingual post-training) and
"LLMs are Good Spontaneous Multilingual Learners".

The Snakemake workflow (Snakefile, workflow/) calls thin scripts; all logic lives here so it can
be imported and unit-tested.
"""

__version__ = "0.1.0"
