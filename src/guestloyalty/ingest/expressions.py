"""Mapping expressions are row transformations, nothing more: parse, then allow-list.

A mapping column is a DuckDB SQL expression written by whoever wrote the mapping, and a
mapping may arrive in landing from outside. DuckDB's own parser (``json_serialize_sql``, which
parses and never runs) turns it into a tree; :func:`refusal` walks the tree and accepts only
what transforms one row: column references, literals, operators, ``case``, casts and an
allow-list of scalar string, date and number functions. Subqueries, table functions,
aggregates, windows, parameters, ``*`` and every function not listed (``read_text``,
``getvariable``, ``current_setting``, ...) are refused before anything runs.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

#: Scalar functions a mapping may call: they see only their arguments.
STRING_FUNCTIONS = frozenset(
    {
        "ascii", "chr", "concat", "concat_ws", "contains", "ends_with", "format", "instr",
        "lcase", "left", "len", "length", "lower", "lpad", "ltrim", "md5", "nfc_normalize",
        "position", "prefix", "printf", "regexp_extract", "regexp_full_match",
        "regexp_matches", "regexp_replace", "repeat", "replace", "reverse", "right", "rpad",
        "rtrim", "sha256", "split_part", "starts_with", "string_split", "string_split_regex",
        "str_split", "strip_accents", "strlen", "strpos", "substr", "substring", "suffix",
        "translate", "trim", "ucase", "upper",
    }
)  # fmt: skip
DATE_FUNCTIONS = frozenset(
    {
        "date_add", "date_diff", "date_part", "date_sub", "date_trunc", "datediff", "datepart",
        "datesub", "datetrunc", "day", "dayname", "dayofmonth", "dayofweek", "dayofyear",
        "epoch", "epoch_ms", "hour", "isodow", "isoyear", "last_day", "make_date", "make_time",
        "make_timestamp", "minute", "month", "monthname", "quarter", "second", "strftime",
        "strptime", "to_days", "to_hours", "to_minutes", "to_months", "to_seconds",
        "to_timestamp", "to_weeks", "to_years", "try_strptime", "week", "weekofyear", "year",
    }
)  # fmt: skip
NUMBER_FUNCTIONS = frozenset(
    {
        "abs", "cbrt", "ceil", "ceiling", "even", "exp", "floor", "greatest", "isfinite",
        "isinf", "isnan", "least", "ln", "log", "log10", "log2", "pow", "power", "round",
        "round_even", "sign", "sqrt", "trunc",
    }
)  # fmt: skip
OTHER_FUNCTIONS = frozenset({"if", "ifnull", "nullif", "list_value"})
#: Operators DuckDB's parser writes as functions (``a || b`` is the function ``||``).
OPERATOR_FUNCTIONS = frozenset(
    {"||", "+", "-", "*", "/", "//", "%", "^", "**", "~~", "!~~", "~~*", "!~~*", "~~~", "!~~~"}
)
ALLOWED_FUNCTIONS = (
    STRING_FUNCTIONS | DATE_FUNCTIONS | NUMBER_FUNCTIONS | OTHER_FUNCTIONS | OPERATOR_FUNCTIONS
)
#: Expression node classes that stay inside the row (FUNCTION is checked by name).
_ALLOWED_CLASSES = frozenset(
    {"BETWEEN", "CASE", "CAST", "COLUMN_REF", "COMPARISON", "CONJUNCTION", "CONSTANT", "TYPE"}
)
_ALLOWED_OPERATORS = frozenset(
    {
        "OPERATOR_NOT",
        "OPERATOR_IS_NULL",
        "OPERATOR_IS_NOT_NULL",
        "COMPARE_IN",
        "COMPARE_NOT_IN",
        "OPERATOR_COALESCE",
        "ARRAY_EXTRACT",
        "ARRAY_SLICE",
    }
)
_CLASS_NAMES = {
    "SUBQUERY": "a subquery",
    "WINDOW": "a window function",
    "STAR": "* / columns(...)",
    "PARAMETER": "a query parameter",
    "LAMBDA": "a lambda",
    "POSITIONAL_REFERENCE": "a positional reference (#n)",
    "COLLATE": "collate",
    "DEFAULT": "default",
}
#: What the expression is wrapped in for parsing: the cast the loader wraps it in, so a
#: comment, a stray parenthesis or a clause cannot reach past the expression.
_PREFIX = "select cast(("
_SUFFIX = ") as varchar)"
ALLOWED = (
    "a mapping expression may use the file's columns, literals, operators, case, casts and "
    "scalar string, date and number functions"
)


@dataclass(frozen=True)
class Refusal:
    """Why an expression is refused: the construct (``read_text``) and a sentence."""

    construct: str
    reason: str

    def __str__(self) -> str:
        if not self.construct:  # not SQL at all: the parser's message says enough
            return self.reason
        return f"{self.construct} is not allowed: {self.reason}; {ALLOWED}"


@functools.cache
def _parser() -> duckdb.DuckDBPyConnection:
    """An in-memory connection that can reach no file; it only parses."""
    import duckdb

    from guestloyalty.warehouse import confine

    return confine(duckdb.connect())


def parse(expression: str) -> dict[str, Any] | str:
    """DuckDB's parse tree of ``select cast((expression) as varchar)``, or the parser's
    message."""
    text = (
        _parser()
        .execute("select json_serialize_sql(?::varchar)", [f"{_PREFIX}{expression}{_SUFFIX}"])
        .fetchall()[0][0]
    )
    tree = json.loads(text)
    if tree.get("error"):
        return str(tree.get("error_message") or "not a SQL expression").splitlines()[0]
    return tree


def refusal(expression: str) -> Refusal | None:
    """None when ``expression`` only transforms the row; else what is refused and why."""
    tree = parse(expression)
    if isinstance(tree, str):
        return Refusal("", f"not one SQL expression ({tree})")
    statements = tree.get("statements") or []
    if len(statements) != 1:
        return Refusal("more than one statement", "a mapping column is one expression")
    node = statements[0].get("node") or {}
    extra = _beyond_one_expression(node)
    if extra:
        return Refusal(extra, "a mapping column is one expression over the row")
    return _walk(node["select_list"][0], expression)


def _beyond_one_expression(node: dict[str, Any]) -> str | None:
    """What turns ``select cast((expression) as varchar)`` into more than one expression."""
    if node.get("type") != "SELECT_NODE":
        return "a set operation" if "SET_OPERATION" in str(node.get("type")) else "a query"
    if len(node.get("select_list") or []) != 1:
        return "a list of expressions"
    if (node.get("from_table") or {}).get("type") != "EMPTY":
        return f"from {_from_name(node.get('from_table') or {})}"
    for key in ("where_clause", "having", "qualify", "sample"):
        if node.get(key):
            return key.removesuffix("_clause")
    if node.get("group_expressions") or node.get("group_sets"):
        return "group by"
    if node.get("modifiers"):
        return "order by / limit / distinct"
    if (node.get("cte_map") or {}).get("map"):
        return "with"
    if node["select_list"][0].get("alias"):
        return "an alias (as ...)"
    if node["select_list"][0].get("class") != "CAST":
        return "a query"
    return None


def _walk(node: Any, expression: str) -> Refusal | None:
    """Depth-first: the outermost refused construct wins."""
    if isinstance(node, list):
        for item in node:
            found = _walk(item, expression)
            if found:
                return found
        return None
    if not isinstance(node, dict):
        return None
    if "class" in node:
        found = _check_node(node, expression)
        if found:
            return found
    for value in node.values():
        found = _walk(value, expression)
        if found:
            return found
    return None


def _check_node(node: dict[str, Any], expression: str) -> Refusal | None:
    kind = node["class"]
    if kind == "FUNCTION":
        name = str(node.get("function_name", "")).lower()
        qualified = ".".join(p for p in (node.get("catalog"), node.get("schema"), name) if p)
        if qualified != name or name not in ALLOWED_FUNCTIONS:
            what = "it is not a scalar function on the row's values"
            if name.startswith(("read_", "parquet_", "sniff_")) or name in _READERS:
                what = "it reads outside the row"
            return Refusal(qualified, what)
        if node.get("filter") or (node.get("order_bys") or {}).get("orders"):
            return Refusal(f"{name}(... filter / order by)", "aggregate syntax")
        if node.get("distinct"):
            return Refusal(f"{name}(distinct ...)", "aggregate syntax")
        return None
    if kind == "OPERATOR":
        if node.get("type") in _ALLOWED_OPERATORS:
            return None
        return Refusal(str(node.get("type", "operator")).lower(), "not a row operator")
    if kind == "COLUMN_REF":
        names = node.get("column_names") or []
        if len(names) != 1:
            return Refusal(".".join(names), "a column is named by its name alone")
        return None
    if kind == "TYPE":
        if node.get("catalog") or node.get("schema"):
            return Refusal(f"type {node.get('type_name')}", "a type of another database")
        return None
    if kind in _ALLOWED_CLASSES:
        return None
    if kind == "SUBQUERY":
        reached = _reached(node.get("subquery") or {})
        if reached:
            over = ", ".join(reached)
            return Refusal(reached[0], f"a subquery over {over} reads outside the row")
        return Refusal("a subquery", "it reads outside the row")
    described = _CLASS_NAMES.get(kind, kind.lower())
    shown = _snippet(node, expression) or described
    if kind == "WINDOW":
        return Refusal(described, f"{shown} reads other rows")
    return Refusal(described, f"{shown} is not a transformation of the row's values")


_READERS = frozenset({"glob", "query", "query_table", "getvariable", "current_setting", "getenv"})


def _reached(node: Any) -> list[str]:
    """Tables and table functions a subquery reads (in the order written)."""
    found: list[str] = []

    def visit(item: Any) -> None:
        if isinstance(item, list):
            for child in item:
                visit(child)
        elif isinstance(item, dict):
            if item.get("type") in ("TABLE_FUNCTION", "BASE_TABLE") and "class" not in item:
                name = _from_name(item)
                if name not in found:
                    found.append(name)
            for child in item.values():
                visit(child)

    visit(node)
    return found


def _from_name(table: dict[str, Any]) -> str:
    if table.get("type") == "TABLE_FUNCTION":
        return str((table.get("function") or {}).get("function_name", "a table function"))
    if table.get("type") == "BASE_TABLE":
        parts = (table.get("catalog_name"), table.get("schema_name"), table.get("table_name"))
        return ".".join(str(p) for p in parts if p)
    return str(table.get("type", "a table")).lower()


def _snippet(node: dict[str, Any], expression: str) -> str:
    start = node.get("query_location")
    length = node.get("query_location_length") or 0
    if not isinstance(start, int) or start >= 2**63 or not length:
        return ""
    start -= len(_PREFIX)
    if start < 0:
        return ""
    return expression[start : start + length].strip()


__all__ = ["ALLOWED_FUNCTIONS", "Refusal", "parse", "refusal"]
