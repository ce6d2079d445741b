"""The LiveCodeBench-style generation prompt, shared by eval and data generation's SFT export.

One builder means a model is trained on exactly the prompt shape it is evaluated with. The
structure follows LiveCodeBench's chat prompt (a system message, then ``### Question:``,
``### Format:`` and ``### Answer:`` sections); the wording is our own.
"""

from __future__ import annotations

import ast
from typing import Any

from xcoder import pyast
from xcoder.problem import Problem

DEFAULT_SYSTEM_PROMPT = (
    "You are an expert Python programmer. You will be given a programming problem and will "
    "write a correct and efficient Python program that meets the specification and passes "
    "all tests. Reply with the program only."
)

FORMAT_WITH_STARTER_CODE = (
    "Complete the starter code below to solve the problem, keeping its class and function "
    "signature, and put your solution in a fenced code block."
)
FORMAT_FUNCTION_NO_STARTER = (
    "Implement the function `{fn_name}` to solve the problem (as a method of `class Solution` "
    "or a top-level function); it is called with the inputs as arguments and its return value "
    "is checked. Put your solution in a fenced code block."
)
FORMAT_STDIN = (
    "Read the input from standard input, solve the problem and print the answer to standard "
    "output; do not hard-code the sample inputs. Put your program in a fenced code block as "
    "shown."
)
STDIN_PLACEHOLDER = "# YOUR CODE HERE"
ANSWER_HEADER = "### Answer: (your code in the fenced block format above)"


def build_user_prompt(problem: Problem) -> str:
    """The user turn: question, format instructions with starter code or stdin placeholder,
    and the answer header. A benchmark with its own convention (HumanEval, MBPP: eval.benchmarks)
    carries its user turn in ``metadata["user_prompt"]``."""
    if problem.metadata.get("user_prompt"):
        return str(problem.metadata["user_prompt"])
    if is_kodcode(problem):
        return build_kodcode_user_prompt(problem)
    parts = [f"### Question:\n{problem.question_content.strip()}\n"]
    if problem.starter_code.strip():
        parts.append(f"### Format: {FORMAT_WITH_STARTER_CODE}\n```python\n{problem.starter_code.rstrip()}\n```\n")
    elif problem.fn_name:
        parts.append(f"### Format: {FORMAT_FUNCTION_NO_STARTER.format(fn_name=problem.fn_name)}\n")
    else:
        parts.append(f"### Format: {FORMAT_STDIN}\n```python\n{STDIN_PLACEHOLDER}\n```\n")
    parts.append(f"{ANSWER_HEADER}\n")
    return "\n".join(parts)


def build_messages(problem: Problem, system_prompt: str | None = DEFAULT_SYSTEM_PROMPT) -> list[dict[str, str]]:
    """Chat messages for one problem. ``system_prompt=None`` omits the system turn (for models
    whose authors advise against one, e.g. several R1-style reasoning models). A problem that carries
    its own chat prompt in ``metadata["messages"]`` (an RL row's ``prompt``, sampled as GRPO will
    see it) is asked exactly that."""
    if problem.metadata.get("messages"):
        return [{"role": m["role"], "content": m["content"]} for m in problem.metadata["messages"]]
    messages: list[dict[str, str]] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": build_user_prompt(problem)})
    return messages


def apply_chat_template(
    tokenizer: Any,
    messages: list[dict[str, str]],
    chat_template_kwargs: dict[str, Any] | None = None,
) -> str:
    """Render messages with the tokenizer's chat template, ending with the generation prompt
    (the assistant header), ready for sampling."""
    if not getattr(tokenizer, "chat_template", None):
        name = getattr(tokenizer, "name_or_path", type(tokenizer).__name__)
        raise ValueError(
            f"tokenizer {name!r} has no chat template; the LiveCodeBench prompt needs one "
            "(use an instruct/chat model, or set tokenizer.chat_template)"
        )
    return tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=True, **(chat_template_kwargs or {})
    )


def build_prompt_text(
    tokenizer: Any,
    problem: Problem,
    system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
    chat_template_kwargs: dict[str, Any] | None = None,
) -> str:
    """:func:`build_messages` rendered through the tokenizer's chat template, followed by the
    problem's ``metadata["assistant_prefix"]`` when it has one (EvalPlus's prefilled answer start)."""
    text = apply_chat_template(tokenizer, build_messages(problem, system_prompt), chat_template_kwargs)
    return text + str(problem.metadata.get("assistant_prefix") or "")


# --------------------------------------------------------------------------------------------
# KodCode problems (a pytest file imports the program as ``solution``)

KODCODE_FORMAT_DECLARATION = (
    "Write the solution in Python. The function declaration is `{declaration}`: keep its name and "
    "parameters, since the tests import it by name. Put your code in a fenced code block."
)
KODCODE_FORMAT_NAMES = (
    "Write the solution in Python, keeping the function and class names the task uses, since the tests "
    "import them by name. Put your code in a fenced code block."
)
KODCODE_COMPLETE = "Complete the following Python code so that it does what its docstring describes."
KODCODE_FORMAT_COMPLETE = (
    "Write the whole function (its signature unchanged) and the imports it needs in a fenced code block."
)


def kodcode_declaration(problem: Problem) -> str | None:
    """The entry point's declaration from ``test_info`` (``def name(a, b):``), when the row has
    exactly one function."""
    info = problem.metadata.get("test_info")
    if isinstance(info, list) and len(info) == 1 and isinstance(info[0], dict):
        declaration = info[0].get("function_declaration")
        return str(declaration).strip() if declaration else None
    return None


def kodcode_stub(problem: Problem) -> str:
    """The code a complete-style KodCode problem asks to finish: the question itself when it is a
    Python stub (KodCode's layout), else a stub made of ``test_info``'s declaration and docstring."""
    question = problem.question_content.strip("\n")
    try:
        tree = pyast.parse(question)
    except (SyntaxError, ValueError):
        tree = None
    if tree is not None and any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in ast.walk(tree)
    ):
        return question
    declaration = kodcode_declaration(problem)
    if not declaration:
        return question
    info = problem.metadata["test_info"][0]
    doc = str(info.get("docstring") or question).strip().replace('"""', "'''")
    return f'{declaration}\n    """{doc}\n    """\n'


def build_kodcode_user_prompt(problem: Problem) -> str:
    """The user turn for a KodCode problem, in the LiveCodeBench layout of :func:`build_user_prompt`:
    ``instruct`` style: the question plus the entry point's declaration from ``test_info`` (the tests
    import it by name); ``complete`` style: the stub to finish (:func:`kodcode_stub`)."""
    style = problem.metadata.get("style") or "instruct"
    if style == "complete":
        parts = [
            f"### Question:\n{KODCODE_COMPLETE}\n```python\n{kodcode_stub(problem).rstrip()}\n```\n",
            f"### Format: {KODCODE_FORMAT_COMPLETE}\n",
        ]
    else:
        declaration = kodcode_declaration(problem)
        fmt = KODCODE_FORMAT_DECLARATION.format(declaration=declaration) if declaration else KODCODE_FORMAT_NAMES
        parts = [f"### Question:\n{problem.question_content.strip()}\n", f"### Format: {fmt}\n"]
    parts.append(f"{ANSWER_HEADER}\n")
    return "\n".join(parts)


def is_kodcode(problem: Problem) -> bool:
    """A KodCode problem (a unit-test problem loaded from a KodCode-V1 row) gets KodCode's prompt."""
    return problem.is_unittest and ("test_info" in problem.metadata or "style" in problem.metadata)


def build_kodcode_messages(
    problem: Problem, system_prompt: str | None = DEFAULT_SYSTEM_PROMPT
) -> list[dict[str, str]]:
    """Chat messages for a KodCode problem: :func:`build_messages`, the one builder SFT, GRPO, data
    generation and eval share (it picks KodCode's user turn by itself)."""
    return build_messages(problem, system_prompt)
