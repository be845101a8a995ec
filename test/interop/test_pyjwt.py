"""Interoperability with an independent JWT implementation (PyJWT).

Tokens signed by jwt_auth with HS256, ES256, RS256 and EdDSA verify in PyJWT
(the asymmetric ones with nothing but auth.jwks()), and tokens PyJWT signs with
a shared HS256 secret verify in auth.verify().  Needs a server with the
extension installed, reached through the usual PG* environment variables.
"""
import base64
import hashlib
import hmac
import json
import uuid

import jwt
import psycopg
import pytest

DB = "jwt_auth_interop"
PASSWORD = "interop password 1"
SHARED = b"a secret shared with another service, 32+ bytes"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def conn():
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
    with psycopg.connect(dbname=DB, autocommit=True) as c:
        c.execute("SET client_min_messages = warning")
        c.execute("CREATE EXTENSION jwt_auth CASCADE")
        c.execute("SET jwt_auth.bcrypt_cost = 10")
        uid = c.execute("SELECT auth.signup('py@example.com', %s)", [PASSWORD]).fetchone()[0]
        c.uid = str(uid)
        yield c
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")


def signin(conn) -> str:
    return conn.execute("SELECT auth.signin('py@example.com', %s)", [PASSWORD]).fetchone()[0]


def verify(conn, token: str):
    return str(conn.execute("SELECT auth.verify(%s)", [token]).fetchone()[0])


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_asymmetric_token_verifies_with_jwks_alone(conn, alg):
    kid = conn.execute("SELECT auth.rotate_key(%s)", [alg]).fetchone()[0]
    token = signin(conn)
    jwks = conn.execute("SELECT auth.jwks()").fetchone()[0]
    key = jwt.PyJWKSet.from_dict(jwks)[kid]
    claims = jwt.decode(token, key.key, algorithms=[alg], audience="authenticated",
                        issuer="jwt_auth", options={"require": ["exp", "iat", "sub"]})
    assert claims["sub"] == conn.uid
    assert jwt.get_unverified_header(token) == {"alg": alg, "typ": "JWT", "kid": kid}
    # And the JWKS key with another algorithm, or a tampered token, fails.
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB"), key.key,
                   algorithms=[alg], audience="authenticated")


def test_jwks_has_no_private_parts(conn):
    jwks = conn.execute("SELECT auth.jwks()").fetchone()[0]
    assert jwks["keys"], "no public keys"
    for k in jwks["keys"]:
        assert not ({"d", "p", "q", "dp", "dq", "qi", "k"} & set(k)), k


def test_hs256_both_ways_with_a_shared_secret(conn):
    conn.execute("SELECT auth.import_key('HS256', %s, 'shared')", [SHARED])
    token = signin(conn)
    assert jwt.get_unverified_header(token)["kid"] == "shared"
    claims = jwt.decode(token, SHARED, algorithms=["HS256"], audience="authenticated", issuer="jwt_auth")
    assert claims["sub"] == conn.uid

    # A token minted by PyJWT for the same session verifies in the database.
    minted = jwt.encode({**claims, "jti": str(uuid.uuid4())}, SHARED, algorithm="HS256",
                        headers={"kid": "shared"})
    assert verify(conn, minted) == conn.uid


def test_pyjwt_forgeries_are_refused(conn):
    claims = jwt.decode(signin(conn), options={"verify_signature": False})
    # alg none, as PyJWT writes it.
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "shared"})
    with pytest.raises(psycopg.errors.InvalidAuthorizationSpecification):
        verify(conn, unsigned)
    # Key confusion: name the ES256 key, say HS256, MAC with its public PEM.
    es_kid, pem = conn.execute(
        "SELECT kid, public_key FROM auth.keys WHERE alg = 'ES256' ORDER BY created_at DESC LIMIT 1"
    ).fetchone()
    head = b64url(json.dumps({"alg": "HS256", "kid": es_kid}).encode())
    body = b64url(json.dumps(claims).encode())
    mac = hmac.new(pem.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(psycopg.errors.InvalidAuthorizationSpecification):
        verify(conn, f"{head}.{body}.{b64url(mac)}")
    # A wrong shared secret.
    wrong = jwt.encode(claims, b"x" * 48, algorithm="HS256", headers={"kid": "shared"})
    with pytest.raises(psycopg.errors.InvalidAuthorizationSpecification):
        verify(conn, wrong)
