"""Jobs: running applet entry points as the platform does, job trees,
subjobs, JBORs, outputs and failure propagation.

Offers JobManager:
    start_root(...)           a root job in a fresh workspace container
    api_new / api_describe / api_terminate    the /job routes
    caller_for_token(token)   the Caller behind a job token, or None
    wait(root_id)             until every job of the tree has finished
    shutdown()                terminate every tree still running

Each job runs in its own thread: waiting_on_input until its JBORs, dependsOn
and linked files are ready; runnable until a slot is free (max_parallel);
running = `bash -e -c 'cd "$HOME"; . ./environment; . ./<job>.code.sh;
<function>'` in a fresh home (~/environment holds the input variables, see
bashvars.py; PATH offers the applet's resources, then the emulated
worker's dx-toolkit in bin/), in its own process group; then
waiting_on_output until its children are done, its output JBORs resolve
and its output files are closed; then done.

Failure (the platform's reasons): a non-zero exit or job_error.json ->
job_error.json's type and message (AppError or AppInternalError; another
type is reported as AppInternalError; unreadable -> AppInternalError, "please
consult the job log"); running past the timeout -> JobTimeoutExceeded; bad
JBOR inputs -> InputError; a dependency failed in another tree ->
DependencyUnsatisfiable; bad output (unparsable, outputSpec mismatch,
missing field, open file) -> OutputError. The failed job's ancestors, the
root included, fail with the same reason and message and failureFrom = the
failed job; every other unfinished job of the tree fails with JobTreeFailure
and its process group gets SIGTERM, then SIGKILL after a grace period.

Choices for UNCONFIRMED points (see README.md): a job token works while that
job is not finished; exit 0 with job_error.json fails the job; the platform
fills defaults (done by the CLI's input validation); outputs of a finished
root job are cloned into its project (folder "/"); the entry script is copied
into the home as <job-id>.code.sh and sourced from there.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import traceback

from access import Caller
from bashvars import bash_variables, environment_text, input_patterns
from errors import (ApiError, get_dict, get_fields, get_str, get_str_list, invalid,
                    select_fields)
from iospec import check_output
from links import check_links, find_jbors, find_links, is_id, resolve_jbors
from state import REGION, now_ms

TERMINAL = ("done", "failed", "terminated")
# The emulated worker image's tools (a subset of dx-toolkit; see README.md).
DX_TOOLKIT_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin")
GRACE_SECONDS = 3.0
FUNCTION_RE = re.compile(r"^[A-Za-z_][0-9A-Za-z_]*$")
ACCEPTED_ERROR_TYPES = ("AppError", "AppInternalError")


class Outcome:
    """What a job is waiting for, or why it cannot go on."""

    def __init__(self, reason=None, message=None, value=None):
        self.reason, self.message, self.value = reason, message, value

    @property
    def failed(self):
        return self.reason is not None


WAIT = object()  # a check that must be repeated later


def timeout_seconds(dxapp, function):
    """runSpec.timeoutPolicy for an entry point ("*" as fallback), or None."""
    policy = (dxapp.get("runSpec") or {}).get("timeoutPolicy") or {}
    entry = policy.get(function, policy.get("*"))
    if not entry:
        return None
    return (entry.get("days", 0) * 86400 + entry.get("hours", 0) * 3600
            + entry.get("minutes", 0) * 60)


def read_job_error(path, rc):
    """(failureReason, failureMessage) for a job that ended with status rc."""
    generic = ("AppInternalError", f"Error while running the job's code (exit status {rc}); "
                                   "please consult the job log")
    try:
        with open(path) as f:
            error = json.load(f)["error"]
        etype, message = error["type"], error["message"]
    except (OSError, ValueError, KeyError, TypeError):
        return generic
    if not isinstance(etype, str) or not isinstance(message, str):
        return generic
    return (etype if etype in ACCEPTED_ERROR_TYPES else "AppInternalError"), message


def kill_group(pid, sig):
    """Signal a process group; quietly nothing if it is gone."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class JobManager:
    """All jobs of one emulator run."""

    def __init__(self, state, files, echo=True, max_parallel=None):
        self.state, self.files = state, files
        self.echo = echo
        self.api_port = None  # set once the API server listens
        self.slots = threading.Semaphore(max_parallel) if max_parallel else None
        self.tokens = {}    # token -> job id
        self.job_tokens = {}  # job id -> token
        self.procs = {}     # job id -> running Popen
        self.trees = {}     # root id -> job ids
        self.threads = {}   # root id -> job threads
        self.children = {}  # job id -> child job ids
        self.timeouts = {}  # root id -> timeout override for the whole tree

    # ---- creating jobs ---------------------------------------------------

    def start_root(self, applet, given_input, job_input, function="main", timeout=None,
                   raw_input_path=None, stage=None):
        """Create and start a root job of `applet` in its own workspace.

        given_input is the input as supplied (runInput), job_input the
        validated one; with raw_input_path that file becomes job_input.json
        verbatim; stage = (analysis ID, stage ID) for a workflow stage.
        Returns the job ID."""
        with self.state.lock:
            project = self.state.get(applet["project"], "project")
            jid = self.state.new_id("job")
            workspace = self.state.new_id("container")
            self.state.save({
                "id": workspace, "class": "container", "name": f"{jid} workspace",
                "project": project["id"], "region": REGION, "created": now_ms(),
                "fileUploadParameters": dict(project["fileUploadParameters"]), "folders": ["/"],
            })
            self.timeouts[jid] = timeout
            if timeout is None:
                timeout = timeout_seconds(applet["dxapp"], function)
            job = self._record(jid, applet, function, given_input, job_input, root=jid,
                               parent=None, project=project["id"], workspace=workspace,
                               name=applet["name"], timeout=timeout)
            if stage is not None:
                job.update(analysis=stage[0], parentAnalysis=stage[0], stage=stage[1])
            if raw_input_path is not None:
                job["_rawInput"] = True
                shutil.copyfile(raw_input_path, self.state.job_dir(jid) / "raw_input.json")
            self.trees[jid] = []
            self.threads[jid] = []
            self._launch(job)
        return jid

    def api_new(self, caller, body):
        """POST /job/new: a subjob of the calling job."""
        if caller.job is None:
            raise ApiError("PermissionDenied", "/job/new can only be called by a job")
        function = get_str(body, "function", required=True)
        if not FUNCTION_RE.match(function):
            raise invalid(f'Invalid entry point name "{function}"')
        job_input = get_dict(body, "input", required=True)
        check_links(job_input)
        name = get_str(body, "name")
        depends = get_str_list(body, "dependsOn", default=[])
        extra = {"systemRequirements": get_dict(body, "systemRequirements", default={}),
                 "tags": get_str_list(body, "tags", default=[]),
                 "properties": get_dict(body, "properties", default={}),
                 "details": get_dict(body, "details", default={})}
        with self.state.lock:
            self._check_references(caller, job_input, depends)
            parent = caller.job
            applet = self.state.get(parent["applet"], "applet")
            timeout = self.timeouts.get(parent["rootExecution"])
            if timeout is None:
                timeout = timeout_seconds(applet["dxapp"], function)
            jid = self.state.new_id("job")
            job = self._record(jid, applet, function, job_input, job_input,
                               root=parent["rootExecution"], parent=parent["id"],
                               project=parent["project"], workspace=parent["workspace"],
                               name=name or f'{parent["name"]}:{function}', timeout=timeout)
            job.update(dependsOn=depends, **extra)
            self._launch(job)
        return {"id": jid}

    def _check_references(self, caller, job_input, depends):
        """ResourceNotFound / PermissionDenied for unusable references."""
        for job_id, _, _ in find_jbors(job_input):
            if self.state.get(job_id, "job") is None:
                raise ApiError("ResourceNotFound", f'The job "{job_id}" could not be found')
        for oid, project in find_links(job_input):
            f = self.state.get(oid)
            if f is None:
                raise ApiError("ResourceNotFound", f'The entity "{oid}" could not be found')
            if f["class"] == "file":
                self.files.seen_in(caller, f, project)
        for oid in depends:
            if not is_id(oid) or self.state.get(oid) is None:
                raise ApiError("ResourceNotFound", f'dependsOn: "{oid}" could not be found')

    def _record(self, jid, applet, function, given_input, job_input, root, parent,
                project, workspace, name, timeout):
        """A new job record in state `idle`."""
        job = {
            "id": jid, "class": "job", "name": name, "function": function,
            "input": job_input, "originalInput": given_input, "runInput": given_input,
            "output": None, "parentJob": parent, "originJob": root, "rootExecution": root,
            "parentAnalysis": None, "analysis": None, "project": project,
            "workspace": workspace, "applet": applet["id"], "executable": applet["id"],
            "executableName": applet["name"], "folder": "/", "launchedBy": "user-emulator",
            "region": REGION, "created": now_ms(), "startedRunning": None,
            "stoppedRunning": None, "stateTransitions": [], "dependsOn": [],
            "systemRequirements": {}, "tags": [], "properties": {}, "details": {},
            "timeout": None if timeout is None else int(timeout * 1000),
            "state": "idle",
        }
        self.state.job_dir(jid).mkdir(parents=True, exist_ok=True)
        return job

    def _launch(self, job):
        """Register a new job (state lock held) and start its thread."""
        jid, root = job["id"], job["rootExecution"]
        self.state.save(job)
        token = os.urandom(24).hex()
        self.tokens[token] = jid
        self.job_tokens[jid] = token
        self.trees[root].append(jid)
        self.children.setdefault(jid, [])
        if job["parentJob"]:
            self.children[job["parentJob"]].append(jid)
        thread = threading.Thread(target=self._run, args=(jid,), name=jid, daemon=True)
        self.threads[root].append(thread)
        thread.start()

    # ---- API -------------------------------------------------------------

    def caller_for_token(self, token):
        """The Caller of a token whose job is not finished, else None."""
        with self.state.lock:
            job = self.state.get(self.tokens.get(token), "job")
            if job is None or job["state"] in TERMINAL:
                return None
            return Caller.for_job(job, self.state.get(job["applet"], "applet"))

    def describe(self, jid):
        """The full describe hash of a job."""
        job = self.state.get(jid, "job")
        return {k: v for k, v in job.items() if not k.startswith("_")}

    def api_describe(self, caller, jid, body):
        """POST /job-xxxx/describe."""
        fields, default_fields = get_fields(body)
        with self.state.lock:
            if self.state.get(jid, "job") is None:
                raise ApiError("ResourceNotFound", f'The entity "{jid}" could not be found')
            full = self.describe(jid)
            return select_fields(full, fields, default_fields, tuple(full))

    def api_terminate(self, caller, jid):
        """POST /job-xxxx/terminate: only a root job; ends its whole tree."""
        with self.state.lock:
            job = self.state.get(jid, "job")
            if job is None:
                raise ApiError("ResourceNotFound", f'The entity "{jid}" could not be found')
            if job["rootExecution"] != jid:
                raise invalid(f'"{jid}" is not a root job; terminate its root job instead')
            who = caller.job["id"] if caller.job else "user-emulator"
            self.terminate_tree(jid, f"The job was terminated by {who}")
        return {"id": jid}

    # ---- waiting and stopping --------------------------------------------

    def wait(self, root):
        """Block until every job thread of the tree has ended."""
        while True:
            with self.state.lock:
                threads = list(self.threads[root])
            for thread in threads:
                thread.join()
            with self.state.lock:
                if len(self.threads[root]) == len(threads):
                    return

    def terminate_tree(self, root, message):
        """Mark every unfinished job of a tree terminated and stop it."""
        with self.state.lock:
            for jid in self.trees.get(root, []):
                job = self.state.get(jid, "job")
                if job["state"] not in TERMINAL:
                    job.update(failureReason="Terminated", failureMessage=message)
                    self._set_state(job, "terminated")
                    self._stop_process(jid)

    def shutdown(self):
        """Terminate every tree still running (emulator exit)."""
        with self.state.lock:
            for root in list(self.trees):
                self.terminate_tree(root, "The emulator was stopped")
        for root in list(self.trees):
            self.wait(root)

    # ---- state changes ---------------------------------------------------

    def _set_state(self, job, new_state):
        job["state"] = new_state
        job["stateTransitions"].append({"newState": new_state, "setAt": now_ms()})
        self.state.save(job)

    def _stop_process(self, jid):
        """SIGTERM a running job's process group, SIGKILL after the grace."""
        proc = self.procs.get(jid)
        if proc is None or proc.poll() is not None:
            return
        kill_group(proc.pid, signal.SIGTERM)
        timer = threading.Timer(GRACE_SECONDS, self._kill_if_running, args=(proc,))
        timer.daemon = True
        timer.start()

    @staticmethod
    def _kill_if_running(proc):
        if proc.poll() is None:
            kill_group(proc.pid, signal.SIGKILL)

    def _fail(self, jid, reason, message):
        """Fail a job and, with it, its tree."""
        with self.state.lock:
            job = self.state.get(jid, "job")
            if job["state"] in TERMINAL:
                return
            origin = {"id": jid, "name": job["name"], "function": job["function"],
                      "executable": job["executable"], "executableName": job["executableName"]}
            ancestors = set()
            cursor = job
            while cursor is not None:
                ancestors.add(cursor["id"])
                cursor = self.state.get(cursor["parentJob"], "job") if cursor["parentJob"] else None
            for other in self.trees[job["rootExecution"]]:
                member = self.state.get(other, "job")
                if member["state"] in TERMINAL:
                    continue
                if other in ancestors:
                    member.update(failureReason=reason, failureMessage=message)
                else:
                    member.update(failureReason="JobTreeFailure",
                                  failureMessage=f"{jid} failed because of {reason}: {message}")
                member["failureFrom"] = origin
                self._set_state(member, "failed")
                self._stop_process(other)

    def _done(self, job, output):
        job["output"] = output
        self._set_state(job, "done")
        if job["rootExecution"] == job["id"]:
            for fid, _ in find_links(output):
                if fid.startswith("file-"):
                    self.files.clone(fid, job["project"])

    # ---- the job thread --------------------------------------------------

    def _run(self, jid):
        try:
            if not self._await_input(jid):
                return
            output = self._execute(jid)
            if output is not None:
                self._await_output(jid, output)
        except Exception as e:  # an emulator bug: fail the job visibly
            traceback.print_exc(file=sys.stderr)
            self._fail(jid, "ExecutionError", f"emulator error: {e}")

    def _wait_until(self, jid, check, waiting_state):
        """Repeat check() (state lock held) until it gives an Outcome;
        while it returns WAIT the job is put in waiting_state. Returns the
        Outcome, or None once the job has ended (failed or terminated)."""
        with self.state.changed:
            while True:
                job = self.state.get(jid, "job")
                if job["state"] in TERMINAL:
                    return None
                outcome = check(job)
                if outcome is not WAIT:
                    return outcome
                if job["state"] != waiting_state:
                    self._set_state(job, waiting_state)
                self.state.changed.wait(1.0)

    def _await_input(self, jid):
        """Wait until the input is ready; resolve it. False if the job ended."""
        outcome = self._wait_until(jid, self._input_status, "waiting_on_input")
        if outcome is None:
            return False
        if outcome.failed:
            self._fail(jid, outcome.reason, outcome.message)
            return False
        with self.state.lock:
            job = self.state.get(jid, "job")
            if job["state"] in TERMINAL:
                return False
            if not job.get("_rawInput"):
                job["input"] = outcome.value
            self._set_state(job, "runnable")
        return True

    def _input_status(self, job):
        """The resolved input (Outcome), WAIT, or a failing Outcome."""
        if job.get("_rawInput"):
            return Outcome()
        for oid in job["dependsOn"]:
            dep = self.state.get(oid)
            if dep["class"] == "job":
                if dep["state"] in ("failed", "terminated"):
                    return Outcome("DependencyUnsatisfiable", f"{oid} was a job dependency but failed")
                if dep["state"] != "done":
                    return WAIT
            elif dep["class"] == "file" and dep["state"] != "closed":
                return WAIT
        resolved = self._resolve(job["input"], "InputError", "input")
        if resolved is WAIT or resolved.failed:
            return resolved
        for oid, _ in find_links(job["input"]):
            f = self.state.get(oid, "file")
            if f is not None and f["state"] != "closed":
                return WAIT
        return resolved

    def _resolve(self, value, reason, where):
        """Outcome(value with JBORs replaced), WAIT, or a failing Outcome."""
        problems = []

        def lookup(ref):
            job_id, field, index = ref
            ref_job = self.state.get(job_id, "job")
            if ref_job["state"] in ("failed", "terminated"):
                problems.append(("DependencyUnsatisfiable", f"{job_id} was a job dependency but failed"))
                return None
            if ref_job["state"] != "done":
                problems.append(WAIT)
                return None
            if field not in ref_job["output"]:
                problems.append((reason, f'{where}: {job_id} has no output field "{field}"'))
                return None
            result = ref_job["output"][field]
            if index is None:
                return result
            if not isinstance(result, list) or index >= len(result):
                problems.append((reason, f'{where}: {job_id}:{field} has no element {index}'))
                return None
            return result[index]

        resolved = resolve_jbors(value, lookup)
        failures = [p for p in problems if p is not WAIT]
        if failures:
            return Outcome(*failures[0])
        return WAIT if problems else Outcome(value=resolved)

    def _execute(self, jid):
        """Run the entry point; the output hash, or None if the job failed."""
        if self.slots is not None:
            while not self.slots.acquire(timeout=0.2):
                if self.state.get(jid, "job")["state"] in TERMINAL:
                    return None
        try:
            with self.state.lock:
                job = self.state.get(jid, "job")
                if job["state"] in TERMINAL:
                    return None
                home = self._prepare_home(job)
                env = self._environment(job, home)
                self._write_input_variables(job, home, env)
                job["startedRunning"] = now_ms()
                self._set_state(job, "running")
                proc = self._spawn(job, home, env)
                self.procs[jid] = proc
            rc, timed_out = self._wait_process(job, proc)
        finally:
            if self.slots is not None:
                self.slots.release()
        with self.state.lock:
            del self.procs[jid]
            job = self.state.get(jid, "job")
            job["stoppedRunning"] = now_ms()
            self.state.save(job)
            if job["state"] in TERMINAL:
                return None
        if timed_out:
            self._fail(jid, "JobTimeoutExceeded",
                       f"The job ran longer than its timeout of {job['timeout'] / 1000:g} s")
            return None
        return self._read_result(jid, home, rc)

    def _prepare_home(self, job):
        """A fresh $HOME with job_input.json, dnanexus-job.json and the script."""
        jdir = self.state.job_dir(job["id"])
        home = jdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        if job.get("_rawInput"):
            shutil.copyfile(jdir / "raw_input.json", home / "job_input.json")
        else:
            with open(home / "job_input.json", "w") as f:
                json.dump(job["input"], f, indent=2)
        with open(home / "dnanexus-job.json", "w") as f:
            json.dump(self.describe(job["id"]), f, indent=2)
        applet = self.state.get(job["applet"], "applet")
        script = os.path.join(applet["dir"], applet["dxapp"]["runSpec"]["file"])
        shutil.copyfile(script, home / f"{job['id']}.code.sh")
        return home

    def _environment(self, job, home):
        """The job's environment: PATH with the applet's resources first,
        then the emulated worker's dx-toolkit (DX_TOOLKIT_BIN), then the
        caller's PATH; LANG, TMPDIR; HOME and the platform's DX_* variables."""
        applet = self.state.get(job["applet"], "applet")
        resources = os.path.join(applet["dir"], "resources")
        env = {k: os.environ[k] for k in ("PATH", "LANG", "TMPDIR") if k in os.environ}
        env["PATH"] = ":".join([os.path.join(resources, "usr/local/bin"),
                                os.path.join(resources, "usr/bin"),
                                os.path.join(resources, "bin"),
                                DX_TOOLKIT_BIN,
                                env.get("PATH", os.defpath)])
        token = self.job_tokens[job["id"]]
        env.update({
            "HOME": str(home),
            "DX_SECURITY_CONTEXT": json.dumps({"auth_token_type": "Bearer", "auth_token": token}),
            "DX_APISERVER_PROTOCOL": "http", "DX_APISERVER_HOST": "127.0.0.1",
            "DX_APISERVER_PORT": str(self.api_port), "DX_JOB_ID": job["id"],
            "DX_WORKSPACE_ID": job["workspace"], "DX_PROJECT_CONTEXT_ID": job["project"],
        })
        return env

    def _write_input_variables(self, job, home, env):
        """~/environment: the input variables of the job (bashvars.py), from
        job_input.json as far as it is a JSON object (a raw input that is
        not gets none); name collisions are reported in the job log."""
        try:
            with open(home / "job_input.json") as f:
                job_input = json.load(f)
        except (OSError, ValueError):
            job_input = None
        applet = self.state.get(job["applet"], "applet")
        patterns = (input_patterns(applet["dxapp"].get("inputSpec"))
                    if job["function"] == "main" else {})

        def file_name(fid):
            f = self.state.get(fid, "file")
            return None if f is None else f["name"]

        assignments, warnings = bash_variables(job_input, patterns, file_name, home, env)
        with open(home / "environment", "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(environment_text(job["id"], assignments))
        for warning in warnings:
            self._log_line(job["id"], f"dxemu: {warning}")

    def _log_line(self, jid, line):
        """A line of the emulator's own in the job log (and on stderr)."""
        with open(self.state.job_dir(jid) / "log", "a") as log:
            log.write(line + "\n")
        if self.echo:
            sys.stderr.write(f"{jid}: {line}\n")
            sys.stderr.flush()

    def _spawn(self, job, home, env):
        """Start `bash -e`: source ~/environment and the script, call the
        entry point."""
        fn = job["function"]
        code = (f'cd "$HOME"; . ./environment; . ./{job["id"]}.code.sh; '
                f'if [[ "$(type -t {fn})" == function ]]; then {fn}; else echo '
                f'"Global scope execution complete. Not invoking entry point function {fn} '
                f'because it was not found" >&2; fi')
        proc = subprocess.Popen(["bash", "-e", "-c", code], cwd=home, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        reader = threading.Thread(target=self._copy_log, args=(job["id"], proc), daemon=True)
        reader.start()
        proc.log_reader = reader
        return proc

    def _copy_log(self, jid, proc):
        """Copy the job's output, line by line, to its log and to stderr."""
        with open(self.state.job_dir(jid) / "log", "a") as log:
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace")
                if not line.endswith("\n"):
                    line += "\n"
                log.write(line)
                log.flush()
                if self.echo:
                    sys.stderr.write(f"{jid}: {line}")
                    sys.stderr.flush()

    def _wait_process(self, job, proc):
        """(exit status, timed out?) once the process has ended; stray
        processes of its group are killed, as the worker is torn down."""
        limit = None if job["timeout"] is None else job["timeout"] / 1000
        timed_out = False
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                kill_group(proc.pid, signal.SIGKILL)
                proc.wait()
        kill_group(proc.pid, signal.SIGKILL)
        proc.log_reader.join(timeout=5)
        proc.stdout.close()
        return proc.returncode, timed_out

    def _read_result(self, jid, home, rc):
        """The job's output hash, or None after failing the job."""
        error_path, output_path = home / "job_error.json", home / "job_output.json"
        if rc != 0 or error_path.exists():
            self._fail(jid, *read_job_error(error_path, rc))
            return None
        if not output_path.exists():
            return {}
        try:
            with open(output_path) as f:
                output = json.load(f)
            if not isinstance(output, dict):
                raise ValueError("not a JSON object")
            check_links(output, "job_output.json")
        except (ValueError, ApiError) as e:
            self._fail(jid, "OutputError", f"job_output.json could not be used: {e}")
            return None
        return output

    def _await_output(self, jid, output):
        """Wait for children, JBORs and closing files; then done or failed."""
        outcome = self._wait_until(jid, lambda job: self._output_status(job, output),
                                   "waiting_on_output")
        if outcome is None:
            return
        if outcome.failed:
            self._fail(jid, outcome.reason, outcome.message)
            return
        with self.state.lock:
            job = self.state.get(jid, "job")
            if job["state"] not in TERMINAL:
                self._done(job, outcome.value)

    def _output_status(self, job, output):
        """The final output (Outcome), WAIT, or a failing Outcome."""
        for child in self.children[job["id"]]:
            if self.state.get(child, "job")["state"] not in TERMINAL:
                return WAIT
        resolved = self._resolve(output, "OutputError", "output")
        if resolved is WAIT or resolved.failed:
            return resolved
        for oid, project in find_links(resolved.value):
            obj = self.state.get(oid)
            if obj is None:
                return Outcome("OutputError", f'output: "{oid}" could not be found')
            if obj["class"] != "file":
                continue
            if obj["state"] == "open":
                return Outcome("OutputError", f'output: "{oid}" is still open and no job is left '
                                              "running that could close it")
            if obj["state"] == "closing":
                return WAIT
        if job["function"] == "main":
            applet = self.state.get(job["applet"], "applet")
            problem = check_output(applet["dxapp"].get("outputSpec"), resolved.value)
            if problem:
                return Outcome("OutputError", problem)
        return resolved
