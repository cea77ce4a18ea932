"""Which lines of a displayed source compute, and which only document or check
(for tests/test_show_source.py: a displayed function should read as the idea)."""

import ast
import re

#: What a displayed line is, for :func:`line_kinds`.
CODE, DOCSTRING, VALIDATION, BLANK = "code", "docstring", "validation", "blank"
# Calls that only check an argument: check_x, _check_x, _as_x (convert or raise)
# and the helpers of dtcart.checks.
_VALIDATOR = re.compile(
    r"^(check_|_check|_as_|validate_)|^(require|expect|one_of|integer|number|"
    r"interval|sequence|positive_int|positive_number|nonnegative(_int)?|"
    r"dropout_rate|(float|finite)_(array|vector))$")


def _called_name(node) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_validation(node) -> bool:
    """A statement that only refuses bad input: ``raise``, ``assert``, an ``if``
    whose every branch ends by raising, or a call to a check helper."""
    if isinstance(node, (ast.Raise, ast.Assert)):
        return True
    if isinstance(node, ast.If):  # its body raises in the end; so does else
        return (isinstance(node.body[-1], ast.Raise)
                or all(map(_is_validation, node.body))) and all(
            map(_is_validation, node.orelse))
    value = getattr(node, "value", None)
    if isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) and value:
        return all(_VALIDATOR.search(_called_name(c)) for c in _calls(value))
    return False


def _calls(value) -> list:
    """The calls a statement's value makes: itself, or a tuple's items
    (``a, b = check_a(a), check_b(b)`` checks twice)."""
    return value.elts if isinstance(value, ast.Tuple) else [value]


def line_kinds(source: str) -> list[str]:
    """The kind of each line of ``source`` (Python): ``"docstring"``,
    ``"validation"`` (see :func:`computing_share`), ``"blank"`` (empty or only a
    comment) or ``"code"``. A statement's lines all share its kind."""
    lines = source.splitlines()
    kinds = [BLANK if not ln.strip() or ln.strip().startswith("#") else CODE
             for ln in lines]

    def mark(node, kind):
        for i in range(node.lineno - 1, node.end_lineno):
            if kinds[i] != BLANK:
                kinds[i] = kind

    def visit(body, may_have_docstring):
        for i, node in enumerate(body):
            if (i == 0 and may_have_docstring and isinstance(node, ast.Expr)
                    and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                mark(node, DOCSTRING)
            elif _is_validation(node):
                mark(node, VALIDATION)
            elif isinstance(node, ast.Try) and node.handlers and all(
                    all(map(_is_validation, h.body)) for h in node.handlers):
                kinds[node.lineno - 1] = VALIDATION  # the `try:` line
                visit(node.body, False)
                for handler in node.handlers:
                    mark(handler, VALIDATION)
            else:
                nested = isinstance(node, (ast.FunctionDef, ast.ClassDef,
                                           ast.AsyncFunctionDef))
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(node, field, []) or [], nested and
                          field == "body")

    visit(ast.parse(source).body, True)
    return kinds


def computing_share(source: str) -> float:
    """The share of the non-blank lines of ``source`` that compute: neither
    docstring nor validation. Validation is a ``raise``, an ``assert``, an
    ``if`` whose branches end by raising, the ``try:``/``except`` lines around a
    conversion whose handlers only raise, and a call to a check helper
    (``check_*``, ``_check*``, ``_as_*``, :mod:`dtcart.checks`). Blank and
    comment-only lines count neither way. Raises ``ValueError`` if ``source``
    has no counted line."""
    kinds = [k for k in line_kinds(source) if k != BLANK]
    if not kinds:
        raise ValueError("source has no line of code")
    return kinds.count(CODE) / len(kinds)


def _raised(node) -> str:
    """The name of the exception a ``raise`` statement raises (``""`` for a
    bare ``raise`` or one it cannot name)."""
    exc = node.exc
    return _called_name(exc) if isinstance(exc, ast.Call) else (
        exc.id if isinstance(exc, ast.Name) else "")


def check_lines(source: str, verdicts=frozenset()) -> tuple[int, int]:
    """``(argument-check lines, code lines)`` of a module's ``source``, as
    issue 23 counts them: ``if ...: raise`` blocks, ``raise`` statements and
    statements that only call a check helper (``return check(...)`` too) are
    checks; docstrings, comments and blank lines count neither way.

    ``verdicts`` names exceptions that are a module's output, not a refusal of
    its arguments: the exercises' ``Wrong`` is their FAIL verdict on a
    reader's answer. Raising one, and an ``if`` whose branches only raise
    one, is code; a ``TypeError`` for a misuse of the same check still counts.
    """
    tree = ast.parse(source)
    docs = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef,
                             ast.AsyncFunctionDef)) and body \
                and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            docs.update(range(body[0].lineno, body[0].end_lineno + 1))
    code = {i for i, line in enumerate(source.splitlines(), 1)
            if line.strip() and not line.strip().startswith("#")} - docs

    def raised(body):  # the names body raises if raising is all it does
        names = set()
        for s in body:
            if isinstance(s, ast.Raise):
                names.add(_raised(s))
            elif isinstance(s, ast.If) and None not in (
                    branches := (raised(s.body), raised(s.orelse))):
                names.update(*branches)
            else:
                return None
        return names

    def refuses(node):  # a raise, or an if that only raises, not a verdict
        names = raised([node])
        return names is not None and bool(names - verdicts)

    checks = set()
    for node in ast.walk(tree):
        value = getattr(node, "value", None)
        if isinstance(node, (ast.Raise, ast.If)) and refuses(node) or (
                isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign,
                                  ast.Return))
                and value is not None and all(_VALIDATOR.search(
                    _called_name(c)) for c in _calls(value))):
            checks.update(range(node.lineno, node.end_lineno + 1))
    return len(checks & code), len(code)
