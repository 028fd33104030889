"""Prompt phrases and templates: the single place that turns a record into model text.

Training (the mixture stage) and evaluation (the lm-eval task documents) both render prompts
with these functions, and both wrap them with the model's own chat template through
:func:`chat_prompt` / :func:`chat_completion`, so the text a model is trained on and the text
it is tested on cannot drift apart. The phrases themselves are data:
``resources/prompts/phrases.yaml``.

One decision for every chat template (config/README.md, "Chat format"): every rendering passes
:data:`CHAT_TEMPLATE_KWARGS`, i.e. ``enable_thinking=False``. Qwen3's template then ends the
generation prompt with an empty ``<think>\n\n</think>\n\n`` block, so the empty block is part of
the *prompt* in training (masked, never a target), in evaluation and in every few-shot exemplar
turn (:func:`render_conversation` renders each exemplar exactly like a training example);
templates without thinking (Gemma3) ignore the flag.

A tokenizer without a chat template gets :data:`FALLBACK_CHAT_TEMPLATE` (a plain
"### User / ### Assistant" layout ending with the EOS token), preceded by the BOS token when the
tokenizer itself adds one to plain text, as the model saw in pretraining.
"""

from __future__ import annotations

from pathlib import Path

from . import languages
from .languages import PHRASES_FILE  # noqa: F401  (where the table lies under a resources folder; callers read it here)

#: Passed to every ``apply_chat_template`` call (see the module docstring).
CHAT_TEMPLATE_KWARGS = {"enable_thinking": False}

FALLBACK_CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'user' %}### User:\n{{ m['content'] }}\n\n"
    "{% elif m['role'] == 'assistant' %}### Assistant:\n{{ m['content'] }}{{ eos_token }}\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}### Assistant:\n{% endif %}"
)


def load_phrases(path: str | Path, must_exist: bool = True) -> dict | None:
    """The language table at ``path`` (checked: :func:`mlpt.languages.load_table`); None for a
    missing file unless ``must_exist``."""
    path = Path(path)
    if not path.exists():
        if must_exist:
            raise FileNotFoundError(f"prompt phrase file not found: {path}")
        return None
    return languages.load_table(path)


def _lang(phrases: dict, lang: str) -> dict:
    try:
        return phrases["languages"][lang]
    except KeyError:
        raise KeyError(f"no prompt phrases for language '{lang}'") from None


def render_prompt(kind: str, record: dict, phrases: dict) -> str:
    """The user turn for a record of task kind ``kind`` in the record's language."""
    templates = phrases["templates"]
    if kind == "math":
        return templates["math"].format(question=record["question"], step_by_step=_lang(phrases, record["lang"])["step_by_step"])
    if kind == "api_call":
        date_line = f"{record['date']}\n" if record.get("date") else ""
        return templates["api_call"].format(apis=record["apis"], dialogue=record["question"], date_line=date_line)
    raise ValueError(f"unknown task kind '{kind}'")


def render_response(kind: str, record: dict, phrases: dict) -> str:
    """The assistant turn a training record teaches. Math: the chain of thought followed by the
    language's answer phrase stating the answer, or, for a record whose ``reasoning`` already ends
    with its own statement of the answer (``answer_stated``: mCoT-MATH's solutions, which are kept
    as the dataset writes them, and their machine translations), that text as it is."""
    if kind == "math":
        if record.get("answer_stated"):
            return record["reasoning"]
        answer = _lang(phrases, record["lang"])["answer"].format(answer=record["answer"])
        return f"{record['reasoning'].rstrip()}\n{answer}"
    if kind == "api_call":
        return phrases["templates"]["api_call_response"].format(call=record["call"])
    raise ValueError(f"unknown task kind '{kind}'")


def answer_phrases(phrases: dict) -> list[str]:
    """Every language's answer phrases (the extractor accepts any of them), longest first."""
    found = {p for spec in phrases["languages"].values() for p in spec["answer_phrases"]}
    return sorted(found, key=lambda p: (-len(p), p))


# --- chat formatting -------------------------------------------------------------------------


def ensure_chat_template(tokenizer) -> None:
    """Give a tokenizer without a chat template the documented fallback (with BOS if it adds one)."""
    if getattr(tokenizer, "chat_template", None):
        return
    bos = tokenizer.bos_token_id
    adds_bos = bos is not None and tokenizer("x")["input_ids"][:1] == [bos]
    tokenizer.chat_template = ("{{ bos_token }}" if adds_bos else "") + FALLBACK_CHAT_TEMPLATE


def load_tokenizer(model_path: str):
    """A model's tokenizer as training and evaluation use it: chat template ensured, and the EOS
    token as padding where the tokenizer has none."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    ensure_chat_template(tokenizer)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def chat_prompt(tokenizer, user_text: str) -> str:
    """The exact text a model sees before its answer, in training, validation and evaluation."""
    ensure_chat_template(tokenizer)
    return tokenizer.apply_chat_template(
        [{"role": "user", "content": user_text}], tokenize=False, add_generation_prompt=True, **CHAT_TEMPLATE_KWARGS
    )


def chat_completion(tokenizer, user_text: str, response: str) -> tuple[str, str]:
    """(prompt, completion): the completion is everything the template adds after the prompt,
    i.e. the response and the end-of-turn marker. Loss is computed on the completion only."""
    prompt = chat_prompt(tokenizer, user_text)
    full = tokenizer.apply_chat_template(
        [{"role": "user", "content": user_text}, {"role": "assistant", "content": response}], tokenize=False,
        **CHAT_TEMPLATE_KWARGS,
    )
    if not full.startswith(prompt):
        raise ValueError("chat template renders the prompt differently with and without the answer; cannot mask the loss")
    return prompt, full[len(prompt) :]


def render_conversation(tokenizer, messages: list[dict]) -> str:
    """Few-shot exemplar turns and a final question, each turn rendered as training renders it.

    ``messages`` alternate user/assistant and end with a user turn. Every (user, assistant) pair is
    rendered by :func:`chat_completion` — the text a training example is made of — and the final
    user turn by :func:`chat_prompt`; the pieces are joined, with the BOS token that a template
    writes at the start of a conversation kept only once. (Rendering the whole list with the
    template would differ for Qwen3, which drops the think block from earlier assistant turns.)
    """
    roles = [m["role"] for m in messages]
    if not roles or roles[-1] != "user" or roles != ["user", "assistant"] * (len(roles) // 2) + ["user"]:
        raise ValueError(f"expected alternating user/assistant turns ending with a user turn, got {roles}")
    pieces = []
    for user, assistant in zip(messages[:-1:2], messages[1::2]):
        pieces.append("".join(chat_completion(tokenizer, user["content"], assistant["content"])))
    pieces.append(chat_prompt(tokenizer, messages[-1]["content"]))
    bos = tokenizer.bos_token or ""
    return pieces[0] + "".join(p[len(bos):] if bos and p.startswith(bos) else p for p in pieces[1:])


def end_of_turn(tokenizer) -> str:
    """The marker the chat template puts after an assistant turn (a generation stop string)."""
    marker = "\u2063RESPONSE\u2063"
    _, completion = chat_completion(tokenizer, "x", marker)
    tail = completion.split(marker, 1)[1].strip()
    return tail or tokenizer.eos_token


def stop_token_ids(tokenizer) -> list[int]:
    """Token ids that end an answer: the template's end-of-turn token and the EOS token."""
    ids = []
    marker = tokenizer.convert_tokens_to_ids(end_of_turn(tokenizer))
    for i in (marker, tokenizer.eos_token_id):
        if isinstance(i, int) and i != tokenizer.unk_token_id and i not in ids:
            ids.append(i)
    return ids


def cut_at_stop(token_ids: list[int], stop_ids: list[int]) -> tuple[list[int], bool]:
    """(the answer's tokens, whether the answer ended): generated ``token_ids`` cut before the first
    stop token. Cutting tokens, not decoded text, matters: decoding with special tokens skipped
    (as lm-eval's HF backend does) would erase the end-of-turn marker and keep what follows it."""
    for i, t in enumerate(token_ids):
        if t in stop_ids:
            return token_ids[:i], True
    return token_ids, False


def useful_positions(token_ids: list[int], stop_ids: list[int]) -> int:
    """Decoded positions an answer needed: its tokens up to and including its stop token (all of
    them when it never stopped). What a decoder runs beyond this, for a row that has ended but
    shares a batch, is waste (benchmarks/decoding_waste.py)."""
    answer, ended = cut_at_stop(token_ids, stop_ids)
    return len(answer) + ended
