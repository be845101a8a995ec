#!/usr/bin/env bash
# jwt_auth trusting a real Better Auth (npm package better-auth, its jwt
# plugin) as an outside issuer, for each algorithm Better Auth signs with:
# EdDSA (its default), ES256, RS256 and PS256.  For each, issue.mjs runs two
# Better Auth instances (issuers A and B, different base URLs) on the test
# database, each with its tables in a schema of its own, and prints their
# JWKS, users' tokens, a key rotation on A's side and forged tokens.  Then,
# in SQL: auth.trust_issuer with each JWKS, auth.verify of every user's
# token with the identity it sets (auth.user_id, auth.uid, auth.issuer,
# auth.jwt), row-level security keyed by the text user id, the audience
# check, the rotation followed by trusting the new JWKS, every forgery
# refused with SQLSTATE 28000, and auth.distrust_issuer.
#
# Runs inside a throwaway cluster with the extension installed:
#     make install && pg_virtualenv -t -v 15 bash test/interop/better-auth/run.sh
# Needs Node.js 20 or later with npm; installs the npm packages of
# package-lock.json (npm ci) when node_modules does not hold them yet
# (test/interop/node_packages.sh).
# BETTER_AUTH_ALGS="ES256 ..." runs fewer algorithms; BETTER_AUTH_OUT=DIR
# keeps what issue.mjs printed for each, as DIR/ALG.json.
set -euo pipefail
suite=better_auth
cd "$(dirname "$0")/../../.."
. test/lib.sh
. test/interop/node_packages.sh

algs=${BETTER_AUTH_ALGS:-"EdDSA ES256 RS256 PS256"}
db=jwt_auth_better_auth
app=jwt_auth_better_auth_app
app_pw=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(16))')
work=$(mktemp -d)
cleanup() {
    set +e
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $app"
    rm -rf "$work"
}
trap cleanup EXIT

# Node.js and the npm packages, exactly as the lockfile has them.
if ! require_node_packages; then
    failed=$((failed + 1))
    finish
fi

# owner SQL / app SQL: one psql command string (one transaction), its
# output and errors, SQLSTATE included.  The owner is the cluster's
# superuser; the app is a plain role under row-level security.
owner() { psql -X -q -At -v VERBOSITY=verbose -d "$db" -c "$1" 2>&1 || true; }
as_app() { PGUSER=$app PGPASSWORD=$app_pw psql -X -q -At -v VERBOSITY=verbose -h 127.0.0.1 -d "$db" -c "$1" 2>&1 || true; }
# A SQL string literal, and an extended regular expression matching a text.
lit() { local q="'"; printf "'%s'" "${1//$q/$q$q}"; }
re() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|/]/\\&/g'; }
refused='ERROR:  28000'

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $app" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '$app_pw'"
psql -X -q -d "$db" -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION jwt_auth CASCADE;
-- Rows keyed by the outside issuer's user id, which is text, not a uuid.
CREATE TABLE notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id text NOT NULL DEFAULT auth.user_id(),
    body text NOT NULL
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY own_notes ON notes USING (user_id = auth.user_id()) WITH CHECK (user_id = auth.user_id());
GRANT SELECT, INSERT ON notes TO $app;
SQL

check "auth.trust_issuer(text, jsonb, text) exists" \
    "$(owner "SELECT to_regprocedure('auth.trust_issuer(text, jsonb, text)') IS NOT NULL")" "^t$"
check "auth.distrust_issuer(text) exists" \
    "$(owner "SELECT to_regprocedure('auth.distrust_issuer(text)') IS NOT NULL")" "^t$"
check "auth.issuer() exists" "$(owner "SELECT to_regprocedure('auth.issuer()') IS NOT NULL")" "^t$"

# load FILE: the JSON that issue.mjs printed, flattened into J: J[users.0.id],
# J[jwks] (compact JSON) and so on.
declare -A J
load() {
    J=()
    local key value
    while IFS=$'\t' read -r key value; do
        J[$key]=$value
    done < <(node -e '
        const walk = (v, path) => {
            if (path) console.log(path + "\t" + (typeof v === "string" ? v : JSON.stringify(v)).replace(/[\t\n]/g, " "));
            if (v && typeof v === "object") for (const [k, w] of Object.entries(v)) walk(w, path ? path + "." + k : k);
        };
        walk(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")), "");' "$1")
}

# trust ISSUER JWKS AUDIENCE: the count auth.trust_issuer returns (AUDIENCE
# "NULL" for none).
trust() {
    local aud=NULL
    [ "$3" = NULL ] || aud=$(lit "$3")
    owner "SELECT auth.trust_issuer($(lit "$1"), $(lit "$2")::jsonb, $aud)"
}
# identity TOKEN: what auth.verify returns (NULL for a sub that is no uuid)
# and the identity it sets, on one line.
identity() {
    as_app "SELECT auth.verify($(lit "$1")) IS NULL AS no_uuid, auth.user_id(), auth.uid() IS NULL AS uid_null,
                   auth.issuer(), auth.jwt()->>'sub', auth.jwt()->>'email'"
}
# expect_identity NAME TOKEN USER-ID ISSUER EMAIL
expect_identity() {
    check "$1" "$(identity "$2")" "^t\|$(re "$3")\|t\|$(re "$4")\|$(re "$3")\|$(re "$5")$"
}
keys_in() { node -e 'console.log(JSON.parse(process.argv[1]).keys.length)' "$1"; }

run_alg() {
    local alg=$1 slug
    slug=$(printf '%s' "$alg" | tr 'A-Z' 'a-z')
    local out="$work/$slug.json" errors="$work/$slug.log" started=$SECONDS status=0
    PGDATABASE=$db node test/interop/better-auth/issue.mjs --alg "$alg" --schema "better_auth_$slug" \
        --base-url "https://$slug.idp-a.example.test" --peer-base-url "https://$slug.idp-b.example.test" \
        > "$out" 2> "$errors" || status=$?
    check "$alg: Better Auth signs tokens that jose verifies, forgeries jose refuses" \
        "exit $status: $(tail -1 "$errors")" "^exit 0: issue.mjs: $alg: ([0-9]+) of \1 sanity checks passed$"
    if [ ! -s "$out" ]; then
        cat "$errors" >&2
        return
    fi
    grep -v '^issue.mjs: ' "$errors" >&2 || true
    [ -z "${BETTER_AUTH_OUT:-}" ] || cp "$out" "$BETTER_AUTH_OUT/"
    load "$out"
    local iss=${J[issuer]} aud=${J[audience]} peer_iss=${J[peer.issuer]} peer_aud=${J[peer.audience]}
    local u0=${J[users.0.id]} u1=${J[users.1.id]} p0=${J[peer.users.0.id]}
    local t0=${J[users.0.token]} t1=${J[users.1.token]} tp=${J[peer.users.0.token]}
    check "$alg: Better Auth's tokens are of $alg" "${J[example.header.alg]}" "^$alg$"

    # Trust both issuers; only the owner may.
    check "$alg: trust issuer A" "$(trust "$iss" "${J[jwks]}" "$aud")" "^1$"
    check "$alg: trust issuer B" "$(trust "$peer_iss" "${J[peer.jwks]}" "$peer_aud")" "^1$"
    check "$alg: the app may not trust an issuer" \
        "$(as_app "SELECT auth.trust_issuer($(lit "$iss"), $(lit "${J[jwks]}")::jsonb, NULL)")" "ERROR:  42501"
    check "$alg: the app may not distrust an issuer" \
        "$(as_app "SELECT auth.distrust_issuer($(lit "$iss"))")" "ERROR:  42501"

    # Every user's token, and the identity it sets.
    local i=0
    while [ -n "${J[users.$i.id]:-}" ]; do
        expect_identity "$alg: ${J[users.$i.email]} verifies as its Better Auth user" \
            "${J[users.$i.token]}" "${J[users.$i.id]}" "$iss" "${J[users.$i.email]}"
        i=$((i + 1))
    done
    expect_identity "$alg: issuer B's user verifies with issuer B" "$tp" "$p0" "$peer_iss" "${J[peer.users.0.email]}"
    check "$alg: the identity ends with the transaction" \
        "$(as_app "BEGIN; SELECT auth.verify($(lit "$t0")) IS NULL; COMMIT;
                   SELECT coalesce(auth.user_id(), 'none'), coalesce(auth.issuer(), 'none')" | tr '\n' ' ')" \
        "^t none\|none $"

    # Row-level security keyed by the text user id.
    check "$alg: user 0 adds a note" \
        "$(as_app "SELECT auth.verify($(lit "$t0")) IS NULL; INSERT INTO notes (body) VALUES ('$alg note of user 0') RETURNING user_id")" \
        "^$(re "$u0")$"
    check "$alg: user 1 adds a note" \
        "$(as_app "SELECT auth.verify($(lit "$t1")) IS NULL; INSERT INTO notes (body) VALUES ('$alg note of user 1') RETURNING user_id")" \
        "^$(re "$u1")$"
    check "$alg: issuer B's user adds a note" \
        "$(as_app "SELECT auth.verify($(lit "$tp")) IS NULL; INSERT INTO notes (body) VALUES ('$alg note of B''s user') RETURNING user_id")" \
        "^$(re "$p0")$"
    check "$alg: user 0 sees only its note" \
        "$(as_app "SELECT auth.verify($(lit "$t0")) IS NULL; SELECT string_agg(body, ',') FROM notes")" "^$alg note of user 0$"
    check "$alg: user 1 sees only its note" \
        "$(as_app "SELECT auth.verify($(lit "$t1")) IS NULL; SELECT string_agg(body, ',') FROM notes")" "^$alg note of user 1$"
    check "$alg: issuer B's user sees only its note" \
        "$(as_app "SELECT auth.verify($(lit "$tp")) IS NULL; SELECT string_agg(body, ',') FROM notes")" "^$alg note of B's user$"
    check "$alg: without a token no note is seen" "$(as_app "SELECT count(*) FROM notes")" "^0$"
    check "$alg: user 0 cannot add a note as user 1" \
        "$(as_app "SELECT auth.verify($(lit "$t0")) IS NULL; INSERT INTO notes (user_id, body) VALUES ($(lit "$u1"), 'planted')")" \
        "ERROR:  42501: new row violates row-level security policy"
    check "$alg: the notes hold Better Auth's user ids" \
        "$(owner "SELECT string_agg(user_id, ' ' ORDER BY id) FROM notes WHERE body LIKE '$alg note of %'")" \
        "^$(re "$u0 $u1 $p0")$"

    # Forgeries: each refused, with SQLSTATE 28000.
    local key name
    for key in $(printf '%s\n' "${!J[@]}" | grep -E '^forgeries\.[a-z0-9_]+\.token$' | sort); do
        name=${key#forgeries.}
        name=${name%.token}
        check "$alg: forgery $name refused (${J[forgeries.$name.why]})" \
            "$(as_app "SELECT auth.verify($(lit "${J[$key]}"))")" "^$refused"
    done

    # The audience given to trust_issuer: another one refuses A's tokens,
    # NULL checks none.
    check "$alg: trust issuer A for another audience" \
        "$(trust "$iss" "${J[jwks]}" "https://not-this-audience.example.test")" "^1$"
    check "$alg: a token for another audience is refused" "$(as_app "SELECT auth.verify($(lit "$t0"))")" "^$refused"
    check "$alg: trust issuer A with no audience" "$(trust "$iss" "${J[jwks]}" NULL)" "^1$"
    expect_identity "$alg: with no audience required the token verifies" "$t0" "$u0" "$iss" "${J[users.0.email]}"
    check "$alg: trust issuer A for its audience again" "$(trust "$iss" "${J[jwks]}" "$aud")" "^1$"

    # Rotation on Better Auth's side, then trust_issuer with its new JWKS.
    local old=${J[rotation.old_token]} new=${J[rotation.new_token]} who=${J[rotation.user]} expect
    check "$alg: the rotated key's token is refused before its JWKS is trusted" \
        "$(as_app "SELECT auth.verify($(lit "$new"))")" "^$refused"
    check "$alg: trust the JWKS of the grace period" \
        "$(trust "$iss" "${J[rotation.jwks_rotated]}" "$aud")" "^$(keys_in "${J[rotation.jwks_rotated]}")$"
    expect_identity "$alg: the new key's token verifies" "$new" "$who" "$iss" "${J[users.0.email]}"
    if [ "${J[rotation.old_kid_in_rotated]}" = true ]; then expect="^t\|$(re "$who")\|"; else expect="^$refused"; fi
    check "$alg: the old key's token, its key still in the JWKS: ${J[rotation.old_kid_in_rotated]}" "$(identity "$old")" "$expect"
    check "$alg: trust the JWKS after the grace period" \
        "$(trust "$iss" "${J[rotation.jwks_retired]}" "$aud")" "^$(keys_in "${J[rotation.jwks_retired]}")$"
    expect_identity "$alg: the new key's token still verifies" "$new" "$who" "$iss" "${J[users.0.email]}"
    if [ "${J[rotation.old_kid_in_retired]}" = true ]; then expect="^t\|$(re "$who")\|"; else expect="^$refused"; fi
    check "$alg: the old key's token, its key still in the JWKS: ${J[rotation.old_kid_in_retired]}" "$(identity "$old")" "$expect"

    # Distrusting issuer B refuses its tokens and leaves A alone.
    check "$alg: distrust issuer B" "$(owner "SELECT auth.distrust_issuer($(lit "$peer_iss"))")" "^t$"
    check "$alg: issuer B's token is refused once distrusted" "$(as_app "SELECT auth.verify($(lit "$tp"))")" "^$refused"
    check "$alg: distrusting issuer B again finds nothing" "$(owner "SELECT auth.distrust_issuer($(lit "$peer_iss"))")" "^f$"
    expect_identity "$alg: issuer A's tokens still verify" "$new" "$who" "$iss" "${J[users.0.email]}"

    echo "$suite: $alg done in $((SECONDS - started)) s (Better Auth side: ${J[milliseconds]} ms)"
}

for alg in $algs; do
    run_alg "$alg"
done
finish
