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
    brute: str = ""  # an independent naive solver (default: the correct program)
    checker: str = ""  # multi-answer problems: check(input, output, reference)
    alt: str = ""  # a second correct program printing a different valid answer (multi-answer problems)
    first_generator: str = ""  # a broken first attempt, fixed when sent back with its error
    first_checker: str = ""


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
        generator="import random, sys\nimport cyaron\n\n"
        "scale, seed = sys.stdin.readline().split()\nrandom.seed(int(seed))\n"
        "n = {'small': random.randint(1, 6), 'medium': 200, 'large': 3000, 'stress': 20000}[scale]\n"
        "low = -10 if scale == 'small' else -10**9\n"
        "values = [v[0] for v in cyaron.Vector.random(n, [(low, 10**9 if scale != 'small' else 10)])]\n"
        "if scale == 'small' and random.random() < 0.5:\n    values = [-abs(v) - 1 for v in values]\n"
        "print(n)\nprint(*values)\n",
        validator="import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\n"
        "ok = 1 <= n <= 2 * 10**5 and len(data) == n + 1 and all(abs(int(x)) <= 10**9 for x in data[1:])\n"
        "print('VALID' if ok else 'INVALID: bad input')\n",
        brute="data = open(0).read().split()\nn = int(data[0])\na = list(map(int, data[1:n + 1]))\n"
        "print(max(sum(a[i:j]) for i in range(n) for j in range(i + 1, n + 1)))\n",
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
        brute="n = int(input())\nc = input().split()\n"
        "print(sum(1 for i in range(n) if all(c[j] != c[i] for j in range(i))))\n",
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
        "        return sum(1 for x in values if k - x in values and x < k - x) "
        "+ sum(nums.count(x) > 1 for x in values if 2 * x == k)\n",
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
        validator="import json, sys\nlines = sys.stdin.read().strip().split('\\n')\n"
        "nums, k = json.loads(lines[0]), json.loads(lines[1])\n"
        "print('VALID' if 1 <= len(nums) <= 2000 and isinstance(k, int) else 'INVALID')\n",
        brute="class Solution:\n    def countPairs(self, nums, k):\n        n = len(nums)\n"
        "        return sum(nums[i] + nums[j] == k for i in range(n) for j in range(n) if i < j)\n",
    ),
]

_RIBBON_GEN = (
    "import random, sys\nscale, seed = sys.stdin.readline().split()\nrandom.seed(int(seed))\n"
    "n = {'small': random.randint(2, 6), 'medium': 300, 'large': 3000, 'stress': 20000}[scale]\n"
    "top = 6 if scale == 'small' else 10**6\na = [random.randint(1, top) for _ in range(n)]\n"
    "k = random.randint(2, 2 * top) if random.random() < 0.3 else a[0] + a[-1]\n"
    "print(n, k)\nprint(*a)\n"
)

MULTI = Bank(
    key="ribbons",
    title="Matching Ribbons",
    functional=False,
    answer={
        "legend": "There are $n$ ribbons; ribbon $i$ has length $a_i$. Find two different ribbons whose lengths "
        "add up to exactly $k$. If there are several answers, print any of them.",
        "input_format": "The first line contains $n$ and $k$. The second line contains $a_1, \\dots, a_n$.",
        "output_format": "Print two indices $i < j$ with $a_i + a_j = k$, or $-1$ if there are none.",
        "constraints": ["$2 \\le n \\le 2 \\cdot 10^5$", "$1 \\le a_i, k \\le 2 \\cdot 10^6$"],
        "multiple_answers": True,
    },
    examples=[("4 7\n1 3 4 6\n", "1 4\n"), ("3 10\n1 2 3\n", "-1\n")],
    # Smallest j (then its first partner).
    correct="n, k = map(int, input().split())\na = list(map(int, input().split()))\nfirst = {}\n"
    "for j, x in enumerate(a):\n    if k - x in first:\n        print(first[k - x] + 1, j + 1)\n        break\n"
    "    first.setdefault(x, j)\nelse:\n    print(-1)\n",
    # Largest i (then its last partner): a different valid answer.
    alt="n, k = map(int, input().split())\na = list(map(int, input().split()))\nlast = {}\n"
    "for i in range(n - 1, -1, -1):\n    x = a[i]\n    if k - x in last:\n        print(i + 1, last[k - x] + 1)\n"
    "        break\n    last.setdefault(x, i)\nelse:\n    print(-1)\n",
    # Wrong: may pair a ribbon with itself.
    wrong="n, k = map(int, input().split())\na = list(map(int, input().split()))\n"
    "pos = {x: i for i, x in enumerate(a)}\n"
    "for i, x in enumerate(a):\n    if k - x in pos:\n        print(min(i, pos[k - x]) + 1, max(i, pos[k - x]) + 1)\n"
    "        break\nelse:\n    print(-1)\n",
    llm_inputs=["2 4\n2 2\n", "2 4\n2 3\n", "5 6\n3 1 3 5 2\n", "3 2\n1 1 1\n"],
    generator=_RIBBON_GEN,
    first_generator=_RIBBON_GEN.replace("print(n, k)", "print(n, k, undefined_name)"),
    validator="import sys\nd = sys.stdin.read().split()\nn = int(d[0])\n"
    "print('VALID' if n >= 2 and len(d) == n + 2 else 'INVALID: count')\n",
    brute="n, k = map(int, input().split())\na = list(map(int, input().split()))\n"
    "found = [(i + 1, j + 1) for i in range(n) for j in range(i + 1, n) if a[i] + a[j] == k]\n"
    "print(*found[0]) if found else print(-1)\n",
    checker="def check(input, output, reference):\n    d = input.split()\n    n, k = int(d[0]), int(d[1])\n"
    "    a = list(map(int, d[2:2 + n]))\n    out = output.split()\n    if reference.split() == ['-1']:\n"
    "        return out == ['-1']\n    if len(out) != 2:\n        return False\n    try:\n"
    "        i, j = int(out[0]), int(out[1])\n    except ValueError:\n        return False\n"
    "    return 1 <= i < j <= n and a[i - 1] + a[j - 1] == k\n",
    first_checker="def check(input, output, reference):\n    return True\n",
)


def ribbons_ok(given: str, output: str) -> bool:
    """Whether ``output`` is a right answer of the multi-answer problem (for assertions)."""
    d = given.split()
    n, k = int(d[0]), int(d[1])
    a = list(map(int, d[2 : 2 + n]))
    pairs = [(i + 1, j + 1) for i in range(n) for j in range(i + 1, n) if a[i] + a[j] == k]
    out = output.split()
    return out == ["-1"] if not pairs else len(out) == 2 and (int(out[0]), int(out[1])) in pairs


for _b in BANK:
    assert _b.key in json.dumps(_b.answer), _b.key


def _expected(bank: Bank, given: Any) -> Any:
    if bank.key == "lanterns":
        return _kadane(given)
    if bank.key == "stamps":
        return _distinct(given)
    return _count_pairs(given["nums"], given["k"])


def _bank_for(text: str) -> Bank | None:
    for bank in BANK + [MULTI]:
        if bank.key in text:
            return bank
    return None


def _pick(text: str, options: list[Bank], salt: str = "") -> Bank:
    """A bank problem chosen by a hash of the prompt's features line (stable when prompt wording changes)."""
    line = re.search(r"Features to build on: (.*)", text)
    key = (line.group(1) if line else text) + salt
    return options[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(options)]


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
            # Stdin problems by style (a style renders its own layout, so equal titles stay near-duplicates).
            options = [b for b in BANK if b.functional == functional]
            bank = options[0] if functional else options[0 if "Codeforces" in title else 1]
            if "any valid pair" in text and not functional:  # a feature asking for a multi-answer task
                bank = MULTI
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
        repair = "## Your previous program failed" in text
        if bank is None:
            raise HTTPError(400, f"scripted model does not know the problem of {title!r}")
        if title == "# Test design: brute-force solver":
            return "A direct search.\n\n" + _py(bank.brute or bank.correct) + "\nSLOW AT LIMITS: yes\n"
        if title == "# Test design: output checker program":
            return _py(bank.checker if repair or not bank.first_checker else bank.first_checker)
        if title == "# Test design: input generator program" and bank.first_generator and not repair:
            return "Here is the generator.\n\n" + _py(bank.first_generator)
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
            return Reply(
                "Final program:\n\n" + _py(bank.alt or bank.correct), reasoning="Think about the edge cases first."
            )
        if index == 2:
            return _py(bank.wrong)
        if index == 3:
            return "I'm sorry, but I can't help with that."
        if index == 4:
            return _py(bank.correct) + "\nAlternatively:\n" + _py(bank.wrong)
        return Reply("```python\nimport sys\ndef solve(", finish_reason="length")
