"""The bash input variables a job's entry script finds defined (Readme.developer.md, platform fact P7).

Offers bash_variables(job_input, patterns, file_name, home, taken) ->
(assignments, warnings) and environment_text(...) -> the text of
~/environment, modelled on dxpy's gen_bash_vars (file_load_utils.py), which
the platform's local harness wrote to ~/environment and sourced before the
entry script (`cd $HOME; . environment; . code.sh; <function>`).

For every input field X of the job input (a JSON object):
    a link to a file that exists: X = the link as JSON text
        ({"$dnanexus_link": "file-…"}, as dxpy's dxlink() of the file),
        X_name = its name ("/" -> "%2F", as dx-download-all-inputs saves it),
        X_prefix = the name without the suffix matched by the inputSpec
        patterns of X (the shortest prefix wins; only patterns with a "*"
        count; main only) or, failing that, without its last extension
        (".gz" stripped first), X_path = $HOME/in/X/<X_name>;
    a non-empty array of such links: the same four as bash arrays, paths
        $HOME/in/X/<i>/<name> with i zero-padded as dx-download-all-inputs
        numbers them;
    a string: its text; an array: a bash array of its elements;
    anything else (number, boolean, null, hash, other links): JSON text.
Every value is quoted with shlex.quote, so names holding spaces, quotes,
`$` or newlines arrive intact. Assignments are plain (not exported), as in
dxpy's harness. A name that is not a bash identifier, one of bash's
read-only variables, or already in the job's environment (HOME, PATH,
DX_*, ...) or defined by an earlier input is skipped with a warning, as
gen_bash_vars does for name collisions; non-file values win over the
_name/_prefix/_path variables of a file input.

Choices where dxpy and the platform are not known to agree (UNCONFIRMED):
a single file gives scalar variables (dxpy's harness wrote one-element
arrays, which expand the same with "$X"); an array mixing files and other
values is a plain array; a link to an object that is not a file, or to no
object at all, is just JSON text.
"""

import fnmatch
import json
import os
import re
import shlex

from links import object_link

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Assigning one of these under `bash -e` would end the job before it starts.
READONLY = {"BASHOPTS", "BASH_VERSINFO", "EUID", "PPID", "SHELLOPTS", "UID"}


def _prefix(basename, patterns):
    """dxpy's get_prefix: strip the shortest-prefix pattern match, else the
    last extension (.gz first). A pattern without "*" is ignored; note
    that, as in dxpy, a pattern ending in "*" matches with prefix ""."""
    best = None
    for pattern in patterns or ():
        if "*" not in pattern or not fnmatch.fnmatchcase(basename, pattern):
            continue
        right = pattern.rpartition("*")[2]
        candidate = basename[:-len(right)] if right else ""
        if best is None or len(candidate) < len(best):
            best = candidate
    if best is not None:
        return best
    root, ext = os.path.splitext(basename)
    if ext == ".gz":
        root = os.path.splitext(root)[0]
    return root


def _unix_name(name):
    return name.replace("/", "%2F")


def _text(value):
    """The text of one value as gen_bash_vars renders it (unquoted)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _quote(text):
    # A bash variable cannot hold a NUL byte: drop them, as bash would.
    return shlex.quote(text.replace("\0", ""))


def _array(texts):
    return "( " + " ".join(_quote(t) for t in texts) + " )" if texts else "( )"


def bash_variables(job_input, patterns, file_name, home, taken=()):
    """([(name, bash value text)], [warning]) for a job input hash.

    patterns: {field: [glob, ...]} from the inputSpec (empty for subjobs);
    file_name(id) -> the file's name, or None if no such file; home: the
    job's $HOME; taken: names already in the job's environment."""
    if not isinstance(job_input, dict):
        return [], []
    taken = set(taken)
    defined, warnings, assignments = set(), [], []

    def define(name, value_text):
        if not IDENTIFIER_RE.match(name) or name in READONLY:
            warnings.append(f"Input {name!r} is not a usable bash variable name; "
                            "no variable was created for it")
            return
        if name in taken or name in defined:
            warnings.append(f"Creating environment variable ({name}) would cause a name "
                            "collision")
            return
        defined.add(name)
        assignments.append((name, value_text))

    def as_file(value):
        link = object_link(value)
        if link is None or not link[0].startswith("file-"):
            return None
        name = file_name(link[0])
        return None if name is None else (link[0], _unix_name(name))

    files, rest = {}, {}
    for key, value in job_input.items():
        if isinstance(value, list):
            found = [as_file(v) for v in value]
            if value and all(found):
                files[key] = found
                continue
        elif as_file(value):
            files[key] = as_file(value)
            continue
        rest[key] = value

    # Non-file values first: they win name collisions (as in gen_bash_vars).
    for key, value in rest.items():
        if isinstance(value, list):
            define(key, _array([_text(v) for v in value]))
        else:
            define(key, _quote(_text(value)))
    in_dir = os.path.join(str(home), "in")
    for key, entry in files.items():
        if isinstance(entry, list):
            digits = len(str(len(entry) - 1))
            links = [json.dumps({"$dnanexus_link": fid}) for fid, _ in entry]
            names = [name for _, name in entry]
            prefixes = [_prefix(name, patterns.get(key)) for name in names]
            paths = [os.path.join(in_dir, key, str(i).zfill(digits), name)
                     for i, name in enumerate(names)]
            define(key, _array(links))
            define(key + "_name", _array(names))
            define(key + "_prefix", _array(prefixes))
            define(key + "_path", _array(paths))
        else:
            fid, name = entry
            define(key, _quote(json.dumps({"$dnanexus_link": fid})))
            define(key + "_name", _quote(name))
            define(key + "_prefix", _quote(_prefix(name, patterns.get(key))))
            define(key + "_path", _quote(os.path.join(in_dir, key, name)))
    return assignments, warnings


def input_patterns(input_spec):
    """{field: [pattern, ...]} of an inputSpec (None -> {})."""
    result = {}
    for field in input_spec or ():
        if isinstance(field, dict) and isinstance(field.get("patterns"), list):
            result[field.get("name")] = [p for p in field["patterns"] if isinstance(p, str)]
    return result


def environment_text(job_id, assignments):
    """The text of ~/environment: a comment, then one assignment per line."""
    lines = [f"# Input variables of {job_id}, defined before its entry script is sourced."]
    lines += [f"{name}={value}" for name, value in assignments]
    return "\n".join(lines) + "\n"
