"""Rewards on the real judge: every reward on correct, wrong, timing-out, crashing, code-less and
unparsable completions (plain and chat), None for the data's or judge's failures, the registry,
plugins, async forms and metric logging."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import textwrap
from types import SimpleNamespace

import pytest

import rewards
from rewards import close_judge, configure_judge, get_reward_funcs

pytestmark = pytest.mark.timeout(120)

ADD = json.dumps({"inputs": ["1 2\n", "3 4\n", "10 20\n"], "outputs": ["3", "7", "30"]})
ADD_FN = json.dumps({"inputs": ["1\n2", "3\n4", "10\n20"], "outputs": ["3", "7", "30"], "fn_name": "add"})


def block(code: str, tag: str = "python") -> str:
    return f"Here is my solution.\n```{tag}\n{textwrap.dedent(code).strip()}\n```\n"


# One completion of each kind for the stdin problem ADD.
KINDS = {
    "correct": block("a, b = map(int, input().split())\nprint(a + b)"),
    "wrong": block("a, b = map(int, input().split())\nprint(a + b if a < 5 else 0)"),  # passes 2 of 3
    "timeout": block("while True:\n    pass"),
    "crash": block("raise RuntimeError('boom')"),
    "no_code": "I think the answer is a + b.",
    "unparsable": block("def f(:\n    print(1)"),
}
ORDER = list(KINDS)

EXPECTED = {
    "binary": [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "pass_rate": [1.0, 2 / 3, 0.0, 0.0, 0.0, 0.0],
    "threshold": [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "xcoder_graded": [5.0, 10 / 3, 0.0, 0.0, -2.0, -2.0],
}


@pytest.fixture(scope="module", autouse=True)
def shared_judge():
    configure_judge(workers=2, timeout=1.0)
    yield
    close_judge()


def as_chat(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def call(func, completions, input_output=ADD, **kwargs):
    n = len(completions)
    columns = {"input_output": [input_output] * n} if input_output is not None else {}
    return func(prompts=["p"] * n, completions=completions, completion_ids=[[1, 2]] * n, **columns, **kwargs)


def approx_list(values):
    return [pytest.approx(v) if v is not None else None for v in values]


# -- every execution reward on every kind of completion --------------------------------------


@pytest.mark.parametrize("chat", [False, True], ids=["plain", "chat"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_execution_rewards_on_every_kind_of_completion(name, chat):
    (func,) = get_reward_funcs([name], sample_timeout=2.0)
    completions = [as_chat(KINDS[k]) if chat else KINDS[k] for k in ORDER]
    assert call(func, completions) == approx_list(EXPECTED[name])


def test_threshold_option_counts_two_of_three_as_solved():
    (func,) = get_reward_funcs(["threshold"], threshold=0.6)
    assert call(func, [KINDS["correct"], KINDS["wrong"], KINDS["crash"]]) == [1.0, 1.0, 0.0]


def test_functional_problem():
    good = block("class Solution:\n    def add(self, a, b):\n        return a + b")
    bad = block("class Solution:\n    def add(self, a, b):\n        return a - b")
    missing = block("class Solution:\n    def sub(self, a, b):\n        return a - b")
    (binary,) = get_reward_funcs(["binary"])
    assert call(binary, [good, bad, missing], input_output=ADD_FN) == [1.0, 0.0, 0.0]


def test_names_are_readable_for_trl():
    from trl.trainer.utils import get_callable_name, is_async_callable

    funcs = get_reward_funcs(
        ["binary", "pass_rate", "threshold", "xcoder_graded", "format", "overlong"], max_completion_length=100
    )
    assert [get_callable_name(f) for f in funcs] == [
        "binary",
        "pass_rate",
        "threshold",
        "xcoder_graded",
        "format",
        "overlong",
    ]
    assert not any(is_async_callable(f) for f in funcs)
    async_funcs = get_reward_funcs(["binary", "format"], asynchronous=True)
    assert all(is_async_callable(f) for f in async_funcs)
    assert [get_callable_name(f) for f in async_funcs] == ["binary", "format"]


def test_reward_functions_pickle():
    """TRL's async rollout worker ships reward functions to another process."""
    funcs = get_reward_funcs(["binary", "format"], max_tests=2)
    clones = pickle.loads(pickle.dumps(funcs))
    assert call(clones[0], [KINDS["correct"], KINDS["wrong"]]) in ([1.0, 0.0], [1.0, 1.0])  # 2 random tests of 3
    assert clones[0].reward.options.max_tests == 2


def test_async_form_matches_sync():
    (sync,) = get_reward_funcs(["pass_rate"], sample_timeout=2.0)
    (asynchronous,) = get_reward_funcs(["pass_rate"], asynchronous=True, sample_timeout=2.0)
    completions = [KINDS[k] for k in ORDER]
    assert asyncio.run(call(asynchronous, completions)) == call(sync, completions)


def test_batch_is_judged_concurrently():
    """Two workers: four 0.4 s programs take well under the 1.6 s a serial judge would."""
    import time

    slow = block("import time\ntime.sleep(0.4)\na, b = map(int, input().split())\nprint(a + b)")
    one = json.dumps({"inputs": ["1 2\n"], "outputs": ["3"]})
    (func,) = get_reward_funcs(["binary"])
    call(func, [KINDS["correct"]] * 2, input_output=one)  # warm the workers
    start = time.monotonic()
    assert call(func, [slow] * 4, input_output=one) == [1.0] * 4
    assert time.monotonic() - start < 1.4


# -- None for what is not the model's fault ------------------------------------------------------


def test_rows_without_tests_get_none_with_a_warning(caplog):
    (func,) = get_reward_funcs(["binary"])
    caplog.set_level(logging.WARNING, logger="rewards")
    ios = [ADD, None, "", json.dumps({"inputs": [], "outputs": []}), "{not json"]
    out = func(completions=[KINDS["correct"]] * 5, input_output=ios, question_id=["a", "b", "c", "d", "e"])
    assert out == [1.0, None, None, None, None]
    text = caplog.text
    assert "problem b has no tests" in text and "problem c has no tests" in text
    assert "problem d" in text and "no tests" in text
    assert "problem e" in text and "not valid JSON" in text


def test_dataset_without_input_output_column_gets_none(caplog):
    (func,) = get_reward_funcs(["pass_rate"])
    caplog.set_level(logging.WARNING, logger="rewards")
    assert call(func, [KINDS["correct"]] * 2, input_output=None) == [None, None]
    assert "no 'input_output' column" in caplog.text


def test_judge_failure_gives_none_not_zero(caplog):
    """A checker that does not compile is the data's fault: the judge reports judge_error."""
    (func,) = get_reward_funcs(["pass_rate"])
    caplog.set_level(logging.WARNING, logger="rewards")
    metrics = {}
    out = func(
        completions=[KINDS["correct"], KINDS["no_code"]],
        input_output=[ADD, ADD],
        checker=["def check(:", "def check(:"],
        log_metric=metrics.__setitem__,
    )
    assert out == [None, 0.0]  # no code is still the model's fault
    assert "judge failed on 1 of 2" in caplog.text
    assert metrics["rewards/pass_rate/judge_error"] == 1


def test_broken_judge_gives_none_for_the_batch(caplog):
    """A judge that cannot start (no interpreter) must not turn into zeros or kill training."""
    caplog.set_level(logging.WARNING, logger="rewards")
    configure_judge(workers=1, timeout=1.0, python="/nonexistent/python3")
    try:
        (func,) = get_reward_funcs(["binary"])
        assert call(func, [KINDS["correct"], KINDS["wrong"]]) == [None, None]
    finally:
        configure_judge(workers=2, timeout=1.0)
    assert "binary" in caplog.text


def test_checker_row_is_judged_by_its_checker():
    checker = "def check(inp, out, expected):\n    return int(out) % 2 == int(expected) % 2\n"
    (func,) = get_reward_funcs(["binary"])
    off_by_two = block("a, b = map(int, input().split())\nprint(a + b + 2)")
    out = func(completions=[off_by_two, KINDS["correct"]], input_output=[ADD, ADD], checker=[checker, None])
    assert out == [1.0, 1.0]


def test_unreadable_completion_gets_none_others_unaffected():
    (func,) = get_reward_funcs(["binary"])
    assert call(func, [KINDS["correct"], 42]) == [1.0, None]


# -- metrics ---------------------------------------------------------------------------------


def test_counts_are_logged_through_log_metric_and_log_extra():
    (func,) = get_reward_funcs(["binary"])
    metrics, extra = {}, {}
    call(
        func,
        [KINDS[k] for k in ORDER] + [KINDS["no_code"]],
        log_metric=metrics.__setitem__,
        log_extra=extra.__setitem__,
    )
    m = {k.rsplit("/", 1)[1]: v for k, v in metrics.items() if k.startswith("rewards/binary/")}
    assert m["no_code"] == 2 and m["syntax_error"] == 1 and m["timeout"] == 1 and m["runtime_error"] == 1
    assert m["judge_error"] == 0 and m["no_tests"] == 0
    assert extra["binary_outcome"] == [
        "accepted",
        "wrong_answer",
        "timeout",
        "runtime_error",
        "no_code",
        "syntax_error",
        "no_code",
    ]


def test_reward_runs_without_trl_extras():
    (func,) = get_reward_funcs(["binary"])
    assert func(completions=[KINDS["correct"]], input_output=[ADD]) == [1.0]


# -- options -----------------------------------------------------------------------------------

HALF = json.dumps(
    {  # `print(input())` passes exactly the even-numbered tests
        "inputs": [f"{i}\n" for i in range(10)],
        "outputs": [str(i) if i % 2 == 0 else "x" for i in range(10)],
    }
)
ECHO = block("print(input())")


def test_random_subsets_differ_per_rollout_group_subsets_do_not():
    (per_rollout,) = get_reward_funcs(["pass_rate"], max_tests=3, test_selection="random", seed=1)
    (per_group,) = get_reward_funcs(["pass_rate"], max_tests=3, test_selection="group", seed=1)
    state = SimpleNamespace(global_step=7)
    varied = call(per_rollout, [ECHO] * 16, input_output=HALF, trainer_state=state)
    same = call(per_group, [ECHO] * 16, input_output=HALF, trainer_state=state)
    assert len(set(varied)) > 1
    assert len(set(same)) == 1
    assert all(round(v * 3) == v * 3 for v in varied)  # fractions of exactly 3 tests
    # Another process (a fresh reward with the same seed) picks the same subset at this step.
    (again,) = get_reward_funcs(["pass_rate"], max_tests=3, test_selection="group", seed=1)
    assert call(again, [ECHO] * 2, input_output=HALF, trainer_state=state) == same[:2]


def test_longest_inputs_selection():
    io_ = json.dumps({"inputs": ["1\n", "22\n", "333\n", "4444\n"], "outputs": ["x", "x", "333", "4444"]})
    (longest,) = get_reward_funcs(["binary"], max_tests=2, test_selection="longest")
    (everything,) = get_reward_funcs(["binary"])
    assert call(longest, [ECHO], input_output=io_) == [1.0]
    assert call(everything, [ECHO], input_output=io_) == [0.0]


def test_xcoder_graded_samples_ten_tests_per_rollout():
    twenty = json.dumps(
        {"inputs": [f"{i}\n" for i in range(20)], "outputs": [str(i) if i % 2 == 0 else "x" for i in range(20)]}
    )
    (func,) = get_reward_funcs(["xcoder_graded"], seed=0)
    values = call(func, [ECHO] * 12, input_output=twenty)
    assert all(abs(v * 2 - round(v * 2)) < 1e-9 for v in values)  # 5 x k/10: multiples of 0.5
    assert len(set(values)) > 1 and max(values) <= 5.0


def test_extraction_options_choose_the_block():
    text = (
        "<think>\n```python\nprint('draft')\n```\n</think>\nFinal:\n```python\na, b = map(int, input().split())\n"
        "print(a + b)\n```"
    )
    (default,) = get_reward_funcs(["binary"])
    (raw_first,) = get_reward_funcs(["binary"], extract_mode="first", strip_think=False)
    assert call(default, [text]) == [1.0]
    assert call(raw_first, [text]) == [0.0]
    unfinished = "<think>\n```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    assert call(default, [unfinished]) == [0.0]  # still reasoning: no answer yet


def test_per_test_timeout_option():
    slowish = block("import time\ntime.sleep(0.3)\na, b = map(int, input().split())\nprint(a + b)")
    one = json.dumps({"inputs": ["1 2\n"], "outputs": ["3"]})
    (strict,) = get_reward_funcs(["binary"], timeout=0.1)
    (relaxed,) = get_reward_funcs(["binary"])
    assert call(strict, [slowish], input_output=one) == [0.0]
    assert call(relaxed, [slowish], input_output=one) == [1.0]


def test_xcoder_graded_scale_and_penalty_options():
    (func,) = get_reward_funcs(["xcoder_graded"], scale=1.0, invalid_penalty=-0.5)
    assert call(func, [KINDS["correct"], KINDS["no_code"], KINDS["unparsable"]]) == [1.0, -0.5, -0.5]


# -- shaping rewards -------------------------------------------------------------------------


def test_format_reward():
    (fmt,) = get_reward_funcs(["format"])
    cases = {
        "one block": (KINDS["correct"], 1.0),
        "unparsable code is still one block": (KINDS["unparsable"], 1.0),
        "untagged block": ("```\nprint(1)\n```", 1.0),
        "two blocks": (KINDS["correct"] + KINDS["wrong"], 0.0),
        "no block": (KINDS["no_code"], 0.0),
        "only inside reasoning": ("<think>\n```python\nprint(1)\n```\n</think>\nDone.", 0.0),
        "after reasoning": ("<think>\n```python\nprint(0)\n```\n</think>\n```python\nprint(1)\n```", 1.0),
        "reasoning never closed": ("<think>\nhmm\n```python\nprint(1)\n```", 0.0),
        "truncated block": ("```python\nprint(1)\n", 0.0),
        "not python": ("```cpp\nint main(){}\n```", 0.0),
    }
    texts = [t for t, _ in cases.values()]
    assert call(fmt, texts) == [v for _, v in cases.values()]
    assert call(fmt, [as_chat(t) for t in texts]) == [v for _, v in cases.values()]
    (strict,) = get_reward_funcs(["format"], require_reasoning=True, format_penalty=-1.0)
    assert call(strict, [KINDS["correct"], "<think>ok</think>\n" + KINDS["correct"]]) == [-1.0, 1.0]


def test_overlong_reward_is_dapo_soft_penalty():
    (func,) = get_reward_funcs(["overlong"], max_completion_length=100, overlong_buffer=20)
    ids = [[0] * n for n in (10, 80, 90, 100)]
    assert func(completions=["x"] * 4, completion_ids=ids) == [0.0, 0.0, -0.5, -1.0]
    (default_buffer,) = get_reward_funcs(["overlong"], max_completion_length=100)  # 20% of the limit
    assert default_buffer(completions=["x"], completion_ids=[[0] * 90]) == [-0.5]
    assert func(completions=["x", "y"]) == [None, None]
    with pytest.raises(ValueError, match="max_completion_length"):
        get_reward_funcs(["overlong"])
    with pytest.raises(ValueError, match="overlong_buffer"):
        get_reward_funcs(["overlong"], max_completion_length=10, overlong_buffer=20)


# -- registry ----------------------------------------------------------------------------------


def test_unknown_reward_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        get_reward_funcs(["binary", "acuracy"])
    message = str(info.value)
    assert "unknown reward 'acuracy'" in message
    for name in ("binary", "pass_rate", "threshold", "xcoder_graded", "format", "overlong"):
        assert name in message


def test_option_errors():
    with pytest.raises(ValueError, match="max_test"):  # typo of max_tests
        get_reward_funcs(["binary"], max_test=3)
    with pytest.raises(ValueError, match="threshold"):  # option of a reward that is not listed
        get_reward_funcs(["binary"], threshold=0.5)
    with pytest.raises(ValueError, match="has no option"):
        get_reward_funcs(["binary", "format"], format={"max_tests": 3})
    with pytest.raises(ValueError, match="threshold must be"):
        get_reward_funcs(["threshold"], threshold=1.5)
    with pytest.raises(ValueError, match="test_selection"):
        get_reward_funcs(["binary"], test_selection="shortest")
    with pytest.raises(ValueError, match="listed twice"):
        get_reward_funcs(["binary", "binary"])
    with pytest.raises(ValueError, match="unknown judge option"):
        get_reward_funcs(["binary"], judge={"worker": 2})
    with pytest.raises(ValueError, match="at least one"):
        get_reward_funcs([])


def test_shared_and_scoped_options():
    funcs = get_reward_funcs(
        ["binary", "xcoder_graded", "format"],
        timeout=2.0,
        xcoder_graded={"max_tests": 4},
        format={"format_penalty": -1.0},
    )
    binary, graded, fmt = (f.reward for f in funcs)
    assert binary.options.timeout == graded.options.timeout == 2.0
    assert binary.options.max_tests is None and graded.options.max_tests == 4
    assert fmt.options.format_penalty == -1.0


def test_available_rewards_and_option_docs():
    names = rewards.available_rewards()
    assert {"binary", "pass_rate", "threshold", "xcoder_graded", "format", "overlong"} <= set(names)
    assert all(names.values())
    options = {o for o, _, _ in rewards.describe_options("xcoder_graded")}
    assert {"max_tests", "scale", "invalid_penalty", "timeout", "test_selection"} <= options


PLUGIN = '''
import asyncio

def speed_bonus(completions, factor=1.0, **kwargs):
    """Shorter answers earn more."""
    return [factor / (1 + len(str(c))) for c in completions]

async def async_len(completions, **kwargs):
    await asyncio.sleep(0)
    return [float(len(str(c))) for c in completions]

def explodes(completions, **kwargs):
    raise KeyError("the plugin is broken")

def wrong_length(completions, **kwargs):
    return [1.0]

def not_a_number(completions, **kwargs):
    return ["high"] * len(completions)

def numpy_values(completions, **kwargs):
    import numpy as np
    return list(np.full(len(completions), 0.5, dtype=np.float32))

from rewards import Reward
from rewards.execution import ExecutionOptions, ExecutionReward

class EveryTestTwice(ExecutionReward):
    """A plugin built on the execution machinery: 2 x pass rate."""
    name = "every_test_twice"
    def value(self, result):
        return 2 * result.pass_fraction
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    (tmp_path / "my_rewards.py").write_text(PLUGIN)
    monkeypatch.chdir(tmp_path)  # the working directory is importable, as for a user's launch
    yield "my_rewards"
    import sys

    sys.modules.pop("my_rewards", None)


def test_plugin_by_import_path(plugin):
    from trl.trainer.utils import get_callable_name

    colon, dotted = get_reward_funcs(
        [f"{plugin}:speed_bonus", f"{plugin}.async_len"], **{f"{plugin}:speed_bonus": {"factor": 10.0}}
    )
    assert get_callable_name(colon) == "speed_bonus" and get_callable_name(dotted) == "async_len"
    assert colon(completions=["abcd"]) == [2.0]
    assert asyncio.run(dotted(completions=["abc", "a"])) == [3.0, 1.0]


def test_plugin_failures_become_none(plugin, caplog):
    caplog.set_level(logging.ERROR, logger="rewards")
    funcs = get_reward_funcs([f"{plugin}:explodes", f"{plugin}:wrong_length", f"{plugin}:not_a_number"])
    for func in funcs:
        assert func(completions=["a", "b"]) == [None, None]
    assert "the plugin is broken" in caplog.text
    assert "returned 1 rewards for 2 completions" in caplog.text
    assert "must be numbers" in caplog.text


def test_plugin_may_return_numpy_numbers(plugin):
    (func,) = get_reward_funcs([f"{plugin}:numpy_values"])
    assert func(completions=["a", "b"]) == [0.5, 0.5]


def test_plugin_reward_class_gets_options_and_both_forms(plugin):
    (sync,) = get_reward_funcs([f"{plugin}:EveryTestTwice"], max_tests=2, test_selection="longest")
    (asynchronous,) = get_reward_funcs([f"{plugin}:EveryTestTwice"], asynchronous=True)
    assert sync.__name__ == "every_test_twice"
    assert call(sync, [KINDS["correct"]]) == [2.0]
    assert asyncio.run(call(asynchronous, [KINDS["wrong"]])) == [pytest.approx(4 / 3)]


def test_bad_import_paths(plugin):
    with pytest.raises(ValueError, match="cannot import module"):
        get_reward_funcs(["no_such_module:f"])
    with pytest.raises(ValueError, match="has no attribute"):
        get_reward_funcs([f"{plugin}:nope"])


def test_plugin_reward_without_options(tmp_path, monkeypatch):
    (tmp_path / "plain_reward.py").write_text(
        "from rewards import Reward\n\n"
        "class Length(Reward):\n"
        "    name = 'length'\n"
        "    def score(self, batch):\n"
        "        return [float(len(str(c))) for c in batch.completions]\n"
    )
    monkeypatch.chdir(tmp_path)
    (func,) = get_reward_funcs(["plain_reward:Length"])
    assert func.__name__ == "length" and func(completions=["ab", "c"]) == [2.0, 1.0]
    with pytest.raises(ValueError, match="has no option"):
        get_reward_funcs(["plain_reward:Length"], **{"plain_reward:Length": {"x": 1}})
