"""Where the server's CPU goes under load: one scenario of `make bench`, served and driven as the suite does, with
every gunicorn worker sampled by py-spy while it holds the GIL (Python at work, not waiting for PostgreSQL).

    python -m tests.bench.profile_load SCENARIO [--seconds S] [--customers N] [--top N] [--within TEXT]

SCENARIO is one of SHORT_NAMES (orders, browse, first, preview, redeem, shopify, bare, insert). It prints the
server CPU per request (the workers and their PostgreSQL backends, read as `make bench` reads it) and the frames
holding the most samples: inclusive (the frame and all it called) and self, as shares of every sample or, with
--within, of the samples under a frame whose name contains TEXT (`widget_me`, `order_record`), that frame and its
callees only. py-spy's raw samples stay in bench-results/profile-<scenario>-<worker pid>.txt. Needs py-spy (the
dev extra) and the right to trace the workers (root, or kernel.yama.ptrace_scope = 0). The under-load profiles in
docs/benchmarks.md come from it."""

import argparse
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from tests.bench.run import (
    BARE,
    BIN,
    BROWSING,
    INSERT,
    LOG_DIR,
    SCENARIOS,
    Load,
    bench_env,
    broker_url,
    child_pids,
    gunicorn,
    log,
    me_forget,
    measure,
    run_json,
    setup_env,
    throwaway_database,
    wrk,
)

_BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
SHORT_NAMES = {  # a renamed scenario fails here, at import
    "bare": _BY_NAME[BARE],
    "insert": _BY_NAME[INSERT],
    "orders": _BY_NAME["POST /api/v1/orders"],
    "browse": _BY_NAME[BROWSING],
    "first": _BY_NAME["GET /api/widget/v1/me (first view)"],
    "preview": _BY_NAME["GET /api/widget/v1/points-preview"],
    "redeem": _BY_NAME["POST /api/v1/members/{id}/redemptions"],
    "shopify": _BY_NAME["POST /webhooks/shopify/{key}/ orders/paid"],
}
SAMPLES_PER_SECOND = 200


def frame_shares(lines: Iterable[str], *, within: str | None = None) -> tuple[int, Counter, Counter]:
    """From py-spy's raw output (`frame;frame;... count` a line, each frame `name (file:line)`): the samples counted,
    and per frame (`name (file)`, any line of it) the samples it was on the stack of (inclusive: once per sample
    however deep it recurses) and the samples it was the innermost frame of (self). `within`: only the samples
    with a frame whose name contains it, counted from the outermost such frame inwards."""
    total, inclusive, innermost = 0, Counter(), Counter()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame_key(frame) for frame in stack.split(";")]
        if within:  # from the outermost frame named so inwards: its callers are in every sample alike
            start = next((i for i, frame in enumerate(frames) if within in frame.split(" (")[0]), None)
            if start is None:
                continue
            frames = frames[start:]
        total += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
        innermost[frames[-1]] += int(count)
    return total, inclusive, innermost


def _frame_key(frame: str) -> str:
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0].rstrip(')')})" if where else name


def _sampler(spy: str, output: Path) -> subprocess.Popen:
    """py-spy sampling the worker named in `output` until interrupted."""
    pid = output.stem.rsplit("-", 1)[1]
    command = [
        spy,
        "record",
        "--format",
        "raw",
        "--gil",
        "--rate",
        str(SAMPLES_PER_SECOND),
        "--nonblocking",
        "--output",
    ]
    return subprocess.Popen([*command, str(output), "--pid", pid], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def shares_table(total: int, counts: Counter, top: int) -> str:
    return "\n".join(f"{count / max(total, 1):6.1%}  {frame}" for frame, count in counts.most_common(top))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=list(SHORT_NAMES))
    parser.add_argument("--seconds", type=int, default=15, help="seconds of load sampled")
    parser.add_argument("--customers", type=int, default=10_000, help="members created before the run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--top", type=int, default=40, help="frames listed")
    parser.add_argument("--within", help="shares of the samples under a frame whose name contains this")
    args = parser.parse_args()
    spy = shutil.which("py-spy") or shutil.which(str(BIN / "py-spy"))
    if not spy or not shutil.which("wrk"):
        raise SystemExit("needs py-spy (pip install -e '.[dev]') and wrk (make wrk)")
    scenario = SHORT_NAMES[args.scenario]
    load = Load(
        duration=args.seconds, warmup=1, rounds=1, connections=8, workers=args.workers, customers=args.customers,
        new_share=0.2, profile_calls=0, shopify_bodies=20_000 if args.scenario == "shopify" else 0,
    )  # fmt: skip
    LOG_DIR.mkdir(exist_ok=True)
    with throwaway_database("profile") as database_url:
        env = bench_env(database_url, broker_url())
        setup = run_json(
            env, "-m", "tests.bench.prepare", "setup", "--customers", str(load.customers),
            "--shopify-bodies", str(load.shopify_bodies),
        )  # fmt: skip
        env.update(setup_env(setup), BENCH_SHOPIFY_OFFSET="0", BENCH_BROWSE_OFFSET="0")
        with gunicorn(env, workers=load.workers) as server:
            url = server.base + scenario.path.format(**setup)
            if args.scenario != "shopify":  # every worker warmed up (imports, caches) before sampling...
                wrk(url, script=scenario.script, seconds=3, load=load, run_id="profile-warm", env=env)
                me_forget(env)  # ... and the widget answers it kept dropped: browsing starts with first views
            outputs = [LOG_DIR / f"profile-{args.scenario}-{pid}.txt" for pid in child_pids(server.pid)]
            spies = [_sampler(spy, output) for output in outputs]
            (result,) = measure(server, load=load, env=env, setup=setup, scenarios=[scenario])
            for process in spies:
                process.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
            for process in spies:
                process.wait(timeout=60)
    lines = [line for output in outputs if output.exists() for line in Path(output).read_text().splitlines()]
    total, inclusive, innermost = frame_shares(lines, within=args.within)
    under = f" under {args.within}" if args.within else ""
    log(
        f"{scenario.name}: {result.rps:.0f} req/s, {result.cpu_ms:.2f} ms of server CPU a request "
        f"({result.db_cpu_ms:.2f} in PostgreSQL); {total} samples{under}"
    )
    print(
        f"\ninclusive\n{shares_table(total, inclusive, args.top)}\n\nself\n{shares_table(total, innermost, args.top)}"
    )


if __name__ == "__main__":
    main()
