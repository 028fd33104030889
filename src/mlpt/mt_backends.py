"""MT backends, one callable interface ``translator(texts, src, tgt) -> list[str]`` (config
``translation.backend``): ``seq2seq`` runs any Hugging Face encoder-decoder MT model (NLLB, M2M100)
with language codes from the config (``languages.<code>.nllb``); ``llm`` prompts an
instruction-tuned causal LM through its chat template (optional few-shot examples); ``reference``
uses only existing parallel translations, so it has no translator. Batches are bucketed by length;
an input cut to the model's window and an output stopped at ``max_new_tokens`` are counted, never
silent.
"""

from __future__ import annotations

from collections.abc import Sequence

BACKENDS = ("seq2seq", "llm", "reference")


class _BatchedTranslator:
    """Length-bucketed batches, progress in the log, and counted (never silent) truncation.

    Subclasses load ``self.tokenizer`` and implement :meth:`_encode` and :meth:`_generate`."""

    batch_size: int
    max_input: int

    def __init__(self):
        self.truncated = 0  # inputs longer than the model's window (cut, counted, reported)
        self.hit_max_new_tokens = 0  # outputs that stopped at max_new_tokens instead of ending
        self.bucketed = True  # False: batches in input order (benchmarks/translate_throughput.py compares)

    def __call__(self, texts: Sequence[str], src: str, tgt: str, progress: bool = True) -> list[str]:
        from tqdm import tqdm

        self._prepare(src, tgt)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i])) if self.bucketed else list(range(len(texts)))
        out: list[str] = [""] * len(texts)
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        for idx in tqdm(batches, desc=f"translate {src}->{tgt}", disable=not progress, mininterval=5):
            inputs = self._encode([texts[i] for i in idx], src, tgt)
            lengths = inputs["attention_mask"].sum(dim=1)
            if int(lengths.max()) > self.max_input:
                self.truncated += int((lengths > self.max_input).sum())
                inputs = self._encode([texts[i] for i in idx], src, tgt, truncate=True)
            for i, text in zip(idx, self._generate(inputs, tgt)):
                out[i] = text.strip()
        return out

    def _prepare(self, src: str, tgt: str) -> None:
        """Per-call setup (e.g. the tokenizer's source language)."""

    def _count_unfinished(self, new_tokens) -> None:
        eos = self.model.generation_config.eos_token_id
        eos = set(eos if isinstance(eos, list) else [eos])
        pad = self.tokenizer.pad_token_id
        if new_tokens.shape[1] >= self.max_new_tokens:
            self.hit_max_new_tokens += sum(not ({int(t) for t in row} & eos) and int(row[-1]) != pad
                                           for row in new_tokens)


class Seq2SeqTranslator(_BatchedTranslator):
    """Batched generation with a Hugging Face seq2seq MT model (NLLB / M2M100 style)."""

    def __init__(self, model_path: str, codes: dict[str, str], batch_size: int = 16, num_beams: int = 1,
                 max_new_tokens: int = 256, device: str | None = None):
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        super().__init__()
        self.torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(model_path).to(self.device).eval()
        self.codes, self.batch_size = codes, batch_size
        self.num_beams, self.max_new_tokens = num_beams, max_new_tokens
        self.max_input = min(getattr(self.tokenizer, "model_max_length", 512) or 512, 512)

    def _prepare(self, src: str, tgt: str) -> None:
        self.tokenizer.src_lang = self.codes[src]  # passing src_lang per call is silently ignored

    def _encode(self, texts: list[str], src: str, tgt: str, truncate: bool = False):
        return self.tokenizer(texts, return_tensors="pt", padding=True, truncation=truncate,
                              max_length=self.max_input if truncate else None)

    def _generate(self, inputs, tgt: str) -> list[str]:
        forced = self.tokenizer.convert_tokens_to_ids(self.codes[tgt])
        with self.torch.no_grad():
            gen = self.model.generate(**inputs.to(self.device), forced_bos_token_id=forced,
                                      num_beams=self.num_beams, max_new_tokens=self.max_new_tokens)
        self._count_unfinished(gen[:, 1:])  # after the decoder start token
        return self.tokenizer.batch_decode(gen, skip_special_tokens=True)


class LLMTranslator(_BatchedTranslator):
    """An instruction-tuned causal LM prompted through its chat template to translate each text.

    ``few_shot`` maps a target language to ``[{source, target}, ...]`` examples, given as earlier
    user/assistant turns. The prompt asks to keep placeholders (``[V0]``) and numbers unchanged;
    structure protection is the same as for ``seq2seq`` (the model never sees calculator marks,
    API names, keys or non-linguistic values)."""

    SYSTEM = ("Translate the user's text from {src} to {tgt}. Keep placeholders such as [V0] and all numbers "
              "exactly as they are. Reply with the translation only.")

    def __init__(self, model_path: str, names: dict[str, str], batch_size: int = 8, max_new_tokens: int = 256,
                 few_shot: dict[str, list[dict]] | None = None, device: str | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        super().__init__()
        self.torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.tokenizer.padding_side = "left"
        self.tokenizer.truncation_side = "left"  # an over-long prompt keeps its end (the generation prompt)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(model_path).to(self.device).eval()
        self.names, self.few_shot = names, few_shot or {}
        self.batch_size, self.max_new_tokens = batch_size, max_new_tokens
        window = getattr(self.model.config, "max_position_embeddings", None) or 4096
        self.max_input = max(window - max_new_tokens, 1)

    def messages(self, text: str, src: str, tgt: str) -> list[dict]:
        system = self.SYSTEM.format(src=self.names.get(src, src), tgt=self.names.get(tgt, tgt))
        msgs = [{"role": "system", "content": system}]
        for shot in self.few_shot.get(tgt, []):
            msgs += [{"role": "user", "content": shot["source"]}, {"role": "assistant", "content": shot["target"]}]
        return msgs + [{"role": "user", "content": text}]

    def _encode(self, texts: list[str], src: str, tgt: str, truncate: bool = False):
        prompts = [self.tokenizer.apply_chat_template(self.messages(t, src, tgt), tokenize=False, add_generation_prompt=True)
                   for t in texts]
        return self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False,
                              truncation=truncate, max_length=self.max_input if truncate else None)

    def _generate(self, inputs, tgt: str) -> list[str]:
        with self.torch.no_grad():
            gen = self.model.generate(**inputs.to(self.device), do_sample=False, max_new_tokens=self.max_new_tokens,
                                      pad_token_id=self.tokenizer.pad_token_id)
        new = gen[:, inputs["input_ids"].shape[1] :]
        self._count_unfinished(new)
        return self.tokenizer.batch_decode(new, skip_special_tokens=True)


def language_names(languages: dict[str, dict]) -> dict[str, str]:
    """Display names of the config's languages (the llm backend's prompt names them)."""
    return {code: spec.get("name", code) for code, spec in languages.items()}


def make_translator(backend: dict, codes: dict[str, str], mt_model: str | None, names: dict[str, str] | None = None):
    """The configured MT backend as a callable; None for ``reference`` (no model)."""
    kind = backend["backend"]
    if kind == "reference":
        return None
    if kind == "seq2seq":
        return Seq2SeqTranslator(mt_model, codes, batch_size=backend["batch_size"], num_beams=backend["num_beams"],
                                 max_new_tokens=backend["max_new_tokens"])
    if kind == "llm":
        if "hub_id" not in backend.get("model", {"hub_id": mt_model}):
            raise ValueError("key 'translation/model': the llm backend needs hub_id (an instruction-tuned causal LM); "
                             "tiny builds a seq2seq model")
        return LLMTranslator(mt_model, names or {}, batch_size=backend["batch_size"],
                             max_new_tokens=backend["max_new_tokens"], few_shot=backend.get("llm", {}).get("few_shot"))
    raise ValueError(f"key 'translation/backend': unknown backend '{kind}'; expected one of {BACKENDS}")
