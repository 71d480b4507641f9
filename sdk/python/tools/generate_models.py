#!/usr/bin/env python3
"""Generates ``src/spool/models.py`` (TypedDicts) from Spool's OpenAPI document.

    python3 tools/generate_models.py http://127.0.0.1:8080/openapi.json > src/spool/models.py
    python3 tools/generate_models.py ../../server/src/main/resources/openapi.json > ...

Every schema under ``components/schemas`` becomes a TypedDict (required fields required, the others
optional), an enum a ``Literal``; objects written in place inside a schema get a class named after
it and the field. The tests generate it again from the document a real server serves and fail when
the committed file differs. Standard library only.
"""
import json
import keyword
import re
import sys
import urllib.request
from typing import Any, Dict, List, Optional

HEADER = '''"""Types of Spool's API, generated from its OpenAPI document by tools/generate_models.py: do not edit.

Answers may gain fields in later versions of Spool; these types list the fields of this one.
"""
# flake8: noqa
from typing import Any, Dict, List, Literal, Optional, TypedDict, Union
'''


def camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


class Generator:
    def __init__(self, doc: Dict[str, Any]):
        self.doc = doc
        self.out: List[str] = []
        self.done: set = set()

    def ref_name(self, ref: str) -> str:
        return ref.rsplit("/", 1)[-1]

    def type_of(self, schema: Any, owner: str) -> str:
        if not isinstance(schema, dict) or not schema:
            return "Any"
        if "$ref" in schema:
            return '"%s"' % self.ref_name(schema["$ref"])
        if "const" in schema:
            return "Literal[%r]" % (schema["const"],)
        if "enum" in schema:
            return "Literal[%s]" % ", ".join(repr(v) for v in schema["enum"])
        for combo in ("oneOf", "anyOf"):
            if combo in schema:
                return self.union([self.type_of(s, owner) for s in schema[combo]])
        if "allOf" in schema:
            parts = schema["allOf"]
            return self.type_of(parts[0], owner) if len(parts) == 1 else "Dict[str, Any]"
        kind = schema.get("type")
        if isinstance(kind, list):
            return self.union([self.type_of(dict(schema, type=k), owner) for k in kind])
        if kind == "object" or "properties" in schema:
            if schema.get("properties"):
                self.emit(owner, schema)
                return '"%s"' % owner
            extra = schema.get("additionalProperties")
            return "Dict[str, %s]" % (self.type_of(extra, owner + "Value") if isinstance(extra, dict) else "Any")
        if kind == "array":
            return "List[%s]" % self.type_of(schema.get("items"), owner + "Item")
        return {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}.get(kind, "Any")

    @staticmethod
    def union(types: List[str]) -> str:
        unique = []
        for t in types:
            if t not in unique:
                unique.append(t)
        nullable = "None" in unique
        rest = [t for t in unique if t != "None"]
        inner = rest[0] if len(rest) == 1 else ("Union[%s]" % ", ".join(rest) if rest else "None")
        return "Optional[%s]" % inner if nullable and rest else inner

    def emit(self, name: str, schema: Dict[str, Any], base: Optional[str] = None) -> None:
        if name in self.done:
            return
        self.done.add(name)
        props: Dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        fields = [(p, self.type_of(s, name + camel(p)), p in required) for p, s in props.items()]
        lines: List[str] = []
        doc = (schema.get("description") or "").strip().replace('"""', "'")
        identifiers = all(p.isidentifier() and not keyword.iskeyword(p) for p, _, _ in fields)
        optional = [f for f in fields if not f[2]]
        if identifiers:
            parent = base or "TypedDict"
            if optional and any(f[2] for f in fields):
                lines.append("class _%sOptional(%s, total=False):" % (name, parent))
                lines += ["    %s: %s" % (p, t) for p, t, _ in optional]
                lines.append("")
                lines.append("")
                parent = "_%sOptional" % name
                fields = [f for f in fields if f[2]]
                total = ""
            else:
                total = "" if not optional else ", total=False"
            lines.append("class %s(%s%s):" % (name, parent, total))
            if doc:
                lines.append('    """%s"""' % " ".join(doc.split()))
            lines += ["    %s: %s" % (p, t) for p, t, _ in fields]
            if not fields and not doc:
                lines.append("    pass")
        else:
            items = ", ".join("%r: %s" % (p, t if t.startswith('"') else repr(t)) for p, t, _ in fields)
            lines.append("%s = TypedDict(%r, {%s}, total=False)" % (name, name, items))
        self.out.append("\n".join(lines))

    def run(self) -> str:
        for name, schema in self.doc.get("components", {}).get("schemas", {}).items():
            if not isinstance(schema, dict):
                continue
            parts = schema.get("allOf") or []
            if len(parts) == 2 and "$ref" in parts[0] and isinstance(parts[1], dict) and "properties" in parts[1]:
                base = self.ref_name(parts[0]["$ref"])
                if base not in self.done:  # a class is defined after the class it extends
                    self.emit(base, self.doc["components"]["schemas"][base])
                merged = dict(parts[1], description=schema.get("description", parts[1].get("description")))
                self.emit(name, merged, base=base)
            elif schema.get("properties"):
                self.emit(name, schema)
            else:
                self.done.add(name)
                self.out.append("%s = %s" % (name, self.type_of(dict(schema, description=None), name).strip('"')))
        return HEADER + "\n\n" + "\n\n\n".join(self.out) + "\n"


def main() -> None:
    source = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080/openapi.json"
    if source.startswith("http"):
        with urllib.request.urlopen(source) as answer:
            doc = json.load(answer)
    else:
        with open(source) as f:
            doc = json.load(f)
    sys.stdout.write(Generator(doc).run())


if __name__ == "__main__":
    main()
