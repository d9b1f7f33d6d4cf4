#!/usr/bin/env python3
"""Writes Sources/gitci/hot-functions.order, the order in which the release link lays out
gitci's functions (lld's --symbol-ordering-file): the ones a worker that a push starts runs
before its first step, then the rest of its build, then those of `gitci status` and `gitci log`.

Spread over its 24 MB of text, that code touched 215 blocks of 64 KB, each a page fault that
maps its block; laid out together, 107 (libgit2's, SQLite's and Foundation's archives come in
whole objects, not function by function). Functions are found by running the real thing under
valgrind's callgrind. Run it again after large changes: a stale list only lays out less well.

    GITCI=path/to/release/gitci python3 scripts/hot-functions.py

Needs valgrind (installed through apt when missing) and gitci-hook next to gitci.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Sources", "gitci", "hot-functions.order")
ENV = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
ENV.update(GIT_AUTHOR_NAME="order", GIT_AUTHOR_EMAIL="order@gitci.invalid", GIT_COMMITTER_NAME="order",
           GIT_COMMITTER_EMAIL="order@gitci.invalid", GIT_CONFIG_NOSYSTEM="1", GITCI_SHARE=ROOT, NO_COLOR="1")
# Mangled names, as the link's symbol table has them; each name written out in full.
CALLGRIND = ["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no", "--compress-pos=no"]


def run(args, **kw):
    return subprocess.run(args, env=ENV, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def ensure_valgrind():
    if shutil.which("valgrind"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    run(sudo + ["apt-get", "update", "-qq"])
    run(sudo + ["apt-get", "install", "-y", "-qq", "valgrind"], env=dict(ENV, DEBIAN_FRONTEND="noninteractive"))


def functions_in(profile, binary_name):
    """The functions of `binary_name` a callgrind profile names, in the order it names them."""
    names, current_object = [], None
    with open(profile, errors="replace") as f:
        for line in f:
            if line.startswith("ob="):
                current_object = line[3:].strip()
            elif line.startswith("fn=") and current_object and current_object.endswith(binary_name):
                # Callgrind tells recursion levels apart by a suffix: 'name'2.
                names.append(re.sub(r"'\d+$", "", line[3:].strip()))
    return names


def wait_for(path_pattern, folder, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        for name in os.listdir(folder):
            if re.fullmatch(path_pattern, name):
                text = open(os.path.join(folder, name), errors="replace").read()
                if "Collected :" in text:
                    return
        time.sleep(0.2)
    sys.exit(f"hot-functions: no profile in {folder} after {seconds} s")


def main():
    gitci = os.path.abspath(os.environ.get("GITCI") or sys.exit("set GITCI to a release gitci"))
    hook = gitci + "-hook"
    if not os.access(hook, os.X_OK):
        sys.exit(f"hot-functions: {hook} is missing; build it with `make release`")
    ensure_valgrind()
    scratch = tempfile.mkdtemp(prefix="gitci-order-")
    try:
        bin_dir, profiles = f"{scratch}/bin", f"{scratch}/profiles"
        os.makedirs(bin_dir)
        os.makedirs(profiles)
        profiled = f"{bin_dir}/gitci.profiled"
        # valgrind gives up on the DWARF of a binary this size; the symbol table is enough.
        run(["strip", "--strip-debug", "-o", profiled, gitci])
        # Installed as bin/gitci, so that the hooks run bin/gitci-hook and it starts bin/gitci.
        shutil.copy(hook, f"{bin_dir}/gitci-hook")
        shutil.copy(profiled, f"{bin_dir}/gitci")
        work, bare = f"{scratch}/work", f"{scratch}/app.git"
        run(["git", "init", "-q", "-b", "main", work])
        steps = "".join("      - true\n" for _ in range(19))
        with open(f"{work}/.gitci.yml", "w") as f:
            f.write(f"jobs:\n  a:\n    steps:\n      - date > started\n{steps}")
        run(["git", "add", "-A"], cwd=work)
        run(["git", "commit", "-q", "-m", "order"], cwd=work)
        run(["git", "init", "-q", "--bare", "-b", "main", bare])
        run([f"{bin_dir}/gitci", "install", bare])
        run(["git", "config", "gitci.workerLinger", "0"], cwd=bare)

        # From now on the hooks start the worker under callgrind, which writes a profile each
        # time a step is spawned: the first holds everything up to the first step.
        with open(f"{bin_dir}/gitci", "w") as f:
            f.write("#!/bin/sh\nexec " + " ".join(CALLGRIND + ["--dump-before=gitci_spawn"]) +
                    f" --callgrind-out-file={profiles}/worker.%p --log-file={profiles}/worker-log.%p {profiled} \"$@\"\n")
        os.chmod(f"{bin_dir}/gitci", 0o755)
        run(["git", "push", "-q", bare, "HEAD:refs/heads/main"], cwd=work)
        wait_for(r"worker-log\.\d+", profiles)
        worker_profiles = [name for name in os.listdir(profiles) if re.fullmatch(r"worker\.\d+(\.\d+)?", name)]
        if not worker_profiles:
            sys.exit("hot-functions: the worker left no profile")
        worker_profiles.sort(key=lambda name: int(name.split(".")[2]) if name.count(".") == 2 else 1 << 30)

        ordered, seen = [], set()

        def take(names):
            for name in names:
                if name not in seen:
                    seen.add(name)
                    ordered.append(name)

        for name in worker_profiles:
            take(functions_in(f"{profiles}/{name}", "gitci.profiled"))
            if name == worker_profiles[0]:
                before_first_step = len(ordered)
        for command in (["status"], ["log"]):
            out = f"{profiles}/{command[0]}"
            subprocess.run(CALLGRIND + [f"--callgrind-out-file={out}", f"--log-file={out}.log", profiled] + command,
                           cwd=bare, env=ENV, stdout=subprocess.DEVNULL, check=True)
            take(functions_in(out, "gitci.profiled"))
        # Only named functions: callgrind calls the rest by their addresses.
        ordered = [name for name in ordered if not name.startswith("0x") and " " not in name]
        with open(OUTPUT, "w") as f:
            f.write("".join(name + "\n" for name in ordered))
        print(f"hot-functions: {len(worker_profiles)} worker profiles, {before_first_step} functions before the first step")
        print(f"hot-functions: {len(ordered)} functions written to {os.path.relpath(OUTPUT, ROOT)}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
