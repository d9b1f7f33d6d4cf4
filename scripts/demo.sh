#!/bin/sh
# `make demo`: gitci's main job on an embedded default. A sample Python project from
# templates/demo is committed into a scratch repository, gets a pipeline from `gitci init`,
# and runs with `gitci run --commit HEAD`, exactly as a developer would.
set -eu
GITCI=${GITCI:-gitci}
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gitci-demo-XXXXXX")
repo="$scratch/wordcount"

export GIT_AUTHOR_NAME="gitci demo" GIT_AUTHOR_EMAIL="demo@gitci.invalid"
export GIT_COMMITTER_NAME="gitci demo" GIT_COMMITTER_EMAIL="demo@gitci.invalid"

echo "== a sample Python project in $repo"
mkdir -p "$repo"
cp -R "$root/templates/demo/python-app/." "$repo/"
cd "$repo"
git init -q -b main
"$GITCI" init --template python
"$GITCI" validate
git add -A
git commit -q -m "wordcount: first version, with a gitci pipeline"

echo
echo "== gitci run --commit HEAD"
status=0
"$GITCI" run --commit HEAD || status=$?

echo
echo "The scratch repository stays in $repo (logs under .git/gitci/logs)."
exit $status
