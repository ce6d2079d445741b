"""A scripted "model" for SynthSmith tests: answers every stage's prompt like a (small, honest)
LLM would, through the real local chat-completions server of ``xcoder.llm.testing``.

The answers are real artefacts: statements of a few genuine problems with correct examples,
correct and subtly wrong Python solutions, cyaron generator programs and validators, so the
judge really runs them and majority votes really have to separate right from wrong. Per task,
the solution samples are, by choice index: 0 correct, 1 correct (with separate reasoning), 2 wrong
on some inputs, 3 a refusal, 4 two code blocks, 5 truncated by the token limit.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xcoder.llm.testing import Call, HTTPError, Reply

# ------------------------------------------------------------------------------------------------
# A bank of real problems


@dataclass
class Bank:
    key: str  # a word that appears in the statement, to recognise the task in later prompts
    title: str
    functional: bool
    answer: dict[str, Any]  # the step-2 JSON answer (without examples)
    examples: list[tuple[Any, Any]]  # (input, output) as the statement shows them
    correct: str
    wrong: str
    llm_inputs: list[Any]
    generator: str
    validator: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _kadane(text: str) -> str:
    nums = list(map(int, text.split()))[1:]
    best, cur = nums[0], 0
    for x in nums:
        cur = max(x, cur + x)
        best = max(best, cur)
    return f"{best}\n"


def _distinct(text: str) -> str:
    nums = text.split()[1:]
    return f"{len(set(nums))}\n"


def _count_pairs(nums: list[int], k: int) -> int:
    return sum(1 for i in range(len(nums)) for j in range(i + 1, len(nums)) if nums[i] + nums[j] == k)


BANK: list[Bank] = [
    Bank(
        key="lanterns",
        title="Brightest Stretch of Lanterns",
        functional=False,
        answer={
            "legend": "A street has $n$ lanterns in a row; lantern $i$ has brightness $a_i$ (possibly negative, "
            "for broken lanterns that absorb light). Choose a non-empty contiguous stretch of lanterns "
            "with the largest total brightness.",
            "input_format": "The first line contains $n$. The second line contains $n$ integers $a_1, \\dots, a_n$.",
            "output_format": "Print the largest total brightness of a non-empty contiguous stretch.",
            "constraints": ["$1 \\le n \\le 2 \\cdot 10^5$", "$-10^9 \\le a_i \\le 10^9$"],
        },
        examples=[("5\n1 -2 3 4 -1\n", "7\n"), ("3\n-5 -2 -7\n", "-2\n")],
        correct="import sys\n\ndef main():\n    data = sys.stdin.read().split()\n    n = int(data[0])\n"
        "    best = None\n    cur = 0\n    for x in map(int, data[1:n + 1]):\n        cur = max(x, cur + x)\n"
        "        best = cur if best is None else max(best, cur)\n    print(best)\n\nmain()\n",
        # Wrong on all-negative arrays (allows the empty stretch).
        wrong="import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\nbest = cur = 0\n"
        "for x in map(int, data[1:n + 1]):\n    cur = max(0, cur + x)\n    best = max(best, cur)\nprint(best)\n",
        # The last one breaks the constraints (n >= 1): the validator must reject it.
        llm_inputs=["1\n5\n", "1\n-3\n", "4\n-1 -1 -1 -1\n", "6\n2 -1 2 -1 2 -1\n", "0\n"],
        generator="import random, sys\nimport cyaron\n\nscale, seed = sys.stdin.readline().split()\nrandom.seed(int(seed))\n"
        "n = {'small': random.randint(1, 6), 'medium': 200, 'large': 3000, 'stress': 20000}[scale]\n"
        "low = -10 if scale == 'small' else -10**9\nvalues = [v[0] for v in cyaron.Vector.random(n, [(low, 10**9 if scale != 'small' else 10)])]\n"
        "if scale == 'small' and random.random() < 0.5:\n    values = [-abs(v) - 1 for v in values]\n"
        "print(n)\nprint(*values)\n",
        validator="import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\n"
        "ok = 1 <= n <= 2 * 10**5 and len(data) == n + 1 and all(abs(int(x)) <= 10**9 for x in data[1:])\n"
        "print('VALID' if ok else 'INVALID: bad input')\n",
    ),
    Bank(
        key="stamps",
        title="Stamp Collection",
        functional=False,
        answer={
            "legend": "Mira owns $n$ stamps, the $i$-th with catalogue number $c_i$. How many different "
            "catalogue numbers does her collection contain?",
            "input_format": "The first line contains $n$; the second line contains $c_1, \\dots, c_n$.",
            "output_format": "Print the number of different catalogue numbers.",
            "constraints": ["$1 \\le n \\le 10^5$", "$1 \\le c_i \\le 10^9$"],
        },
        examples=[("4\n1 2 2 3\n", "3\n"), ("3\n7 7 7\n", "1\n")],
        correct="n = int(input())\nprint(len(set(input().split())))\n",
        # Wrong whenever a number repeats three times or more.
        wrong="n = int(input())\nc = sorted(input().split(), key=int)\n"
        "print(n - sum(1 for i in range(1, n) if c[i] == c[i - 1] and (i < 2 or c[i - 1] != c[i - 2])))\n",
        llm_inputs=["1\n1\n", "5\n5 4 3 2 1\n", "6\n2 2 2 2 2 2\n", "2\n1000000000 1000000000\n"],
        generator="import random, sys\nscale, seed = sys.stdin.readline().split()\nrandom.seed(int(seed))\n"
        "n = {'small': 5, 'medium': 300, 'large': 5000, 'stress': 100000}[scale]\n"
        "top = 3 if scale == 'small' else 10**9\nprint(n)\nprint(*(random.randint(1, top) for _ in range(n)))\n",
        validator="import sys\nd = sys.stdin.read().split()\nn = int(d[0])\n"
        "print('VALID' if len(d) == n + 1 and 1 <= n <= 10**5 else 'INVALID: count')\n",
    ),
    Bank(
        key="pairings",
        title="Balanced Pairings",
        functional=True,
        answer={
            "description": "You are given an integer array `nums` and an integer `k`. Count the pairs of indices "
            "`(i, j)` with `i < j` and `nums[i] + nums[j] == k` (the pairings).",
            "func_name": "countPairs",
            "parameters": ["nums", "k"],
            "starter_code": "class Solution:\n    def countPairs(self, nums: List[int], k: int) -> int:\n        ",
            "constraints": ["1 <= nums.length <= 2000", "-10^4 <= nums[i], k <= 10^4"],
        },
        examples=[({"nums": [1, 2, 3, 4], "k": 5}, 2), ({"nums": [2, 2, 2], "k": 4}, 3)],
        correct="from collections import Counter\n\nclass Solution:\n    def countPairs(self, nums, k):\n"
        "        seen = Counter()\n        total = 0\n        for x in nums:\n            total += seen[k - x]\n"
        "            seen[x] += 1\n        return total\n",
        # Wrong when equal values pair up (counts unordered value pairs once).
        wrong="class Solution:\n    def countPairs(self, nums, k):\n        values = set(nums)\n"
        "        return sum(1 for x in values if k - x in values and x < k - x) + sum(nums.count(x) > 1 for x in values if 2 * x == k)\n",
        llm_inputs=[
            {"nums": [5], "k": 10},
            {"nums": [0, 0, 0, 0], "k": 0},
            {"nums": [-1, 1, -1, 1], "k": 0},
            {"nums": [3, 3, 4], "k": 6},
        ],
        generator="import json, random, sys\nscale, seed = sys.stdin.readline().split()\nrandom.seed(int(seed))\n"
        "n = {'small': 4, 'medium': 50, 'large': 500, 'stress': 2000}[scale]\n"
        "top = 3 if scale in ('small', 'medium') else 10**4\n"
        "nums = [random.randint(-top, top) for _ in range(n)]\nprint(json.dumps(nums))\n"
        "print(json.dumps(random.randint(-top, top)))\n",
        validator="import json, sys\nlines = sys.stdin.read().strip().split('\\n')\nnums, k = json.loads(lines[0]), json.loads(lines[1])\n"
        "print('VALID' if 1 <= len(nums) <= 2000 and isinstance(k, int) else 'INVALID')\n",
    ),
]

for _b in BANK:
    assert _b.key in json.dumps(_b.answer), _b.key


def _expected(bank: Bank, given: Any) -> Any:
    if bank.key == "lanterns":
        return _kadane(given)
    if bank.key == "stamps":
        return _distinct(given)
    return _count_pairs(given["nums"], given["k"])


def _bank_for(text: str) -> Bank | None:
    for bank in BANK:
        if bank.key in text:
            return bank
    return None


def _pick(text: str, options: list[Bank]) -> Bank:
    return options[int(hashlib.sha256(text.encode()).hexdigest(), 16) % len(options)]


def _py(code: str) -> str:
    return f"```python\n{code}```"


# ------------------------------------------------------------------------------------------------
# The responder


class ScriptedModel:
    """Callable responder for ``FakeChatServer``. ``overrides`` maps a prompt title (first line)
    to a function ``(call) -> answer`` used instead of the default; ``calls`` counts titles."""

    def __init__(self, overrides: dict[str, Callable[[Call], Any]] | None = None):
        self.overrides = overrides or {}
        self.calls: dict[str, int] = {}

    def __call__(self, call: Call) -> str | Reply:
        text = call.last_user
        title = text.split("\n", 1)[0].strip()
        if title.startswith("### Question"):
            title = "solution"
        self.calls[title] = self.calls.get(title, 0) + 1
        if title in self.overrides:
            return self.overrides[title](call)
        if title == "# Feature extraction":
            names = re.findall(r"def (\w+)", text)
            return json.dumps(
                {
                    "algorithms": [n.replace("_", " ") for n in names[:2]],
                    "techniques": ["careful iteration"],
                    "Data Structures": ["List"],
                }
            )
        if title == "# Feature evolution: breadth":
            return (
                "Sure! Here are new features:\n```json\n"
                + json.dumps({"techniques": ["prefix sums", "two pointers"], "mathematics": ["modular arithmetic"]})
                + "\n```"
            )
        if title == "# Feature evolution: depth":
            shown = json.loads(text.split("grouped by category:\n\n", 1)[1].split("\n\nChoose", 1)[0])
            leaf = shown["technique"]  # categories arrive normalised (singular)
            leaf = leaf[0] if isinstance(leaf, list) else next(iter(leaf))
            return json.dumps({"techniques": {leaf: [f"{leaf} with sentinels", f"{leaf} in reverse"]}})
        if title.startswith("# Task design, step 1"):
            pool = json.loads(
                text.split("(a sub-tree of a feature taxonomy):\n\n", 1)[1].split("\n\nFeatures that must", 1)[0]
            )
            return json.dumps(
                {
                    "selected_features": pool,
                    "integration_strategy": "Scan once while keeping a running summary.",
                    "scenario": "A town festival.",
                    "difficulty": "easy",
                }
            )
        if title.startswith("# Task design, step 2"):
            functional = "LeetCode" in title
            bank = _pick(text, [b for b in BANK if b.functional == functional])
            answer = {"title": bank.title, **bank.answer}
            answer["examples"] = [
                {
                    "input": given,
                    "output": _expected(bank, given) if not isinstance(out, str) else out,
                    "explanation": "",
                }
                for given, out in bank.examples
            ]
            return json.dumps(answer)
        bank = _bank_for(text)
        if title == "# Test design: test inputs":
            return json.dumps(
                {
                    "tests": [
                        {"input": x, "kind": "edge" if i % 2 else "standard"} for i, x in enumerate(bank.llm_inputs)
                    ]
                }
            )
        if title == "# Test design: input generator program":
            return "Here is the generator.\n\n" + _py(bank.generator)
        if title == "# Test design: input validator program":
            return _py(bank.validator)
        if title == "solution":
            return self.solution(bank, call.choice_index)
        raise HTTPError(400, f"scripted model does not know the prompt {title!r}")

    @staticmethod
    def solution(bank: Bank, index: int) -> str | Reply:
        if index == 0:
            return "We keep a running summary.\n\n" + _py(bank.correct)
        if index == 1:
            return Reply("Final program:\n\n" + _py(bank.correct), reasoning="Think about the edge cases first.")
        if index == 2:
            return _py(bank.wrong)
        if index == 3:
            return "I'm sorry, but I can't help with that."
        if index == 4:
            return _py(bank.correct) + "\nAlternatively:\n" + _py(bank.wrong)
        return Reply("```python\nimport sys\ndef solve(", finish_reason="length")
