#!/usr/bin/env python3
"""Generates src/skaffold/schema/tables.rs: skafix's own key tables for every Skaffold
apiVersion from skaffold/v2beta19 to the newest one.

Usage: gen_skaffold_schema.py SKAFFOLD_CHECKOUT > src/skaffold/schema/tables.rs

Inputs, both from a checkout of github.com/GoogleContainerTools/skaffold:
- docs-v2/content/en/schemas/<version>.json: keys, value types and required keys per object.
- pkg/skaffold/schema/<version>/config.go (latest/ for the newest version): the `oneOf` groups
  (yamltags), which the JSON schemas only partly express, the object types Skaffold decodes
  with a custom, non-strict decoder, and the Go types behind keys the JSON schemas leave untyped.

The generated file is committed; nothing at build or test time needs this script.
"""

import json
import os
import re
import sys

VERSIONS = (
    [f"v2beta{i}" for i in range(19, 30)]
    + ["v3alpha1", "v3"]
    + [f"v4beta{i}" for i in range(1, 15)]
)
LATEST = "v4beta14"

# Keys the JSON schemas leave untyped (`{}`) although the Go type is known. Each entry names
# the Go type the generator expects to find in config.go, so a change upstream fails loudly.
UNTYPED_OVERRIDES = {
    ("BuildpackArtifact", "volumes"): ("*[]BuildpackVolume", "T::List(&T::Object(\"BuildpackVolume\"))"),
    ("RenderConfig", "transform"): ("*[]Transformer", "T::List(&T::Object(\"Transformer\"))"),
    ("RenderConfig", "validate"): ("*[]Validator", "T::List(&T::Object(\"Validator\"))"),
    ("HelmRelease", "setValues"): ("util.FlatMap", "T::AnyMap"),
    ("HelmRelease", "setValueTemplates"): ("util.FlatMap", "T::AnyMap"),
    ("HelmRelease", "artifactOverrides"): ("util.FlatMap", "T::AnyMap"),
    ("HelmRelease", "overrides"): ("util.HelmOverrides", "T::AnyMap"),
}

# Keys yaml.v3 decodes that the JSON schemas omit: Go fields with only a `json` tag, which
# yaml.v3 reads under the lower-cased field name. Same Go-type check as above.
GO_ONLY_KEYS = {
    ("VerifyContainer", "env"): ("[]VerifyEnvVar", "T::List(&T::Object(\"VerifyEnvVar\"))"),
    ("VerifyEnvVar", "name"): ("string", "T::String"),
    ("VerifyEnvVar", "value"): ("string", "T::String"),
}

STRUCT_RE = re.compile(r"^type (\w+) struct \{")
FIELD_RE = re.compile(r"^\s+(\w+)(?:\s+([^\s`]+))?\s+`([^`]*)`")
TAG_RE = re.compile(r'(\w+):"([^"]*)"')
UNMARSHAL_RE = re.compile(r"^func \(\w+ \*(\w+)\) UnmarshalYAML\(")


def fail(message):
    sys.stderr.write(f"gen_skaffold_schema: {message}\n")
    sys.exit(1)


def parse_go(path):
    """Returns ({struct: [(go_field, go_type, yaml_key, inline, one_of_group)]},
    {struct: [required yaml keys]}, lenient_types)."""
    structs = {}
    required = {}
    lenient = set()
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = UNMARSHAL_RE.match(line)
            if m:
                lenient.add(m.group(1))
            m = STRUCT_RE.match(line)
            if m:
                current = m.group(1)
                structs[current] = []
                continue
            if current is None:
                continue
            if line.startswith("}"):
                current = None
                continue
            m = FIELD_RE.match(line)
            if not m:
                continue
            name, go_type, tags = m.group(1), m.group(2), m.group(3)
            if go_type is None:  # embedded struct
                go_type = name
            tag = dict(TAG_RE.findall(tags))
            yaml_parts = tag.get("yaml", "").split(",")
            inline = "inline" in yaml_parts[1:]
            # yaml.v3 reads an untagged field under its lower-cased Go name.
            key = yaml_parts[0] or (name.lower() if not inline else "")
            if key == "-":  # not decoded from YAML at all
                continue
            group = None
            for part in tag.get("yamltags", "").split(","):
                if part.startswith("oneOf="):
                    group = part[len("oneOf="):]
                if part == "required":
                    required.setdefault(current, []).append(key)
            structs[current].append((name, go_type, key, inline, group))
    return structs, required, lenient


def one_of_groups(structs, json_defs):
    """{json definition: [(group name, [keys])]}, following inlined structs up to definitions."""
    inlined_into = {}
    for parent, fields in structs.items():
        for _, go_type, _, inline, _ in fields:
            if inline:
                inlined_into.setdefault(go_type.lstrip("*"), []).append(parent)

    def owners(struct, seen=()):
        found = []
        if struct in json_defs:
            found.append(struct)
        for parent in inlined_into.get(struct, []):
            if parent not in seen:
                found.extend(owners(parent, seen + (struct,)))
        return found

    result = {}
    for struct, fields in structs.items():
        groups = {}
        for _, _, key, _, group in fields:
            if group:
                groups.setdefault(group, []).append(key)
        for group, keys in groups.items():
            for owner in owners(struct):
                entry = (group, sorted(keys))
                if entry not in result.setdefault(owner, []):
                    result[owner].append(entry)
    return result


def go_field_type(structs, type_name, key):
    """The Go type of `key` in `type_name`, looking through inlined structs."""
    for _, go_type, yaml_key, inline, _ in structs.get(type_name, []):
        if inline:
            found = go_field_type(structs, go_type.lstrip("*"), key)
            if found:
                return found
        elif yaml_key == key:
            return go_type
    return None


def go_keys(structs, name):
    """Every YAML key of a Go struct, inlined structs flattened."""
    keys = set()
    for _, go_type, key, inline, _ in structs.get(name, []):
        if inline:
            keys |= go_keys(structs, go_type.lstrip("*"))
        else:
            keys.add(key)
    return keys


def go_required_keys(structs, go_required, name):
    """Required YAML keys of a Go struct, inlined structs included."""
    keys = list(go_required.get(name, []))
    for _, go_type, _, inline, _ in structs.get(name, []):
        if inline:
            keys += go_required_keys(structs, go_required, go_type.lstrip("*"))
    return keys


def value_type(prop, defs, structs, type_name, key):
    schema = {k: v for k, v in prop.items()
              if k not in ("description", "x-intellij-html-description", "examples", "default", "enum")}
    if "$ref" in schema:
        return ref_type(schema["$ref"], defs)
    kind = schema.get("type")
    if kind == "string":
        return "T::String"
    if kind == "boolean":
        return "T::Bool"
    if kind == "integer":
        return "T::Int"
    if "anyOf" in schema:
        kinds = sorted(alt.get("type") for alt in schema["anyOf"])
        if kinds == ["integer", "string"]:
            return "T::IntOrString"
        fail(f"{type_name}.{key}: unexpected anyOf {schema}")
    if kind == "object":
        if schema.get("additionalProperties") == {"type": "string"}:
            return "T::StringMap"
        fail(f"{type_name}.{key}: unexpected object {schema}")
    if kind == "array":
        items = schema.get("items", {})
        if items == {}:
            return "T::List(&T::Any)"
        if "$ref" in items:
            return f"T::List(&{ref_type(items['$ref'], defs)})"
        if items == {"type": "string"}:
            return "T::List(&T::String)"
        fail(f"{type_name}.{key}: unexpected items {items}")
    if schema == {}:
        override = UNTYPED_OVERRIDES.get((type_name, key))
        if override:
            expected_go, rust = override
            actual = go_field_type(structs, type_name, key)
            if actual != expected_go:
                fail(f"{type_name}.{key}: Go type {actual}, expected {expected_go}")
            return rust
        return "T::Any"
    fail(f"{type_name}.{key}: unexpected schema {schema}")


def ref_type(ref, defs):
    name = ref.rsplit("/", 1)[-1]
    target = defs.get(name)
    if target is None:
        fail(f"dangling reference {ref}")
    if target.get("type") == "string" and "properties" not in target:
        return "T::String"
    return f'T::Object("{name}")'


def object_types(version, checkout):
    path = os.path.join(checkout, "docs-v2", "content", "en", "schemas", f"{version}.json")
    with open(path, encoding="utf-8") as f:
        defs = json.load(f)["definitions"]
    go_dir = "latest" if version == LATEST else version
    structs, go_required, lenient = parse_go(os.path.join(checkout, "pkg", "skaffold", "schema", go_dir, "config.go"))
    groups = one_of_groups(structs, defs)
    types = {}
    for name, definition in defs.items():
        if definition.get("type") == "string" and "properties" not in definition:
            continue  # a named string type; references to it are emitted as strings
        if definition.get("type") != "object":
            fail(f"{version} {name}: unexpected definition type {definition.get('type')}")
        props = dict(definition.get("properties", {}))
        for alternative in definition.get("anyOf", []):
            props.update(alternative.get("properties", {}))
        fields = [(key, value_type(prop, defs, structs, name, key)) for key, prop in props.items()]
        if name in structs:
            keys = go_keys(structs, name)
            for key in sorted(keys - set(props)):
                extra = GO_ONLY_KEYS.get((name, key))
                if extra is None or go_field_type(structs, name, key) != extra[0]:
                    fail(f"{version} {name}.{key}: in Go but not in the JSON schema")
                fields.append((key, extra[1]))
            if set(props) - keys:
                fail(f"{version} {name}: JSON schema keys {sorted(set(props) - keys)} not in Go")
        fields = tuple(sorted(fields))
        required = tuple(definition.get("required", []))
        wanted = go_required_keys(structs, go_required, name)
        if name in structs and sorted(wanted) != sorted(required):
            if required:
                fail(f"{version} {name}: required {required} in JSON, {wanted} in Go")
            required = tuple(wanted)  # a definition the JSON schema left empty
        for key in required:
            if key not in props and (name, key) not in GO_ONLY_KEYS:
                fail(f"{version} {name}: required key {key} is not a property")
        one_of = tuple(sorted((g, tuple(keys)) for g, keys in groups.get(name, [])))
        for _, keys in one_of:
            for key in keys:
                if key not in props:
                    fail(f"{version} {name}: oneOf key {key} is not a property")
        types[name] = (fields, required, one_of, name in lenient)
    if "SkaffoldConfig" not in types:
        fail(f"{version}: no SkaffoldConfig")
    return types


def rust_str_list(items):
    return "&[" + ", ".join(f'"{i}"' for i in items) + "]"


def main():
    if len(sys.argv) != 2:
        fail("usage: gen_skaffold_schema.py SKAFFOLD_CHECKOUT")
    checkout = sys.argv[1]
    distinct = {}  # (name, body) -> static ident
    statics = []
    per_version = []
    for version in VERSIONS:
        types = object_types(version, checkout)
        idents = []
        for name in sorted(types):
            body = types[name]
            ident = distinct.get((name, body))
            if ident is None:
                ident = f"O{len(distinct)}"
                distinct[(name, body)] = ident
                fields, required, one_of, lenient = body
                field_text = "".join(f'\n        Field {{ key: "{k}", ty: {t} }},' for k, t in fields)
                group_text = "".join(
                    f'OneOf {{ name: "{g}", keys: {rust_str_list(keys)} }}, ' for g, keys in one_of)
                statics.append(
                    f"static {ident}: ObjectType = ObjectType {{\n"
                    f'    name: "{name}",\n'
                    f"    fields: &[{field_text}\n    ],\n"
                    f"    required: {rust_str_list(required)},\n"
                    f"    one_of: &[{group_text.rstrip(', ')}],\n"
                    f"    lenient: {'true' if lenient else 'false'},\n"
                    f"}};\n")
            idents.append(ident)
        per_version.append((version, idents))

    out = sys.stdout
    out.write("//! Generated by tools/gen_skaffold_schema.py from Skaffold's JSON schemas\n")
    out.write("//! (docs-v2/content/en/schemas/<version>.json) and schema Go sources\n")
    out.write("//! (pkg/skaffold/schema/<version>/config.go). Do not edit by hand: re-run the script.\n\n")
    out.write("use super::{Field, ObjectType, OneOf, Schema, ValueType as T};\n\n")
    for s in statics:
        out.write(s)
        out.write("\n")
    out.write("/// One schema per apiVersion, oldest first; each schema's types are sorted by name.\n")
    out.write("pub(super) static SCHEMAS: &[Schema] = &[\n")
    for version, idents in per_version:
        out.write(f'    Schema {{\n        version: "skaffold/{version}",\n        types: &[')
        out.write(", ".join(f"&{i}" for i in idents))
        out.write("],\n    },\n")
    out.write("];\n")


if __name__ == "__main__":
    main()
