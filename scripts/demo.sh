#!/bin/sh
# `make demo`: gitci's main job on an embedded default, no server to start by hand.
#  1. a sample Python project (templates/demo) gets a pipeline from `gitci init` and runs
#     locally with `gitci run --commit HEAD --record`, as a developer would;
#  2. the same project is pushed to a scratch bare repository with gitci installed: the
#     push builds in the background, a feature branch gets its own plan branch and loses it
#     when deleted, a branch of an unchanged tree reuses every job's result, and a clone reads
#     the results from the notes with plain git.
set -eu
GITCI=${GITCI:-gitci}
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gitci-demo-XXXXXX")
repo="$scratch/wordcount"
server="$scratch/server/wordcount.git"
# The demo's server is registered in a GITCI_HOME of its own, gone with the scratch folder.
export GITCI_HOME="$scratch/gitci-home"

export GIT_AUTHOR_NAME="gitci demo" GIT_AUTHOR_EMAIL="demo@gitci.invalid"
export GIT_COMMITTER_NAME="gitci demo" GIT_COMMITTER_EMAIL="demo@gitci.invalid"

step() { printf '\n== %s\n' "$*"; }

# Waits until the worker has finished everything queued for the server repository.
settle() { "$GITCI" worker --once -C "$server" 2>/dev/null; }

step "a sample Python project in $repo"
mkdir -p "$repo"
cp -R "$root/templates/demo/python-app/." "$repo/"
cd "$repo"
git init -q -b main
"$GITCI" init --template python
"$GITCI" validate
git add -A
git commit -q -m "wordcount: first version, with a gitci pipeline"

step "gitci run --commit HEAD --record   (locally, offline)"
status=0
"$GITCI" run --commit HEAD --record || status=$?

step "a server: gitci install $server"
git init -q --bare -b main "$server"
"$GITCI" install "$server"

step "git push: the hook queues a build and a background worker runs it"
git remote add origin "$server"
git push -q origin main
settle
"$GITCI" status -C "$server" main || status=$?

step "a feature branch gets its own plan branch on first push"
git checkout -q -b feature/shout
printf '\ndef shout(text):\n    return text.upper()\n' >> src/wordcount/__init__.py
git commit -q -am "wordcount: shout"
git push -q origin feature/shout
settle
"$GITCI" plans -C "$server"

step "a new branch and commit of an unchanged tree reuses every job: nothing runs again"
git checkout -q main
git checkout -q -b release/1.0
git commit -q --allow-empty -m "release 1.0: the tree main passed with"
git push -q origin release/1.0
settle
"$GITCI" status -C "$server" release/1.0 || status=$?

step "deleting the branch retires its plan branch (its history stays)"
git push -q origin --delete feature/shout
settle
"$GITCI" plans -C "$server"
"$GITCI" log -C "$server" main

step "results travel with the repository: a clone fetches refs/notes/gitci"
git clone -q "$server" "$scratch/clone"
cd "$scratch/clone"
git fetch -q origin refs/notes/gitci:refs/notes/gitci
git log --notes=gitci -1 --format='%h %s%n%N' | cut -c1-160
"$GITCI" status

# The worker the pushes started stays 30 s for a next push (gitci.workerLinger); the demo pushes
# no more. Its pid is trusted only while it holds the lock.
lock="$server/gitci/worker.lock"
if [ -f "$lock" ] && command -v flock >/dev/null && ! flock -n "$lock" true 2>/dev/null; then
    kill "$(cat "$lock")" 2>/dev/null || true
fi

echo
echo "The scratch repositories stay in $scratch (server logs under server/wordcount.git/gitci)."
exit $status
