#!/usr/bin/env bash
# Interoperability with libjwt (Debian's libjwt-dev, libjwt 1.10), what a C
# service would use, through libjwt_peer.c:
#  - jwt_auth's own HS256, ES256 and RS256 tokens (auth.signin after
#    auth.import_key of a shared secret, or auth.rotate_key) verify in
#    libjwt; the public keys are rebuilt from auth.jwks() alone and must
#    equal the ones in auth.keys; tampered tokens are refused.
#  - Tokens libjwt signs with keys imported by auth.import_key, carrying the
#    claims jwt_auth issues (the session copied from a token jwt_auth
#    issued), verify in auth.verify with their claims; tampered ones, and
#    ones without a session, of an ended session, another user's session,
#    expired or for another audience, are refused with SQLSTATE 28000.
#    ES256: libjwt makes high-S signatures half of the time, jwt_auth
#    low-S ones only; jwt_auth accepts both forms, and both are checked.
#  - libjwt trusts the header's alg and checks nothing without a key:
#    libjwt_peer always passes the key and checks the algorithm, so a
#    token MACed with an RS256 public key as an HS256 secret (which libjwt
#    itself accepts) and an alg "none" token are refused, by both sides.
# Ends with "libjwt: N passed, N failed"; exits non-zero on any failure.
#
# Runs inside a throwaway cluster with the extension installed, from the
# top of the repository:
#     pg_virtualenv -t -v 15 bash test/interop/libjwt/run.sh
# Needs libjwt-dev, libssl-dev and a C compiler.
set -uo pipefail
suite=libjwt
cd "$(dirname "$0")/../../.." || exit 1
. test/lib.sh

db=jwt_auth_libjwt
email=libjwt@example.com
pw='libjwt password 1'
work=$(mktemp -d)
cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    rm -rf "$work"
}
trap cleanup EXIT

# Build the peer; nothing else can run without it.
peer=$work/libjwt_peer
out=$(cc -O2 -Wall -Wextra -Werror -o "$peer" test/interop/libjwt/libjwt_peer.c -ljwt -lcrypto 2>&1 && echo built)
check "libjwt_peer builds with -Wall -Wextra -Werror" "$out" "^built$"
if [ ! -x "$peer" ]; then
    echo "$suite: is libjwt-dev installed?" >&2
    finish
    exit 1
fi

make_database "$db"

# sql SQL [NAME=VALUE...]: the superuser runs SQL, read by psql from
# standard input so that :'NAME' is interpolated (tokens are passed so, and
# are in the server log only if the statement fails); the output, or the
# first error with its SQLSTATE.
sql() {
    local q=$1 vars=()
    shift
    for v in "$@"; do vars+=(-v "$v"); done
    printf '%s\n' "$q" | psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$db" "${vars[@]}" 2>&1
}
# verified TOKEN: auth.verify in a transaction, then the claims it set:
# "uid jti sid" on one line, or the error.
verified() {
    sql "BEGIN;
SELECT auth.verify(:'tok');
SELECT auth.jwt()->>'jti';
SELECT coalesce(auth.jwt()->>'sid', '-');
COMMIT;" "tok=$1" | tr '\n' ' ' | sed 's/ $//'
}
# peer_verify ALG KEYFILE TOKEN: libjwt_peer's verdict on TOKEN.
peer_verify() { printf '%s\n' "$3" | "$peer" verify "$1" "$2" jwt_auth authenticated 2>&1; }
# sign ALG KEYFILE KID SUB SID TTL [AUD]: a token libjwt signs.
sign() { "$peer" sign "$1" "$2" "$3" jwt_auth "${7:-authenticated}" "$4" "$5" "$6"; }
# tamper TOKEN: one character in the middle of the signature changed.
tamper() {
    local sig=${1##*.} i c
    i=$((${#sig} / 2))
    c=${sig:$i:1}
    [ "$c" = A ] && c=B || c=A
    printf '%s.%s%s%s' "${1%.*}" "${sig:0:$i}" "$c" "${sig:$((i + 1))}"
}
b64url() { basenc --base64url | tr -d '=\n'; }
refused='ERROR:  28000'
uuid_re='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

uid=$(sql "SELECT auth.signup(:'email', :'pw')" "email=$email" "pw=$pw")
check "sign up" "$uid" "^$uuid_re$"
other=$(sql "SELECT auth.signup('other-libjwt@example.com', :'pw')" "pw=$pw")
check "sign up another user" "$other" "^$uuid_re$"
signin() { sql "SELECT auth.signin(:'email', :'pw')" "email=$email" "pw=$pw"; }

# ---- 1. jwt_auth signs, libjwt verifies --------------------------------

# HS256: a secret the test chooses, imported (it goes from a file to psql
# by \set, never on a command line).  ES256 and RS256: keys jwt_auth makes,
# whose PEM public keys libjwt_peer rebuilds from auth.jwks() alone.
head -c 48 /dev/urandom > "$work/HS256.key"
# psql runs the backquotes: the secret goes from the file to :hex unseen.
# shellcheck disable=SC2016
hex_of() { printf '\\set hex `od -An -v -tx1 %s | tr -dc 0-9a-f`\n' "$1"; }
declare -A own_kid own_key
for alg in HS256 ES256 RS256; do
    if [ "$alg" = HS256 ]; then
        kid=$(sql "$(hex_of "$work/HS256.key")
SELECT auth.import_key('HS256', decode(:'hex', 'hex'), 'libjwt-hs256');")
        check "HS256: import_key of a chosen secret" "$kid" "^libjwt-hs256$"
        check "HS256: auth.keys holds that secret" \
            "$(sql "$(hex_of "$work/HS256.key")
SELECT secret = decode(:'hex', 'hex') FROM auth.keys WHERE kid = 'libjwt-hs256';")" "^t$"
        own_key[$alg]=$work/HS256.key
    else
        kid=$(sql "SELECT auth.rotate_key('$alg')")
        check "$alg: rotate_key" "$kid" "^[A-Za-z0-9_-]+$"
        own_key[$alg]=$work/$alg.pub
        read -r kty jalg a b <<<"$(sql "SELECT concat_ws(' ', k->>'kty', k->>'alg', coalesce(k->>'x', k->>'n'), coalesce(k->>'y', k->>'e'))
FROM jsonb_array_elements(auth.jwks()->'keys') AS k WHERE k->>'kid' = :'kid'" "kid=$kid")"
        check "$alg: auth.jwks() has the key" "$kty $jalg" "^(EC ES256|RSA RS256)$"
        "$peer" pem "$kty" "$a" "$b" > "${own_key[$alg]}" 2>&1
        check "$alg: the key rebuilt from the JWKS is the one in auth.keys" \
            "$(sql "\\set pem \`cat ${own_key[$alg]}\`
SELECT btrim(public_key, E'\\n') = :'pem' FROM auth.keys WHERE kid = :'kid';" "kid=$kid")" "^t$"
    fi
    own_kid[$alg]=$kid
    check "$alg: the key signs" "$(sql "SELECT kid || ' ' || alg FROM auth.list_keys() WHERE signing")" "^$kid $alg$"
    tok=$(signin)
    check "$alg: libjwt verifies jwt_auth's token" "$(peer_verify "$alg" "${own_key[$alg]}" "$tok")" \
        "^alg=$alg kid=$kid sub=$uid sid=$uuid_re jti=$uuid_re email=$email$"
    check "$alg: libjwt refuses it tampered" "$(peer_verify "$alg" "${own_key[$alg]}" "$(tamper "$tok")")" \
        "^refused: libjwt found the token malformed or its signature bad$"
    check "$alg: jwt_auth verifies it too" "$(verified "$tok")" "^$uid $uuid_re $uuid_re$"
    if [ "$alg" = ES256 ]; then
        check "ES256: jwt_auth signs in low-S form" \
            "$(for _ in $(seq 16); do signin | "$peer" s-form; done | sort -u | tr '\n' ' ')" "^low $"
    fi
done

# ---- 2. libjwt signs, jwt_auth verifies --------------------------------

# The session of a token jwt_auth issued, for libjwt's tokens to carry.
sid=$(verified "$(signin)" | awk '{ print $3 }')
check "a session to share" "$sid" "^$uuid_re$"

# ES256 and RS256 private keys made by OpenSSL, imported; HS256 reuses the
# secret imported above.
declare -A peer_kid=([HS256]=libjwt-hs256) peer_key=([HS256]=$work/HS256.key) peer_pub=([HS256]=$work/HS256.key)
for alg in ES256 RS256; do
    if [ "$alg" = ES256 ]; then
        openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$alg.pem"
    else
        openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$alg.pem"
    fi
    openssl pkey -in "$work/$alg.pem" -pubout -out "$work/$alg.peer.pub"
    kid=$(sql "\\set pem \`cat $work/$alg.pem\`
SELECT auth.import_key('$alg', convert_to(:'pem', 'UTF8'), 'libjwt-$alg');")
    check "$alg: import_key of OpenSSL's private key" "$kid" "^libjwt-$alg$"
    peer_kid[$alg]=$kid
    peer_key[$alg]=$work/$alg.pem
    peer_pub[$alg]=$work/$alg.peer.pub
    check "$alg: libjwt verifies jwt_auth's token signed with the imported key" \
        "$(peer_verify "$alg" "${peer_pub[$alg]}" "$(signin)")" "^alg=$alg kid=$kid sub=$uid "
done

for alg in HS256 ES256 RS256; do
    key=${peer_key[$alg]}
    kid=${peer_kid[$alg]}
    tok=$(sign "$alg" "$key" "$kid" "$uid" "$sid" 300)
    if [ "$alg" = ES256 ]; then
        # Sign until libjwt has made a signature of each form (about one in
        # two is high-S; 64 tries all of one form: probability 2^-63).
        low='' high=''
        for _ in $(seq 64); do
            t=$(sign "$alg" "$key" "$kid" "$uid" "$sid" 300)
            case $("$peer" s-form <<<"$t") in
                low) low=$t ;;
                high) high=$t ;;
            esac
            [ -n "$low" ] && [ -n "$high" ] && break
        done
        check "ES256: libjwt makes low-S and high-S signatures" "${low:+low} ${high:+high}" "^low high$"
        tok=$low
        check "ES256: libjwt verifies its own high-S token" \
            "$(peer_verify ES256 "${peer_pub[ES256]}" "$high")" "^alg=ES256 kid=$kid sub=$uid sid=$sid "
        check "ES256: jwt_auth verifies libjwt's high-S token" "$(verified "$high")" "^$uid $uuid_re $sid$"
        normal=$("$peer" low-s <<<"$high")
        check "ES256: with s replaced by n - s it is low-S" "$("$peer" s-form <<<"$normal")" "^low$"
        check "ES256: libjwt verifies that one" \
            "$(peer_verify ES256 "${peer_pub[ES256]}" "$normal")" "^alg=ES256 kid=$kid sub=$uid sid=$sid "
        check "ES256: jwt_auth verifies that one" "$(verified "$normal")" "^$uid $uuid_re $sid$"
    fi
    out=$(peer_verify "$alg" "${peer_pub[$alg]}" "$tok")
    check "$alg: libjwt verifies its own token" "$out" "^alg=$alg kid=$kid sub=$uid sid=$sid jti=$uuid_re "
    jti=$(grep -oE "jti=$uuid_re" <<<"$out")
    check "$alg: jwt_auth verifies libjwt's token, with its claims" "$(verified "$tok")" \
        "^$uid ${jti#jti=} $sid$"
    check "$alg: jwt_auth refuses it tampered" "$(verified "$(tamper "$tok")")" \
        "^$refused: .*signature"
done

# The claims and the session still count in libjwt's tokens (HS256).
hs() { sign HS256 "$work/HS256.key" libjwt-hs256 "$@"; }
check "refused without a session" "$(verified "$(hs "$uid" - 300)")" "^$refused: token has no session"
check "refused with another user's session" "$(verified "$(hs "$other" "$sid" 300)")" "^$refused: token's session does not exist"
tok=$(hs "$uid" "$sid" -120)
check "refused once expired" "$(verified "$tok")" "^$refused: token has expired"
check "libjwt_peer refuses it too" "$(peer_verify HS256 "$work/HS256.key" "$tok")" "^refused: expired$"
tok=$(hs "$uid" "$sid" 300 someone-else)
check "refused for another audience" "$(verified "$tok")" "^$refused: token has the wrong audience"
check "libjwt_peer refuses it too" "$(peer_verify HS256 "$work/HS256.key" "$tok")" "^refused: wrong or missing aud$"
head -c 48 /dev/urandom > "$work/wrong.key"
check "refused from another secret" \
    "$(verified "$(sign HS256 "$work/wrong.key" libjwt-hs256 "$uid" "$sid" 300)")" "^$refused: token signature is invalid"
late=$(hs "$uid" "$sid" 300)
check "accepted before its session ends" "$(verified "$late")" "^$uid "
check "the session ends" "$(sql "SELECT auth.signout_all(:'uid')" "uid=$uid")" "^[1-9][0-9]*$"
check "refused once its session has ended" "$(verified "$late")" "^$refused: token has been revoked"

# ---- 3. libjwt's weak spots, covered by libjwt_peer ----------------------

# Key confusion: an HS256 token MACed with jwt_auth's RS256 public key PEM,
# naming that key.  libjwt checks the MAC with the PEM as secret and accepts
# it (libjwt_peer's message says its check came after jwt_decode() passed);
# libjwt_peer refuses it because the algorithm is not the key's.
tok=$(sign HS256 "${own_key[RS256]}" "${own_kid[RS256]}" "$other" - 300)
check "key confusion: libjwt_peer refuses" "$(peer_verify RS256 "${own_key[RS256]}" "$tok")" \
    "^refused: the token's algorithm is not the key's$"
check "key confusion: jwt_auth refuses" "$(verified "$tok")" "^$refused: token uses an unsupported algorithm or header"
# alg "none", with and without the kid of a key.
payload=$(printf '{"iss":"jwt_auth","aud":"authenticated","sub":"%s","sid":"%s","exp":%d}' \
    "$uid" "$sid" $(($(date +%s) + 300)) | b64url)
for head in '{"alg":"none","typ":"JWT"}' "{\"alg\":\"none\",\"kid\":\"${own_kid[HS256]}\"}"; do
    tok="$(printf '%s' "$head" | b64url).$payload."
    check "alg none ($head): libjwt_peer refuses" "$(peer_verify HS256 "$work/HS256.key" "$tok")" "^refused: "
    check "alg none ($head): jwt_auth refuses" "$(verified "$tok")" "^$refused: token is malformed"
done

# No token in the server log: the accepted ones were never in a failing
# statement, and jwt_auth keeps the refused ones out.
log=$(server_log)
check "the server log is found" "$log" "."
check "no token in the server log" "$(grep -cE 'eyJ[A-Za-z0-9_-]{10,}' "$log" 2>&1)" "^0$"

finish
