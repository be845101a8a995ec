#!/usr/bin/env bash
# The library exports its entry points and nothing else.  PostgreSQL loads
# an extension's library with RTLD_GLOBAL, so every symbol it exports can
# clash with one of another library loaded into the same backend.  The
# exported symbols (nm -D --defined-only) must be exactly _PG_init, the
# module magic Pg_magic_func, each C function an install or upgrade script
# names (AS 'MODULE_PATHNAME', 'symbol') with its info record
# pg_finfo_symbol, and each background worker's main function (its
# bgw_function_name, which the server looks up by name): an extra one
# fails, and so does a missing one (the script could not create that
# function).  Every other global symbol of the object files is hidden, and
# prefixed jwt_auth_.
#   bash test/exports.sh [DIR]   # DIR: a built tree (default: this one, after make)
set -uo pipefail
suite=exports
cd "$(dirname "$0")/.."
. test/lib.sh

# check_none NAME LIST: LIST is empty ("none").
check_none() { check "$1" "${2:-none}" "^none$"; }

dir=${1:-.}
lib=$dir/jwt_auth.so
check "the library is built" "$(ls "$lib" 2>&1)" "jwt_auth\.so$"

# What the scripts name: every LANGUAGE C function names its symbol.
scripts=$(ls jwt_auth.sql jwt_auth--*.sql | grep -v -- "--$(sed -nE 's/^EXTVERSION = //p' Makefile)\.sql$")
named=$(grep -ohE "AS 'MODULE_PATHNAME', *'[A-Za-z0-9_]+'" $scripts | sed -E "s/.*'([A-Za-z0-9_]+)'$/\1/" | sort -u)
check "the scripts name C functions" "$(wc -l <<<"$named")" "^[1-9][0-9]+$"
unnamed=$(grep -hE "AS 'MODULE_PATHNAME' *(LANGUAGE|$)" $scripts)
check_none "every C function in the scripts names its symbol" "$unnamed"

workers=$(grep -ohE 'bgw_function_name, BGW_MAXLEN, "[A-Za-z0-9_]+"' src/*.c | sed -E 's/.*"(.*)"$/\1/')
check "the background workers' main functions are found" "$workers" "^jwt_auth_"
expected=$( { echo _PG_init; echo Pg_magic_func; echo "$workers"; for f in $named; do echo "$f"; echo "pg_finfo_$f"; done; } | sort)
exported=$(nm -D --defined-only "$lib" | awk '{ print $NF }' | sort)
extra=$(comm -13 <(echo "$expected") <(echo "$exported"))
missing=$(comm -23 <(echo "$expected") <(echo "$exported"))
check_none "nothing exported beyond the entry points" "$(echo $extra)"
check_none "every entry point exported" "$(echo $missing)"
check "exported: $(wc -l <<<"$exported") symbols" "$(wc -l <<<"$exported")" "^$(wc -l <<<"$expected")$"

# The other globals of the objects: hidden by the build, and prefixed.
globals=$(nm -g --defined-only "$dir"/src/*.o "$dir"/src/jose/*.o | awk 'NF == 3 { print $3 }' | sort -u)
check "the objects define globals" "$(wc -l <<<"$globals")" "^[1-9][0-9]+$"
unprefixed=$(comm -23 <(echo "$globals") <(echo "$expected") | grep -v '^jwt_auth_')
check_none "every other global is prefixed jwt_auth_" "$(echo $unprefixed)"

finish
