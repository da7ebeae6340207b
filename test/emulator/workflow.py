"""Workflows (dxworkflow.json): stages run as root jobs, linked by outputs.

Offers load_workflow(path, state, applets) (parse and check the JSON: stage
IDs, registered applet executables, links to existing stages and workflow
inputs, no cycles), run_workflow(emulator, workflow, pairs) (run it; the
analysis describe hash), parse_applet_pairs() and WorkflowError.

Executable placeholders: `dx build` needs applet IDs in `executable`, which
a dxworkflow.json kept in a repository cannot know. The convention here is
`"executable": "@NAME@"` (autoconf-style), standing for the ID of the
applet called NAME; `applets` ({NAME: ID}, from `run-workflow --applet
NAME=ID`, with the IDs `build` printed) replaces them, as sed does before
`dx build` on the platform. A placeholder left unreplaced is an error, as
it would be on the platform.

Stage input values are literals, {"$dnanexus_link": {"stage": S,
"outputField": F}} or {"$dnanexus_link": {"workflowInputField": N}}; a
workflow input that was not given (and has no default) leaves the stage
input unset. A stage starts once every stage it links to is done; each runs
as a root job with its own workspace. `-i name=value` sets workflow inputs,
`-i stage.field=value` stage inputs. Workflow outputs come from `outputs`
(outputSource links); without `outputs`, every stage output is reported as
"<stage>.<field>". Links to a stage's *input* (inputField) and executables
given by name are not supported (UNCONFIRMED on the platform).
"""

import json
import re

from iospec import SpecError, parse_cli_inputs, validate_input
from state import now_ms


PLACEHOLDER_RE = re.compile(r"^@([A-Za-z0-9_.-]+)@$")


class WorkflowError(ValueError):
    """A workflow that cannot run; the message says why."""


def parse_applet_pairs(pairs):
    """{NAME: ID} from "NAME=applet-…" strings (run-workflow --applet)."""
    result = {}
    for pair in pairs or ():
        name, sep, oid = pair.partition("=")
        if not sep or not name or not oid.startswith("applet-"):
            raise WorkflowError(f"--applet {pair}: expected NAME=applet-…")
        result[name] = oid
    return result


def _substitute(stage, applets):
    """Replace an @NAME@ executable placeholder by the applet's ID."""
    executable = stage.get("executable")
    match = PLACEHOLDER_RE.match(executable) if isinstance(executable, str) else None
    if match is None:
        return
    name = match.group(1)
    if name not in applets:
        raise WorkflowError(f'stage {stage["id"]}: executable "{executable}" is a placeholder; '
                            f"give --applet {name}=applet-… (the ID `build` printed)")
    stage["executable"] = applets[name]


def _stage_ref(value):
    """(stage, field) of a stage-output link, else None."""
    if isinstance(value, dict) and set(value) == {"$dnanexus_link"}:
        ref = value["$dnanexus_link"]
        if isinstance(ref, dict) and set(ref) == {"stage", "outputField"}:
            return ref["stage"], ref["outputField"]
    return None


def _input_ref(value):
    """The workflow input name of a workflowInputField link, else None."""
    if isinstance(value, dict) and set(value) == {"$dnanexus_link"}:
        ref = value["$dnanexus_link"]
        if isinstance(ref, dict) and set(ref) == {"workflowInputField"}:
            return ref["workflowInputField"]
    return None


def load_workflow(path, state, applets=None):
    """The checked workflow JSON, @NAME@ placeholders replaced by applets."""
    try:
        with open(path) as f:
            wf = json.load(f)
    except (OSError, ValueError) as e:
        raise WorkflowError(f"cannot read {path}: {e}") from e
    stages = wf.get("stages") if isinstance(wf, dict) else None
    if not isinstance(stages, list) or not stages:
        raise WorkflowError(f"{path}: stages must be a non-empty list")
    ids = [s.get("id") if isinstance(s, dict) else None for s in stages]
    if any(not isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        raise WorkflowError(f"{path}: every stage needs a unique string id")
    inputs = {i["name"] for i in wf.get("inputs", [])}
    for stage in stages:
        _substitute(stage, applets or {})
        if state.get(stage.get("executable"), "applet") is None:
            raise WorkflowError(f'stage {stage["id"]}: executable "{stage.get("executable")}" '
                                "is not a registered applet (use build)")
        for field, value in stage.get("input", {}).items():
            ref, name = _stage_ref(value), _input_ref(value)
            if ref and ref[0] not in ids:
                raise WorkflowError(f'stage {stage["id"]}.{field}: unknown stage "{ref[0]}"')
            if name is not None and name not in inputs:
                raise WorkflowError(f'stage {stage["id"]}.{field}: unknown workflow input "{name}"')
    for out in wf.get("outputs", []):
        ref = _stage_ref(out.get("outputSource"))
        if ref is None or ref[0] not in ids:
            raise WorkflowError(f'output {out.get("name")}: outputSource must link a stage output')
    _order(stages)
    return wf


def _deps(stage):
    return {ref[0] for ref in map(_stage_ref, stage.get("input", {}).values()) if ref}


def _order(stages):
    """Stage IDs in an order that respects links; WorkflowError on cycles."""
    done, order = set(), []
    pending = {s["id"]: _deps(s) for s in stages}
    while pending:
        ready = [sid for sid, deps in pending.items() if deps <= done]
        if not ready:
            raise WorkflowError(f"stages {sorted(pending)} link to each other in a cycle")
        for sid in ready:
            done.add(sid)
            order.append(sid)
            del pending[sid]
    return order


def _split_pairs(pairs):
    """(workflow input pairs, {stage: [field=value pairs]})."""
    workflow_pairs, stage_pairs = [], {}
    for pair in pairs:
        name = pair.partition("=")[0]
        if "." in name:
            stage, _, rest = pair.partition(".")
            stage_pairs.setdefault(stage, []).append(rest)
        else:
            workflow_pairs.append(pair)
    return workflow_pairs, stage_pairs


class AnalysisRun:
    """One run of a workflow: the analysis record and its stage jobs."""

    def __init__(self, emu, wf, pairs):
        self.emu, self.wf = emu, wf
        self.stages = {s["id"]: s for s in wf["stages"]}
        workflow_pairs, stage_pairs = _split_pairs(pairs)
        unknown = sorted(set(stage_pairs) - set(self.stages))
        if unknown:
            raise WorkflowError(f"-i: unknown stage(s) {unknown}")
        self.stage_cli = {sid: parse_cli_inputs(p, self._applet(sid)["dxapp"].get("inputSpec"))
                          for sid, p in stage_pairs.items()}
        spec = wf.get("inputs")
        given = parse_cli_inputs(workflow_pairs, spec)
        self.inputs = validate_input(spec, given, emu.check_object)
        self.jobs = {}
        state = emu.state
        self.analysis = {"id": state.new_id("analysis"), "class": "analysis",
                         "name": wf.get("name", "workflow"), "project": state.project_id,
                         "state": "in_progress", "input": self.inputs, "output": None,
                         "stages": [{"id": sid, "execution": None} for sid in self.stages],
                         "created": now_ms()}
        state.save(self.analysis)

    def _applet(self, sid):
        return self.emu.state.get(self.stages[sid]["executable"], "applet")

    def _stage_input(self, sid):
        """A stage's input with its links resolved and -i values applied."""
        result = {}
        for field, value in self.stages[sid].get("input", {}).items():
            ref, name = _stage_ref(value), _input_ref(value)
            if ref:
                output = self.emu.state.get(self.jobs[ref[0]], "job")["output"]
                if ref[1] not in output:
                    raise SpecError(f'stage {ref[0]} has no output "{ref[1]}"')
                result[field] = output[ref[1]]
            elif name is not None:
                if name in self.inputs:
                    result[field] = self.inputs[name]
            else:
                result[field] = value
        result.update(self.stage_cli.get(sid, {}))
        return result

    def run(self):
        """Start stages as their links allow until all are done or one fails."""
        state = self.emu.state
        while True:
            with state.lock:
                jobs = {sid: state.get(jid, "job") for sid, jid in self.jobs.items()}
                failed = [sid for sid, j in jobs.items() if j["state"] in ("failed", "terminated")]
                if failed:
                    return self._fail(failed[0])
                done = {sid for sid, j in jobs.items() if j["state"] == "done"}
                if len(done) == len(self.stages):
                    return self._finish()
                for sid, stage in self.stages.items():
                    if sid not in self.jobs and _deps(stage) <= done:
                        try:
                            self._start(sid)
                        except SpecError as e:
                            return self._fail_input(sid, str(e))
                state.changed.wait(1.0)

    def _start(self, sid):
        jid = self.emu.start_job(self._applet(sid), self._stage_input(sid),
                                 stage=(self.analysis["id"], sid))
        self.jobs[sid] = jid
        self._save_stages()

    def _save_stages(self):
        for entry in self.analysis["stages"]:
            jid = self.jobs.get(entry["id"])
            if jid:
                job = self.emu.state.get(jid, "job")
                entry["execution"] = {k: job.get(k) for k in (
                    "id", "state", "output", "failureReason", "failureMessage", "failureFrom")}
        self.emu.state.save(self.analysis)

    def _end(self, new_state, **fields):
        for jid in self.jobs.values():
            self.emu.jobs.terminate_tree(jid, f"The analysis {self.analysis['id']} failed")
        self.analysis.update(state=new_state, **fields)
        self._save_stages()
        return self.analysis

    def _fail(self, sid):
        job = self.emu.state.get(self.jobs[sid], "job")
        return self._end("failed", failureReason=job["failureReason"],
                         failureMessage=job["failureMessage"],
                         failureFrom=job.get("failureFrom", {"id": job["id"]}))

    def _fail_input(self, sid, message):
        return self._end("failed", failureReason="InputError",
                         failureMessage=f"stage {sid}: {message}", failureFrom=None)

    def _finish(self):
        outputs = {}
        for sid, jid in self.jobs.items():
            for field, value in self.emu.state.get(jid, "job")["output"].items():
                outputs[(sid, field)] = value
        if "outputs" not in self.wf:
            return self._end("done", output={f"{sid}.{field}": v
                                             for (sid, field), v in outputs.items()})
        result = {}
        for out in self.wf["outputs"]:
            ref = _stage_ref(out["outputSource"])
            if ref not in outputs:
                return self._end("failed", failureReason="OutputError", failureFrom=None,
                                 failureMessage=f'output {out["name"]}: stage {ref[0]} has no '
                                                f'output "{ref[1]}"')
            result[out["name"]] = outputs[ref]
        return self._end("done", output=result)


def run_workflow(emu, wf, pairs):
    """Run a loaded workflow to the end; the analysis describe hash."""
    analysis = AnalysisRun(emu, wf, pairs).run()
    for jid in [e["execution"]["id"] for e in analysis["stages"] if e["execution"]]:
        emu.jobs.wait(jid)
    return analysis
