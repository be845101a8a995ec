#!/usr/bin/env bash
# Indentation: the C code of jwt_auth (src/ and its subfolders, and
# test/fuzz) checked against, or re-indented by, PostgreSQL's own pgindent,
# as PostgreSQL's code is.
#
#   bash test/indent.sh                  # check: the diff pgindent would make; nothing changes
#   bash test/indent.sh --check          # the same
#   bash test/indent.sh --write          # re-indent the files in place, and rewrite src/typedefs.list
#   PG_SOURCES=DIR bash test/indent.sh   # the tarball postgresql-17.N.tar.* in DIR
#
# pgindent, PostgreSQL's typedefs.list and pg_bsd_indent (the indent program
# pgindent runs, and only in the version it was written for) come from the
# PostgreSQL 17 source tarball, found as test/versions.sh finds it (in
# ../shared/postgres beside the checkout).  pg_bsd_indent is built once
# into INDENT_CACHE (/var/cache/jwt_auth/pg_bsd_indent; one folder per
# tarball and recipe, about 2 minutes on 2 cores) and reused after.  Run it
# as root the first time: it installs what the build needs (test/deps.sh
# indent: gcc, make, Perl, bison, xz); later runs need no root.  With no
# tarball it says so in one line and exits 0.
#
# pgindent lays out declarations by the names it knows as types: those of
# PostgreSQL's typedefs.list, those of src/typedefs.list (every typedef
# name the code declares, one per line, sorted) and library_typedefs below.
# The check fails when src/typedefs.list is not exactly the names the code
# declares (--write rewrites it), or when the code no longer uses a name of
# library_typedefs.
#
# Prints, for each file pgindent would change, its diff (a/FILE b/FILE,
# which "git apply" takes), then "indent_typedefs: N passed, N failed" (the
# lists), "indent: N passed, N failed" (one test per file: clean or not),
# and their sum "N passed, N failed"; exits 1 when anything failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. test/lib.sh

mode=check
case ${1:-} in
    "" | --check) ;;
    --write) mode="write" ;;
    *)
        echo "indent: unknown option '$1'; use --check (the default) or --write" >&2
        exit 2
        ;;
esac
# The release whose pgindent sets the style: a change of major may change
# the layout of some files.
major=17
sources=${PG_SOURCES:-$top/../shared/postgres}
cache=${INDENT_CACHE:-/var/cache/jwt_auth/pg_bsd_indent}
logs=$top/test/output
# Types of the libraries jwt_auth uses that PostgreSQL's typedefs.list
# lacks (it is made from PostgreSQL's own build): without them pgindent
# takes "EVP_PKEY_CTX *ctx" for a multiplication, "EVP_PKEY_CTX * ctx".
# Such a diff on a new library type means it belongs here.
library_typedefs=(ECDSA_SIG EVP_PKEY_CTX OSSL_PARAM OSSL_PARAM_BLD int64_t)

# The build recipe: a change here makes a new folder, never a stale reuse.
# pg_bsd_indent needs a configured tree, libpgport and libpgcommon, and so
# the generated headers; nothing optional.
configure_flags=(--without-icu --without-readline --without-zlib)
recipe="1 ${configure_flags[*]}"

# The files to check: every .c and .h of src/, its subfolders included,
# and of test/fuzz.
files=()
while IFS= read -r f; do
    files+=("$f")
done < <({ find src -name '*.[ch]' -type f; find test/fuzz -maxdepth 1 -name '*.[ch]' -type f; } | LC_ALL=C sort)

# declared_typedefs FILE...: the typedef names the files declare, sorted:
# "typedef struct Name {...} Name;", "typedef int Name;", "typedef void
# (*Name) (...);", "typedef char Name[8];", and several names in one.
declared_typedefs() {
    perl - "$@" <<'PERL'
use strict;
use warnings;
my %names;
local $/;
for my $file (@ARGV)
{
    open(my $fh, '<', $file) or die "indent: $file: $!\n";
    my $s = <$fh>;
    close($fh);
    # Comments, string and character literals, then preprocessor lines, out.
    $s =~ s{/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'}{ }gs;
    $s =~ s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{}gm;
    while ($s =~ /\btypedef\b/g)
    {
        # The declaration: up to its semicolon outside any bracket.
        my ($start, $depth, $i) = (pos($s), 0, pos($s));
        for (; $i < length($s); $i++)
        {
            my $c = substr($s, $i, 1);
            $depth++ if $c =~ /[{(\[]/;
            $depth-- if $c =~ /[})\]]/;
            last if $c eq ';' && $depth == 0;
        }
        my $decl = substr($s, $start, $i - $start);
        pos($s) = $i;
        1 while $decl =~ s/\{[^{}]*\}/ /g;
        if ($decl =~ /\(\s*\*?\s*(\w+)\s*\)\s*\(/)
        {
            $names{$1} = 1;    # a function or a pointer to one
            next;
        }
        $decl =~ s/\b(?:__attribute__|pg_attribute_\w+)\s*\((?:[^()]|\([^()]*\))*\)//g;
        1 while $decl =~ s/\[[^\[\]]*\]/ /g;
        for my $declarator (split(/,/, $decl))
        {
            $names{$1} = 1 if $declarator =~ /(\w+)\s*$/;
        }
    }
}
print "$_\n" for sort keys %names;
PERL
}

# tarball: the newest postgresql-17.N.tar.* in the sources folder.
tarball() {
    ls "$sources"/postgresql-"$major".[0-9]*.tar.* 2>/dev/null | sort -V | tail -n 1
}

# build TARBALL: print the folder of its pgindent (bin/pg_bsd_indent,
# pgindent, typedefs.list), building it first when the cache has none
# (under a lock, so two runs never build one twice).
build() {
    local tar=$1 version key dir work log
    version=$(basename "$tar" | sed -E 's/^postgresql-([0-9]+\.[0-9]+).*/\1/')
    key=$( { sha256sum < "$tar"; echo "$recipe"; } | sha256sum | cut -c1-12)
    dir=$cache/$version-$key
    log=$logs/indent-build-$version.log
    if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
        [ -f "$dir/.complete" ] && { echo "$dir"; return; }
        echo "indent: cannot write to $cache: run it as root once, or set INDENT_CACHE" >&2
        return 1
    fi
    (
        flock 9
        [ -f "$dir/.complete" ] && exit 0
        rm -rf "$dir" "$dir.build"
        work=$dir.build
        mkdir -p "$work/source" "$work/build" "$logs"
        echo "indent: building pg_bsd_indent of PostgreSQL $version into $dir" >&2
        {
            tar -xf "$tar" -C "$work/source" --strip-components=1 &&
            cd "$work/build" &&
            ../source/configure "${configure_flags[@]}" &&
            make -j"$(nproc)" -C src/tools/pg_bsd_indent &&
            mkdir -p "$dir/bin" &&
            cp src/tools/pg_bsd_indent/pg_bsd_indent "$dir/bin/" &&
            cp ../source/src/tools/pgindent/pgindent ../source/src/tools/pgindent/typedefs.list "$dir/"
        } > "$log" 2>&1 || {
            echo "indent: the build of pg_bsd_indent failed; its log: $log" >&2
            tail -n 30 "$log" >&2
            exit 1
        }
        rm -rf "$work"
        touch "$dir/.complete"
        # Builds of this version by an older recipe are of no more use.
        for old in "$cache/$version"-*; do
            [ "$old" = "$dir" ] || rm -rf "$old"
        done
    ) 9>"$cache/.lock" || return 1
    echo "$dir"
}

tar=$(tarball || true)
if [ -z "$tar" ]; then
    echo "indent: skipped: no PostgreSQL $major source tarball in $sources (set PG_SOURCES)"
    exit 0
fi
bash test/deps.sh indent
if ! tool=$(build "$tar"); then
    echo "indent: 0 passed, 1 failed (the build of pg_bsd_indent)"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "indent: $("$tool/bin/pg_bsd_indent" --version | head -n 1), pgindent of $(basename "$tar"), ${#files[@]} files"

work=$(mktemp -d /tmp/jwt_auth_indent.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The typedef lists.
suite=indent_typedefs
passed=0
failed=0
declared_typedefs "${files[@]}" > "$work/declared"
if [ "$mode" = write ]; then
    cmp -s "$work/declared" src/typedefs.list || echo "indent: src/typedefs.list rewritten"
    cp "$work/declared" src/typedefs.list
elif [ -f src/typedefs.list ] && cmp -s "$work/declared" src/typedefs.list; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    if [ -f src/typedefs.list ]; then
        lacks=$(LC_ALL=C comm -23 "$work/declared" <(LC_ALL=C sort -u src/typedefs.list) | paste -sd ' ')
        stale=$(LC_ALL=C comm -13 "$work/declared" <(LC_ALL=C sort -u src/typedefs.list) | paste -sd ' ')
        what="is not sorted, one name per line"
        [ -z "$stale" ] || what="names what no typedef declares: $stale"
        [ -z "$lacks" ] || what="lacks typedef names the code declares: $lacks"
        [ -z "$lacks" ] || [ -z "$stale" ] || what="$what; and names what no typedef declares: $stale"
        echo "indent: FAILED src/typedefs.list $what (bash test/indent.sh --write rewrites it)"
    else
        echo "indent: FAILED src/typedefs.list is missing (bash test/indent.sh --write makes it)"
    fi
fi
unused=()
for t in "${library_typedefs[@]}"; do
    grep -qw -- "$t" "${files[@]}" || unused+=("$t")
done
if [ ${#unused[@]} -eq 0 ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "indent: FAILED library_typedefs in test/indent.sh names what the code no longer uses: ${unused[*]}"
fi
[ "$mode" = write ] || finish || true
typedefs_passed=$passed
typedefs_failed=$failed

# pgindent on a copy of the files (it makes its temporary files in the
# current folder), with every list: in check mode with the names the code
# declares, so that the diff is what --write makes.
mkdir "$work/tree"
tar -cf - "${files[@]}" | tar -C "$work/tree" -xf -
{
    cat "$tool/typedefs.list" "$work/declared"
    printf '%s\n' "${library_typedefs[@]}"
} > "$work/typedefs.list"
paths=()
for f in "${files[@]}"; do
    paths+=("tree/$f")
done
status=0
(cd "$work" && perl "$tool/pgindent" --indent="$tool/bin/pg_bsd_indent" --typedefs=typedefs.list "${paths[@]}") \
    > "$work/pgindent.out" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
    cat "$work/pgindent.out"
    echo "indent: 0 passed, 1 failed (pgindent exited with status $status)"
    echo "$typedefs_passed passed, $((typedefs_failed + 1)) failed"
    exit 1
fi

suite=indent
passed=0
failed=0
changed=0
for f in "${files[@]}"; do
    # A file pg_bsd_indent cannot parse: "Failure in tree/FILE: what".
    problem=$(grep -F "Failure in tree/$f: " "$work/pgindent.out" || true)
    if [ -n "$problem" ]; then
        failed=$((failed + 1))
        echo "indent: FAILED $f: pg_bsd_indent cannot indent it: ${problem#*: }"
    elif cmp -s "$f" "$work/tree/$f"; then
        passed=$((passed + 1))
    elif [ "$mode" = write ]; then
        cat "$work/tree/$f" > "$f"
        changed=$((changed + 1))
    else
        failed=$((failed + 1))
        diff -u --label "a/$f" --label "b/$f" "$f" "$work/tree/$f" || true
        echo "indent: FAILED $f is not pgindent-clean (its diff above)"
    fi
done
if [ "$mode" = write ]; then
    echo "indent: re-indented $changed of ${#files[@]} files"
    [ "$failed" -eq 0 ] || exit 1
    exit 0
fi
finish || true
echo "$((typedefs_passed + passed)) passed, $((typedefs_failed + failed)) failed"
[ "$typedefs_failed" -eq 0 ] && [ "$failed" -eq 0 ]
