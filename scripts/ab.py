#!/usr/bin/env python3
"""A/B of two gitci builds on push latency: push -> first step starts, push -> results in the
notes, for a pipeline of 20 `true` steps, with pushes to the two builds' repositories
alternating so that the machine's drift hits both alike. On a shared machine a change of a
millisecond or two shows only this way (medians of paired differences), never in two runs
taken minutes apart.

    python3 scripts/ab.py OLD/gitci NEW/gitci [--rounds 40] [--modes service,service]

Each binary needs gitci-hook next to it for the lean hook (else `gitci hook post-receive`
runs). Modes, one per side: `service` (a `gitci worker` runs all along), `hook` (the worker a
push starts, which stays for the next push), `cold` (gitci.workerLinger 0: every push starts a
worker).
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

from bench import stop_lingering_worker, timed_push

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, GIT_AUTHOR_NAME="ab", GIT_AUTHOR_EMAIL="ab@gitci.invalid",
           GIT_COMMITTER_NAME="ab", GIT_COMMITTER_EMAIL="ab@gitci.invalid",
           GITCI_SHARE=os.environ.get("GITCI_SHARE", ROOT))


def run(args, **kw):
    return subprocess.run(args, env=kw.pop("env", ENV), check=True, stdout=subprocess.DEVNULL, **kw)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--modes", default="service,service")
    options = parser.parse_args()
    modes = options.modes.split(",")
    if len(modes) == 1:
        modes *= 2

    scratch = tempfile.mkdtemp(prefix="gitci-ab-")
    work = f"{scratch}/work"
    run(["git", "init", "-q", "-b", "main", work])
    steps = "\n".join("      - true" for _ in range(19))
    with open(f"{work}/.gitci.yml", "w") as f:
        f.write(f"jobs:\n  a:\n    steps:\n      - date +%s.%N > \"$MARK\"\n{steps}\n")
    run(["git", "add", "."], cwd=work)
    run(["git", "commit", "-qm", "pipeline"], cwd=work)

    sides = {}
    for (name, gitci), mode in zip((("A", options.a), ("B", options.b)), modes):
        bare = f"{scratch}/{name}.git"
        run(["git", "init", "-q", "--bare", "-b", "main", bare])
        run([gitci, "install", bare])
        if mode == "cold":
            run(["git", "config", "gitci.workerLinger", "0"], cwd=bare)
        mark = f"{scratch}/started-{name}"
        service = None
        if mode == "service":
            service = subprocess.Popen([gitci, "worker", "-C", bare], env=dict(ENV, MARK=mark),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sides[name] = dict(mode=mode, bare=bare, mark=mark, service=service)
    time.sleep(1.5)

    pairs = []
    try:
        for round_number in range(options.rounds):
            run(["git", "commit", "-q", "--allow-empty", "-m", f"round {round_number}"], cwd=work)
            order = ("A", "B") if round_number % 2 == 0 else ("B", "A")
            result = {name: timed_push(sides[name], work, ENV) for name in order}
            if result["A"] and result["B"]:
                pairs.append((result["A"], result["B"]))
    finally:
        for side in sides.values():
            if side["service"]:
                side["service"].terminate()
                side["service"].wait()
            else:
                # A worker a push started may still be staying for the next push.
                stop_lingering_worker(side["bare"])
        subprocess.run(["rm", "-rf", scratch])

    if not pairs:
        print("no round produced both figures on both sides")
        return
    for index, name in enumerate(("A", "B")):
        starts = [pair[index][0] for pair in pairs]
        notes = [pair[index][1] for pair in pairs]
        print(f"{name} ({sides[name]['mode']}): push -> first step median {statistics.median(starts):.1f} ms, "
              f"push -> notes median {statistics.median(notes):.1f} ms")
    print(f"B - A, median of {len(pairs)} paired rounds: first step "
          f"{statistics.median(b[0] - a[0] for a, b in pairs):+.2f} ms, notes {statistics.median(b[1] - a[1] for a, b in pairs):+.2f} ms")


if __name__ == "__main__":
    main()
