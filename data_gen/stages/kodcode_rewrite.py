"""KodCode mode, stage 3, ``kodcode_rewrite``: every verified question in the other style.

An ``instruct`` question becomes a ``complete`` one (``kodcode_to_complete.md``: imports, the entry
point's signature and a docstring with the task and examples, no body) and a ``complete`` one an
``instruct`` one (``kodcode_to_instruct.md``). As in KodCode, the solution, the tests and the
self-verification statistics are reused unchanged (the rewritten question asks for the same
function). A stub must parse, define the entry point (when the triplet has one) and not contain
the solution; a prose question must not contain the solution either.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from data_gen.kodcode_records import KodTriplet
from data_gen.records import Provenance
from data_gen.stage import Drop, ItemResult, Stage, WorkItem
from data_gen.stages.kodcode_questions import answer_part

PROMPTS = {"instruct": ("kodcode_to_complete", "Completion"), "complete": ("kodcode_to_instruct", "Question")}


def check_stub(stub: str, triplet: KodTriplet) -> None:
    """A completion stub: parses, defines the entry point, has no implementation."""
    try:
        tree = ast.parse(stub)
    except (SyntaxError, ValueError):
        raise Drop("rewrite:stub_does_not_parse") from None
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not functions:
        raise Drop("rewrite:stub_without_function")
    name = triplet.entry_point
    if name and name not in {f.name for f in functions}:
        raise Drop("rewrite:stub_without_entry_point")
    for fn in functions:
        body = (
            fn.body[1:]
            if fn.body
            and isinstance(fn.body[0], ast.Expr)
            and isinstance(getattr(fn.body[0], "value", None), ast.Constant)
            else fn.body
        )
        if any(not isinstance(stmt, (ast.Pass, ast.Expr)) for stmt in body):
            raise Drop("rewrite:stub_has_implementation")


class KodRewriteStage(Stage):
    name = "kodcode_rewrite"
    inputs = ("kodcode_self_verify",)
    uses_llm = True

    def items(self) -> Iterable[WorkItem]:
        if not self.config.kodcode.rewrite.enabled:
            return
        for triplet in self.ctx.read("kodcode_self_verify", KodTriplet):
            yield WorkItem(triplet.id, triplet)

    async def process(self, item: WorkItem) -> ItemResult:
        triplet: KodTriplet = item.payload
        cfg = self.config.kodcode.rewrite
        prompt_name, marker = PROMPTS[triplet.style]
        template = self.ctx.prompt(prompt_name)
        content = template.render(
            question=triplet.question.strip("\n"), solution=triplet.solution.strip("\n"), test=triplet.test.strip("\n")
        )
        result = await self.ctx.chat([{"role": "user", "content": content}], cfg, seed_parts=[triplet.id])
        question = answer_part(result, marker, "rewrite")
        if question.strip() == triplet.solution.strip() or triplet.solution.strip() in question:
            raise Drop("rewrite:contains_solution")
        if triplet.style == "instruct":
            check_stub(question, triplet)
            question = question.strip("\n") + "\n"
        provenance = Provenance(
            stage=self.name,
            parents=[triplet.id],
            model=result.model,
            prompt=template.name,
            prompt_sha=template.sha,
            request_keys=[result.key] if result.key else [],
            seed=self.ctx.seed_for(self.name, triplet.id),
        )
        return ItemResult(
            [triplet.rewritten(question.strip("\n") if triplet.style == "complete" else question, provenance)]
        )


STAGE = KodRewriteStage
