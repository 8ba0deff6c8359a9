"""Test helper of the formats package (formats/testdata/README.md), run with the virtualenv
that .ci/splunk-tools-env.sh makes.

  check.py schema SCHEMA FILE...   validate each JSON file, or each line of an .ndjson file;
                                   prints one line per error, exits 1 if any
  check.py conf FILE               read a .conf file with addonfactory-splunk-conf-parser-lib
                                   and print {stanza: {key: value}} as JSON
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


if __name__ == "__main__":
    if sys.argv[1] == "schema":
        sys.exit(schema(sys.argv[2], sys.argv[3:]))
    if sys.argv[1] == "conf":
        sys.exit(conf(sys.argv[2]))
    sys.exit("usage: check.py schema SCHEMA FILE... | conf FILE")
