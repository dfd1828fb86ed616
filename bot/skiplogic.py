"""XLSForm `relevant` and `constraint` expressions: a tokenizer, a recursive-descent parser and an evaluator.

Only the expressions forms commonly use are understood: `${q} = 'x'`, `!=`, `>`, `<`, `>=`, `<=`,
`selected(${q}, 'x')`, `count-selected(${q})`, `string-length(.)`, `today()`, `date('2024-12-13')`,
`true()`, `false()`, `not(...)`, `and`, `or` and parentheses; `.` is the answer being checked.
Nothing is ever handed to Python's eval: an expression is data, walked by `evaluate`.

Comparisons follow XPath as ODK Collect applies it: a number on either side compares as numbers (an
unanswered question is NaN, so `${q} > 3` is false and `${q} != 3` true), a date on either side compares
as dates, otherwise as text (a select_multiple answer is its choice names joined by spaces).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

MAX_LENGTH = 1000
MAX_DEPTH = 30
MAX_TOKENS = 300

COMPARISONS = ("=", "!=", ">", "<", ">=", "<=")
FUNCTIONS = {"selected": 2, "count-selected": 1, "string-length": 1, "not": 1, "true": 0, "false": 0,
             "today": 0, "date": 1}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<ref>\$\{[A-Za-z_][A-Za-z0-9_.\-]*\})
  | (?P<op>!=|>=|<=|=|>|<)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<dot>\.)
  | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<minus>-)
""", re.VERBOSE)


class ExpressionError(ValueError):
    """An expression that can't be used; `reason` is a short code, `detail` the offending piece."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# ---------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Literal:
    value: str | float


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Current:
    """`.`: the answer being checked by a constraint."""


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


@dataclass(frozen=True)
class Binary:
    op: str  # and, or, or one of COMPARISONS
    left: object
    right: object


Node = Literal | Ref | Current | Call | Binary


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    """The expression's tokens; raises ExpressionError on a character no supported expression has."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError("too_long", str(MAX_LENGTH))
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError("unexpected", text[position:position + 10])
        kind = match.lastgroup
        if kind != "space":
            tokens.append(Token(kind, match.group(), position))
            if len(tokens) > MAX_TOKENS:
                raise ExpressionError("too_long", str(MAX_LENGTH))
        position = match.end()
    return tokens


class _Parser:
    """expr := and ('or' and)*; and := unary ('and' unary)*; unary := operand (comparison operand)?"""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> Token:
        token = self.peek()
        if token is None:
            raise ExpressionError("incomplete")
        if (kind and token.kind != kind) or (text and token.text != text):
            raise ExpressionError("unexpected", token.text)
        self.index += 1
        return token

    def at_word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "name" and token.text == word

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionError("empty")
        node = self.expression()
        if self.peek() is not None:
            raise ExpressionError("unexpected", self.peek().text)
        return node

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("too_deep", str(MAX_DEPTH))
        node = self.conjunction()
        while self.at_word("or"):
            self.take()
            node = Binary("or", node, self.conjunction())
        self.depth -= 1
        return node

    def conjunction(self) -> Node:
        node = self.comparison()
        while self.at_word("and"):
            self.take()
            node = Binary("and", node, self.comparison())
        return node

    def comparison(self) -> Node:
        node = self.operand()
        token = self.peek()
        if token is not None and token.kind == "op":
            self.take()
            node = Binary(token.text, node, self.operand())
            following = self.peek()
            if following is not None and following.kind == "op":
                raise ExpressionError("chained", following.text)
        return node

    def operand(self) -> Node:
        token = self.peek()
        if token is None:
            raise ExpressionError("incomplete")
        if token.kind == "number":
            self.take()
            return Literal(float(token.text))
        if token.kind == "minus":
            self.take()
            number = self.take("number")
            return Literal(-float(number.text))
        if token.kind == "string":
            self.take()
            return Literal(token.text[1:-1])
        if token.kind == "ref":
            self.take()
            return Ref(token.text[2:-1])
        if token.kind == "dot":
            self.take()
            return Current()
        if token.kind == "lparen":
            self.take()
            node = self.expression()
            self.take("rparen")
            return node
        if token.kind == "name":
            return self.call()
        raise ExpressionError("unexpected", token.text)

    def call(self) -> Node:
        name = self.take("name").text
        if name not in FUNCTIONS:
            if self.peek() is not None and self.peek().kind == "lparen":
                raise ExpressionError("function", name)
            raise ExpressionError("unexpected", name)
        self.take("lparen")
        args: list[Node] = []
        if self.peek() is not None and self.peek().kind != "rparen":
            args.append(self.expression())
            while self.peek() is not None and self.peek().kind == "comma":
                self.take()
                args.append(self.expression())
        self.take("rparen")
        if len(args) != FUNCTIONS[name]:
            raise ExpressionError("arguments", name)
        if name == "selected" and not (isinstance(args[1], Literal) and isinstance(args[1].value, str)):
            raise ExpressionError("selected_value", name)
        if name == "date" and not (isinstance(args[0], Literal) and _as_date(args[0].value) is not None):
            raise ExpressionError("date", str(getattr(args[0], "value", "")))
        return Call(name, tuple(args))


def parse(text: str) -> Node:
    """The syntax tree of an expression; raises ExpressionError with a reason code."""
    return _Parser(tokenize(text)).parse()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, the root first."""
    yield node
    if isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)


def references(node: Node) -> list[str]:
    """The question names an expression reads, in order of appearance, without repeats."""
    return list(dict.fromkeys(n.name for n in walk(node) if isinstance(n, Ref)))


def uses_current(node: Node) -> bool:
    return any(isinstance(n, Current) for n in walk(node))


def compared_values(node: Node) -> Iterator[tuple[Node, str]]:
    """(question, text) for every `selected(q, 'x')` and `q = 'x'` / `q != 'x'`, to check 'x' is a choice of q."""
    for n in walk(node):
        if isinstance(n, Call) and n.name == "selected":
            yield n.args[0], n.args[1].value
        elif isinstance(n, Binary) and n.op in ("=", "!="):
            for side, other in ((n.left, n.right), (n.right, n.left)):
                if isinstance(other, Literal) and isinstance(other.value, str) and isinstance(side, (Ref, Current)):
                    yield side, other.value


# ---------------------------------------------------------------- evaluation

Value = str | float | int | bool | date | list | None
Resolver = Callable[[str], Value]


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_string(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_number(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if _is_number(value):
        return float(value)
    if isinstance(value, date):
        return float((value - date(1970, 1, 1)).days)
    try:
        return float(to_string(value).strip())
    except ValueError:
        return math.nan


def to_bool(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if _is_number(value):
        return value != 0 and not math.isnan(value)
    if isinstance(value, date):
        return True
    return bool(value)


def _compare(op: str, left: Value, right: Value) -> bool:
    if op in ("=", "!="):
        if isinstance(left, bool) or isinstance(right, bool):
            equal = to_bool(left) == to_bool(right)
        elif _is_number(left) or _is_number(right):
            equal = to_number(left) == to_number(right)
        elif isinstance(left, date) or isinstance(right, date):
            a, b = _as_date(left), _as_date(right)
            equal = a is not None and a == b
        else:
            equal = to_string(left) == to_string(right)
        return equal if op == "=" else not equal
    if isinstance(left, date) or isinstance(right, date):
        a, b = _as_date(left), _as_date(right)
        if a is None or b is None:
            return False
        x, y = a.toordinal(), b.toordinal()
    else:
        x, y = to_number(left), to_number(right)
        if math.isnan(x) or math.isnan(y):
            return False
    return {">": x > y, "<": x < y, ">=": x >= y, "<=": x <= y}[op]


def _value(node: Node, resolve: Resolver, current: Value, today: date) -> Value:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Ref):
        return resolve(node.name)
    if isinstance(node, Current):
        return current
    if isinstance(node, Binary):
        if node.op == "and":
            return to_bool(_value(node.left, resolve, current, today)) and to_bool(
                _value(node.right, resolve, current, today))
        if node.op == "or":
            return to_bool(_value(node.left, resolve, current, today)) or to_bool(
                _value(node.right, resolve, current, today))
        return _compare(node.op, _value(node.left, resolve, current, today),
                        _value(node.right, resolve, current, today))
    args = [_value(arg, resolve, current, today) for arg in node.args]
    if node.name == "selected":
        chosen = args[0] if isinstance(args[0], list) else to_string(args[0]).split()
        return to_string(args[1]).strip() in [str(c) for c in chosen]
    if node.name == "count-selected":
        return len(args[0]) if isinstance(args[0], list) else len(to_string(args[0]).split())
    if node.name == "string-length":
        return len(to_string(args[0]))
    if node.name == "not":
        return not to_bool(args[0])
    if node.name == "true":
        return True
    if node.name == "false":
        return False
    if node.name == "today":
        return today
    return _as_date(args[0])


def evaluate(node: Node, resolve: Resolver | Mapping[str, Value], *, current: Value = None,
             today: date | None = None) -> bool:
    """Whether the expression holds for these answers (and, in a constraint, this answer as `.`)."""
    lookup = resolve.get if isinstance(resolve, Mapping) else resolve
    return to_bool(_value(node, lookup, current, today or date.today()))
