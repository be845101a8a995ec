#!/usr/bin/env bash
# src/README.md is the map of the C code, and the code keeps to it.  The map
# names every file of src/ under one layer (its "## " sections, lowest
# first); then:
# - every file of src/ is on the map, and every file on the map exists;
# - every unit (a .c file and its header) but the SQL entry points has a
#   header of its own name;
# - a file includes project headers of its own layer and the layers below
#   only (no upward call), and no two units include each other, even
#   through others (no circle);
# - the JOSE core (src/jose) includes no server header, so that it builds
#   alone (the fuzz target does);
# - SQL is run one way: no file but the database layer (db.c) calls SPI.
#   bash test/layers.sh
set -uo pipefail
suite=layers
cd "$(dirname "$0")/.."
. test/lib.sh

report=$(/usr/bin/python3 - <<'EOF'
import os
import re
import sys

# The map: "## Section" headings in order; table rows "| `file` | ... |".
layer_of, layer_names, entry_layer = {}, [], None
for line in open("src/README.md", encoding="utf-8"):
    if line.startswith("## "):
        layer_names.append(line[3:].strip())
        if "entry point" in line.lower():
            entry_layer = len(layer_names) - 1
    m = re.match(r"\|\s*`([A-Za-z0-9_/]+\.[ch])`", line)
    if m and layer_names:
        layer_of[m.group(1)] = len(layer_names) - 1

files = sorted(os.path.relpath(os.path.join(d, f), "src")
               for d, _, fs in os.walk("src") for f in fs if f.endswith((".c", ".h")))

def unit(path):
    return path[:-2]

def layer(path):
    """A file's layer: its own row, or its unit's (a header goes with its .c)."""
    for name in (path, unit(path) + ".c", unit(path) + ".h"):
        if name in layer_of:
            return layer_of[name]
    return None

def say(ok, what):
    print(("ok " if ok else "FAILED ") + what)

unmapped = [f for f in files if layer(f) is None]
say(not unmapped, "every file of src/ is on the map: " + (" ".join(unmapped) or "all"))
missing = [f for f in layer_of if not os.path.exists(os.path.join("src", f))]
say(not missing, "every file on the map exists: " + (" ".join(missing) or "all"))

headless = [f for f in files if f.endswith(".c") and layer(f) != entry_layer
            and unit(f) + ".h" not in files]
say(not headless, "every unit but the entry points has a header: " + (" ".join(headless) or "all"))

# Includes of project headers, resolved as the compiler does: next to the
# including file first, then from src/.
deps = {}
upward = []
server_in_jose = []
for f in files:
    text = open(os.path.join("src", f), encoding="utf-8").read()
    for inc in re.findall(r'^#include\s+"([^"]+)"', text, re.M):
        beside = os.path.normpath(os.path.join(os.path.dirname(f), inc))
        target = beside if beside in files else (inc if inc in files else None)
        if f.startswith("jose/") and (target is None or not target.startswith("jose/")):
            server_in_jose.append(f"{f} -> {inc}")
        if target is None or unit(target) == unit(f):
            continue
        deps.setdefault(unit(f), set()).add(unit(target))
        if layer(f) is not None and layer(target) is not None and layer(target) > layer(f):
            upward.append(f"{f} ({layer_names[layer(f)]}) -> {target} ({layer_names[layer(target)]})")
    if f.startswith("jose/") and re.search(r'^#include\s+"postgres', text, re.M):
        server_in_jose.append(f"{f} -> postgres.h")
say(not upward, "no upward include: " + ("; ".join(upward) or "none"))
say(not server_in_jose, "the JOSE core includes no server header: " + ("; ".join(server_in_jose) or "none"))

# A circle: a unit that reaches itself through its includes.
circles = []
def reach(start):
    seen, todo = set(), list(deps.get(start, ()))
    while todo:
        u = todo.pop()
        if u not in seen:
            seen.add(u)
            todo.extend(deps.get(u, ()))
    return seen
for u in sorted(deps):
    if u in reach(u):
        circles.append(u)
say(not circles, "no circle between units: " + (" ".join(circles) or "none"))
spi = sorted(f for f in files if f not in ("db.c", "db.h") and
             re.search(r"\bSPI_(?!OK_)[a-z]\w*\s*\(", open(os.path.join("src", f), encoding="utf-8").read()))
say(not spi, "only the database layer calls SPI: " + (" ".join(spi) or "yes"))
say(len(layer_names) >= 5 and entry_layer is not None,
    f"the map has its layers: {len(layer_names)} sections, entry points {entry_layer}")
EOF
)
while IFS= read -r line; do
    case $line in
        "ok "*) check "${line#ok }" ok "^ok$" ;;
        *) check "${line#FAILED }" failed "^ok$" ;;
    esac
done <<<"$report"
finish
