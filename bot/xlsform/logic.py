"""Skip logic and constraints checked against the form: every expression parses, reads only questions asked
before it, and compares select questions with choices they really have. Relevance that goes round in a
circle (has_loan asks about loan_amount, loan_amount about has_loan) is named as a circle, once.
"""

from __future__ import annotations

from bot import skiplogic
from bot.skiplogic import Current, ExpressionError, Ref
from bot.xlsform.problems import Problem, problem

CHOICE_TYPES = ("select_one", "select_multiple")


def check_logic(questions: list[dict]) -> list[Problem]:
    """Every relevant and constraint parses, reads only questions asked before it, and compares with real choices."""
    problems: list[Problem] = []
    position = {q["name"]: i for i, q in enumerate(questions)}
    circle = {}
    for number, members in enumerate(_circles(questions, position)):
        circle.update(dict.fromkeys(members, number))
        problems.append(_circle_problem([questions[i] for i in members]))
    for index, question in enumerate(questions):
        expressions = [("relevant", text) for text in question["relevant"]]
        if question["constraint"]:
            expressions.append(("constraint", question["constraint"]))
        for column, text in expressions:
            problems += _check_expression(column, text, index, question, questions, position, circle)
    return problems


def _relevant_references(question: dict) -> list[str]:
    names = []
    for text in question["relevant"]:
        try:
            names += skiplogic.references(skiplogic.parse(text))
        except ExpressionError:
            continue
    return names


def _circles(questions: list[dict], position: dict[str, int]) -> list[list[int]]:
    """Questions whose relevance depends on each other round in a circle (a question on itself included), as
    positions in form order: the strongly connected parts of 'its relevant reads that question'."""
    edges = [[position[n] for n in _relevant_references(q) if n in position] for q in questions]
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    found: list[list[int]] = []

    def visit(node: int) -> None:
        index_of[node] = low[node] = len(index_of)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index_of:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index_of[target])
        if low[node] == index_of[node]:
            members = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.append(member)
                if member == node:
                    break
            if len(members) > 1 or node in edges[node]:
                found.append(sorted(members))

    for node in range(len(questions)):
        if node not in index_of:
            visit(node)
    return sorted(found)


def _circle_problem(members: list[dict]) -> Problem:
    if len(members) == 1:
        return problem("relevant_self", members[0]["row"], name=members[0]["name"])
    return problem("relevant_cycle", members[0]["row"], names=",".join(q["name"] for q in members),
                   rows=",".join(str(q["row"] or "") for q in members))


def _check_expression(column: str, text: str, index: int, question: dict, questions: list[dict],
                      position: dict[str, int], circle: dict[int, int]) -> list[Problem]:
    row = question["row"]
    try:
        node = skiplogic.parse(text)
    except ExpressionError as exc:
        return [problem("expression", row, column=column, error=exc.reason, detail=exc.detail)]
    problems = []
    if column == "relevant" and skiplogic.uses_current(node):
        problems.append(problem("dot_in_relevant", row))
    for name in skiplogic.references(node):
        if name not in position:
            problems.append(problem("unknown_reference", row, column=column, name=name))
        elif column == "constraint" and name == question["name"]:
            continue
        elif column == "relevant" and index in circle and circle.get(position[name]) == circle[index]:
            continue  # said once, as the circle it belongs to
        elif position[name] >= index:
            # Questions are asked in order: a later one (or this one) can't be known in time.
            problems.append(problem("forward_reference", row, column=column, name=name))
        elif questions[position[name]]["type"] == "note":
            problems.append(problem("note_reference", row, column=column, name=name))
    for target, value in skiplogic.compared_values(node):
        subject = question if isinstance(target, Current) else (
            questions[position[target.name]] if isinstance(target, Ref) and target.name in position else None)
        if subject is None or subject["type"] not in CHOICE_TYPES:
            if isinstance(target, Ref) and subject is not None and value and subject["type"] != "refused" \
                    and _is_selected_call(node, target):
                problems.append(problem("selected_needs_select", row, column=column, name=target.name))
            continue
        if value not in {c["name"] for c in subject["choices"]}:
            problems.append(problem("not_a_choice", row, column=column, name=subject["name"], value=value))
    return problems


def _is_selected_call(node, target: Ref) -> bool:
    return any(isinstance(n, skiplogic.Call) and n.name == "selected" and n.args[0] == target
               for n in skiplogic.walk(node))
