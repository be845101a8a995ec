#!/usr/bin/env bash
# jwt_auth trusting a real Better Auth (npm package better-auth, its jwt
# plugin) as an outside issuer, for each algorithm Better Auth signs with:
# EdDSA (its default), ES256, RS256 and PS256.  For each, issue.mjs runs two
# Better Auth instances (issuers A and B, different base URLs) on the test
# database, each with its tables in a schema of its own, and prints their
# JWKS, users' tokens, a key rotation on A's side, forged tokens and a few
# genuine tokens with other claims.  Then, in SQL: auth.trust_issuer with
# each JWKS (owner only) and auth.trusted_issuers, auth.verify of every
# user's token with the identity it sets (auth.user_id, auth.uid,
# auth.issuer, auth.role, auth.email, auth.jwt), a UUID subject and a
# "role" claim of Better Auth's, row-level security keyed by the text user
# id, the audience check, one application session that keeps verifying
# while the owner changes what is trusted (the token cache must follow),
# the rotation followed by trusting the new JWKS, every forgery refused with
# SQLSTATE 28000 and the reason it deserves, and auth.distrust_issuer.
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
# The database, the app role, and the npm packages exactly as the
# lockfile has them.
node_suite_begin

# What psql printed, on one line: its lines joined by " ; ", less the
# LOCATION lines of errors.  So an expected regular expression anchored with
# ^ and $ must match the whole output, results and errors in their order.
one_line() { awk 'BEGIN { ORS = "" } !/^LOCATION:  / { if (n++) print " ; "; print }'; }
# owner SQL / as_app SQL: one psql command string (one transaction), its
# output and errors, SQLSTATE included, on one line.  The owner is the
# cluster's superuser; the app is a plain role under row-level security.
owner() { { psql -X -q -At -v VERBOSITY=verbose -d "$db" -c "$1" 2>&1 || true; } | one_line; }
as_app() {
    { PGUSER=$app PGPASSWORD=$app_pw psql -X -q -At -v VERBOSITY=verbose -h 127.0.0.1 -d "$db" -c "$1" 2>&1 || true; } |
        one_line
}
# app_session COMMAND...: the commands in one session of the app, each in a
# transaction of its own (one psql -c each), on one line.  A command made by
# by_owner runs as the owner, in another session, meanwhile.
app_session() {
    local args=() c
    for c in "$@"; do args+=(-c "$c"); done
    { PGUSER=$app PGPASSWORD=$app_pw psql -X -q -At -v VERBOSITY=verbose -h 127.0.0.1 -d "$db" "${args[@]}" 2>&1 || true; } |
        one_line
}
# by_owner SQL: a psql meta-command that runs SQL as the owner, in a session
# of its own, from inside app_session.
export JWT_AUTH_OWNER=$PGUSER JWT_AUTH_OWNER_PASSWORD=$PGPASSWORD
by_owner() {
    local file
    file=$(mktemp "$work/owner-XXXXXX.sql")
    printf '%s\n' "$1" > "$file"
    printf '\\! PGUSER="$JWT_AUTH_OWNER" PGPASSWORD="$JWT_AUTH_OWNER_PASSWORD" psql -X -q -At -d %s -f %s 2>&1' \
        "$db" "$file"
}
# A SQL string literal, and an extended regular expression matching a text.
lit() { local q="'"; printf "'%s'" "${1//$q/$q$q}"; }
re() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|/]/\\&/g'; }
refused='ERROR:  28000'
# refusal MESSAGE [FRAGMENT...]: the regular expression of auth.verify's
# refusal (SQLSTATE 28000) with that message, whose DETAIL and HINT lines
# contain the fragments in their order.
refusal() {
    local r="^$refused: $(re "$1")" f sep=" ; .*"
    shift
    if [ $# -eq 0 ]; then
        printf '%s( ; .*)?$' "$r"
        return
    fi
    for f in "$@"; do
        r+="$sep$(re "$f")"
        sep=".*"
    done
    printf '%s' "$r"
}
unknown_key=$(refusal "token key is unknown" "issuer has no trusted key" \
    "HINT:  Pass the issuer's current JWKS to auth.trust_issuer()")
wrong_alg=$(refusal "token uses an unsupported algorithm or header" '"alg" is not the algorithm of its key')
# The refusal each forgery of issue.mjs deserves.  A forgery not named here
# fails its check: say what it deserves when issue.mjs gains one.
declare -A deserves=(
    [tampered_sub]=$(refusal "token signature is invalid")
    [tampered_exp]=$(refusal "token signature is invalid")
    [signature_of_other_user]=$(refusal "token signature is invalid")
    [signature_stripped]=$(refusal "token is malformed" "no signature")
    [alg_none]=$(refusal "token is malformed" "no signature")
    [alg_none_capitalised]=$(refusal "token is malformed" "no signature")
    [hs256_public_key_bytes]=$wrong_alg
    [hs256_public_key_text]=$wrong_alg
    [hs256_pem]=$wrong_alg
    [hs256_pem_no_newline]=$wrong_alg
    [hs256_jwk_json]=$wrong_alg
    [alg_case]=$wrong_alg
    [alg_mismatch]=$wrong_alg
    [crit_unknown]=$(refusal "token uses an unsupported algorithm or header" '"crit"')
    [cross_issuer]=$unknown_key
    [kid_of_other_issuer]=$unknown_key
    [unknown_kid]=$unknown_key
    [no_kid]=$(refusal "token key is unknown" 'no "kid"')
    [expired]=$(refusal "token has expired")
    [not_yet_valid]=$(refusal "token is not yet valid")
    [wrong_audience]=$(refusal "token has the wrong audience")
    [wrong_issuer]=$(refusal "token has the wrong issuer")
)
wrong_audience=${deserves[wrong_audience]}
wrong_issuer=${deserves[wrong_issuer]}

psql -X -q -d "$db" -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION jwt_auth CASCADE;
-- Rows keyed by the outside issuer's user id, which is text, not a uuid, and
-- by the issuer, as docs/other-issuers.md's recipe has it when more than one issuer is
-- trusted: two issuers may name the same subject.
CREATE TABLE notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issuer text NOT NULL DEFAULT auth.issuer(),
    user_id text NOT NULL DEFAULT auth.user_id(),
    body text NOT NULL
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_notes ON notes USING (user_id = auth.user_id() AND issuer = auth.issuer())
    WITH CHECK (user_id = auth.user_id() AND issuer = auth.issuer());
GRANT SELECT, INSERT ON notes TO $app;
SQL

check "auth.trust_issuer(text, jsonb, text, interval) exists" \
    "$(owner "SELECT to_regprocedure('auth.trust_issuer(text, jsonb, text, interval)') IS NOT NULL")" "^t$"
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
                   auth.issuer(), auth.role(), auth.email(), auth.jwt()->>'sub'"
}
# expect_identity NAME TOKEN USER-ID ISSUER EMAIL: a subject that is no uuid
# (auth.verify and auth.uid NULL), role "authenticated" as for every other
# issuer's token.
expect_identity() {
    check "$1" "$(identity "$2")" "^t\|$(re "$3")\|t\|$(re "$4")\|authenticated\|$(re "$5")\|$(re "$3")$"
}
# verify_as TOKEN: a statement printing auth.verify(TOKEN) IS NULL and the
# auth.user_id() it set ("t|ID"), which the checks below start with.
verify_as() { printf 'SELECT auth.verify(%s) IS NULL, auth.user_id()' "$(lit "$1")"; }

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
    local kid_a=${J[example.header.kid]} kid_b=${J[peer.jwks.keys.0.kid]}
    check "$alg: Better Auth's tokens are of $alg" "${J[example.header.alg]}" "^$alg$"

    # Trust both issuers; only the owner may.
    check "$alg: trust issuer A" "$(trust "$iss" "${J[jwks]}" "$aud")" "^1$"
    check "$alg: trust issuer B" "$(trust "$peer_iss" "${J[peer.jwks]}" "$peer_aud")" "^1$"
    check "$alg: auth.trusted_issuers lists both, each with its audience, kid and algorithm" \
        "$(owner "SELECT issuer, audience, kid, alg FROM auth.trusted_issuers() WHERE issuer LIKE 'https://$slug.%'")" \
        "^$(re "$iss|$aud|$kid_a|$alg ; $peer_iss|$peer_aud|$kid_b|$alg")$"
    check "$alg: the app may not trust an issuer" \
        "$(as_app "SELECT auth.trust_issuer($(lit "$iss"), $(lit "${J[jwks]}")::jsonb, NULL)")" \
        "^ERROR:  42501: permission denied for function trust_issuer$"
    check "$alg: the app may not distrust an issuer" \
        "$(as_app "SELECT auth.distrust_issuer($(lit "$iss"))")" \
        "^ERROR:  42501: permission denied for function distrust_issuer$"
    check "$alg: the app may not list the trusted issuers" \
        "$(as_app "SELECT count(*) FROM auth.trusted_issuers()")" \
        "^ERROR:  42501: permission denied for function trusted_issuers$"

    # Every user's token, and the identity it sets.
    local i=0
    while [ -n "${J[users.$i.id]:-}" ]; do
        expect_identity "$alg: ${J[users.$i.email]} verifies as its Better Auth user" \
            "${J[users.$i.token]}" "${J[users.$i.id]}" "$iss" "${J[users.$i.email]}"
        i=$((i + 1))
    done
    expect_identity "$alg: issuer B's user verifies with issuer B" "$tp" "$p0" "$peer_iss" "${J[peer.users.0.email]}"
    check "$alg: the identity ends with the transaction" \
        "$(as_app "BEGIN; $(verify_as "$t0"); COMMIT;
                   SELECT coalesce(auth.user_id(), 'none'), coalesce(auth.issuer(), 'none'), coalesce(auth.role(), 'none')")" \
        "^t\|$(re "$u0") ; none\|none\|none$"
    # Claims Better Auth's sign-in tokens lack, in tokens genuinely signed by A.
    local uuid=${J[extras.uuid_sub.sub]} upper=${J[extras.uuid_sub_upper.sub]}
    check "$alg: a UUID subject: auth.verify and auth.uid return it" \
        "$(as_app "SELECT auth.verify($(lit "${J[extras.uuid_sub.token]}")), auth.uid(), auth.user_id(), auth.role()")" \
        "^$uuid\|$uuid\|$uuid\|authenticated$"
    check "$alg: an upper-case UUID subject is another subject, kept as given, and no UUID" \
        "$(as_app "SELECT auth.verify($(lit "${J[extras.uuid_sub_upper.token]}")), auth.uid(), auth.user_id(),
                          auth.jwt()->>'sub'")" \
        "^\|\|$upper\|$upper$"
    check "$alg: Better Auth's own role claim: auth.role is authenticated, auth.jwt keeps admin" \
        "$(as_app "SELECT auth.verify($(lit "${J[extras.role_admin.token]}")) IS NULL, auth.user_id(), auth.role(),
                          auth.jwt()->>'role'")" \
        "^t\|$(re "$u0")\|authenticated\|admin$"

    # Row-level security keyed by the text user id.
    check "$alg: user 0 adds a note" \
        "$(as_app "$(verify_as "$t0"); INSERT INTO notes (body) VALUES ('$alg note of user 0') RETURNING user_id")" \
        "^t\|$(re "$u0") ; $(re "$u0")$"
    check "$alg: user 1 adds a note" \
        "$(as_app "$(verify_as "$t1"); INSERT INTO notes (body) VALUES ('$alg note of user 1') RETURNING user_id")" \
        "^t\|$(re "$u1") ; $(re "$u1")$"
    check "$alg: issuer B's user adds a note" \
        "$(as_app "$(verify_as "$tp"); INSERT INTO notes (body) VALUES ('$alg note of B''s user') RETURNING user_id")" \
        "^t\|$(re "$p0") ; $(re "$p0")$"
    check "$alg: user 0 sees only its note" \
        "$(as_app "$(verify_as "$t0"); SELECT string_agg(body, ',') FROM notes")" "^t\|$(re "$u0") ; $alg note of user 0$"
    check "$alg: user 1 sees only its note" \
        "$(as_app "$(verify_as "$t1"); SELECT string_agg(body, ',') FROM notes")" "^t\|$(re "$u1") ; $alg note of user 1$"
    check "$alg: issuer B's user sees only its note" \
        "$(as_app "$(verify_as "$tp"); SELECT string_agg(body, ',') FROM notes")" "^t\|$(re "$p0") ; $alg note of B's user$"
    check "$alg: without a token no note is seen" \
        "$(as_app "SELECT auth.user_id() IS NULL, count(*) FROM notes")" "^t\|0$"
    check "$alg: user 0 cannot add a note as user 1" \
        "$(as_app "$(verify_as "$t0"); INSERT INTO notes (user_id, body) VALUES ($(lit "$u1"), 'planted')")" \
        "^t\|$(re "$u0") ; ERROR:  42501: new row violates row-level security policy for table \"notes\"$"
    local same=${J[extras.peer_same_sub.token]}
    check "$alg: issuer B's token for user 0's subject: same auth.user_id(), issuer B, none of user 0's notes" \
        "$(as_app "$(verify_as "$same"); SELECT auth.issuer(); SELECT count(*) FROM notes")" \
        "^t\|$(re "$u0") ; $(re "$peer_iss") ; 0$"
    check "$alg: issuer B's token for user 0's subject cannot add a note as issuer A's user 0" \
        "$(as_app "$(verify_as "$same"); INSERT INTO notes (issuer, body) VALUES ($(lit "$iss"), 'planted')")" \
        "^t\|$(re "$u0") ; ERROR:  42501: new row violates row-level security policy for table \"notes\"$"
    check "$alg: the notes hold Better Auth's issuers and user ids" \
        "$(owner "SELECT string_agg(issuer || ' ' || user_id, ' ' ORDER BY id) FROM notes WHERE body LIKE '$alg note of %'")" \
        "^$(re "$iss $u0 $iss $u1 $peer_iss $p0")$"

    # Forgeries: each refused, with SQLSTATE 28000 and the reason it deserves.
    local key name
    for key in $(printf '%s\n' "${!J[@]}" | grep -E '^forgeries\.[a-z0-9_]+\.token$' | sort); do
        name=${key#forgeries.}
        name=${name%.token}
        check "$alg: forgery $name refused (${J[forgeries.$name.why]})" \
            "$(as_app "SELECT auth.verify($(lit "${J[$key]}"))")" "${deserves[$name]:-no refusal is expected of $name}"
    done

    # The audience given to trust_issuer: another one refuses A's tokens,
    # NULL checks none.
    check "$alg: trust issuer A for another audience" \
        "$(trust "$iss" "${J[jwks]}" "https://not-this-audience.example.test")" "^1$"
    check "$alg: a token for another audience is refused" "$(as_app "SELECT auth.verify($(lit "$t0"))")" "$wrong_audience"
    check "$alg: trust issuer A with no audience" "$(trust "$iss" "${J[jwks]}" NULL)" "^1$"
    expect_identity "$alg: with no audience required the token verifies" "$t0" "$u0" "$iss" "${J[users.0.email]}"
    check "$alg: trust issuer A for its audience again" "$(trust "$iss" "${J[jwks]}" "$aud")" "^1$"

    # One session of the app verifies tokens again and again (the second
    # time from its token cache) while the owner, in another session,
    # changes what is trusted: each change must reach it at its next verify.
    check "$alg: one app session follows the owner's changes of audience and trust" \
        "$(app_session "$(verify_as "$t0")" "$(verify_as "$tp")" "$(verify_as "$t0")" \
            "$(by_owner "SELECT auth.trust_issuer($(lit "$iss"), $(lit "${J[jwks]}")::jsonb, 'https://not-this-audience.example.test')")" \
            "$(verify_as "$t0")" "$(verify_as "$tp")" \
            "$(by_owner "SELECT auth.trust_issuer($(lit "$iss"), $(lit "${J[jwks]}")::jsonb, $(lit "$aud"))")" \
            "$(verify_as "$t0")" \
            "$(by_owner "SELECT auth.distrust_issuer($(lit "$peer_iss"))")" \
            "$(verify_as "$tp")" "$(verify_as "$t0")" \
            "$(by_owner "SELECT auth.trust_issuer($(lit "$peer_iss"), $(lit "${J[peer.jwks]}")::jsonb, $(lit "$peer_aud"))")" \
            "$(verify_as "$tp")")" \
        "^t\|$(re "$u0") ; t\|$(re "$p0") ; t\|$(re "$u0") ; 1 ; $refused: token has the wrong audience ; DETAIL:  [^;]* ; t\|$(re "$p0") ; 1 ; t\|$(re "$u0") ; t ; $refused: token has the wrong issuer ; DETAIL:  [^;]* ; t\|$(re "$u0") ; 1 ; t\|$(re "$p0")$"

    # Rotation on Better Auth's side (issue.mjs made sure its JWKS lists the
    # old key with the new one during the grace period, the new one alone
    # after it), then trust_issuer with its new JWKS.
    local old=${J[rotation.old_token]} new=${J[rotation.new_token]} who=${J[rotation.user]}
    check "$alg: the rotated key's token is refused before its JWKS is trusted, with a hint to pass the JWKS" \
        "$(as_app "SELECT auth.verify($(lit "$new"))")" "$unknown_key"
    check "$alg: trust the JWKS of the grace period" "$(trust "$iss" "${J[rotation.jwks_rotated]}" "$aud")" "^2$"
    expect_identity "$alg: the new key's token verifies" "$new" "$who" "$iss" "${J[users.0.email]}"
    expect_identity "$alg: the old key's token verifies while its key is in the JWKS" "$old" "$who" "$iss" "${J[users.0.email]}"
    check "$alg: trust the JWKS after the grace period" "$(trust "$iss" "${J[rotation.jwks_retired]}" "$aud")" "^1$"
    expect_identity "$alg: the new key's token still verifies" "$new" "$who" "$iss" "${J[users.0.email]}"
    check "$alg: the old key's token is refused once its key left the JWKS" \
        "$(as_app "SELECT auth.verify($(lit "$old"))")" "$unknown_key"

    # Distrusting issuer B refuses its tokens and leaves A alone.
    check "$alg: distrust issuer B" "$(owner "SELECT auth.distrust_issuer($(lit "$peer_iss"))")" "^t$"
    check "$alg: issuer B's token is refused once distrusted" "$(as_app "SELECT auth.verify($(lit "$tp"))")" "$wrong_issuer"
    check "$alg: distrusting issuer B again finds nothing" "$(owner "SELECT auth.distrust_issuer($(lit "$peer_iss"))")" "^f$"
    check "$alg: auth.trusted_issuers lists issuer A alone, with its new key" \
        "$(owner "SELECT issuer, kid FROM auth.trusted_issuers() WHERE issuer LIKE 'https://$slug.%'")" \
        "^$(re "$iss|${J[rotation.new_kid]}")$"
    expect_identity "$alg: issuer A's tokens still verify" "$new" "$who" "$iss" "${J[users.0.email]}"

    echo "$suite: $alg done in $((SECONDS - started)) s (Better Auth side: ${J[milliseconds]} ms)"
}

for alg in $algs; do
    run_alg "$alg"
done
finish
