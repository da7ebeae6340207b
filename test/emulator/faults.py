"""Fault injection: rules read from a JSON file that make requests fail.

Offers FaultSet.load(path) and FaultSet.pick(...), which the API and storage
servers call once per request; pick() returns a Fault (what to do) or None.

A rule file is a JSON list of objects. Selection keys:
    "server": "api" | "storage"        (required)
    "route":  glob on the API path, e.g. "/file-*/describe", "/file/new"
    "op":     "download" | "upload"    (storage)
    "file":   glob on the file ID or the file name
    "skip":   matches to let through first (default 0)
    "count":  matches to act on after that (default 1; "all" = every one)
Actions (at most one per rule; "delay" may come alone or with one):
    "status": N (+ "retry_after": S, "body": text or JSON)
    "drop": "before" | "after"      ("after": api, or storage upload)
    "drop_after_bytes": K, "corrupt": true, "expire": true   (download)
    "content_length": N             (api, download: a Content-Length that lies)
    "closing_seconds": S, "never_close": true   (the /file-xxxx/close route)
    "delay": S                      (sleep before answering)
Every matching rule counts the request; the first firing rule's action is
applied and the delays of all firing rules add up.
"""

import fnmatch
import json
import threading

ACTIONS = ("status", "drop", "drop_after_bytes", "corrupt", "expire",
           "closing_seconds", "never_close", "content_length")
SELECTORS = ("server", "route", "op", "file", "count", "skip")
MODIFIERS = ("delay", "retry_after", "body")


class FaultError(ValueError):
    """A rule file that cannot be used; the message names the rule."""


def _check(cond, index, message):
    if not cond:
        raise FaultError(f"fault rule {index}: {message}")


def _is_int(value, minimum=0):
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


class Rule:
    """One validated rule and how many requests it has matched."""

    def __init__(self, index, spec):
        _check(isinstance(spec, dict), index, "must be a JSON object")
        unknown = set(spec) - set(ACTIONS) - set(SELECTORS) - set(MODIFIERS)
        _check(not unknown, index, f"unknown keys {sorted(unknown)}")
        self.index = index
        self.spec = spec
        self.server = spec.get("server")
        _check(self.server in ("api", "storage"), index, 'needs "server": "api" or "storage"')
        self.route = spec.get("route", "*")
        self.op = spec.get("op")
        self.file = spec.get("file")
        self.skip = spec.get("skip", 0)
        self.count = spec.get("count", 1)
        self.seen = 0
        actions = [a for a in ACTIONS if a in spec]
        self.action = actions[0] if actions else None
        self._validate(index, actions)

    def _validate(self, index, actions):
        spec = self.spec
        _check(self.server == "api" or "route" not in spec, index, '"route" is for the api server')
        _check(self.op in (None, "download", "upload"), index, '"op" must be "download" or "upload"')
        _check(self.server == "storage" or self.op is None, index, '"op" is for the storage server')
        _check(isinstance(self.route, str), index, '"route" must be a string')
        _check(self.file is None or isinstance(self.file, str), index, '"file" must be a string')
        _check(_is_int(self.skip), index, '"skip" must be an integer >= 0')
        _check(self.count == "all" or _is_int(self.count, 1), index,
               '"count" must be an integer >= 1 or "all"')
        _check(len(actions) <= 1, index, f"more than one action: {actions}")
        _check(actions or "delay" in spec, index, "needs an action or a delay")
        _check("delay" not in spec or _is_number(spec["delay"]), index, '"delay" must be seconds')
        _check(("retry_after" not in spec and "body" not in spec) or self.action == "status",
               index, '"retry_after" and "body" go with "status"')
        if self.action is not None:
            self._validate_action(index, spec[self.action])

    def _validate_action(self, index, value):
        action, storage_op = self.action, (self.server, self.op)
        if action == "status":
            _check(_is_int(value, 100) and value <= 599, index, '"status" must be an HTTP status')
            _check("retry_after" not in self.spec or _is_int(self.spec["retry_after"]),
                   index, '"retry_after" must be whole seconds')
        elif action == "drop":
            _check(value in ("before", "after"), index, '"drop" must be "before" or "after"')
            _check(value == "before" or self.server == "api" or self.op == "upload", index,
                   '"drop": "after" is for the api server or storage uploads')
        elif action == "content_length":
            _check(_is_int(value), index, '"content_length" must be an integer >= 0')
            _check(self.server == "api" or self.op == "download", index,
                   '"content_length" is for the api server or storage downloads')
        elif action in ("drop_after_bytes", "corrupt", "expire"):
            _check(storage_op == ("storage", "download"), index,
                   f'"{action}" needs "server": "storage", "op": "download"')
            _check(_is_int(value) if action == "drop_after_bytes" else value is True,
                   index, f'bad value for "{action}"')
        else:
            _check(self.server == "api", index, f'"{action}" is for the api /close route')
            _check(_is_number(value) if action == "closing_seconds" else value is True,
                   index, f'bad value for "{action}"')

    def matches(self, server, path, op, file_id, file_name):
        """Whether this request is one the rule selects."""
        if server != self.server:
            return False
        if server == "api" and not fnmatch.fnmatchcase(path, self.route):
            return False
        if self.op is not None and op != self.op:
            return False
        if self.file is not None:
            names = [n for n in (file_id, file_name) if n]
            return any(fnmatch.fnmatchcase(n, self.file) for n in names)
        return True

    def fires(self):
        """Count one match; whether this match is one the rule acts on."""
        n = self.seen
        self.seen += 1
        return n >= self.skip and (self.count == "all" or n < self.skip + self.count)


class Fault:
    """What to do to one request: an action (maybe none) and a delay."""

    def __init__(self, rule, delay):
        self.rule = rule
        self.action = rule.action if rule else None
        self.value = rule.spec[rule.action] if rule and rule.action else None
        self.delay = delay

    def get(self, key, default=None):
        """A modifier of the acting rule (retry_after, body)."""
        return self.rule.spec.get(key, default) if self.rule else default

    def is_(self, action, value=None):
        """Whether the action is `action` (with this value, if given)."""
        return self.action == action and (value is None or self.value == value)

    def for_log(self):
        """The fault as recorded in the request log."""
        entry = {"delay": self.delay} if self.delay else {}
        if self.rule is not None and self.action is not None:
            entry.update({"rule": self.rule.index, "action": self.action, "value": self.value})
        return entry


class FaultSet:
    """The rules of one emulator run."""

    def __init__(self, rules=()):
        self.rules = [Rule(i, spec) for i, spec in enumerate(rules)]
        self.lock = threading.Lock()

    @classmethod
    def load(cls, path):
        """Read and validate a rule file; FaultError if it is unusable."""
        try:
            with open(path) as f:
                rules = json.load(f)
        except (OSError, ValueError) as e:
            raise FaultError(f"cannot read fault rules {path}: {e}") from e
        if not isinstance(rules, list):
            raise FaultError(f"{path}: fault rules must be a JSON list")
        return cls(rules)

    def pick(self, server, path="", op=None, file_id=None, file_name=None):
        """The fault for this request, or None when no rule fires."""
        with self.lock:
            fired = [r for r in self.rules
                     if r.matches(server, path, op, file_id, file_name) and r.fires()]
        if not fired:
            return None
        acting = next((r for r in fired if r.action is not None), None)
        delay = sum(r.spec.get("delay", 0) for r in fired)
        return Fault(acting, delay)
