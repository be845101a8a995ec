#!/usr/bin/env bash
# The documentation does what it says: README.md's Getting Started, pasted
# into psql as a superuser, shows each user only their own tasks; its
# Python snippet runs a request as the user of the token, and the pitfall it
# warns of is real; the uninstall order of docs/reference.md works on that
# database and DROP EXTENSION prints the dependents it shows; every relative
# link of the Markdown files leads to a file, and a heading, that exist.
#
# Run in a cluster of its own (Getting Started creates role todo_app), with
# the extension installed, from the top of the repository:
#     pg_virtualenv -t -v 15 bash test/docs.sh
set -uo pipefail
suite=docs
cd "$(dirname "$0")/.."
. test/lib.sh

work=$(mktemp -d)
cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS todo" 2>/dev/null
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS todo_app" -c "DROP ROLE IF EXISTS todo_mail" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# same NAME ACTUAL EXPECTED: the whole texts are equal (the differences are
# printed when they are not).
# block FILE HEADING LANGUAGE: the fenced blocks of LANGUAGE under HEADING
# (up to the next heading of the same or a higher level), one after another.
block() {
    /usr/bin/python3 - "$@" <<'PY'
import re, sys
path, heading, lang = sys.argv[1:4]
lines = open(path, encoding="utf-8").read().split("\n")
level = len(heading) - len(heading.lstrip("#"))
start = lines.index(heading) + 1
end = next((i for i in range(start, len(lines))
            if re.match(r"#{1,%d} " % level, lines[i])), len(lines))
inside, out = None, []
for line in lines[start:end]:
    fence = re.match(r"^(\s*)```(\w*)\s*$", line)
    if fence and inside is None:
        inside = fence.group(1) if fence.group(2) == lang else False
    elif fence and inside is not None:
        inside = None
    elif inside:
        out.append(line[len(inside):])
    elif inside == "":
        out.append(line)
print("\n".join(out))
PY
}

if [ -n "$(psql -X -A -t -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'todo_app'")" ]; then
    echo "$suite: role todo_app exists already; run this suite in a cluster of its own" >&2
    exit 1
fi

# Getting Started, every SQL block in order, as pasted into psql.  Only the
# output format differs (-A -t -q: unaligned rows, no headers, no command
# tags); ids change from run to run.
block README.md "## Getting Started" sql > "$work/getting_started.sql"
check "Getting Started has SQL" "$(wc -l < "$work/getting_started.sql")" "^[1-9][0-9]+$"
out=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -d postgres -f "$work/getting_started.sql" 2>&1 |
      sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g')
expected='NOTICE:  installing required extension "pgcrypto"
<uuid>
<uuid>
Fix the bike
<uuid>
ada@example.com|Write the notes on the engine
0
Write the notes on the engine
Fix the bike'
# psql names the file and line before a NOTICE; keep the message only.
out=$(printf '%s\n' "$out" | sed -E 's/^psql:[^ ]+ NOTICE:/NOTICE:/')
same "Getting Started: bob sees his task only, ada hers only, no identity none, postgres both" \
    "$out" "$expected"

# The Python snippet, as todo_app, with the token of ada.
psql -X -q -d todo -c "ALTER ROLE todo_app PASSWORD 'docs password'"
block README.md "## Getting Started" python > "$work/snippet.py"
PGDATABASE=todo /usr/bin/python3 - "$work/snippet.py" > "$work/python.out" 2>&1 <<'PY'
import os, sys
import psycopg

with psycopg.connect(autocommit=True) as admin:
    token = admin.execute("SELECT auth.signin('ada@example.com', 'correct horse battery')").fetchone()[0]
dsn = "host=%s port=%s dbname=todo user=todo_app password='docs password'" % (
    os.environ["PGHOST"], os.environ["PGPORT"])

# The snippet as written: rows are ada's; after the block, no identity.
names = {"dsn": dsn, "token": token}
exec(open(sys.argv[1]).read(), names)
conn = names["conn"]
print("snippet rows:", [r[1] for r in names["rows"]])
print("snippet after the block:", conn.execute("SELECT auth.uid(), count(*) FROM tasks").fetchone())

# The pitfall: autocommit off and a query run before, the block is a
# savepoint and the identity outlives it.
bad = psycopg.connect(dsn)
bad.execute("SELECT 1")
with bad.transaction():
    bad.execute("SELECT auth.verify(%s)", [token])
print("without autocommit, after the block:", bad.execute("SELECT auth.email(), count(*) FROM tasks").fetchone())
PY
py=$(cat "$work/python.out")
check "Python snippet: ada's task only" "$py" "snippet rows: \['Write the notes on the engine'\]"
check "Python snippet: no identity after the block" "$py" "snippet after the block: \(None, 0\)"
check "the pitfall the README warns of" "$py" "without autocommit, after the block: \('ada@example.com', 1\)"

# Uninstalling: DROP EXTENSION without CASCADE lists what the reference shows.
block docs/reference.md "## Uninstalling" "" > "$work/uninstall.txt"
shown=$(grep -E '^(DETAIL:  )?[a-z].* depends on ' "$work/uninstall.txt")
actual=$(psql -X -q -d todo -c "DROP EXTENSION jwt_auth" 2>&1 | grep -E '^(DETAIL:  )?[a-z].* depends on ')
same "Uninstalling: DROP EXTENSION lists the dependents shown" \
    "$(printf '%s\n' "$actual" | sed 's/^DETAIL:  //' | sort)" "$(printf '%s\n' "$shown" | sed 's/^DETAIL:  //' | sort)"
check "Uninstalling: Getting Started's table has dependents" "$(printf '%s\n' "$shown" | wc -l)" "^[1-9]$"
block docs/reference.md "## Uninstalling" sql > "$work/uninstall.sql"
out=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -d todo -f "$work/uninstall.sql" 2>&1; echo "exit $?")
check "Uninstalling: the order runs without CASCADE" "$out" "^exit 0$"
out=$(psql -X -A -t -d todo -c "SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'jwt_auth'),
    (SELECT count(*) FROM tasks), (SELECT count(*) FROM pg_namespace WHERE nspname = 'auth'),
    (SELECT count(*) FROM pg_class WHERE relnamespace = 'auth'::regnamespace)")
check "Uninstalling: no extension, the tasks kept, schema auth left empty" "$out" "^0\|2\|1\|0$"

# Errors: the reference's table lists each SQLSTATE once, in order.
codes=$(awk '/^## /{on = ($0 == "## Errors")} on' docs/reference.md | grep -oE '^\| `[0-9A-Z]{5}`' | tr -d '|` ')
check "Errors: the table lists SQLSTATEs" "$(wc -l <<<"$codes")" "^[1-9][0-9]*$"
same "Errors: each SQLSTATE once, in order" "$codes" "$(LC_ALL=C sort -u <<<"$codes")"

# Links: every relative link of every Markdown file, and its #anchor.
links=$(/usr/bin/python3 - <<'PY'
import os, re, subprocess

def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")

def anchors(path):
    found, fenced = set(), False
    for line in open(path, encoding="utf-8"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            found.add(slug(line.lstrip("#")))
    return found

git = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
                     capture_output=True, text=True)
if git.returncode == 0:
    files = git.stdout.split()
else:
    # Not a git checkout (test/versions.sh tests a copy): every Markdown file
    # but those of node_modules and test/output.
    files = [os.path.relpath(os.path.join(d, f)) for d, dirs, names in os.walk(".")
             for f in names if f.endswith(".md")
             if not re.match(r"\./(node_modules|test/output|\.git)(/|$)", d)]
count = 0
for md in files:
    text = re.sub(r"```.*?```", "", open(md, encoding="utf-8").read(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        count += 1
        path, _, anchor = target.partition("#")
        full = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
        if not os.path.exists(full):
            print("broken: %s -> %s (no such file)" % (md, target))
        elif anchor and (not full.endswith(".md") or anchor not in anchors(full)):
            print("broken: %s -> %s (no such heading)" % (md, target))
print("links checked:", count)
PY
)
check "Markdown links checked" "$links" "^links checked: [1-9][0-9]*$"
broken=$(printf '%s\n' "$links" | grep '^broken' || true)
same "Markdown links lead to files and headings that exist" "$broken" ""

finish
