"""The side-by-side benchmark: starts each system's server, runs the workloads, prints one table.

Run through ``bash bench/run.sh`` (which sets up the virtual environments first). Writes
``bench/results/<time>.json`` and ``.png`` (and ``latest.*``); a full run also publishes the
table and the chart to ``docs/benchmark.md`` and ``docs/benchmark.png``.

Every server and client runs in its own subprocess, started here and stopped here.
"""
import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENVS = os.path.join(HERE, ".venvs")
RESULTS = os.path.join(HERE, "results")
LOGS = os.path.join(RESULTS, "logs")
CLIENT = os.path.join(HERE, "clients.py")


def venv_python(name):
    return os.path.join(VENVS, name, "bin", "python")


class System:
    def __init__(self, key, label, kind, venv, transport=None):
        self.key = key
        self.label = label
        self.kind = kind
        self.python = venv_python(venv)
        self.transport = transport

    def server_command(self, port):
        if self.kind == "before":
            return [self.python, "-m", "compas_cloud.server", "--port", str(port), "--quiet"]
        if self.kind == "old":
            return [self.python, "-m", "compas_cloud.server", "--port", str(port)]
        if self.kind == "rpc":
            return [self.python, "-m", "compas.rpc.services.default", "--port", str(port), "--no-autoreload"]
        if self.kind == "floor":
            return [self.python, os.path.join(HERE, "floor_server.py"), "--port", str(port)]
        return [self.python, "-m", "compas_cloud.server", "--port", str(port), "--quiet"]


def all_systems():
    systems = [
        System("old", "compas_cloud 0.4.1", "old", "old"),
        System("rpc", "compas.rpc (COMPAS 2)", "rpc", "rpc"),
        System("floor", "floor (websockets echo)", "floor", "bench"),
        System("ours", "compas_cloud (websocket-client)", "ours", "bench", "websocket-client"),
    ]
    if os.path.exists(os.path.join(ROOT, "compas_cloud", "client", "transports", "dotnet.py")):
        systems.append(System("ours_dotnet", "compas_cloud (.NET on Mono)", "ours", "bench", "dotnet"))
    if os.environ.get("BENCH_BEFORE"):
        # Another checkout of this project (say, main before a change), run with the same venv: a
        # before/after comparison within one run. Not part of the published table unless selected.
        systems.append(System("before", "compas_cloud before (websocket-client)", "before", "bench", "websocket-client"))
    return systems


# -- processes ----------------------------------------------------------------------------

_STARTED = []  # every Popen started here, stopped at the end


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def environment(system=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = HERE
    if system is not None and system.kind == "before":
        env["PYTHONPATH"] = os.environ["BENCH_BEFORE"] + os.pathsep + HERE
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONNET_RUNTIME", "mono")
    return env


def start_server(system, port):
    log = open(os.path.join(LOGS, "{0}-server-{1}.log".format(system.key, port)), "w")
    process = subprocess.Popen(system.server_command(port), stdout=log, stderr=subprocess.STDOUT, env=environment(system), cwd=HERE)
    _STARTED.append(process)
    deadline = time.time() + 60
    while not port_open(port):
        if process.poll() is not None or time.time() > deadline:
            raise RuntimeError("the {0} server did not start; see {1}".format(system.label, log.name))
        time.sleep(0.05)
    return process


def stop(process, grace=5.0):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def stop_pid(pid):
    """Stop a server that one of our cold-start clients launched (and failed to stop)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def spawn_client(system, workload, port, out, **options):
    kind = "ours" if system.kind == "before" else system.kind
    command = [system.python, CLIENT, "--system", kind, "--port", str(port), "--workload", workload, "--out", out]
    if system.transport:
        command += ["--transport", system.transport]
    for key, value in options.items():
        command += ["--" + key.replace("_", "-"), str(value)]
    env = environment(system)
    if system.kind in ("old", "rpc"):  # their auto-launch runs a bare `python` from PATH
        env["PATH"] = os.path.dirname(system.python) + os.pathsep + env.get("PATH", "")
    log = open(out + ".log", "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=HERE)
    _STARTED.append(process)
    return process


def collect(process, out, timeout):
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        stop(process, 1.0)
        return {"error": "timed out after {0:g} s".format(timeout)}
    try:
        with open(out) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        with open(out + ".log") as handle:
            tail = handle.read()[-600:]
        return {"error": "client failed (exit {0}): {1}".format(process.returncode, tail.strip())}


def run_client(system, workload, port, timeout, **options):
    out = os.path.join(LOGS, "{0}-{1}-{2}.json".format(system.key, workload, port))
    return collect(spawn_client(system, workload, port, out, **options), out, timeout)


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(round(q / 100.0 * (len(ordered) - 1))))]


def summary(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2.0
    return {"median": median, "min": values[0], "max": values[-1], "n": len(values)}


# -- multi-client workloads ---------------------------------------------------------------


def burst(system, port, repeats, calls):
    rates, p99s = [], []
    for repeat in range(repeats):
        start_at = time.time() + (12.0 if system.transport == "dotnet" else 4.0)
        outs, processes = [], []
        for index in range(4):
            out = os.path.join(LOGS, "{0}-burst-{1}-{2}-{3}.json".format(system.key, port, repeat, index))
            processes.append(spawn_client(system, "burst", port, out, start_at=start_at, calls=calls))
            outs.append(out)
        parts = [collect(process, out, 180) for process, out in zip(processes, outs)]
        failed = [part for part in parts if "error" in part or "not_applicable" in part]
        if failed:
            return failed[0]
        begin = min(part["start"] for part in parts)
        end = max(part["end"] for part in parts)
        rates.append(4 * calls / (end - begin))
        p99s.append(percentile([x for part in parts for x in part["latencies"]], 99) * 1e6)
    return {"calls_per_s": summary(rates), "p99_us": summary(p99s)}


def head_of_line(system, port):
    # Clients on .NET need longer to start (Mono and pythonnet load) before the common start time.
    start_at = time.time() + (15.0 if system.transport == "dotnet" else 5.0)
    processes, outs = [], []
    for index in range(3):
        out = os.path.join(LOGS, "{0}-hol-{1}-{2}.json".format(system.key, port, index))
        processes.append(spawn_client(system, "hol_small", port, out, start_at=start_at))
        outs.append(out)
    out = os.path.join(LOGS, "{0}-hol-{1}-long.json".format(system.key, port))
    long_process = spawn_client(system, "hol_long", port, out, start_at=start_at)
    parts = [collect(process, out_, 120) for process, out_ in zip(processes, outs)]
    long_part = collect(long_process, out, 120)
    for part in parts + [long_part]:
        if "error" in part or "not_applicable" in part:
            return part
    idle = [x for part in parts for x in part["idle"]]
    during = [x for part in parts for x in part["during"]]
    if not idle:
        return {"error": "no small call finished in the idle phase (the clients started too late)"}
    idle_p99 = percentile(idle, 99) * 1e3
    during_p99 = percentile(during, 99) * 1e3 if during else None
    return {
        "idle_p99_ms": idle_p99,
        "during_p99_ms": during_p99,
        "ratio": (during_p99 / idle_p99) if during_p99 else None,
        "calls_during": len(during),
        "long_call_s": long_part["seconds"],
    }


def memory_runs(system, repeats):
    """The memory workload, each repeat in a server of its own (what a server keeps differs per run)."""
    runs = []
    for _ in range(max(1, repeats)):
        port = free_port()
        server = start_server(system, port)
        try:
            part = run_client(system, "memory", port, 600, server_pid=server.pid)
        finally:
            stop(server)
        if "error" in part or "not_applicable" in part:
            return part if not runs else dict(runs[0], error_later=part)
        runs.append(part)
        if part.get("freed_mb") is None:
            break  # a system without free: one run says it
    first = dict(runs[0])
    retained = [run["freed_mb"] - run["baseline_mb"] for run in runs if run.get("freed_mb") is not None]
    if retained:
        first["retained_mb"] = {"median": sorted(retained)[len(retained) // 2], "min": min(retained),
                                "max": max(retained), "n": len(retained), "runs": retained}
    return first


def rounds(systems, args):
    """Small calls and 4 clients of every system, interleaved: one round runs each system once, in turn.

    The machine is shared, so its load changes from minute to minute; a ratio of two systems measured
    within one round (seconds apart) is far steadier than one of medians taken minutes apart. Returns the
    per-round figures and, for each goal of issue 15, the median (min-max) of its per-round ratios.
    """
    servers = {}
    try:
        for system in systems:
            port = free_port()
            servers[system.key] = (port, start_server(system, port))
        per_round = []
        for index in range(args.rounds):
            figures = {}
            order = systems if index % 2 == 0 else list(reversed(systems))
            for system in order:
                port, server = servers[system.key]
                small = run_client(system, "small", port, 300, repeats=1, calls=1000, server_pid=server.pid)
                many = burst(system, port, 1, 300) if system.key != "ours_dotnet" else {}
                figures[system.key] = {
                    "calls_per_s": _median_of(small, "calls_per_s"),
                    "server_cpu_us": _median_of(small, "server_cpu_us"),
                    "client_cpu_us": _median_of(small, "client_cpu_us"),
                    "burst_calls_per_s": _median_of(many, "calls_per_s"),
                }
            per_round.append(figures)
            print("   round {0}: {1}".format(index + 1, _short(figures)), flush=True)
    finally:
        for _, server in servers.values():
            stop(server)

    def ratio(a_key, a_field, b_key, b_field=None):
        values = []
        for figures in per_round:
            a = figures.get(a_key, {}).get(a_field)
            b = figures.get(b_key, {}).get(b_field or a_field)
            if a is not None and b:
                values.append(a / b)
        return summary(values)

    ratios = {
        "small_vs_floor": ratio("ours", "calls_per_s", "floor"),
        "server_cpu_vs_floor": ratio("ours", "server_cpu_us", "floor"),
        "client_cpu_vs_floor": ratio("ours", "client_cpu_us", "floor"),
        "burst_vs_floor": ratio("ours", "burst_calls_per_s", "floor"),
        "dotnet_vs_wsclient": ratio("ours_dotnet", "calls_per_s", "ours"),
        "before_small_vs_floor": ratio("before", "calls_per_s", "floor"),
        "before_server_cpu_vs_floor": ratio("before", "server_cpu_us", "floor"),
        "before_client_cpu_vs_floor": ratio("before", "client_cpu_us", "floor"),
        "before_burst_vs_floor": ratio("before", "burst_calls_per_s", "floor"),
        "small_vs_before": ratio("ours", "calls_per_s", "before"),
    }
    return {"rounds": per_round, "ratios": dict((key, value) for key, value in ratios.items() if value)}


def _median_of(result, field):
    value = result.get(field) if isinstance(result, dict) else None
    return value.get("median") if isinstance(value, dict) else value


# -- the run ------------------------------------------------------------------------------


def run_system(system, args):
    result = {}
    port = free_port()
    print("== {0}: server on port {1}".format(system.label, port), flush=True)
    server = start_server(system, port)
    try:
        wanted = args.workloads
        if "small" in wanted:
            result["small"] = run_client(system, "small", port, 300, repeats=args.repeats, server_pid=server.pid)
            print("   small:", _short(result["small"]), flush=True)
        if "pipelined" in wanted:
            result["pipelined"] = run_client(system, "pipelined", port, 300, repeats=args.repeats)
            print("   pipelined:", _short(result["pipelined"]), flush=True)
        if "transform" in wanted:
            result["transform"] = run_client(
                system, "transform", port, 900, repeats=args.repeats, big_repeats=args.big_repeats, sizes=args.sizes
            )
            print("   transform:", _short(result["transform"]), flush=True)
        if "cached_loop" in wanted:
            result["cached_loop"] = run_client(system, "cached_loop", port, 300, repeats=args.repeats)
            print("   cached loop:", _short(result["cached_loop"]), flush=True)
        if "burst" in wanted:
            result["burst"] = burst(system, port, args.repeats, 500)
            print("   4 clients:", _short(result["burst"]), flush=True)
        if "hol" in wanted:
            result["hol"] = head_of_line(system, port)
            print("   head-of-line:", _short(result["hol"]), flush=True)
    finally:
        stop(server)
    if "memory" in wanted:
        result["memory"] = memory_runs(system, args.memory_repeats)
        print("   memory:", _short(result["memory"]), flush=True)
    if "cold" in wanted:
        times, errors = [], []
        for _ in range(args.repeats):
            cold_port = free_port()
            part = run_client(system, "cold", cold_port, 120)
            if part.get("launched_pid"):
                stop_pid(part["launched_pid"])
            if "seconds" in part:
                times.append(part["seconds"])
            else:
                errors.append(part)
        result["cold"] = {"seconds": summary(times)} if times else errors[0]
        print("   cold start:", _short(result["cold"]), flush=True)
    return result


def _short(value):
    text = json.dumps(value)
    return text if len(text) < 300 else text[:300] + "..."


def main(argv=None):
    parser = argparse.ArgumentParser(description="compas_cloud side-by-side benchmark")
    parser.add_argument("--systems", default=None, help="comma-separated keys: old,rpc,floor,ours,ours_dotnet")
    parser.add_argument(
        "--workloads", default="small,pipelined,transform,cached_loop,burst,hol,memory,cold,rounds",
        help="comma-separated; 'rounds' interleaves floor, ours and .NET for the goals' ratios"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--big-repeats", type=int, default=2, help="repeats of the 1M-point calls")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds of the 'rounds' workload")
    parser.add_argument("--memory-repeats", type=int, default=None, help="servers the memory workload runs in (default: --repeats)")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--quick", action="store_true", help="3 repeats, no 1M points; publishes nothing")
    parser.add_argument("--no-publish", action="store_true", help="do not copy the table and chart to docs/")
    parser.add_argument(
        "--merge", metavar="JSON", default=None,
        help="a result file of an earlier run: its other systems and workloads are kept, the ones run now replace theirs",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 3
        args.sizes = "10000,100000"
    args.workloads = args.workloads.split(",")
    if args.memory_repeats is None:
        args.memory_repeats = args.repeats
    os.makedirs(LOGS, exist_ok=True)
    systems = all_systems()
    if args.systems:
        keys = args.systems.split(",")
        systems = [system for system in systems if system.key in keys]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load": os.getloadavg()},
        "options": {"repeats": args.repeats, "big_repeats": args.big_repeats, "sizes": args.sizes},
        "systems": {system.key: system.label for system in systems},
        # What BENCH_BEFORE is, in words, for the published page (BENCH_BEFORE_LABEL="main at abc1234").
        "before_label": os.environ.get("BENCH_BEFORE_LABEL"),
        "results": {},
    }
    try:
        if "rounds" in args.workloads:
            print("== interleaved rounds: {0}".format(", ".join(system.label for system in systems)), flush=True)
            run["rounds"] = rounds([system for system in systems if system.key in ("floor", "ours", "ours_dotnet", "before")], args)
            args.workloads = [name for name in args.workloads if name != "rounds"]
        for system in systems:
            if not args.workloads:
                break
            try:
                run["results"][system.key] = run_system(system, args)
            except Exception as error:  # one broken peer must not hide the others
                print("   {0} failed: {1}".format(system.label, error), flush=True)
                run["results"][system.key] = {"error": str(error)}
    finally:
        for process in _STARTED:
            stop(process, 2.0)
    if args.merge:
        with open(args.merge) as handle:
            earlier = json.load(handle)
        for key, result in run["results"].items():
            earlier["results"].setdefault(key, {}).update(result)
            earlier["systems"].setdefault(key, run["systems"][key])
        earlier["merged"] = {"date": run["date"], "systems": list(run["results"]), "workloads": args.workloads}
        if "rounds" in run:
            earlier["rounds"] = run["rounds"]
            earlier["merged"]["rounds"] = run["date"]
        run = earlier
    from report import chart, table_md, table_text, targets_text

    text = table_text(run) + "\n\n" + targets_text(run)
    print()
    print(text)
    base = os.path.join(RESULTS, stamp)
    with open(base + ".json", "w") as handle:
        json.dump(run, handle, indent=1)
    with open(base + ".txt", "w") as handle:
        handle.write(text + "\n")
    chart(run, base + ".png")
    for ext in ("json", "txt", "png"):
        shutil.copyfile(base + "." + ext, os.path.join(RESULTS, "latest." + ext))
    print("\nwrote {0}.json, .txt and .png (and latest.*)".format(base))
    if not args.quick and not args.no_publish and (args.systems is None or args.merge):
        docs = os.path.join(ROOT, "docs")
        os.makedirs(docs, exist_ok=True)
        shutil.copyfile(base + ".png", os.path.join(docs, "benchmark.png"))
        with open(os.path.join(docs, "benchmark.md"), "w") as handle:
            handle.write(table_md(run))
        print("published docs/benchmark.md and docs/benchmark.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
