"""Data-object links and job-based object references (JBORs) in JSON values.

Offers:
    object_link(v)   -> (id, project or None) for {"$dnanexus_link": "file-…"} or
                        {"$dnanexus_link": {"project": …, "id": …}}, else None
    jbor(v)          -> (job, field, index or None) for
                        {"$dnanexus_link": {"job", "field", "index"?}} or the
                        legacy bare {"job", "field"}, else None
    find_links(v), find_jbors(v)   every link / JBOR anywhere inside v
    resolve_jbors(v, lookup)       v with every JBOR replaced by lookup(ref)
    check_links(v)                 InvalidInput for malformed $dnanexus_link values
    make_link(id)                  {"$dnanexus_link": id}
"""

import re

from errors import invalid

ID_RE = re.compile(r"^(file|record|applet|workflow|database|job|analysis|project|container)"
                   r"-[0-9A-Za-z]{24}$")
DATA_CLASSES = ("file", "record", "applet", "workflow", "database")


def is_id(value, *classes):
    """Whether value is an ID string (of one of `classes`, if given)."""
    if not isinstance(value, str) or not ID_RE.match(value):
        return False
    return not classes or value.split("-", 1)[0] in classes


def make_link(oid):
    """A plain data-object link."""
    return {"$dnanexus_link": oid}


def object_link(value):
    """(id, project or None) when value is a data-object link, else None."""
    if not isinstance(value, dict) or set(value) != {"$dnanexus_link"}:
        return None
    target = value["$dnanexus_link"]
    if is_id(target, *DATA_CLASSES):
        return target, None
    if (isinstance(target, dict) and set(target) == {"project", "id"}
            and is_id(target["id"], *DATA_CLASSES)
            and is_id(target["project"], "project", "container")):
        return target["id"], target["project"]
    return None


def jbor(value):
    """(job, field, index or None) when value is a JBOR, else None."""
    if not isinstance(value, dict):
        return None
    if set(value) == {"$dnanexus_link"} and isinstance(value["$dnanexus_link"], dict):
        ref = value["$dnanexus_link"]
        if set(ref) in ({"job", "field"}, {"job", "field", "index"}):
            return _jbor_parts(ref)
        return None
    if set(value) == {"job", "field"}:
        return _jbor_parts(value)
    return None


def _jbor_parts(ref):
    index = ref.get("index")
    if not (is_id(ref["job"], "job") and isinstance(ref["field"], str)):
        return None
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
        return None
    return ref["job"], ref["field"], index


def _walk(value, visit):
    """Call visit(v) on value and, unless it returns True, on its members."""
    if visit(value):
        return
    if isinstance(value, list):
        for item in value:
            _walk(item, visit)
    elif isinstance(value, dict):
        for item in value.values():
            _walk(item, visit)


def find_links(value):
    """Every (id, project) data-object link inside value."""
    found = []

    def visit(v):
        link = object_link(v)
        if link:
            found.append(link)
        return link is not None or jbor(v) is not None
    _walk(value, visit)
    return found


def find_jbors(value):
    """Every (job, field, index) JBOR inside value."""
    found = []

    def visit(v):
        ref = jbor(v)
        if ref:
            found.append(ref)
        return ref is not None or object_link(v) is not None
    _walk(value, visit)
    return found


def resolve_jbors(value, lookup):
    """A copy of value with each JBOR replaced by lookup((job, field, index))."""
    ref = jbor(value)
    if ref is not None:
        return lookup(ref)
    if object_link(value) is not None:
        return value
    if isinstance(value, list):
        return [resolve_jbors(v, lookup) for v in value]
    if isinstance(value, dict):
        return {k: resolve_jbors(v, lookup) for k, v in value.items()}
    return value


def check_links(value, where="input"):
    """InvalidInput when value holds a $dnanexus_link that is neither a
    data-object link nor a JBOR (analysis and stage references included:
    the emulator runs no analyses inside jobs)."""
    def visit(v):
        if isinstance(v, dict) and "$dnanexus_link" in v:
            if object_link(v) is None and jbor(v) is None:
                raise invalid(f"Malformed or unsupported $dnanexus_link in {where}: {v!r}")
            return True
        return jbor(v) is not None
    _walk(value, visit)
