"""Runs EQL queries on Elastic's Python EQL engine (PyPI eql) for engine_test.go.

Reads {"jobs": [{"query": Q, "events": [EVENT, ...]}, ...]} as JSON on stdin and prints
{"results": [{"matches": [i, ...], "matches_es": [i, ...], "failed": {i: ERROR}} or
{"error": KIND, "message": M}, ...]}: per job the 0-based indexes of the events the query
matches, or why the engine refused the query. matches_es is a second run that also takes
Elasticsearch's side of four named differences (DIALECT.md), to check that a disagreement
the test puts down to one of them goes away without it: `not` over a comparison of a missing
field is true (null-under-not: Elasticsearch runs `not` as a bool must_not filter), a leaf is
true when one value of an array field satisfies it and `[]` is absent (multi-valued-fields),
dots in keys are expanded into objects as Elasticsearch does at indexing (dotted-keys), and a
value is read as the index mapped for the rule stores it: a string compared with a number as
a number, a number compared with a string as its JSON text (mapped-types).

A job with "times" (one time in nanoseconds per event, the events in time order) is a
sequence query, run once over the whole stream: its result is {"sequences": [[i, ...], ...]},
the indexes of the events of each sequence the engine reports, in the order reported, and
"sequences_es", the same from a run with Elasticsearch's side of the checked differences
taken (as matches_es).

The engine's own dialect departs from Elasticsearch's in ways this driver bridges, so that a
query means here what it means on Elasticsearch (DIALECT.md beside engine_test.go names each):
  - case: the engine folds every string comparison by default; Elasticsearch compares ==, in,
    like and regex case-sensitively and folds only :, like~ and regex~. The driver turns the
    engine's global folding off and sends the three folding operators to folding functions.
  - the parser reads like/like~ and regex/regex~ alike (the ~ is dropped); the driver keeps it.
  - wildcards: the engine knows only *; Elasticsearch's : and like also take ? for one character.
  - regex: the engine anchors only the start (re.match); Elasticsearch's regex must match the
    whole value (Lucene regular expressions), so the driver uses re.fullmatch.
  - a backticked name with dots (`a.b-c`) names the field a.b-c in Elasticsearch, the path a
    then b-c in its mapping; the engine looks for one key "a.b-c". The driver splits it at
    the dots.
Everything else (parsing, fields, optional ?fields, null, not, in, numbers, arrays) is the
engine's own behaviour.
"""
import json
import re
import sys

import eql
import eql.utils
from eql import ast
from eql.functions import FunctionSignature, register
from eql.types import TypeHint

eql.utils.CASE_INSENSITIVE = False
FLAGS = re.UNICODE | re.DOTALL


def wildcard_regex(pattern):
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def make(name, to_regex, flags):
    class Signature(FunctionSignature):
        argument_types = [TypeHint.String, TypeHint.String.require_literal()]
        return_value = TypeHint.Boolean
        additional_types = TypeHint.String.require_literal()

        @classmethod
        def get_callback(cls, source_ast, *literals):
            compiled = [re.compile(to_regex(lit.value), flags) for lit in literals]

            def callback(source, *_):
                if eql.utils.is_string(source):
                    return any(c.fullmatch(source) is not None for c in compiled)
                return None

            return callback

        @classmethod
        def run(cls, source, *patterns):
            if eql.utils.is_string(source):
                return any(re.fullmatch(to_regex(p), source, flags) is not None for p in patterns)
            return None

    Signature.name = name
    Signature.__name__ = name
    register(Signature)


make("es_like", wildcard_regex, FLAGS)
make("es_like_fold", wildcard_regex, FLAGS | re.IGNORECASE)
make("es_regex", lambda p: p, FLAGS)
make("es_regex_fold", lambda p: p, FLAGS | re.IGNORECASE)

PREDICATES = {":": "es_like_fold", "like": "es_like", "like~": "es_like_fold",
              "regex": "es_regex", "regex~": "es_regex_fold"}


def string_predicate(self, node):
    predicate = str(node["STRING_PREDICATE"])
    name = PREDICATES.get(predicate)
    if name is None:
        raise self._error(node, message="Invalid syntax", cls=eql.EqlSyntaxError)
    children = self.visit(node.child_trees)
    for child in children:
        if not child.validate_type(TypeHint.String):
            raise self._type_error(child, TypeHint.String)
    return eql.parser.NodeInfo(ast.FunctionCall(name, [child.node for child in children]), TypeHint.Boolean)


_field_path = eql.parser.LarkToEQL._field_path


def field_path(self, node, allow_optional=False):
    optional, path = _field_path(self, node, allow_optional)
    split = []
    for part in path:
        split.extend(part.split(".") if isinstance(part, str) else [part])
    return optional, split


_base_field = eql.parser.LarkToEQL.base_field


def base_field(self, node):
    info = _base_field(self, node)
    if isinstance(info.node, ast.Field) and not info.node.path and "." in info.node.base:
        parts = info.node.base.split(".")
        info.node = ast.Field(parts[0], parts[1:])
    return info


def field_values(value, path):
    """The values of a field as Elasticsearch indexes them: every element of an array at the
    field or of an array of objects on its path, nulls left out."""
    if isinstance(value, list):
        return [v for e in value for v in field_values(e, path)]
    if not path:
        return [] if value is None else [value]
    if isinstance(value, dict) and path[0] in value:
        return field_values(value[path[0]], path[1:])
    return []


class ElasticsearchSide(eql.PythonEngine):
    """The engine with Elasticsearch's side of the checked differences: `not` of null is true,
    as a bool must_not filter has it, and a leaf on a field is true when one of the field's
    values satisfies it, null (absent) when the field has none."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._current = {}  # id of a Field node -> [the value the leaf is testing]

    def _convert_not(self, node):
        get_value = self.convert(node.term)
        return lambda scope: not get_value(scope)

    def _convert_field(self, node):
        cell = self._current.get(id(node))
        if cell is not None:
            return lambda scope: cell[0]
        return super()._convert_field(node)

    def _leaf(self, node, field, convert, absent, coerce=lambda v: v):
        if not isinstance(field, ast.Field):
            return convert(node)
        cell = [None]
        self._current[id(field)] = cell
        try:
            test = convert(node)
        finally:
            del self._current[id(field)]
        path = [field.base] + list(field.path)

        def callback(scope):
            values = field_values(scope.event.data, path)
            if not values:
                return absent
            for v in values:
                cell[0] = coerce(v)
                if test(scope):
                    return True
            return False

        return callback

    def _convert_comparison(self, node):
        return self._leaf(node, node.left, super()._convert_comparison, None, coercion([node.right]))

    def _convert_function_call(self, node):
        field = node.arguments[0] if node.arguments else None
        return self._leaf(node, field, super()._convert_function_call, None, to_text)

    def _convert_in_set(self, node):
        return self._leaf(node, node.expression, super()._convert_in_set, None, coercion(node.container))

    def _convert_is_null(self, node):
        return self._leaf(node, node.expr, super()._convert_is_null, True)

    def _convert_is_not_null(self, node):
        return self._leaf(node, node.expr, super()._convert_is_not_null, False)


NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def to_number(v):
    """A string on a numeric field, as Elasticsearch coerces it."""
    if isinstance(v, str) and NUMBER.fullmatch(v.strip()):
        f = float(v)
        return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f
    return v


def to_text(v):
    """A number on a keyword field, as Elasticsearch stores it (its JSON text)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return json.dumps(v)
    return v


def coercion(literals):
    """How a leaf comparing with literals sees a value: a numeric field's for numbers, a
    keyword field's for strings (the mapping a rule's fields get, mapped-types)."""
    if literals and all(isinstance(x, ast.Number) for x in literals):
        return to_number
    if literals and all(isinstance(x, ast.String) for x in literals):
        return to_text
    return lambda v: v


def expand_dots(value):
    """Expands dotted keys into objects, as Elasticsearch does at indexing; a key that would
    collide with an existing one is left as it is."""
    if isinstance(value, list):
        return [expand_dots(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        if "." not in k:
            out[k] = expand_dots(v) if k not in out else out[k]
    for k, v in value.items():
        if "." not in k:
            continue
        parts = k.split(".")
        node = out
        ok = True
        for p in parts[:-1]:
            nxt = node.setdefault(p, {})
            if not isinstance(nxt, dict):
                ok = False
                break
            node = nxt
        if ok and parts[-1] not in node:
            node[parts[-1]] = expand_dots(v)
        elif not ok or parts[-1] in node:
            out.setdefault(k, expand_dots(v))
    return out


def run(engine_class, query, data):
    """Whether query matches the event data on a fresh engine of engine_class."""
    category = data.get("event", {}).get("category") if isinstance(data.get("event"), dict) else None
    event = eql.Event(category if isinstance(category, str) else "unknown", 0, data)
    hits = []
    engine = engine_class()
    engine.add_query(query)
    engine.add_output_hook(hits.append)
    engine.stream_events([event])
    return bool(hits)


def run_sequence(engine_class, query, events, times):
    """The sequences query finds over the events streamed in order on a fresh engine of
    engine_class, each as the indexes of its events. Times are nanoseconds; the engine
    counts maxspan in the same unit."""
    hits = []
    engine = engine_class({"time_unit": 1000000000})
    engine.add_query(query)
    engine.add_output_hook(hits.append)
    stream, index = [], {}
    for i, (data, t) in enumerate(zip(events, times)):
        category = data.get("event", {}).get("category") if isinstance(data.get("event"), dict) else None
        stream.append(eql.Event(category if isinstance(category, str) else "unknown", t, data))
        index[id(data)] = i
    engine.stream_events(stream)
    return [[index[id(e.data)] for e in h.events] for h in hits]


def main():
    # Function names are looked up when the parser is made, so register before patching.
    eql.parser.LarkToEQL.string_predicate = string_predicate
    eql.parser.LarkToEQL._field_path = field_path
    eql.parser.LarkToEQL.base_field = base_field
    jobs = json.load(sys.stdin)["jobs"]
    results = []
    for job in jobs:
        try:
            # Unoptimized: the optimizer folds `not f == v` into `f != v` and `not f > v` into
            # `f <= v`, which would hide the `not` from the second run.
            with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions, eql.parser.skip_optimizations:
                query = eql.parse_query(job["query"])
        except eql.EqlError as e:
            first = str(e).splitlines()[0] if str(e) else ""
            results.append({"error": type(e).__name__, "message": first})
            continue
        if "times" in job:
            results.append({"sequences": run_sequence(eql.PythonEngine, query, job["events"], job["times"]),
                            "sequences_es": run_sequence(ElasticsearchSide, query,
                                                         [expand_dots(e) for e in job["events"]], job["times"])})
            continue
        matches, matches_es, failed = [], [], {}
        for i, data in enumerate(job["events"]):
            try:
                if run(eql.PythonEngine, query, data):
                    matches.append(i)
            except Exception as e:  # the engine failing on one event is a result too
                failed[str(i)] = type(e).__name__ + ": " + (str(e).splitlines()[0] if str(e) else "")
            try:
                if run(ElasticsearchSide, query, expand_dots(data)):
                    matches_es.append(i)
            except Exception:
                pass
        results.append({"matches": matches, "matches_es": matches_es, "failed": failed})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
