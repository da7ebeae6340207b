"""Input and output specifications (dxapp.json inputSpec / outputSpec).

Offers:
    validate_input(spec, given, check_object)  what /applet-xxxx/run does with
        an input: unknown fields refused, required fields present, classes
        right, data objects usable (check_object), choices, defaults filled
    check_output(spec, output)   the OutputError message for a main job's
        output that does not fit outputSpec, or None
    parse_cli_inputs(pairs, spec)  `-i name=value` pairs to an input hash
    SpecError                    a refusal; its message names the field
"""

import json
import re

from links import DATA_CLASSES, is_id, make_link, object_link

SCALARS = ("int", "float", "string", "boolean", "hash")
INT_RE = re.compile(r"^-?[0-9]+$")


class SpecError(ValueError):
    """An input or output that does not fit its specification."""


def _class_error(cls, value, check_object):
    """Why value is not of class `cls`, or None when it is."""
    if cls.startswith("array:"):
        if not isinstance(value, list):
            return f"expected an array ({cls})"
        for i, item in enumerate(value):
            why = _class_error(cls[6:], item, check_object)
            if why:
                return f"element {i}: {why}"
        return None
    if cls == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif cls == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif cls == "string":
        ok = isinstance(value, str)
    elif cls == "boolean":
        ok = isinstance(value, bool)
    elif cls == "hash":
        ok = isinstance(value, dict)
    elif cls in DATA_CLASSES:
        link = object_link(value)
        if link is None or link[0].split("-", 1)[0] != cls:
            return f"expected a link to a {cls}"
        return check_object(*link) if check_object else None
    else:
        return f"unknown class {cls}"
    return None if ok else f"expected class {cls}"


def _choice_key(value):
    link = object_link(value)
    return ("link", link[0]) if link else ("value", json.dumps(value, sort_keys=True))


def _choices_error(field, value):
    choices = field.get("choices")
    if choices is None:
        return None
    allowed = {_choice_key(c) for c in choices}
    values = value if field["class"].startswith("array:") else [value]
    for v in values:
        if _choice_key(v) not in allowed:
            return f"value {json.dumps(v)} is not one of the choices {json.dumps(choices)}"
    return None


def validate_input(spec, given, check_object):
    """The input a job gets from `given`, or SpecError.

    check_object(id, project) returns why a linked object cannot be used
    (missing, not closed, not in that project) or None. Without an inputSpec
    any input hash is accepted as is."""
    if not isinstance(given, dict):
        raise SpecError("the input must be a JSON object")
    if spec is None:
        return dict(given)
    names = {f["name"] for f in spec}
    unknown = sorted(set(given) - names)
    if unknown:
        raise SpecError(f"input field(s) {', '.join(unknown)} not in the inputSpec")
    filled = {}
    for field in spec:
        name = field["name"]
        if name in given:
            why = (_class_error(field["class"], given[name], check_object)
                   or _choices_error(field, given[name]))
            if why:
                raise SpecError(f'input field "{name}": {why}')
            filled[name] = given[name]
        elif "default" in field:
            filled[name] = field["default"]
        elif not field.get("optional", False):
            raise SpecError(f'required input field "{name}" is missing')
    return filled


def check_output(spec, output):
    """Why a main job's output does not fit the outputSpec, or None."""
    if spec is None:
        return None
    names = {f["name"] for f in spec}
    extra = sorted(set(output) - names)
    if extra:
        return f"output field(s) {', '.join(extra)} not in the outputSpec"
    for field in spec:
        name = field["name"]
        if name not in output:
            if not field.get("optional", False):
                return f'required output field "{name}" was not provided'
            continue
        why = _class_error(field["class"], output[name], None)
        if why:
            return f'output field "{name}": {why}'
    return None


def _parse_value(cls, text, name):
    """One `-i` value as class `cls` (None: guess from the text)."""
    try:
        if cls is None:
            if is_id(text, *DATA_CLASSES):
                return make_link(text)
            return int(text) if INT_RE.match(text) else text
        if cls == "int":
            return int(text)
        if cls == "float":
            return float(text)
        if cls == "boolean":
            if text.lower() not in ("true", "false"):
                raise ValueError("expected true or false")
            return text.lower() == "true"
        if cls == "hash":
            value = json.loads(text)
            if not isinstance(value, dict):
                raise ValueError("expected a JSON object")
            return value
        if cls in DATA_CLASSES:
            project, _, oid = text.rpartition(":")
            if project:
                return {"$dnanexus_link": {"project": project, "id": oid}}
            return make_link(oid)
        return text
    except ValueError as e:
        raise SpecError(f'-i {name}={text}: {e}') from e


def parse_cli_inputs(pairs, spec):
    """An input hash from "name=value" strings; array classes collect
    repeated names, other classes follow the inputSpec when there is one."""
    classes = {f["name"]: f["class"] for f in spec or []}
    result = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise SpecError(f"-i {pair}: expected name=value")
        cls = classes.get(name)
        if cls is not None and cls.startswith("array:"):
            result.setdefault(name, []).append(_parse_value(cls[6:], text, name))
        else:
            result[name] = _parse_value(cls, text, name)
    return result
