"""A scripted "model" for the KodCode mode: answers every KodCode prompt through the real local
chat-completions server (``xcoder.llm.testing.FakeChatServer``) with real artefacts (questions,
stubs, solutions, pytest files) that the judge really runs.

Self-verification attempts differ by their request seed (``outcome(bank, seed)``), so a test can
check each recorded attempt against what the model sent: a right pair, a wrong solution, a test
file importing a module the sandbox lacks, one with no tests, one that does not parse, or a
solution that hangs at import. Reject-sampling answers by choice index: 0 right but with a
differently named function and separate reasoning, 1 wrong, 2 right with inline ``<think>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from xcoder.llm.testing import Call, HTTPError, Reply


@dataclass
class KodBank:
    key: str  # the entry point's name: appears in the snippet, question, stub and later prompts
    snippet: str
    question: str
    stub: str
    correct: str
    wrong: str
    test: str
    outcomes: tuple[str, ...]  # outcome of an attempt: outcomes[seed % len(outcomes)]
    bad_stub: bool = False  # the rewrite to a stub leaks the implementation


BANK = [
    KodBank(
        key="sum_even",
        snippet="def sum_even(values):  # sum_even\n    return sum(v for v in values if v % 2 == 0)\n",
        question="Write a function `sum_even(nums)` returning the sum of the even integers in `nums` (0 for an "
        "empty list). Example: sum_even([1, 2, 3, 4]) == 6.",
        stub='def sum_even(nums: list) -> int:\n    """Return the sum of the even integers in nums.\n'
        '    >>> sum_even([1, 2, 3, 4])\n    6\n    """\n',
        correct="def sum_even(nums):\n    return sum(x for x in nums if x % 2 == 0)\n",
        wrong="def sum_even(nums):\n    return sum(nums)\n",
        test="from solution import sum_even\n\ndef test_mixed():\n    assert sum_even([1, 2, 3, 4]) == 6\n\n"
        "def test_empty():\n    assert sum_even([]) == 0\n\n"
        "def test_negative():\n    assert sum_even([-2, -3]) == -2\n",
        outcomes=("ok",),
    ),
    KodBank(
        key="reverse_words",
        snippet="def reverse_words(text):  # reverse_words\n    return ' '.join(text.split()[::-1])\n",
        question="Write `reverse_words(s)` returning the words of `s` in reverse order, separated by single spaces.",
        stub='def reverse_words(s: str) -> str:\n    """Reverse the order of the words in s.\n'
        '    >>> reverse_words("hello world")\n    \'world hello\'\n    """\n',
        correct="def reverse_words(s):\n    return ' '.join(reversed(s.split()))\n",
        wrong="def reverse_words(s):\n    return s[::-1]\n",
        test="import pytest\nfrom solution import reverse_words\n\n@pytest.mark.parametrize('s, want', "
        "[('hello world', 'world hello'), ('a', 'a'), ('', ''), ('  x   y ', 'y x')])\n"
        "def test_reverse(s, want):\n    assert reverse_words(s) == want\n",
        outcomes=("no_tests", "ok", "unparsable"),
        bad_stub=True,
    ),
    KodBank(
        key="longest_run",
        snippet="def longest_run(xs):  # longest_run\n    pass\n",
        question="Write `longest_run(nums)` returning the length of the longest strictly increasing contiguous run "
        "of `nums` (0 for an empty list).",
        stub='def longest_run(nums: list) -> int:\n    """Length of the longest strictly increasing contiguous run.\n'
        '    >>> longest_run([1, 3, 5, 4, 7])\n    3\n    """\n',
        correct="def longest_run(nums):\n    best = cur = 0\n    for i, x in enumerate(nums):\n"
        "        cur = cur + 1 if i and x > nums[i - 1] else 1\n"
        "        best = max(best, cur)\n    return best\n",
        wrong="def longest_run(nums):\n    return len(nums)\n",
        test="from solution import longest_run\n\ndef test_empty():\n    assert longest_run([]) == 0\n\n"
        "def test_mixed():\n    assert longest_run([1, 3, 5, 4, 7]) == 3\n\ndef test_flat():\n"
        "    assert longest_run([2, 2, 2]) == 1\n",
        outcomes=("wrong", "hang", "wrong", "ok"),
    ),
    KodBank(
        key="digit_sum",
        snippet="def digit_sum(n):  # digit_sum\n    return sum(map(int, str(n)))\n",
        question="Write `digit_sum(n)` returning the sum of the decimal digits of the non-negative integer `n`.",
        stub='def digit_sum(n: int) -> int:\n    """Sum of the decimal digits of n.\n    >>> digit_sum(123)\n    6\n'
        '    """\n',
        correct="def digit_sum(n):\n    return sum(map(int, str(n)))\n",
        wrong="def digit_sum(n):\n    return n\n",
        test="from solution import digit_sum\n\ndef test_digits():\n    assert digit_sum(123) == 6\n",
        outcomes=("missing_module",),
    ),
]


def outcome(bank: KodBank, seed: int) -> str:
    return bank.outcomes[seed % len(bank.outcomes)]


def bank_for(text: str) -> KodBank:
    for bank in BANK:
        if bank.key in text:
            return bank
    raise HTTPError(400, "the scripted KodCode model does not know this problem")


def py(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def attempt_answer(bank: KodBank, seed: int) -> str:
    kind = outcome(bank, seed)
    solution, test = bank.correct, bank.test
    if kind == "wrong":
        solution = bank.wrong
    elif kind == "hang":
        solution = "while True:\n    pass\n"
    elif kind == "missing_module":
        test = "import no_such_module_xyz\n" + test
    elif kind == "no_tests":
        test = f"from solution import {bank.key}\n\nEXPECTED = 1\n"
    elif kind == "unparsable":
        test = "def test_(:\n    pass\n"
    return (
        f"Here is my answer.\n\n<|Solution Begin|>\n{py(solution)}\n<|Solution End|>\n"
        f"<|Test Begin|>\n{py(test)}\n<|Test End|>\n"
    )


class KodScriptedModel:
    """Responder for ``FakeChatServer``, by the prompt's title (its first line)."""

    def __call__(self, call: Call) -> str | Reply:
        text = call.last_user
        title = text.split("\n", 1)[0].strip()
        bank = bank_for(text)
        if title == "# KodCode: write a coding question (instruct style)":
            return f"<|Question Begin|>\n{bank.question}\n<|Question End|>"
        if title == "# KodCode: write a coding question (complete style)":
            return f"<|Question Begin|>\n{py(bank.stub)}\n<|Question End|>"
        if title == "# KodCode: solution and unit tests":
            return attempt_answer(bank, int(call.body["seed"]))
        if title == "# KodCode: rewrite a task as a completion stub":
            stub = bank.stub + "    return 0\n" if bank.bad_stub else bank.stub
            return f"<|Completion Begin|>\n{py(stub)}\n<|Completion End|>"
        if title == "# KodCode: rewrite a completion stub as a task":
            return f"<|Question Begin|>\n{bank.question}\n<|Question End|>"
        if title == "### Question:":
            renamed = bank.correct.replace(f"def {bank.key}(", "def solve(")
            return [
                Reply(f"Done.\n\n{py(renamed)}", reasoning="Check the examples first."),
                f"<think>\nquick\n</think>\n\n{py(bank.wrong)}",
                f"<think>\nCareful with empty input.\n</think>\n\n{py(bank.correct)}",
            ][call.choice_index % 3]
        raise HTTPError(400, f"scripted KodCode model does not know the prompt {title!r}")
