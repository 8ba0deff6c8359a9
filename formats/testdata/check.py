"""Test helper of the formats package (formats/testdata/README.md), run with the virtualenv
that .ci/formats-tools-env.sh makes.

  check.py schema SCHEMA FILE...   validate each JSON file, or each line of an .ndjson file;
                                   prints one line per error, exits 1 if any
  check.py conf FILE               read a .conf file with addonfactory-splunk-conf-parser-lib
                                   and print {stanza: {key: value}} as JSON
  check.py eql FILE...             parse the query of each Elastic rule (NDJSON lines) with
                                   Elastic's EQL parser in Elasticsearch syntax; prints one line
                                   per error, exits 1 if any
"""
import json
import sys


def schema(schema_path, files):
    import jsonschema

    with open(schema_path, encoding="utf-8") as f:
        s = json.load(f)
    cls = jsonschema.validators.validator_for(s)
    cls.check_schema(s)
    v = cls(s)
    bad = 0
    count = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        docs = [json.loads(l) for l in text.splitlines() if l.strip()] if path.endswith(".ndjson") else [json.loads(text)]
        for i, doc in enumerate(docs):
            count += 1
            for e in v.iter_errors(doc):
                bad += 1
                print(f"{path}:{i + 1}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
    print(f"validated {count} documents, {bad} errors")
    return 1 if bad else 0


def conf(path):
    from addonfactory_splunk_conf_parser_lib import TABConfigParser

    p = TABConfigParser()
    with open(path, encoding="utf-8") as f:
        p.read_file(f)
    out = {s: dict(p.items(s)) for s in p.sections()}
    json.dump(out, sys.stdout, ensure_ascii=False)
    return 0


def eql_parse(files):
    import eql

    bad = 0
    count = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f):
                if not line.strip():
                    continue
                rule = json.loads(line)
                count += 1
                try:
                    with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions:
                        eql.parse_query(rule["query"])
                except eql.EqlError as e:
                    bad += 1
                    first = str(e).splitlines()[0] if str(e) else type(e).__name__
                    print(f"{path}:{i + 1}: {rule.get('name')}: {first}")
    print(f"parsed {count} EQL queries, {bad} errors")
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "eql":
        sys.exit(eql_parse(sys.argv[2:]))
    if sys.argv[1] == "schema":
        sys.exit(schema(sys.argv[2], sys.argv[3:]))
    if sys.argv[1] == "conf":
        sys.exit(conf(sys.argv[2]))
    sys.exit("usage: check.py schema SCHEMA FILE... | conf FILE | eql FILE...")
