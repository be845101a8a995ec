"""Tokens of other identity providers: auth.trust_issuer() with JWKS built
from keys that `cryptography` makes, tokens that PyJWT signs.

What is checked: every algorithm a trusted key may have verifies, with the
identity it gives (auth.uid(), auth.user_id(), auth.issuer(), auth.jwt(),
auth.role()); every forgery and every claim out of bounds is refused with
SQLSTATE 28000; every JWKS that cannot be trusted is refused whole with
22023, and only the owner may change the trust (42501); outside keys never
appear in auth.jwks() and never sign; a change of trust made in one backend
refuses at once, in another, a token that backend verified before; and no
client can set the identity an outside token gives.  Needs a server with the
extension installed, reached through the usual PG* environment variables.
"""
import base64
import datetime
import hashlib
import hmac
import json
import time
import uuid

import jwt
import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

DB = "jwt_auth_issuers_interop"
APP_ROLE = "jwt_auth_issuers_app"
PASSWORD = "issuers password 1"

Refused = psycopg.errors.InvalidAuthorizationSpecification  # 28000
BadJwks = psycopg.errors.InvalidParameterValue  # 22023
NotOwner = psycopg.errors.InsufficientPrivilege  # 42501


# --- keys and JWKS, made here -------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_int(n: int, width: int = 0) -> str:
    return b64url(n.to_bytes(width or (n.bit_length() + 7) // 8, "big"))


CURVES = {"secp256r1": ("P-256", 32, "ES256"),
          "secp384r1": ("P-384", 48, "ES384"),
          "secp521r1": ("P-521", 66, "ES512")}


def public_jwk(key, kid, alg=None, **extra):
    """The public JWK of a private key of `cryptography`."""
    pub = key.public_key()
    if isinstance(pub, ed25519.Ed25519PublicKey):
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        crv, width, _ = CURVES[pub.curve.name]
        nums = pub.public_numbers()
        jwk = {"kty": "EC", "crv": crv, "x": b64url_int(nums.x, width), "y": b64url_int(nums.y, width)}
    else:
        nums = pub.public_numbers()
        jwk = {"kty": "RSA", "n": b64url_int(nums.n), "e": b64url_int(nums.e)}
    jwk["kid"] = kid
    if alg is not None:
        jwk["alg"] = alg
    jwk.update(extra)
    return jwk


def private_jwk(key, kid, alg=None):
    """The same JWK with its private members, as no JWKS may hold them."""
    jwk = public_jwk(key, kid, alg)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        jwk["d"] = b64url(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                            serialization.NoEncryption()))
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        jwk["d"] = b64url_int(key.private_numbers().private_value, CURVES[key.curve.name][1])
    else:
        p = key.private_numbers()
        jwk.update(d=b64url_int(p.d), p=b64url_int(p.p), q=b64url_int(p.q),
                   dp=b64url_int(p.dmp1), dq=b64url_int(p.dmq1), qi=b64url_int(p.iqmp))
    return jwk


def jwks(*keys):
    return json.dumps({"keys": list(keys)})


def public_pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


class Keys:
    """One private key per algorithm, and a spare of each kind."""

    def __init__(self):
        self.ed = ed25519.Ed25519PrivateKey.generate()
        self.ed2 = ed25519.Ed25519PrivateKey.generate()
        self.p256 = ec.generate_private_key(ec.SECP256R1())
        self.p256b = ec.generate_private_key(ec.SECP256R1())
        self.p384 = ec.generate_private_key(ec.SECP384R1())
        self.p521 = ec.generate_private_key(ec.SECP521R1())
        self.rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ps = rsa.generate_private_key(public_exponent=65537, key_size=2048)


# Every algorithm a trusted key may have, and the attribute of Keys with its key.
ALGORITHMS = {"EdDSA": "ed", "ES256": "p256", "ES384": "p384", "ES512": "p521", "RS256": "rs", "PS256": "ps"}


# --- tokens -------------------------------------------------------------------

OMIT = object()  # a claim left out


def claims(iss, sub="user-7f3a|github", **more):
    """Claims valid for ten minutes; OMIT leaves one out."""
    now = int(time.time())
    c = {"iss": iss, "sub": sub, "iat": now, "exp": now + 600}
    c.update(more)
    return {k: v for k, v in c.items() if v is not OMIT}


def mint(key, alg, kid, payload):
    """A token PyJWT signs; typ JWT is PyJWT's own header member."""
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def mint_ed25519_name(key, kid, payload):
    """PyJWT 2.6 names EdDSA only "EdDSA": register its OKP algorithm under
    the fully specified name "Ed25519" (RFC 9864) to have it sign with that."""
    jws = jwt.PyJWS()
    jws.register_algorithm("Ed25519", jwt.algorithms.OKPAlgorithm())
    return jws.encode(json.dumps(payload).encode(), key, algorithm="Ed25519",
                      headers={"kid": kid, "typ": "JWT"})


def hs256(header, payload, secret: bytes):
    """A token MACed by hand (PyJWT refuses a PEM as an HMAC secret)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


# --- the database -------------------------------------------------------------

@pytest.fixture(scope="module")
def keys():
    return Keys()


@pytest.fixture(scope="module")
def conn():
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"DROP ROLE IF EXISTS {APP_ROLE}")
        admin.execute(f"CREATE DATABASE {DB}")
        admin.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
    try:
        with psycopg.connect(dbname=DB, autocommit=True) as c:
            c.execute("SET client_min_messages = warning")
            c.execute("CREATE EXTENSION jwt_auth CASCADE")
            c.execute("SET jwt_auth.bcrypt_cost = 10")
            c.own_issuer = c.execute("SELECT current_setting('jwt_auth.issuer')").fetchone()[0]
            c.execute("SELECT auth.signup('own@example.com', %s)", [PASSWORD])
            yield c
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {APP_ROLE}")


def trust(conn, issuer, keyset, audience=None, max_lifetime="1 day"):
    return conn.execute("SELECT auth.trust_issuer(%s, %s::jsonb, %s, %s::interval)",
                        [issuer, keyset, audience, max_lifetime]).fetchone()[0]


def verify(conn, token):
    return conn.execute("SELECT auth.verify(%s)", [token]).fetchone()[0]


def identity(conn, token):
    """What auth.verify() returns and what the accessors then read, within
    one transaction (the identity lasts until its end)."""
    with conn.transaction():
        returned = verify(conn, token)
        row = conn.execute("SELECT auth.uid(), auth.user_id(), auth.issuer(), auth.role(), "
                           "auth.jwt(), auth.email()").fetchone()
    return (returned, *row)


def refused(conn, token, message, detail=None, hint=None):
    """auth.verify() refuses with 28000, this message (and detail, hint
    fragments); the error never echoes the token."""
    with pytest.raises(Refused) as err:
        verify(conn, token)
    diag = err.value.diag
    assert diag.message_primary == message, (diag.message_primary, diag.message_detail)
    if detail is not None:
        assert detail in (diag.message_detail or ""), diag.message_detail
    if hint is not None:
        assert hint in (diag.message_hint or ""), diag.message_hint
    for part in token.split("."):
        if len(part) > 8:
            assert part not in str(err.value)
    assert conn.execute("SELECT auth.user_id()").fetchone()[0] is None
    return diag


def refused_jwks(conn, issuer, keyset, detail=None, audience=None):
    with pytest.raises(BadJwks) as err:
        trust(conn, issuer, keyset, audience)
    if detail is not None:
        assert detail in (err.value.diag.message_detail or ""), err.value.diag.message_detail
    return err.value.diag


def listed(conn, issuer):
    return conn.execute("SELECT audience, kid, alg FROM auth.trusted_issuers() WHERE issuer = %s",
                        [issuer]).fetchall()


# --- accepted -----------------------------------------------------------------

@pytest.fixture(scope="module")
def every_alg(conn, keys):
    """One issuer whose JWKS holds a key of each algorithm, each with its kid."""
    iss = "https://every-alg.idp.example"
    keyset = [public_jwk(getattr(keys, attr), f"kid-{alg}", alg) for alg, attr in ALGORITHMS.items()]
    assert trust(conn, iss, jwks(*keyset)) == len(keyset)
    return iss


@pytest.mark.parametrize("alg", list(ALGORITHMS))
def test_each_algorithm_verifies(conn, keys, every_alg, alg):
    key = getattr(keys, ALGORITHMS[alg])
    token = mint(key, alg, f"kid-{alg}", claims(every_alg))
    assert jwt.get_unverified_header(token)["alg"] == alg
    assert identity(conn, token)[:5] == (None, None, "user-7f3a|github", every_alg, "authenticated")
    # The key is chosen by kid among the issuer's: the next key's kid fails.
    algs = list(ALGORITHMS)
    other = algs[(algs.index(alg) + 1) % len(algs)]
    refused(conn, mint(key, alg, f"kid-{other}", claims(every_alg)),
            "token uses an unsupported algorithm or header")


def test_listing_names_each_key_and_algorithm(conn, every_alg):
    rows = listed(conn, every_alg)
    assert sorted((kid, alg) for _, kid, alg in rows) == sorted((f"kid-{a}", a) for a in ALGORITHMS)
    assert {aud for aud, _, _ in rows} == {None}


def test_algorithm_inferred_where_the_key_type_leaves_no_choice(conn, keys):
    iss = "https://inferred.idp.example"
    assert trust(conn, iss, jwks(public_jwk(keys.ed, "ed"), public_jwk(keys.p256, "p256"),
                                 public_jwk(keys.p384, "p384"), public_jwk(keys.p521, "p521"))) == 4
    assert sorted((kid, alg) for _, kid, alg in listed(conn, iss)) == [
        ("ed", "EdDSA"), ("p256", "ES256"), ("p384", "ES384"), ("p521", "ES512")]
    assert identity(conn, mint(keys.p256, "ES256", "p256", claims(iss)))[2] == "user-7f3a|github"
    assert identity(conn, mint(keys.ed, "EdDSA", "ed", claims(iss)))[2] == "user-7f3a|github"


def test_a_jwks_as_identity_providers_publish_it(conn, keys):
    """Members jwt_auth does not read (x5c, x5t, ...) are ignored, a
    "key_ops" that lists "verify" is accepted, and RSA moduli up to 4096
    bits verify."""
    iss = "https://published.idp.example"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "published.idp.example")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(keys.rs.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(keys.rs, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    big = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    published = {"keys": [
        public_jwk(keys.rs, "Xk3yR2s", "RS256", use="sig", x5c=[base64.b64encode(der).decode()],
                   x5t=b64url(hashlib.sha1(der).digest()), **{"x5t#S256": b64url(hashlib.sha256(der).digest())}),
        public_jwk(big, "big-ps", "PS256", use="sig", key_ops=["verify"], ext=True),
        public_jwk(keys.p256b, "p256b", use="sig", key_ops=["verify"]),
    ]}
    assert trust(conn, iss, json.dumps(published), "api") == 3
    # And PyJWT, given the same set, accepts the same tokens.
    pyjwks = jwt.PyJWKSet.from_dict(published)
    for key, alg, kid in ((keys.rs, "RS256", "Xk3yR2s"), (big, "PS256", "big-ps"), (keys.p256b, "ES256", "p256b")):
        token = mint(key, alg, kid, claims(iss, aud="api", sub=kid))
        assert identity(conn, token)[2] == kid
        assert jwt.decode(token, pyjwks[kid].key, algorithms=[alg], audience="api", issuer=iss)["sub"] == kid
    # The key is the JWK's own "n" and "e": a certificate of another key in
    # its "x5c" makes that other key no key of the issuer.
    mixed = dict(public_jwk(keys.rs, "mixed", "RS256"), x5c=[base64.b64encode(der).decode()])
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    mixed.update(public_jwk(other, "mixed", "RS256"))
    trust(conn, iss, jwks(mixed), "api")
    assert identity(conn, mint(other, "RS256", "mixed", claims(iss, aud="api")))[2] == "user-7f3a|github"
    refused(conn, mint(keys.rs, "RS256", "mixed", claims(iss, aud="api")), "token signature is invalid")


def test_ed25519_header_name_and_jwk_alg(conn, keys):
    iss = "https://ed25519-name.idp.example"
    # A JWK may say "Ed25519" (RFC 9864) as well as "EdDSA"; both are EdDSA keys.
    trust(conn, iss, jwks(public_jwk(keys.ed, "named", "Ed25519"), public_jwk(keys.ed2, "classic", "EdDSA")))
    assert sorted((kid, alg) for _, kid, alg in listed(conn, iss)) == [("classic", "EdDSA"), ("named", "EdDSA")]
    for key, kid in ((keys.ed, "named"), (keys.ed2, "classic")):
        fully_specified = mint_ed25519_name(key, kid, claims(iss, sub=f"sub-{kid}"))
        assert jwt.get_unverified_header(fully_specified)["alg"] == "Ed25519"
        assert identity(conn, fully_specified)[2] == f"sub-{kid}"
        assert identity(conn, mint(key, "EdDSA", kid, claims(iss, sub=f"eddsa-{kid}")))[2] == f"eddsa-{kid}"
    # Still by kid: the other Ed25519 key's signature does not pass.
    refused(conn, mint_ed25519_name(keys.ed2, "named", claims(iss)), "token signature is invalid")


def test_identity_of_a_subject_that_is_no_uuid(conn, keys, every_alg):
    payload = claims(every_alg, sub="auth0|5f7c8ec7c33c6c004bbafe82", role=["admin"], email=None,
                     jti=12345, sid="not a session id", org={"id": 7, "tier": "gold"})
    returned, uid, user_id, issuer, role, claimed, email = identity(
        conn, mint(keys.ed, "EdDSA", "kid-EdDSA", payload))
    assert returned is None and uid is None
    assert user_id == "auth0|5f7c8ec7c33c6c004bbafe82"
    assert issuer == every_alg
    assert role == "authenticated"  # not the token's ["admin"]
    assert claimed == payload
    assert email is None
    # The identity ends with its transaction.
    assert conn.execute("SELECT auth.user_id(), auth.issuer(), auth.jwt()").fetchone() == (None, None, None)


def test_identity_of_a_uuid_subject_needs_no_session(conn, keys, every_alg):
    sub = uuid.uuid4()
    payload = claims(every_alg, sub=str(sub), email="someone@idp.example", role="service_role")
    returned, uid, user_id, issuer, role, claimed, email = identity(
        conn, mint(keys.ps, "PS256", "kid-PS256", payload))
    assert returned == sub and uid == sub
    assert user_id == str(sub)
    assert (issuer, role, claimed, email) == (every_alg, "authenticated", payload, "someone@idp.example")
    # The same UUID in capitals is another subject, kept as given, and no
    # UUID: no two subjects become one identity for auth.uid().
    upper = claims(every_alg, sub=str(sub).upper())
    returned, uid, user_id = identity(conn, mint(keys.ps, "PS256", "kid-PS256", upper))[:3]
    assert returned is None and uid is None and user_id == str(sub).upper()


def test_subject_of_255_bytes_is_the_longest(conn, keys, every_alg):
    for sub in ("x", "s" * 255, "é" * 127 + "x"):
        assert identity(conn, mint(keys.p256, "ES256", "kid-ES256", claims(every_alg, sub=sub)))[2] == sub


def test_audience_as_string_or_array(conn, keys):
    iss = "https://audience.idp.example"
    assert trust(conn, iss, jwks(public_jwk(keys.p384, "aud-key")), "api://orders") == 1
    assert {aud for aud, _, _ in listed(conn, iss)} == {"api://orders"}
    ok = lambda aud: identity(conn, mint(keys.p384, "ES384", "aud-key", claims(iss, aud=aud)))[2]
    assert ok("api://orders") == "user-7f3a|github"
    assert ok(["api://billing", "api://orders"]) == "user-7f3a|github"
    for aud in ("api://billing", ["api://billing", "api://ORDERS"], [], OMIT):
        refused(conn, mint(keys.p384, "ES384", "aud-key", claims(iss, aud=aud)), "token has the wrong audience")
    # Neither jwt_auth's own audience setting nor the issuer's name stands in for it.
    refused(conn, mint(keys.p384, "ES384", "aud-key", claims(iss, aud="authenticated")),
            "token has the wrong audience")
    refused(conn, mint(keys.p384, "ES384", "aud-key", claims(iss, aud=iss)), "token has the wrong audience")


def test_null_audience_checks_none(conn, keys):
    iss = "https://no-audience.idp.example"
    trust(conn, iss, jwks(public_jwk(keys.p384, "any-aud")), None)
    for aud in ("anything", ["a", "b"], OMIT):
        assert identity(conn, mint(keys.p384, "ES384", "any-aud", claims(iss, aud=aud)))[2] == "user-7f3a|github"
    # Setting an audience later applies it at once.
    trust(conn, iss, jwks(public_jwk(keys.p384, "any-aud")), "api://later")
    refused(conn, mint(keys.p384, "ES384", "any-aud", claims(iss, aud="anything")), "token has the wrong audience")


def test_key_rotation_by_trusting_again(conn, keys):
    iss = "https://rotation.idp.example"
    old = mint(keys.rs, "RS256", "2024-01", claims(iss))
    new = mint(keys.ed2, "EdDSA", "2024-07", claims(iss))
    assert trust(conn, iss, jwks(public_jwk(keys.rs, "2024-01", "RS256"))) == 1
    assert identity(conn, old)[2] == "user-7f3a|github"
    refused(conn, new, "token key is unknown", hint="auth.trust_issuer()")
    # During the overlap both keys verify.
    assert trust(conn, iss, jwks(public_jwk(keys.rs, "2024-01", "RS256"), public_jwk(keys.ed2, "2024-07"))) == 2
    assert identity(conn, old)[2] == identity(conn, new)[2] == "user-7f3a|github"
    # Then the old one is gone: its kid is unknown, the new one verifies.
    assert trust(conn, iss, jwks(public_jwk(keys.ed2, "2024-07"))) == 1
    assert [kid for _, kid, _ in listed(conn, iss)] == ["2024-07"]
    refused(conn, old, "token key is unknown", hint="auth.trust_issuer()")
    assert identity(conn, new)[2] == "user-7f3a|github"
    # A kid kept with another key: the token of the old key is refused.
    trust(conn, iss, jwks(public_jwk(keys.ed, "2024-07")))
    refused(conn, new, "token signature is invalid")


def test_unused_claims_are_not_type_checked_but_times_are(conn, keys, every_alg):
    odd = claims(every_alg, role={"admin": True}, email=42, jti=None, nonce=[1, 2])
    assert identity(conn, mint(keys.rs, "RS256", "kid-RS256", odd))[2] == "user-7f3a|github"
    refused(conn, mint(keys.rs, "RS256", "kid-RS256", claims(every_alg, exp="1999999999")), "token is malformed")
    refused(conn, mint(keys.rs, "RS256", "kid-RS256", claims(every_alg, nbf=int(time.time()) + 3600)),
            "token is not yet valid")


# --- refused ------------------------------------------------------------------

def test_tampered_token(conn, keys, every_alg):
    token = mint(keys.p256, "ES256", "kid-ES256", claims(every_alg))
    head, body, sig = token.split(".")
    other = b64url(json.dumps(claims(every_alg, sub="someone-else")).encode())
    refused(conn, f"{head}.{other}.{sig}", "token signature is invalid")
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    refused(conn, f"{head}.{body}.{flipped}", "token signature is invalid")
    # The untouched token still verifies.
    assert identity(conn, token)[2] == "user-7f3a|github"


def test_alg_none(conn, every_alg):
    payload = claims(every_alg)
    refused(conn, jwt.encode(payload, None, algorithm="none", headers={"kid": "kid-EdDSA"}), "token is malformed")
    # With a signature segment, "none" is still no algorithm of the key.
    head = b64url(json.dumps({"alg": "none", "kid": "kid-EdDSA"}).encode())
    refused(conn, f"{head}.{b64url(json.dumps(payload).encode())}.{b64url(bytes(64))}",
            "token uses an unsupported algorithm or header")


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_hs256_with_the_public_key_as_secret(conn, keys, every_alg, alg):
    key = getattr(keys, ALGORITHMS[alg])
    jwk = public_jwk(key, f"kid-{alg}", alg)
    secrets = [public_pem(key), public_pem(key).strip(),
               key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo),
               json.dumps(jwk).encode(), base64.urlsafe_b64decode(jwk.get("x", jwk.get("n")) + "==")]
    for secret in secrets:
        refused(conn, hs256({"alg": "HS256", "typ": "JWT", "kid": f"kid-{alg}"}, claims(every_alg), secret),
                "token uses an unsupported algorithm or header", detail="not the algorithm of its key")


@pytest.mark.parametrize("token_alg,kid_alg,attr", [
    ("RS256", "PS256", "ps"),   # right key, wrong padding
    ("PS256", "RS256", "rs"),
    ("ES384", "ES256", "p256"),  # PyJWT signs P-256 with SHA-384 when told
    ("ES256", "ES384", "p384"),
    ("EdDSA", "ES256", "ed"),
    ("ES256", "EdDSA", "p256"),
])
def test_alg_must_equal_the_keys(conn, keys, every_alg, token_alg, kid_alg, attr):
    refused(conn, mint(getattr(keys, attr), token_alg, f"kid-{kid_alg}", claims(every_alg)),
            "token uses an unsupported algorithm or header", detail="not the algorithm of its key")


def test_keys_named_by_the_header_are_never_used(conn, keys, every_alg):
    """A header that carries its own key ("jwk") or points at one ("jku",
    "x5u") changes nothing: the kid chooses among the trusted keys."""
    attacker = ed25519.Ed25519PrivateKey.generate()
    own_jwk = public_jwk(attacker, "kid-EdDSA", "EdDSA")
    for extra in ({"jwk": own_jwk}, {"jku": "https://attacker.example/jwks.json"},
                  {"x5u": "https://attacker.example/cert.pem"}):
        token = jwt.encode(claims(every_alg), attacker, algorithm="EdDSA", headers={"kid": "kid-EdDSA", **extra})
        refused(conn, token, "token signature is invalid")
    refused(conn, jwt.encode(claims(every_alg), attacker, algorithm="EdDSA", headers={"jwk": own_jwk}),
            "token key is unknown")


def test_kid_of_another_issuer(conn, keys):
    a, b = "https://a.cross.idp.example", "https://b.cross.idp.example"
    trust(conn, a, jwks(public_jwk(keys.p256, "a-key"), public_jwk(keys.rs, "shared", "RS256")))
    trust(conn, b, jwks(public_jwk(keys.p256b, "b-key"), public_jwk(keys.ps, "shared", "RS256")))
    # B's key, B's kid, claiming A: A has no such kid.
    refused(conn, mint(keys.p256b, "ES256", "b-key", claims(a)), "token key is unknown", hint="auth.trust_issuer()")
    # A kid both issuers have: only the claimed issuer's key counts.
    refused(conn, mint(keys.ps, "RS256", "shared", claims(a)), "token signature is invalid")
    refused(conn, mint(keys.rs, "RS256", "shared", claims(b)), "token signature is invalid")
    assert identity(conn, mint(keys.rs, "RS256", "shared", claims(a)))[3] == a
    assert identity(conn, mint(keys.ps, "RS256", "shared", claims(b)))[3] == b
    assert identity(conn, mint(keys.p256b, "ES256", "b-key", claims(b)))[3] == b


def test_jwt_auth_keys_never_verify_outside_tokens(conn, keys, every_alg):
    secret = b"an HS256 secret jwt_auth holds, 32 bytes or more"
    conn.execute("SELECT auth.import_key('HS256', %s, 'own-shared')", [secret])
    # The right MAC with jwt_auth's own key, claiming a trusted issuer.
    refused(conn, hs256({"alg": "HS256", "kid": "own-shared"}, claims(every_alg), secret),
            "token key is unknown", hint="auth.trust_issuer()")
    # And an outside key claiming jwt_auth's own issuer (no kid of auth.keys).
    refused(conn, mint(keys.ed, "EdDSA", "kid-EdDSA", claims(conn.own_issuer, sub=str(uuid.uuid4()))),
            "token key is unknown")


def test_unknown_kid_hints_at_trust_issuer(conn, keys, every_alg):
    diag = refused(conn, mint(keys.ed, "EdDSA", "kid-never-published", claims(every_alg)),
                   "token key is unknown", hint="auth.trust_issuer()")
    assert "kid" in diag.message_detail
    # No kid at all.
    refused(conn, jwt.encode(claims(every_alg), keys.ed, algorithm="EdDSA"), "token key is unknown")


def test_untrusted_issuer(conn, keys, every_alg):
    for iss in ("https://evil.idp.example", every_alg + "/", every_alg.upper()):
        refused(conn, mint(keys.ed, "EdDSA", "kid-EdDSA", claims(iss)), "token has the wrong issuer")
    # An iss that is not a string is no issuer at all.
    refused(conn, mint(keys.ed, "EdDSA", "kid-EdDSA", claims([every_alg])), "token key is unknown")


def test_expired_and_missing_exp(conn, keys, every_alg):
    now = int(time.time())
    refused(conn, mint(keys.ed, "EdDSA", "kid-EdDSA", claims(every_alg, iat=now - 7200, exp=now - 3600)),
            "token has expired")
    refused(conn, mint(keys.ed, "EdDSA", "kid-EdDSA", claims(every_alg, exp=OMIT)), "token is malformed",
            detail='"exp"')


def test_lifetime_is_bounded_by_the_issuers_max_lifetime(conn, keys):
    """From "iat" (or else "nbf") to "exp", on the issuer's clock; without
    either, from now, with the leeway (30 s) for the clocks' skew."""
    iss = "https://lifetime.idp.example"
    trust(conn, iss, jwks(public_jwk(keys.ed, "life")), None, "15 minutes")
    assert listed(conn, iss) == [(None, "life", "EdDSA")]
    now = int(time.time())

    def token(**times):
        return mint(keys.ed, "EdDSA", "life", claims(iss, **times))

    assert identity(conn, token(iat=now, exp=now + 900))[2] == "user-7f3a|github"
    refused(conn, token(iat=now, exp=now + 901), "token lifetime is too long", detail="max_lifetime")
    # Issued long ago, valid a little longer: its lifetime is too long.
    refused(conn, token(iat=now - 86400, exp=now + 60), "token lifetime is too long")
    # An "exp" in the year 9999.
    refused(conn, token(iat=now, exp=253402300799), "token lifetime is too long")
    # No "iat": from "nbf".
    assert identity(conn, token(iat=OMIT, nbf=now - 100, exp=now + 800))[2] == "user-7f3a|github"
    refused(conn, token(iat=OMIT, nbf=now - 100, exp=now + 801), "token lifetime is too long")
    # Neither: what is left of it, from now, with the leeway.
    assert identity(conn, token(iat=OMIT, exp=now + 900))[2] == "user-7f3a|github"
    refused(conn, token(iat=OMIT, exp=now + 900 + 30 + 60), "token lifetime is too long")
    # NULL: no bound, as the audience NULL is no check.
    trust(conn, iss, jwks(public_jwk(keys.ed, "life")), None, None)
    assert identity(conn, token(iat=now, exp=253402300799))[2] == "user-7f3a|github"
    # Outside 1 second to 30 days: refused, and nothing changes.
    for bad in ("0", "-1 second", "31 days", "1 year"):
        with pytest.raises(BadJwks) as err:  # 22023, as for a JWKS
            trust(conn, iss, jwks(public_jwk(keys.ed, "life")), None, bad)
        assert err.value.diag.message_primary == "max_lifetime must be between 1 second and 30 days"
    assert identity(conn, token(iat=now, exp=253402300799))[2] == "user-7f3a|github"


@pytest.mark.parametrize("sub", ["", "a" * 256, "é" * 128, OMIT, 42, ["x"], None])
def test_subject_out_of_bounds(conn, keys, every_alg, sub):
    refused(conn, mint(keys.ed, "EdDSA", "kid-EdDSA", claims(every_alg, sub=sub)), "token is malformed",
            detail='"sub"')


def test_subject_with_a_nul(conn, keys, every_alg):
    # JSON may escape a NUL; jwt_auth's parser refuses it in any string.
    refused(conn, mint(keys.ed, "EdDSA", "kid-EdDSA", claims(every_alg, sub="victim\x00attacker")),
            "token is malformed", detail="NUL")


def test_distrusted_issuer(conn, keys):
    iss = "https://distrusted.idp.example"
    trust(conn, iss, jwks(public_jwk(keys.ed, "d1")), "api")
    token = mint(keys.ed, "EdDSA", "d1", claims(iss, aud="api"))
    assert identity(conn, token)[2] == "user-7f3a|github"
    assert conn.execute("SELECT auth.distrust_issuer(%s)", [iss]).fetchone()[0] is True
    assert listed(conn, iss) == []
    assert conn.execute("SELECT count(*) FROM auth.issuer_keys WHERE issuer = %s", [iss]).fetchone()[0] == 0
    refused(conn, token, "token has the wrong issuer")
    assert conn.execute("SELECT auth.distrust_issuer(%s)", [iss]).fetchone()[0] is False
    # Trusted again, it verifies again.
    trust(conn, iss, jwks(public_jwk(keys.ed, "d1")), "api")
    assert identity(conn, token)[2] == "user-7f3a|github"


# --- JWKS that cannot be trusted ----------------------------------------------

def bad_jwks_cases(keys):
    rsa_pub = public_jwk(keys.rs, "rsa", "RS256")
    p256 = public_jwk(keys.p256, "p256")
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    p256_xy = (keys.p256.public_key().public_numbers().x, keys.p256.public_key().public_numbers().y)
    off_curve = dict(p256, y=b64url_int((keys.p256.public_key().public_numbers().y + 1) % (2 ** 256), 32))
    return {
        # detail fragment for the key at fault, then the JWKS
        "Ed25519 private key": ("Key 1 ", "private", [private_jwk(keys.ed, "k")]),
        "EC private key": ("Key 2 ", "private", [p256, private_jwk(keys.p384, "k")]),
        "RSA private key": ("Key 1 ", "private", [private_jwk(keys.rs, "k", "RS256")]),
        "RSA private key, d only": ("Key 1 ", "private", [dict(rsa_pub, d=b64url(b"\x01" * 256))]),
        "symmetric key": ("Key 1 ", "symmetric", [{"kty": "oct", "kid": "k", "alg": "HS256", "k": b64url(b"s" * 32)}]),
        "symmetric key without k": ("Key 1 ", "kty", [{"kty": "oct", "kid": "k", "alg": "HS256"}]),
        "RSA exponent 3": ("Key 1 ", "exponent", [dict(rsa_pub, e=b64url_int(3))]),
        "RSA exponent 1": ("Key 1 ", "exponent", [dict(rsa_pub, e=b64url_int(1))]),
        "RSA even exponent": ("Key 1 ", "exponent", [dict(rsa_pub, e=b64url_int(65536))]),
        "RSA 1024 bits": ("Key 1 ", "2048", [public_jwk(small, "small", "RS256")]),
        "RSA without alg": ("Key 1 ", "alg", [public_jwk(keys.rs, "k")]),
        "RSA with RS384": ("Key 1 ", "alg", [public_jwk(keys.rs, "k", "RS384")]),
        "RSA with HS256": ("Key 1 ", "alg", [public_jwk(keys.rs, "k", "HS256")]),
        # OpenSSL refuses such points already when the key is built.
        "point off the curve": ("Key 1 ", ("curve", "OpenSSL"), [off_curve]),
        "point of another curve": ("Key 1 ", ("curve", "OpenSSL"), [dict(p256, crv="P-384", x=b64url_int(p256_xy[0], 48),
                                                  y=b64url_int(p256_xy[1], 48))]),
        "EC coordinates too short": ("Key 1 ", "size", [dict(p256, x=p256["x"][:40])]),
        "EC alg of another curve": ("Key 1 ", "alg", [public_jwk(keys.p256, "k", "ES384")]),
        "EC curve unknown": ("Key 1 ", "P-256", [dict(p256, crv="secp256k1")]),
        "OKP X25519": ("Key 1 ", "Ed25519", [dict(public_jwk(keys.ed, "k"), crv="X25519")]),
        "OKP with alg ES256": ("Key 1 ", "alg", [public_jwk(keys.ed, "k", "ES256")]),
        "Ed25519 x too short": ("Key 1 ", "32 bytes", [dict(public_jwk(keys.ed, "k"), x=b64url(bytes(31)))]),
        "use enc": ("Key 1 ", "use", [public_jwk(keys.ed, "k", use="enc")]),
        "key_ops without verify": ("Key 1 ", "key_ops", [public_jwk(keys.ed, "k", key_ops=["sign"])]),
        "no kid": ("Key 1 ", "kid", [{k: v for k, v in p256.items() if k != "kid"}]),
        "empty kid": ("Key 1 ", "kid", [dict(p256, kid="")]),
        "kid of 129 bytes": ("Key 1 ", "kid", [dict(p256, kid="k" * 129)]),
        "kid not a string": ("Key 1 ", "kid", [dict(p256, kid=7)]),
        "alg not a string": ("Key 1 ", "string", [dict(p256, alg=["ES256"])]),
        "duplicate kids": ("Key 3 ", "kid of key 1", [p256, public_jwk(keys.ed, "other"),
                                                     public_jwk(keys.p384, "p256")]),
        "key not an object": ("Key 2 ", "object", [p256, "not a key"]),
    }


def test_untrustworthy_jwks_are_refused_whole(conn, keys):
    iss = "https://strict.idp.example"
    good = mint(keys.ed, "EdDSA", "good", claims(iss))
    trust(conn, iss, jwks(public_jwk(keys.ed, "good")))
    failures = []
    for name, (which, fragments, keyset) in bad_jwks_cases(keys).items():
        fragments = (fragments,) if isinstance(fragments, str) else fragments
        # Every case is tried, and every one that fails is reported.
        try:
            trust(conn, iss, jwks(*keyset))
            failures.append(f"{name}: accepted")
            continue
        except BadJwks as e:
            detail = e.diag.message_detail or ""
        except psycopg.Error as e:
            failures.append(f"{name}: {e.sqlstate} {e}")
            continue
        if not detail.startswith(which) or not any(f.lower() in detail.lower() for f in fragments):
            failures.append(f"{name}: detail {detail!r}, expected {which!r}... {fragments!r}")
    assert not failures, "\n".join(failures)
    # Nothing changed: the issuer keeps the one key it had, which still verifies.
    assert [(kid, alg) for _, kid, alg in listed(conn, iss)] == [("good", "EdDSA")]
    assert identity(conn, good)[2] == "user-7f3a|github"


@pytest.mark.parametrize("keyset", [
    {"keys": []}, {}, {"keys": {}}, {"keys": "x"}, [], {"keys": [None]},
    {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": f"k{i}", "x": b64url(bytes(32))} for i in range(33)]},
], ids=["empty", "no keys", "keys object", "keys string", "array", "null key", "33 keys"])
def test_not_a_jwks(conn, keyset):
    refused_jwks(conn, "https://not-a-jwks.idp.example", json.dumps(keyset))
    assert listed(conn, "https://not-a-jwks.idp.example") == []


def test_a_refused_jwks_changes_nothing(conn, keys):
    iss = "https://atomic.idp.example"
    trust(conn, iss, jwks(public_jwk(keys.ed, "k1")), "api")
    token = mint(keys.ed, "EdDSA", "k1", claims(iss, aud="api"))
    # A new set whose last key is private: neither the set nor the audience changes.
    refused_jwks(conn, iss, jwks(public_jwk(keys.ed2, "k2"), private_jwk(keys.p256, "k3")), "Key 2 ", "other")
    assert listed(conn, iss) == [("api", "k1", "EdDSA")]
    assert identity(conn, token)[2] == "user-7f3a|github"
    refused(conn, mint(keys.ed2, "EdDSA", "k2", claims(iss, aud="api")), "token key is unknown")


def test_own_issuer_and_bad_names(conn, keys):
    keyset = jwks(public_jwk(keys.ed, "k"))
    diag = refused_jwks(conn, conn.own_issuer, keyset)
    assert "own" in diag.message_primary
    refused_jwks(conn, "", keyset)
    refused_jwks(conn, "i" * 256, keyset)
    refused_jwks(conn, "https://names.idp.example", keyset, audience="")
    refused_jwks(conn, "https://names.idp.example", keyset, audience="a" * 256)
    assert trust(conn, "i" * 255, keyset, "a" * 255) == 1
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        trust(conn, None, keyset)
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        trust(conn, "https://names.idp.example", None)
    assert listed(conn, "https://names.idp.example") == []


def as_app(conn, sql, params=()):
    """Run one statement as the application role, in its own transaction."""
    with conn.transaction():
        conn.execute(f"SET LOCAL ROLE {APP_ROLE}")
        return conn.execute(sql, params).fetchall()


def test_only_the_owner_changes_trust(conn, keys, every_alg):
    keyset = jwks(public_jwk(keys.ed, "k"))
    for sql, params in [("SELECT auth.trust_issuer(%s, %s::jsonb, NULL)", ["https://app.idp.example", keyset]),
                        ("SELECT auth.trust_issuer(%s, %s::jsonb, NULL)", [every_alg, keyset]),
                        ("SELECT auth.distrust_issuer(%s)", [every_alg]),
                        ("SELECT * FROM auth.trusted_issuers()", []),
                        ("SELECT * FROM auth.issuers", []),
                        ("SELECT * FROM auth.issuer_keys", []),
                        ("DELETE FROM auth.issuer_keys", []),
                        ("INSERT INTO auth.issuers (issuer) VALUES ('https://app.idp.example')", [])]:
        with pytest.raises(NotOwner):
            as_app(conn, sql, params)
    assert listed(conn, "https://app.idp.example") == []
    assert len(listed(conn, every_alg)) == len(ALGORITHMS)
    # The application role verifies outside tokens all the same.
    with conn.transaction():
        conn.execute(f"SET LOCAL ROLE {APP_ROLE}")
        assert verify(conn, mint(keys.ed, "EdDSA", "kid-EdDSA", claims(every_alg, sub="app-user"))) is None
        assert conn.execute("SELECT auth.user_id(), auth.issuer()").fetchone() == ("app-user", every_alg)


# --- outside keys never sign, never publish -----------------------------------

def test_outside_keys_never_in_jwks_and_never_sign(conn, keys, every_alg):
    own_kid = conn.execute("SELECT auth.rotate_key('EdDSA')").fetchone()[0]
    # An outside key that even takes the kid of jwt_auth's signing key.
    twin = "https://twin.idp.example"
    trust(conn, twin, jwks(public_jwk(keys.ed2, own_kid)))
    outside = conn.execute("SELECT array_agg(DISTINCT kid) FROM auth.issuer_keys").fetchone()[0]
    own = conn.execute("SELECT array_agg(kid) FROM auth.list_keys() WHERE retired_at IS NULL AND alg <> 'HS256'"
                       ).fetchone()[0]
    published = conn.execute("SELECT auth.jwks()").fetchone()[0]
    assert sorted(k["kid"] for k in published["keys"]) == sorted(own)
    text = json.dumps(published)
    for attr in ("ed", "ed2", "p256", "p256b", "p384", "p521", "rs", "ps"):
        jwk = public_jwk(getattr(keys, attr), "x")
        assert jwk.get("x", jwk.get("n")) not in text, attr
    assert set(outside) - {own_kid}, "no outside key to compare with"
    assert not (set(outside) - {own_kid}) & {k["kid"] for k in published["keys"]}

    # Sign-in signs with jwt_auth's own key, for its own issuer.
    token = conn.execute("SELECT auth.signin('own@example.com', %s)", [PASSWORD]).fetchone()[0]
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": own_kid}
    own_jwk = next(k for k in published["keys"] if k["kid"] == own_kid)
    body = jwt.decode(token, jwt.PyJWK(own_jwk).key, algorithms=["EdDSA"], audience="authenticated")
    assert body["iss"] == conn.own_issuer
    returned, uid, user_id, issuer = identity(conn, token)[:4]
    assert returned == uid == uuid.UUID(body["sub"]) and issuer == conn.own_issuer
    # The same kid, the outside key: verifies for the twin issuer only.
    assert identity(conn, mint(keys.ed2, "EdDSA", own_kid, claims(twin)))[3] == twin
    refused(conn, mint(keys.ed2, "EdDSA", own_kid, claims(conn.own_issuer, sub=body["sub"], sid=body["sid"],
                                                          aud="authenticated")),
            "token signature is invalid")


# --- another backend changes the trust ----------------------------------------

@pytest.fixture
def other(conn):
    with psycopg.connect(dbname=DB, autocommit=True) as c:
        yield c


def verify_twice(conn, token):
    assert identity(conn, token)[2] == "user-7f3a|github"
    assert identity(conn, token)[2] == "user-7f3a|github"


def test_new_key_set_in_another_backend_refuses_at_once(conn, other, keys):
    iss = "https://backend-keys.idp.example"
    trust(other, iss, jwks(public_jwk(keys.p256, "k1")))
    token = mint(keys.p256, "ES256", "k1", claims(iss))
    verify_twice(conn, token)
    # Not yet committed: the old set holds.
    with other.transaction():
        trust(other, iss, jwks(public_jwk(keys.p256b, "k2")))
        verify_twice(conn, token)
    # Committed: refused at the very next call.
    refused(conn, token, "token key is unknown")
    verify_twice(conn, mint(keys.p256b, "ES256", "k2", claims(iss)))
    # The same kid with another key.
    trust(other, iss, jwks(public_jwk(keys.p256, "k1")))
    verify_twice(conn, token)
    trust(other, iss, jwks(public_jwk(keys.p256b, "k1")))
    refused(conn, token, "token signature is invalid")


def test_rolled_back_change_in_another_backend_changes_nothing(conn, other, keys):
    iss = "https://backend-rollback.idp.example"
    trust(other, iss, jwks(public_jwk(keys.ed, "k1")))
    token = mint(keys.ed, "EdDSA", "k1", claims(iss))
    verify_twice(conn, token)
    other.execute("BEGIN")
    other.execute("SELECT auth.distrust_issuer(%s)", [iss])
    other.execute("ROLLBACK")
    verify_twice(conn, token)


def test_distrust_in_another_backend_refuses_at_once(conn, other, keys):
    iss = "https://backend-distrust.idp.example"
    trust(other, iss, jwks(public_jwk(keys.ed, "k1")))
    token = mint(keys.ed, "EdDSA", "k1", claims(iss))
    verify_twice(conn, token)
    assert other.execute("SELECT auth.distrust_issuer(%s)", [iss]).fetchone()[0] is True
    refused(conn, token, "token has the wrong issuer")


def test_new_audience_in_another_backend_refuses_at_once(conn, other, keys):
    iss = "https://backend-audience.idp.example"
    trust(other, iss, jwks(public_jwk(keys.ed, "k1")), "api://one")
    token = mint(keys.ed, "EdDSA", "k1", claims(iss, aud="api://one"))
    verify_twice(conn, token)
    trust(other, iss, jwks(public_jwk(keys.ed, "k1")), "api://two")
    refused(conn, token, "token has the wrong audience")
    trust(other, iss, jwks(public_jwk(keys.ed, "k1")), None)
    verify_twice(conn, token)


def test_expiry_of_a_verified_outside_token(conn, keys, every_alg):
    now = int(time.time())
    # Leeway is 30 s by default: a token 26 s past exp passes, then lapses.
    token = mint(keys.ed, "EdDSA", "kid-EdDSA", claims(every_alg, iat=now - 60, exp=now - 26))
    verify_twice(conn, token)
    time.sleep(5)
    refused(conn, token, "token has expired")


# --- the identity stays unforgeable -------------------------------------------

def test_identity_of_an_outside_issuer_cannot_be_set(conn, keys, every_alg):
    forged = json.dumps(claims(every_alg, sub="auth0|victim"))
    attempts = [("SET jwt_auth.user_id = 'auth0|victim'", ()),
                ("SET jwt_auth.claims = '" + forged.replace("'", "''") + "'", ()),
                ("SELECT set_config('jwt_auth.user_id', 'auth0|victim', false)", ()),
                ("SELECT set_config('jwt_auth.user_id', 'auth0|victim', true)", ()),
                ("SELECT set_config('jwt_auth.claims', %s, true)", (forged,))]
    for sql, params in attempts:
        # As the application role, and as the superuser that owns everything.
        with pytest.raises(NotOwner) as err:
            as_app(conn, sql, params)
        assert err.value.diag.message_primary == "permission denied to set the verified identity"
        with pytest.raises(NotOwner):
            conn.execute(sql, params)
    assert conn.execute("SELECT auth.user_id(), auth.issuer(), auth.jwt()").fetchone() == (None, None, None)

    # Nor swapped once an outside token is verified; the verified one stays.
    token = mint(keys.ed, "EdDSA", "kid-EdDSA", claims(every_alg, sub="auth0|mallory"))
    with conn.transaction():
        conn.execute(f"SET LOCAL ROLE {APP_ROLE}")
        assert verify(conn, token) is None
        for sql, params in attempts:
            with pytest.raises(NotOwner):
                with conn.transaction():  # a savepoint
                    conn.execute(sql.replace("SET jwt", "SET LOCAL jwt"), params)
        assert conn.execute("SELECT auth.user_id(), auth.issuer()").fetchone() == ("auth0|mallory", every_alg)
    # A failed verify of an outside token leaves no identity behind.
    with conn.transaction():
        assert verify(conn, token) is None
        with pytest.raises(Refused):
            with conn.transaction():
                verify(conn, mint(keys.ed2, "EdDSA", "kid-EdDSA", claims(every_alg, sub="auth0|victim")))
        assert conn.execute("SELECT auth.user_id(), auth.jwt()").fetchone() == (None, None)


# --- an outside subject that equals a jwt_auth user's id ------------------------

def test_an_outside_identity_ends_no_jwt_auth_session(conn, keys, every_alg):
    own = conn.execute("SELECT auth.signin('own@example.com', %s)", [PASSWORD]).fetchone()[0]
    local_id = verify(conn, own)
    assert local_id is not None
    # Another issuer's user whose subject happens to be that same UUID.
    outside = mint(keys.ed, "EdDSA", "kid-EdDSA", claims(every_alg, sub=str(local_id)))
    with conn.transaction():
        assert verify(conn, outside) == local_id
        with pytest.raises(psycopg.Error) as refused:
            with conn.transaction():
                conn.execute("SELECT auth.signout_all()")
        assert refused.value.sqlstate == "28000"
        assert "not a jwt_auth account" in str(refused.value)
    # The jwt_auth user's own session must not have been ended by it.
    assert verify(conn, own) == local_id
