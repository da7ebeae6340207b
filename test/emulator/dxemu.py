#!/usr/bin/env python3
"""dxemu: a local emulator of the DNAnexus platform for testing applets.

Usage: python3 dxemu.py <command> ROOT ...   (see README.md, or --help)

    init ROOT [--upload-params aws|azure] [--min-part-size N]
    upload ROOT PATH... [--name N] [--project ID] [--folder F] [--part-size N] [--no-md5]
    describe ROOT ID
    cat ROOT FILE-ID
    build ROOT APPLET_DIR
    run ROOT APPLET_DIR [--input F | --raw-input F] [-i name=value ...] [--function F]
        [--faults F] [--rate B] [--close-delay S] [--timeout S] [--max-parallel N]
    run-workflow ROOT WORKFLOW.json [-i name=value | -i stage.field=value ...]
        [--applet NAME=applet-… ...] [...]
    serve ROOT [--port N] [--storage-port N] [--faults F] [--rate B] [--close-delay S]

Exit status: 0 on success (run: the job is done), 1 when the job or analysis
failed, 2 for bad usage or input the platform would refuse.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emulator import AppletError, Emulator  # noqa: E402
from errors import ApiError  # noqa: E402
from faults import FaultError, FaultSet  # noqa: E402
from files import Files, file_describe  # noqa: E402
from iospec import SpecError, parse_cli_inputs  # noqa: E402
from state import UPLOAD_PARAMS, State  # noqa: E402
from workflow import (WorkflowError, load_workflow, parse_applet_pairs,  # noqa: E402
                      run_workflow)

DEFAULT_PART_SIZE = 64 << 20
REPORT_KEYS = ("failureReason", "failureMessage", "failureFrom")


class UsageError(Exception):
    """A command that cannot be carried out (exit status 2)."""


def print_json(value):
    json.dump(value, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


# ---- offline commands ----------------------------------------------------

def cmd_init(args):
    params = dict(UPLOAD_PARAMS[args.upload_params])
    if args.min_part_size is not None:
        params["minimumPartSize"] = args.min_part_size
    state = State.create(args.root, params)
    print(state.project_id)


def cmd_upload(args):
    if args.name and len(args.path) > 1:
        raise UsageError("--name names one file, not %d" % len(args.path))
    state = State(args.root)
    files = Files(state, 0)
    for path in args.path:  # as dx upload does, one id a line, in order
        name = args.name or os.path.basename(path)
        print(files.import_local(path, name, args.project or state.project_id, args.folder,
                                 args.part_size, not args.no_md5))


def cmd_describe(args):
    state = State(args.root)
    obj = state.get(args.id)
    if obj is None:
        raise UsageError(f"{args.id}: no such object in {args.root}")
    if obj["class"] == "file":
        print_json(file_describe(obj, next(iter(obj["containers"]))))
    else:
        print_json({k: v for k, v in obj.items() if not k.startswith("_")})


def cmd_cat(args):
    state = State(args.root)
    f = state.get(args.file_id, "file")
    if f is None:
        raise UsageError(f"{args.file_id}: no such file in {args.root}")
    if f["state"] != "closed":
        raise UsageError(f"{args.file_id} is {f['state']}, not closed")
    with open(state.file_dir(args.file_id) / "data", "rb") as src:
        shutil.copyfileobj(src, sys.stdout.buffer, 1 << 20)


def cmd_build(args):
    print(make_emulator(args).build(args.applet_dir)["id"])


# ---- commands with servers -----------------------------------------------

def make_emulator(args):
    """An Emulator configured from the command's options (not started)."""
    faults = FaultSet.load(args.faults) if getattr(args, "faults", None) else None
    return Emulator(args.root, faults=faults, rate=getattr(args, "rate", None),
                    close_delay=getattr(args, "close_delay", 0.3),
                    max_parallel=getattr(args, "max_parallel", None),
                    user_token=os.environ.get("DXEMU_USER_TOKEN") or None)


def job_input_from(args, applet):
    """The input hash of `run` from --input and -i."""
    given = {}
    if args.input:
        try:
            with open(args.input) as f:
                given = json.load(f)
        except (OSError, ValueError) as e:
            raise UsageError(f"cannot read --input {args.input}: {e}") from e
        if not isinstance(given, dict):
            raise UsageError(f"--input {args.input}: must hold a JSON object")
    spec = applet["dxapp"].get("inputSpec")
    given.update(parse_cli_inputs(args.i, spec))
    return given


def report(describe):
    """The describe hash `run` prints, with the failure fields always present."""
    return {**{k: None for k in REPORT_KEYS}, **describe}


def cmd_run(args):
    if args.raw_input and (args.input or args.i):
        raise UsageError("--raw-input cannot be combined with --input or -i")
    with make_emulator(args) as emu:
        applet = emu.build(args.applet_dir)
        given = None if args.raw_input else job_input_from(args, applet)
        describe = emu.run(applet, given, args.raw_input, args.function, args.timeout)
    print_json(report(describe))
    return 0 if describe["state"] == "done" else 1


def cmd_run_workflow(args):
    with make_emulator(args) as emu:
        wf = load_workflow(args.workflow, emu.state, parse_applet_pairs(args.applet))
        analysis = run_workflow(emu, wf, args.i)
    print_json(report(analysis))
    return 0 if analysis["state"] == "done" else 1


def cmd_serve(args):
    emu = make_emulator(args)
    emu.start(args.port, args.storage_port)
    try:
        print(json.dumps({"api_port": emu.api_port, "storage_port": emu.storage_port,
                          "project": emu.state.project_id}), flush=True)
        threading.Event().wait()
    finally:
        emu.stop()


# ---- argument parsing ----------------------------------------------------

def server_options(p):
    p.add_argument("--faults", help="fault rules (JSON list)")
    p.add_argument("--rate", type=float, help="storage throughput limit, bytes/s per connection")
    p.add_argument("--close-delay", type=float, default=0.3,
                   help="seconds a file stays closing (default 0.3)")


def job_options(p):
    server_options(p)
    p.add_argument("-i", action="append", default=[], metavar="NAME=VALUE", help="an input")
    p.add_argument("--timeout", type=float, help="per-job time limit in the running state, s")
    p.add_argument("--max-parallel", type=int, help="jobs running at once (default: no limit)")


def parser():
    ap = argparse.ArgumentParser(prog="dxemu", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init", help="create a fresh state with one project")
    p.add_argument("root")
    p.add_argument("--upload-params", choices=sorted(UPLOAD_PARAMS), default="aws")
    p.add_argument("--min-part-size", type=int, help="override minimumPartSize")
    p.set_defaults(func=cmd_init)
    p = sub.add_parser("upload", help="store a local file as a closed platform file")
    p.add_argument("root")
    p.add_argument("path", nargs="+")
    p.add_argument("--name")
    p.add_argument("--project")
    p.add_argument("--folder", default="/")
    p.add_argument("--part-size", type=int, default=DEFAULT_PART_SIZE)
    p.add_argument("--no-md5", action="store_true", help="store parts without md5")
    p.set_defaults(func=cmd_upload)
    p = sub.add_parser("describe", help="print an object's describe JSON")
    p.add_argument("root")
    p.add_argument("id")
    p.set_defaults(func=cmd_describe)
    p = sub.add_parser("cat", help="write a closed file's bytes to stdout")
    p.add_argument("root")
    p.add_argument("file_id")
    p.set_defaults(func=cmd_cat)
    p = sub.add_parser("build", help="register an applet directory")
    p.add_argument("root")
    p.add_argument("applet_dir")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("run", help="run an applet as a root job and wait for its tree")
    p.add_argument("root")
    p.add_argument("applet_dir")
    p.add_argument("--input", help="input JSON, validated against the inputSpec")
    p.add_argument("--raw-input", help="job_input.json copied verbatim, not validated")
    p.add_argument("--function", default="main")
    job_options(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("run-workflow", help="run a dxworkflow.json")
    p.add_argument("root")
    p.add_argument("workflow")
    p.add_argument("--applet", action="append", default=[], metavar="NAME=ID",
                   help='the applet ID an "@NAME@" executable placeholder stands for')
    job_options(p)
    p.set_defaults(func=cmd_run_workflow)
    p = sub.add_parser("serve", help="only serve the API and storage")
    p.add_argument("root")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--storage-port", type=int, default=0)
    server_options(p)
    p.set_defaults(func=cmd_serve)
    return ap


def main(argv=None):
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return args.func(args) or 0
    except ApiError as e:
        print(f"dxemu {args.command}: {e.type}: {e.message}", file=sys.stderr)
        return 2
    except (UsageError, AppletError, SpecError, FaultError, WorkflowError,
            OSError, ValueError) as e:
        print(f"dxemu {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dxemu {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
