"""Rule expressions written out as Python functions, once per knowledge base and answerer.

A tree of closures pays a function call for every node on every evaluation, and a screening
evaluates every red-flag rule three times (does it hold; can it still fire, twice). Written out
as one function per rule, with each finding test inline, the same evaluation makes almost no
calls. The meaning is the closures' (compiled_rules.py), node for node:

- `holds`: `and` / `or` / `not` over the children, short-circuited as `all` and `any` are;
- `kleene`: three-valued, as relevance.kleene: the children of an `all` or `any` in order, the
  first decisive one settles the node and cuts `out` back to where it was, else an unknown
  child leaves it unknown (adding the findings that could decide it to `out`).

Values a test compares with (and the score tests, which stay functions) are passed in by
name, never written into the source as text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import (
    AllOf,
    AnyOf,
    Expr,
    FindingTest,
    Not,
    Ref,
    ScoreTest,
)

# The score tests and the tests other than `equals`, as functions (compiled_rules.py).
MakeFunction = Callable[[Any], Any]
# Python allows 20 nested loops in one function; each `all` or `any` is one.
MAX_DEPTH = 12


class RuleWriter:
    """Writes the functions of one knowledge base for one answerer."""

    def __init__(
        self,
        kb: Knowledge,
        clinician: bool,
        value_test: MakeFunction,
        score_holds: MakeFunction,
        score_kleene: MakeFunction,
    ) -> None:
        self.kb = kb
        self.clinician = clinician
        self.value_test = value_test
        self.score_holds = score_holds
        self.score_kleene = score_kleene
        self.names: dict[str, object] = {}
        self.count = 0

    def _name(self, value: object) -> str:
        name = f"k{len(self.names)}"
        self.names[name] = value
        return name

    def _var(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def _counts(self, expr: FindingTest) -> bool:
        return self.clinician or not expr.clinician_only

    # ------------------------------------------------------------------ holds

    def holds_expr(self, expr: Expr) -> str:
        """A Python expression, over `get` (answers.get), that is True when `expr` holds."""
        match expr:
            case AllOf(all=children):
                parts = [self.holds_expr(c) for c in children]
                return "(" + " and ".join(parts) + ")" if parts else "True"
            case AnyOf(any=children):
                parts = [self.holds_expr(c) for c in children]
                return "(" + " or ".join(parts) + ")" if parts else "False"
            case Not(not_=child):
                return f"(not {self.holds_expr(child)})"
            case Ref(ref=name):
                return self.holds_expr(self.kb.predicates[name].when)
            case ScoreTest():
                return f"{self._name(self.score_holds(expr))}(answers)"
            case FindingTest(finding=finding):
                if not self._counts(expr):
                    return "False"
                read = f"get({self._name(finding)})"
                v = self._var("v")
                judged = self._judged(expr, v)
                if judged is None:
                    return f"{self._name(self.value_test(expr))}({read})"
                if expr.unknown:  # unanswered counts as true
                    return f"(({v} := {read}) is None or ({judged}))"
                return f"(({v} := {read}) is not None and ({judged}))"

    def _judged(self, expr: FindingTest, v: str) -> str | None:
        """An `equals` or number test of the answer `v` (not None) as an expression, as
        compiled_rules.value_test judges it; None for the other tests (called as functions)."""
        if expr.equals is not None:
            kind, equals = self._name(type(expr.equals)), self._name(expr.equals)
            return f"type({v}) is {kind} and {v} == {equals}"
        for bound, operator in ((expr.at_least, ">="), (expr.at_most, "<="), (expr.below, "<")):
            if bound is not None and expr.missing is None and expr.in_ is None:
                number = self._name((int, float))
                return (
                    f"type({v}) is not bool and isinstance({v}, {number}) "
                    f"and {v} {operator} {self._name(bound)}"
                )
        return None

    # ------------------------------------------------------------------ kleene

    def kleene_lines(self, expr: Expr, lines: list[str], depth: int = 0) -> str:
        """Append statements that set a new variable to Kleene(expr); return its name.

        `depth` counts the enclosing `all` and `any` nodes: each is one loop in the source,
        and Python allows only so many nested loops, so a predicate deeper down is called."""
        r = self._var("r")
        match expr:
            case AllOf(all=children):
                self._combine(children, r, lines, depth, decisive=False)
            case AnyOf(any=children):
                self._combine(children, r, lines, depth, decisive=True)
            case Not(not_=child):
                c = self.kleene_lines(child, lines, depth)
                lines.append(f"{r} = None if {c} is None else not {c}")
            case Ref(ref=name) if depth < MAX_DEPTH:
                c = self.kleene_lines(self.kb.predicates[name].when, lines, depth)
                lines.append(f"{r} = {c}")
            case Ref(ref=name):
                k = list(self.kb.predicates).index(name)
                lines.append(f"{r} = predicate{k}_kleene(answers, still_open, out)")
            case ScoreTest():
                test = self._name(self.score_kleene(expr))
                lines.append(f"{r} = {test}(answers, still_open, out)")
            case FindingTest(finding=finding):
                if not self._counts(expr):
                    lines.append(f"{r} = False")
                    return r
                test = self.value_test(expr)
                f, v = self._name(finding), self._var("v")
                judged = self._judged(expr, v) or f"{self._name(test)}({v})"
                lines += [
                    f"{v} = get({f})",
                    f"if {v} is None:",
                    f"    if still_open({f}):",
                    f"        out.append({f})",
                    f"        {r} = None",
                    "    else:",
                    f"        {r} = {bool(test(None))}",  # will stay unanswered: judged so
                    "else:",
                    f"    {r} = {judged}",
                ]
        return r

    def _combine(
        self, children: list[Expr], r: str, lines: list[str], depth: int, *, decisive: bool
    ) -> None:
        """A loop run once: the first decisive child breaks out (as `all` and `any` stop)."""
        if not children:
            lines.append(f"{r} = {not decisive}")
            return
        mark = self._var("m")
        body: list[str] = []
        results = []
        for child in children:
            c = self.kleene_lines(child, body, depth + 1)
            results.append(c)
            body += [f"if {c} is {decisive}:", f"    {r} = {decisive}", "    break"]
        unknown = " or ".join(f"{c} is None" for c in results)
        body += [f"{r} = None if {unknown} else {not decisive}", "break"]
        lines += [f"{mark} = len(out)", "while True:", *(f"    {line}" for line in body)]
        lines += [f"if {r} is {decisive}:", f"    del out[{mark}:]"]

    # ------------------------------------------------------------------ functions

    def holds_source(self, name: str, expr: Expr) -> str:
        return f"def {name}(answers):\n    get = answers.get\n    return {self.holds_expr(expr)}\n"

    def kleene_source(self, name: str, expr: Expr) -> str:
        lines: list[str] = []
        r = self.kleene_lines(expr, lines)
        body = "".join(f"    {line}\n" for line in [*lines, f"return {r}"])
        return f"def {name}(answers, still_open, out):\n    get = answers.get\n{body}"

    def build(self, sources: dict[str, str]) -> dict[str, Any]:
        """Compile the functions named in `sources` (name: source) and return them by name."""
        namespace: dict[str, Any] = dict(self.names)
        code = compile("\n".join(sources.values()), "<popliteal rules>", "exec")
        exec(code, namespace)  # noqa: S102 - our own source, written above from the rules
        return {name: namespace[name] for name in sources}
