"""End-to-end tests of the FastAPI todo example (examples/fastapi) over HTTP.

Run by test/e2e/run.sh, which starts PostgreSQL's side (a database with
jwt_auth and examples/todo/schema.sql), PgBouncer in transaction mode with a
single server connection, and the app.
"""
import json
import os
import pathlib
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime

import httpx
import jwt
import psycopg
import pytest

from conftest import (PASSWORD_MARK, REFRESH_COOKIE, User, b64url_decode, b64url_encode, claims, client,
                      new_user, refresh_token_of, set_cookies, signin, unique_email)

# The HTTP client of every test checks that each error answer has the API's
# one error shape (conftest.check_error_body); these check its contents.


def error_of(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code, r.text
    return error

BIG_ID = 2**62  # a task id that does not exist


def tasks_of(api, user: User) -> list:
    r = api.get("/api/tasks", headers=user.auth)
    assert r.status_code == 200, r.text
    return r.json()


def assert_401(r: httpx.Response, code: str = "invalid_token") -> dict:
    error = error_of(r, 401, code)
    if code == "invalid_token":
        assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    else:
        assert r.headers["www-authenticate"].startswith("Bearer")
    return error


# ---- the two users' stories -----------------------------------------------------

def test_two_users_full_story(api):
    users = {}
    for name in ("ada", "grace"):
        email, password = unique_email(name), f"{PASSWORD_MARK} {name}"
        r = api.post("/api/auth/signup", json={"email": email, "password": password})
        assert r.status_code == 201, r.text
        user_id = r.json()["id"]
        assert str(uuid.UUID(user_id)) == user_id
        r = api.post("/api/auth/signin", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"access_token", "token_type", "expires_at"}
        assert body["token_type"] == "bearer"
        assert claims(body["access_token"])["sub"] == user_id
        assert claims(body["access_token"])["email"] == email
        users[name] = User(email, password, user_id, body["access_token"])

    for name, user in users.items():
        assert tasks_of(api, user) == []

        r = api.post("/api/tasks", headers=user.auth, json={"title": f"{name}: buy milk"})
        assert r.status_code == 201, r.text
        milk = r.json()
        assert milk["title"] == f"{name}: buy milk"
        assert milk["description"] is None and milk["completed"] is False
        assert set(milk) == {"id", "title", "description", "completed", "created_at", "updated_at"}
        r = api.post("/api/tasks", headers=user.auth,
                     json={"title": f"{name}: write report", "description": "due Friday"})
        assert r.status_code == 201, r.text
        report = r.json()
        assert report["description"] == "due Friday"

        assert [t["id"] for t in tasks_of(api, user)] == [milk["id"], report["id"]]

        r = api.get(f"/api/tasks/{milk['id']}", headers=user.auth)
        assert r.status_code == 200 and r.json() == milk

        r = api.put(f"/api/tasks/{milk['id']}", headers=user.auth,
                    json={"title": f"{name}: buy oat milk", "description": "2 litres"})
        assert r.status_code == 200, r.text
        updated = r.json()
        assert (updated["title"], updated["description"], updated["completed"]) == \
            (f"{name}: buy oat milk", "2 litres", False)
        assert updated["created_at"] == milk["created_at"]
        assert updated["updated_at"] >= milk["updated_at"]

        r = api.patch(f"/api/tasks/{milk['id']}/complete", headers=user.auth)
        assert r.status_code == 200, r.text
        assert r.json()["completed"] is True and r.json()["title"] == f"{name}: buy oat milk"
        assert api.get(f"/api/tasks/{milk['id']}", headers=user.auth).json()["completed"] is True

        # PUT replaces every editable field: completed goes back to false.
        r = api.put(f"/api/tasks/{milk['id']}", headers=user.auth, json={"title": f"{name}: buy milk again"})
        assert r.status_code == 200 and r.json()["completed"] is False and r.json()["description"] is None

        r = api.delete(f"/api/tasks/{report['id']}", headers=user.auth)
        assert r.status_code == 204 and r.content == b""
        assert api.get(f"/api/tasks/{report['id']}", headers=user.auth).status_code == 404
        assert api.delete(f"/api/tasks/{report['id']}", headers=user.auth).status_code == 404
        assert [t["id"] for t in tasks_of(api, user)] == [milk["id"]]

    # Each sees only their own; then each signs out.
    for name, user in users.items():
        assert [t["title"] for t in tasks_of(api, user)] == [f"{name}: buy milk again"]
    for user in users.values():
        r = api.post("/api/auth/signout", headers=user.auth)
        assert r.status_code == 204 and r.content == b""
        assert_401(api.get("/api/tasks", headers=user.auth))


def test_openapi_documents_bearer_auth(api):
    r = api.get("/openapi.json")
    assert r.status_code == 200
    assert r.json()["components"]["securitySchemes"] == {"HTTPBearer": {"type": "http", "scheme": "bearer"}}


def test_user_id_in_the_token_is_the_signup_id(api, carol):
    assert claims(carol.token)["sub"] == carol.id


def test_lowercase_bearer_scheme_is_accepted(api, carol):
    r = api.get("/api/tasks", headers={"Authorization": f"bearer {carol.token}"})
    assert r.status_code == 200, r.text


# ---- isolation: another user's task is invisible ------------------------------

ATTACKS = {
    "get": lambda api, u, tid: api.get(f"/api/tasks/{tid}", headers=u.auth),
    "update": lambda api, u, tid: api.put(f"/api/tasks/{tid}", headers=u.auth,
                                          json={"title": "pwned", "description": "pwned", "completed": True}),
    "complete": lambda api, u, tid: api.patch(f"/api/tasks/{tid}/complete", headers=u.auth),
    "delete": lambda api, u, tid: api.delete(f"/api/tasks/{tid}", headers=u.auth),
}


@pytest.mark.parametrize("action", ATTACKS)
def test_other_users_task_is_not_found(api, alice, bob, alice_task, action):
    r = ATTACKS[action](api, bob, alice_task["id"])
    assert r.status_code == 404, r.text
    assert "alice" not in r.text
    # The same answer as for a task that does not exist: no existence oracle.
    missing = ATTACKS[action](api, bob, BIG_ID)
    assert (missing.status_code, missing.json()) == (r.status_code, r.json())
    # Alice's task is exactly as it was.
    r = api.get(f"/api/tasks/{alice_task['id']}", headers=alice.auth)
    assert r.status_code == 200 and r.json() == alice_task


def test_list_shows_only_own_tasks(api, alice, bob, alice_task):
    r = api.post("/api/tasks", headers=bob.auth, json={"title": "bob's task"})
    assert r.status_code == 201
    bob_task = r.json()
    assert tasks_of(api, alice) == [alice_task]
    assert tasks_of(api, bob) == [bob_task]


def test_cannot_create_a_task_for_another_user(api, admin, alice, bob):
    # The API has no owner field; one sent anyway is ignored: the task is bob's.
    r = api.post("/api/tasks", headers=bob.auth,
                 json={"title": "planted", "user_id": alice.id, "id": 1})
    assert r.status_code == 201, r.text
    planted = r.json()
    assert tasks_of(api, alice) == []
    assert [t["id"] for t in tasks_of(api, bob)] == [planted["id"]]
    owner = admin.execute("SELECT user_id::text FROM tasks WHERE id = %s", [planted["id"]]).fetchone()[0]
    assert owner == bob.id


def test_the_database_refuses_writing_another_users_id(app_dsn, alice, bob):
    # Defence in depth below the app: as todo_app, with bob's identity, a
    # row for alice is refused by the policy and user_id cannot be updated.
    with psycopg.connect(app_dsn, autocommit=True, prepare_threshold=None) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with conn.transaction():
                conn.execute("SELECT auth.verify(%s)", [bob.token])
                conn.execute("INSERT INTO tasks (user_id, title) VALUES (%s, 'planted')", [alice.id])
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with conn.transaction():
                conn.execute("SELECT auth.verify(%s)", [bob.token])
                conn.execute("UPDATE tasks SET user_id = %s", [alice.id])


def test_identity_does_not_outlive_the_request(api, app_dsn, mode, alice, alice_task):
    # Behind PgBouncer there is one server connection: the next transaction
    # on it, which did not verify a token, has no identity and sees no task.
    assert api.get("/api/tasks", headers=alice.auth).status_code == 200
    with psycopg.connect(app_dsn, autocommit=True, prepare_threshold=None) as conn:
        assert conn.execute("SELECT auth.uid(), auth.jwt()").fetchone() == (None, None)
        assert conn.execute("SELECT count(*) FROM tasks").fetchone()[0] == 0
        with conn.transaction():
            conn.execute("SELECT auth.verify(%s)", [alice.token])
            assert conn.execute("SELECT count(*) FROM tasks").fetchone()[0] == 1
        assert conn.execute("SELECT auth.uid()").fetchone()[0] is None


def test_the_app_role_is_unprivileged(api, admin, mode, alice):
    row = admin.execute(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'todo_app'").fetchone()
    assert row == (False, False)
    assert api.get("/api/tasks", headers=alice.auth).status_code == 200
    roles = {r for (r,) in admin.execute(
        "SELECT usename FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")}
    # Direct, the app connects per request, so its connection may be gone;
    # so may the mail role's (a signup's verification mail).
    roles -= {"todo_mail"}
    assert roles == {"todo_app"} if mode == "pgbouncer" else roles <= {"todo_app"}


# ---- 401: no valid token ------------------------------------------------------

PROTECTED = [
    ("GET", "/api/tasks", None),
    ("POST", "/api/tasks", {"title": "t"}),
    ("GET", "/api/tasks/1", None),
    ("PUT", "/api/tasks/1", {"title": "t"}),
    ("PATCH", "/api/tasks/1/complete", None),
    ("DELETE", "/api/tasks/1", None),
    ("POST", "/api/auth/signout", None),
    ("POST", "/api/auth/signout-all", None),
    ("POST", "/api/auth/password", {"old_password": "long enough", "new_password": "long enough too"}),
    ("GET", "/api/auth/me", None),
    ("POST", "/api/auth/verify-email/resend", None),
    ("POST", "/api/auth/email", {"new_email": "new@example.com", "password": "long enough"}),
    ("POST", "/api/auth/delete-account", {"password": "long enough"}),
]


@pytest.mark.parametrize("method,path,body", PROTECTED)
def test_no_authorization_header(api, method, path, body):
    r = api.request(method, path, json=body)
    assert_401(r, "missing_token")
    assert "Authorization: Bearer" in r.json()["error"]["message"]


@pytest.mark.parametrize("header,code", [
    # no bearer credential at all
    ("", "missing_token"), ("Bearer", "missing_token"), ("Basic YWxpY2U6cGFzc3dvcmQ=", "missing_token"),
    ("Token {token}", "missing_token"), ("{token}", "missing_token"),
    # one that is not the token
    ("Bearer  {token}", "invalid_token"), ("Bearer {token} extra", "invalid_token"),
    ("Bearer {token}x", "invalid_token"), ("Bearer x{token}", "invalid_token"),
])
def test_malformed_authorization_header(api, carol, header, code):
    r = api.get("/api/tasks", headers={"Authorization": header.format(token=carol.token)})
    assert_401(r, code)


@pytest.mark.parametrize("token", [
    "garbage", "a.b.c", "..", "eyJhbGciOiJIUzI1NiJ9.e30.", "x" * 9000,
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIn0.",
])
def test_garbage_token(api, token):
    for method, path, body in PROTECTED:
        assert_401(api.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"}))


def test_tampered_token(api, alice, bob, alice_task):
    header, payload, signature = bob.token.split(".")
    # bob's token made to say it is alice's
    forged_claims = claims(bob.token) | {"sub": alice.id, "email": alice.email}
    forged = f"{header}.{b64url_encode(json.dumps(forged_claims).encode())}.{signature}"
    # a flipped bit in the signature
    sig = bytearray(b64url_decode(signature))
    sig[0] ^= 1
    flipped = f"{header}.{payload}.{b64url_encode(bytes(sig))}"
    # the same claims, unsigned ("alg": "none")
    none = b64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{none}.{b64url_encode(json.dumps(forged_claims).encode())}."
    for token in (forged, flipped, unsigned):
        user = User(bob.email, bob.password, bob.id, token)
        assert_401(api.get("/api/tasks", headers=user.auth))
        assert_401(api.get(f"/api/tasks/{alice_task['id']}", headers=user.auth))
        assert_401(api.delete(f"/api/tasks/{alice_task['id']}", headers=user.auth))
    assert api.get(f"/api/tasks/{alice_task['id']}", headers=alice.auth).json() == alice_task


def test_expired_token(api, admin, alice):
    # run.sh sets jwt_auth.leeway = 0 for the database, so a token is
    # refused as soon as its exp passes; a superuser may shorten its ttl.
    with admin.transaction():
        admin.execute("SET LOCAL jwt_auth.token_ttl = '1s'")
        token = admin.execute("SELECT auth.signin(%s, %s)", [alice.email, alice.password]).fetchone()[0]
    expired = User(alice.email, alice.password, alice.id, token)
    assert claims(token)["exp"] - claims(token)["iat"] == 1
    time.sleep(max(0.0, claims(token)["exp"] - time.time()) + 0.2)
    r = api.get("/api/tasks", headers=expired.auth)
    assert "expired" in assert_401(r)["message"]
    assert_401(api.post("/api/tasks", headers=expired.auth, json={"title": "too late"}))
    assert tasks_of(api, alice) == []


def test_signed_out_token(api, alice):
    r = api.post("/api/auth/signin", json={"email": alice.email, "password": alice.password})
    second = User(alice.email, alice.password, alice.id, r.json()["access_token"])
    assert api.post("/api/auth/signout", headers=alice.auth).status_code == 204
    r = api.get("/api/tasks", headers=alice.auth)
    assert "revoked" in assert_401(r)["message"]
    assert_401(api.post("/api/tasks", headers=alice.auth, json={"title": "after signout"}))
    assert_401(api.post("/api/auth/signout", headers=alice.auth))
    # Signing out ends one session, not the others.
    assert tasks_of(api, second) == []


def test_deleted_users_token(api, admin, alice):
    admin.execute("DELETE FROM auth.users WHERE id = %s", [alice.id])
    assert_401(api.get("/api/tasks", headers=alice.auth))


def test_wrong_credentials(api, alice):
    wrong_password = api.post("/api/auth/signin", json={"email": alice.email, "password": "wrong " + alice.password})
    unknown_email = api.post("/api/auth/signin", json={"email": unique_email("nobody"), "password": alice.password})
    impossible = api.post("/api/auth/signin", json={"email": "not an email", "password": alice.password})
    for r in (wrong_password, unknown_email, impossible):
        assert_401(r, "invalid_credentials")
        assert r.json() == {"error": {"code": "invalid_credentials", "message": "invalid email or password"}}
        assert "set-cookie" not in r.headers
    assert "access_token" not in wrong_password.text


# ---- 409: duplicate email -----------------------------------------------------

def test_duplicate_email(api, alice):
    for email in (alice.email, alice.email.upper(), f"  {alice.email.title()}\t"):
        r = api.post("/api/auth/signup", json={"email": email, "password": f"{PASSWORD_MARK} other"})
        assert "already registered" in error_of(r, 409, "conflict")["message"]
    # The normalised address signs in to the one account.
    r = api.post("/api/auth/signin", json={"email": f" {alice.email.upper()} ", "password": alice.password})
    assert r.status_code == 200 and claims(r.json()["access_token"])["sub"] == alice.id


# ---- 422: invalid input -------------------------------------------------------

@pytest.mark.parametrize("email", [
    "not-an-email", "", "@example.com", "ada@", "ada@example", "ada@@example.com", "a@b@example.com",
    "ada smith@example.com", "ada@example..com", "ada@example.com.", "x" * 65 + "@example.com",
    "ada@" + "x" * 250 + ".com", "ada\n@example.com",
])
def test_signup_invalid_email(api, email):
    r = api.post("/api/auth/signup", json={"email": email, "password": f"{PASSWORD_MARK} 1"})
    error = error_of(r, 422, "invalid_input")
    assert [f["field"] for f in error["fields"]] == ["email"], r.text


def test_database_validation_error_is_explained(api):
    r = api.post("/api/auth/signup", json={"email": "ada.example.com", "password": f"{PASSWORD_MARK} 1"})
    message = 'invalid email address: The address has no "@".'
    assert r.json() == {"error": {"code": "invalid_input", "message": message,
                                  "fields": [{"field": "email", "message": message}]}}


@pytest.mark.parametrize("password", ["", "1234567", "é" * 7, "x" * 1025, "é" * 513])
def test_signup_invalid_password(api, password):
    r = api.post("/api/auth/signup", json={"email": unique_email("pw"), "password": password})
    error = error_of(r, 422, "invalid_input")
    assert [f["field"] for f in error["fields"]] == ["password"], r.text
    assert password not in r.text or password == ""


@pytest.mark.parametrize("password", ["12345678", "é" * 8, "x" * 1024, "é" * 512])
def test_signup_password_limits(api, password):
    r = api.post("/api/auth/signup", json={"email": unique_email("pw"), "password": password})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("body,fields", [
    (None, ["body"]), ({}, ["email", "password"]), ({"email": "a@example.com"}, ["password"]),
    ({"password": "long enough"}, ["email"]),
    ({"email": None, "password": "long enough"}, ["email"]),
    ({"email": "a@example.com", "password": None}, ["password"]),
    ({"email": 5, "password": "long enough"}, ["email"]),
    ({"email": "a@example.com", "password": 12345678}, ["password"]),
    ({"email": ["a@example.com"], "password": "long enough"}, ["email"]),
    ({"email": "a\u0000@example.com", "password": "long enough"}, ["email"]),
])
@pytest.mark.parametrize("path", ["/api/auth/signup", "/api/auth/signin"])
def test_credentials_malformed(api, path, body, fields):
    r = api.post(path, json=body)
    error = error_of(r, 422, "invalid_input")
    assert [f["field"] for f in error["fields"]] == fields, r.text
    for name in fields:  # the summary names each field
        assert f"{name}: " in error["message"]


def test_request_body_not_json(api, carol):
    r = api.post("/api/auth/signup", content=b"email=a@example.com", headers={"Content-Type": "application/json"})
    assert [f["field"] for f in error_of(r, 422, "invalid_input")["fields"]] == ["body"]
    r = api.post("/api/tasks", content=b"{not json", headers={**carol.auth, "Content-Type": "application/json"})
    error = error_of(r, 422, "invalid_input")
    assert error["fields"][0]["field"] == "body" and "not valid JSON" in error["fields"][0]["message"]


BAD_TASKS = [
    {}, {"title": ""}, {"title": "x" * 201}, {"title": "é" * 201}, {"title": None}, {"title": 5},
    {"title": ["x"]}, {"title": "ok", "description": "x" * 1001}, {"title": "ok", "description": 5},
    {"title": "nul \u0000 byte"}, {"title": "ok", "description": "nul \u0000"},
]


@pytest.mark.parametrize("body", BAD_TASKS)
def test_invalid_task(api, carol, carol_task, body):
    r = api.post("/api/tasks", headers=carol.auth, json=body)
    assert r.status_code == 422, r.text
    r = api.put(f"/api/tasks/{carol_task['id']}", headers=carol.auth, json=body)
    assert r.status_code == 422, r.text
    assert api.get(f"/api/tasks/{carol_task['id']}", headers=carol.auth).json() == carol_task


def test_invalid_completed_flag(api, carol, carol_task):
    for value in ("yes", 1, None, "true"):
        r = api.put(f"/api/tasks/{carol_task['id']}", headers=carol.auth, json={"title": "t", "completed": value})
        assert r.status_code == 422, (value, r.text)
    assert api.get(f"/api/tasks/{carol_task['id']}", headers=carol.auth).json() == carol_task


def test_lone_surrogate_in_title(api, carol):
    # Valid JSON, but no valid Unicode: PostgreSQL could not store it.
    r = api.post("/api/tasks", content=b'{"title": "\\ud800"}',
                 headers={**carol.auth, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text


def test_task_limits(api, carol):
    for body in ({"title": "x" * 200}, {"title": "é" * 200, "description": "ü" * 1000},
                 {"title": "🙂" * 200, "description": ""}):
        r = api.post("/api/tasks", headers=carol.auth, json=body)
        assert r.status_code == 201, r.text
        assert r.json()["title"] == body["title"]
        assert r.json()["description"] == body.get("description")


@pytest.mark.parametrize("task_id", ["abc", "1.5", "1e3", "0x10", "0", "-1", str(2**63), "%20"])
def test_invalid_task_id(api, carol, task_id):
    for method, template in [("GET", "/api/tasks/{}"), ("PUT", "/api/tasks/{}"),
                             ("PATCH", "/api/tasks/{}/complete"), ("DELETE", "/api/tasks/{}")]:
        body = {"title": "t"} if method == "PUT" else None
        r = api.request(method, template.format(task_id), headers=carol.auth, json=body)
        error = error_of(r, 422, "invalid_input")
        assert [f["field"] for f in error["fields"]] == ["task_id"], (method, task_id, r.text)


def test_largest_task_id_is_just_missing(api, carol):
    r = api.get(f"/api/tasks/{2**63 - 1}", headers=carol.auth)
    assert error_of(r, 404, "not_found")["message"] == "task not found"


# ---- the refresh cookie ---------------------------------------------------------

def refresh_with(api, cookie: str, **kwargs) -> httpx.Response:
    return api.post("/api/auth/refresh", headers={"Cookie": f"{REFRESH_COOKIE}={cookie}", **kwargs})


def assert_cleared(r: httpx.Response):
    """The answer tells the browser to drop the refresh cookie."""
    cookie = set_cookies(r)[REFRESH_COOKIE]
    assert cookie["value"] in ("", '""'), cookie
    assert cookie["max-age"] == "0" and cookie["path"] == "/api/auth", cookie


def test_signin_sets_the_refresh_cookie(api, carol):
    r = api.post("/api/auth/signin", json={"email": carol.email, "password": carol.password})
    assert r.status_code == 200, r.text
    cookies = set_cookies(r)
    assert list(cookies) == [REFRESH_COOKIE]
    cookie = cookies[REFRESH_COOKIE]
    refresh_token_of(r)  # 43 characters of base64url
    assert "httponly" in cookie and cookie["httponly"] is None
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/api/auth"
    assert cookie["max-age"] == str(30 * 24 * 3600)
    assert "secure" in cookie and cookie["secure"] is None  # browsers keep it from http://127.0.0.1 too
    assert "domain" not in cookie
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    # expires_at is the access token's exp, in ISO 8601
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.tzinfo is not None
    assert expires_at.timestamp() == claims(body["access_token"])["exp"]
    # The refresh token is in the cookie only.
    assert cookie["value"] not in r.text


@pytest.mark.parametrize("headers", [
    {"Host": "localhost"}, {"Host": "127.0.0.1"}, {"Host": "[::1]"},
    {"Host": "todo.example.com"}, {"Host": "192.0.2.10"},
    {"X-Forwarded-Host": "localhost", "X-Forwarded-Proto": "http"},
    {"Host": "localhost", "X-Forwarded-For": "127.0.0.1", "Forwarded": "host=localhost;proto=http"},
])
def test_cookie_is_always_secure(api, base_url, carol, headers):
    # Whatever the request says of its host: Secure is never dropped.
    if "Host" in headers:
        headers = {**headers, "Host": f"{headers['Host']}:{httpx.URL(base_url).port}"}
    r = api.post("/api/auth/signin", json={"email": carol.email, "password": carol.password}, headers=headers)
    assert r.status_code == 200, r.text
    cookie = set_cookies(r)[REFRESH_COOKIE]
    assert "secure" in cookie, cookie
    assert cookie["samesite"].lower() == "strict" and "httponly" in cookie
    # The refreshed cookie, and the one that clears it, say the same.
    r = refresh_with(api, cookie["value"], **headers)
    assert r.status_code == 200, r.text
    assert "secure" in set_cookies(r)[REFRESH_COOKIE]
    r = refresh_with(api, "x" * 43, **headers)
    assert_cleared(r)
    assert "secure" in set_cookies(r)[REFRESH_COOKIE]


def test_refresh_rotates_the_cookie(api, browser, carol):
    r = browser.post("/api/auth/signin", json={"email": carol.email, "password": carol.password})
    assert r.status_code == 200, r.text
    first = r.json()
    seen_cookies = [refresh_token_of(r)]
    seen_tokens = [first["access_token"]]
    for _ in range(3):
        # The browser sends the cookie it holds, and holds the new one after.
        r = browser.post("/api/auth/refresh")
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"access_token", "token_type", "expires_at"} and body["token_type"] == "bearer"
        assert r.headers["cache-control"] == "no-store"
        cookie = refresh_token_of(r)
        assert cookie not in seen_cookies
        assert browser.cookies.get(REFRESH_COOKIE, path="/api/auth") == cookie
        seen_cookies.append(cookie)
        seen_tokens.append(body["access_token"])
        # A new access token of the same user and the same session.
        new, old = claims(body["access_token"]), claims(first["access_token"])
        assert (new["sub"], new["sid"]) == (carol.id, old["sid"])
        assert new["jti"] != old["jti"]
        assert datetime.fromisoformat(body["expires_at"]).timestamp() == new["exp"]
        fresh = User(carol.email, carol.password, carol.id, body["access_token"])
        r = browser.get("/api/auth/me", headers=fresh.auth)
        assert r.status_code == 200 and r.json()["id"] == carol.id
    # The access tokens of the session all still verify.
    for token in seen_tokens:
        assert api.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_refresh_without_a_cookie(api):
    r = api.post("/api/auth/refresh")
    assert "sign in" in assert_401(r, "refresh_failed")["message"]
    # A body is no substitute for the cookie.
    r = api.post("/api/auth/refresh", json={"refresh_token": "x" * 43})
    assert_401(r, "refresh_failed")


@pytest.mark.parametrize("cookie", ["x" * 43, "not a token", "A" * 44])
def test_refresh_with_an_unknown_token(api, cookie):
    r = refresh_with(api, cookie)
    assert "sign in" in assert_401(r, "refresh_failed")["message"]
    assert_cleared(r)
    assert "access_token" not in r.text


def test_refresh_of_an_expired_session(api, admin, alice):
    sid = claims(alice.token)["sid"]
    admin.execute("UPDATE auth.sessions SET expires_at = now() - interval '1 second' WHERE id = %s", [sid])
    r = refresh_with(api, alice.refresh)
    assert "expired" in assert_401(r, "refresh_failed")["message"]
    assert_cleared(r)


def test_refresh_token_reuse_ends_the_session(api, admin, alice):
    other = signin(api, alice)  # another session of alice's
    r = refresh_with(api, alice.refresh)
    assert r.status_code == 200, r.text
    rotated = User(alice.email, alice.password, alice.id, r.json()["access_token"], refresh_token_of(r))
    assert api.get("/api/auth/me", headers=rotated.auth).status_code == 200

    # The used token comes back: a thief or a replay.
    r = refresh_with(api, alice.refresh)
    error = assert_401(r, "refresh_failed")
    assert "already used" in error["message"] and "sign in" in error["message"]
    assert_cleared(r)
    assert "access_token" not in r.text

    # The session is over: its access tokens, old and new, and its newest
    # refresh token are refused at once.
    for token in (alice.token, rotated.token):
        r = api.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
        assert "revoked" in assert_401(r)["message"]
    assert_401(refresh_with(api, rotated.refresh), "refresh_failed")
    assert_401(refresh_with(api, alice.refresh), "refresh_failed")
    revoked = admin.execute("SELECT revoked_at IS NOT NULL FROM auth.sessions WHERE id = %s",
                            [claims(alice.token)["sid"]]).fetchone()[0]
    assert revoked is True
    # The user's other session goes on.
    assert api.get("/api/auth/me", headers=other.auth).status_code == 200
    assert refresh_with(api, other.refresh).status_code == 200


# ---- signout, signout everywhere, password change -------------------------------

def test_signout_clears_the_cookie_and_ends_the_session(api, browser, alice):
    r = browser.post("/api/auth/signin", json={"email": alice.email, "password": alice.password})
    session = User(alice.email, alice.password, alice.id, r.json()["access_token"], refresh_token_of(r))
    r = browser.post("/api/auth/signout", headers=session.auth)
    assert r.status_code == 204 and r.content == b""
    assert_cleared(r)
    assert browser.cookies.get(REFRESH_COOKIE) is None
    # The browser has no cookie left to send; the old one is refused.
    assert_401(browser.post("/api/auth/refresh"), "refresh_failed")
    assert "revoked" in assert_401(refresh_with(api, session.refresh), "refresh_failed")["message"]
    assert_401(api.get("/api/auth/me", headers=session.auth))
    # alice's session from the fixture goes on.
    assert api.get("/api/auth/me", headers=alice.auth).status_code == 200


def test_signout_all_ends_every_session(api, browser, alice, bob):
    second = signin(api, alice)
    r = browser.post("/api/auth/signin", json={"email": alice.email, "password": alice.password})
    third = User(alice.email, alice.password, alice.id, r.json()["access_token"], refresh_token_of(r))

    r = browser.post("/api/auth/signout-all", headers=third.auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"ended": 3}
    assert_cleared(r)
    assert browser.cookies.get(REFRESH_COOKIE) is None
    for session in (alice, second, third):
        assert "revoked" in assert_401(api.get("/api/tasks", headers=session.auth))["message"]
        assert_401(refresh_with(api, session.refresh), "refresh_failed")
    assert_401(api.post("/api/auth/signout-all", headers=alice.auth))
    # bob's session is not alice's.
    assert api.get("/api/auth/me", headers=bob.auth).status_code == 200
    assert refresh_with(api, bob.refresh).status_code == 200


def test_change_password_ends_the_other_sessions(api, alice, bob, alice_task):
    second, third = signin(api, alice), signin(api, alice)
    new_password = f"{PASSWORD_MARK} new {uuid.uuid4().hex[:8]}"
    r = api.post("/api/auth/password", headers=alice.auth,
                 json={"old_password": alice.password, "new_password": new_password})
    assert r.status_code == 200, r.text
    assert r.json() == {"ended": 2}
    assert "set-cookie" not in r.headers
    assert new_password not in r.text and alice.password not in r.text

    # This session goes on, access token and refresh cookie alike...
    assert tasks_of(api, alice) == [alice_task]
    r = refresh_with(api, alice.refresh)
    assert r.status_code == 200, r.text
    # ... the others are over.
    for session in (second, third):
        assert "revoked" in assert_401(api.get("/api/tasks", headers=session.auth))["message"]
        assert_401(refresh_with(api, session.refresh), "refresh_failed")
    assert api.get("/api/auth/me", headers=bob.auth).status_code == 200

    r = api.post("/api/auth/signin", json={"email": alice.email, "password": alice.password})
    assert_401(r, "invalid_credentials")
    r = api.post("/api/auth/signin", json={"email": alice.email, "password": new_password})
    assert r.status_code == 200 and claims(r.json()["access_token"])["sub"] == alice.id


def test_change_password_refuses_a_wrong_current_password(api, alice):
    second = signin(api, alice)
    r = api.post("/api/auth/password", headers=alice.auth,
                 json={"old_password": "wrong " + alice.password, "new_password": f"{PASSWORD_MARK} new"})
    assert assert_401(r, "invalid_credentials")["message"] == "the current password is wrong"
    # Nothing changed: both sessions and the password work.
    assert api.get("/api/auth/me", headers=alice.auth).status_code == 200
    assert api.get("/api/auth/me", headers=second.auth).status_code == 200
    signin(api, alice)


@pytest.mark.parametrize("body,fields", [
    ({}, ["old_password", "new_password"]),
    ({"old_password": "x"}, ["new_password"]),
    ({"old_password": None, "new_password": "long enough"}, ["old_password"]),
    ({"old_password": "long enough", "new_password": "x" * 1025}, ["new_password"]),
    ({"old_password": "long enough", "new_password": "short"}, ["new_password"]),  # the database's rule
])
def test_change_password_invalid_input(api, alice, body, fields):
    if body.get("old_password") == "long enough":
        body = {**body, "old_password": alice.password}
    r = api.post("/api/auth/password", headers=alice.auth, json=body)
    error = error_of(r, 422, "invalid_input")
    assert [f["field"] for f in error["fields"]] == fields, r.text
    assert alice.password not in r.text
    signin(api, alice)  # the password is unchanged


def test_me(api, alice, bob):
    for user in (alice, bob):
        r = api.get("/api/auth/me", headers=user.auth)
        assert r.status_code == 200, r.text
        assert r.json() == {"id": user.id, "email": user.email, "email_verified": False}


# ---- the keys ---------------------------------------------------------------------

def test_jwks_is_auth_jwks(api, admin, carol):
    def served():
        r = api.get("/.well-known/jwks.json")
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "public, max-age=300"
        assert r.headers["content-type"] == "application/json"
        return r.json()

    assert served() == admin.execute("SELECT auth.jwks()").fetchone()[0]
    # With a public key to show: an EdDSA key signs from now on.
    kid = admin.execute("SELECT auth.rotate_key('EdDSA')").fetchone()[0]
    keys = served()
    assert keys == admin.execute("SELECT auth.jwks()").fetchone()[0]
    assert kid in [k["kid"] for k in keys["keys"]]
    assert all("d" not in k for k in keys["keys"])  # no private part
    # Another service verifies a new token with the JWKS alone.
    token = signin(api, carol).token
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header["kid"] == kid
    jwk = jwt.PyJWK(next(k for k in keys["keys"] if k["kid"] == kid))
    verified = jwt.decode(token, jwk.key, algorithms=["EdDSA"], audience="authenticated")
    assert verified["sub"] == carol.id
    with pytest.raises(jwt.InvalidSignatureError):
        header_b64, payload, signature = token.split(".")
        forged = b64url_encode(json.dumps(claims(token) | {"sub": str(uuid.uuid4())}).encode())
        jwt.decode(f"{header_b64}.{forged}.{signature}", jwk.key, algorithms=["EdDSA"], audience="authenticated")


# ---- one error shape, for every kind of error -------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/api/nothing"), ("GET", "/nothing"), ("POST", "/api/tasks/1/nothing"),
    ("GET", "/static/nothing.css"), ("GET", "/docs"), ("GET", "/redoc"), ("GET", "/docs/oauth2-redirect"),
])
def test_unknown_route(api, carol, method, path):
    r = api.request(method, path, headers=carol.auth)
    error_of(r, 404, "not_found")


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/api/tasks", "GET, POST"), ("GET", "/api/auth/signin", "POST"),
    ("GET", "/api/auth/refresh", "POST"), ("POST", "/api/auth/me", "GET"),
    ("PATCH", "/api/tasks/1", "GET, PUT, DELETE"), ("POST", "/.well-known/jwks.json", "GET"),
])
def test_method_not_allowed(api, carol, method, path, allowed):
    r = api.request(method, path, headers=carol.auth)
    error = error_of(r, 405, "method_not_allowed")
    assert sorted(r.headers["allow"].split(", ")) == sorted(allowed.split(", "))
    assert method in error["message"]


def test_too_many_failed_signins(api, alice):
    wrong = {"email": alice.email, "password": "wrong " + alice.password}
    for _ in range(5):  # max_failed_signins, 5 by default
        assert_401(api.post("/api/auth/signin", json=wrong), "invalid_credentials")
    for body in (wrong, {"email": alice.email, "password": alice.password}):
        r = api.post("/api/auth/signin", json=body)
        error = error_of(r, 429, "too_many_attempts")
        assert "too many failed sign-in attempts" in error["message"]
        assert error["hint"].startswith("Try again in")
        assert "set-cookie" not in r.headers
    # The lock is on the email, not on the sessions it has.
    assert api.get("/api/auth/me", headers=alice.auth).status_code == 200


def test_unexpected_database_error(api, admin, carol):
    # A privilege the app's role lacks: a bug of the deployment, not of the
    # request.  The answer says so without the database's words.
    admin.execute("REVOKE SELECT ON tasks FROM todo_app")
    try:
        r = api.get("/api/tasks", headers=carol.auth)
    finally:
        admin.execute("GRANT SELECT ON tasks TO todo_app")
    assert error_of(r, 500, "internal_error")["message"] == "internal server error"
    assert "permission" not in r.text and "tasks" not in r.text
    assert api.get("/api/tasks", headers=carol.auth).status_code == 200


def test_database_unavailable(base_url):
    # A second instance of the app, whose database does not answer.
    repo = pathlib.Path(__file__).resolve().parents[2]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens there once closed
        s.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        app_port = s.getsockname()[1]
        s.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(DATABASE_URL=f"postgresql://todo_app@127.0.0.1:{closed_port}/todo?connect_timeout=2",
               DB_POOL_SIZE="0")
    app = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(repo / "examples/fastapi"),
         "--host", "127.0.0.1", "--port", str(app_port), "app:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with client(f"http://127.0.0.1:{app_port}", keep_cookies=False) as down:
            for _ in range(100):
                try:
                    down.get("/openapi.json")
                    break
                except httpx.TransportError:
                    assert app.poll() is None, "the app exited"
                    time.sleep(0.1)
            for r in (down.post("/api/auth/signup", json={"email": unique_email("down"), "password": "long enough"}),
                      down.get("/api/tasks", headers={"Authorization": "Bearer x.y.z"}),
                      down.get("/.well-known/jwks.json")):
                error = error_of(r, 503, "database_unavailable")
                assert "try again" in error["message"]
                assert "127.0.0.1" not in r.text  # no connection details
            # Nor does it send mail (no SMTP_HOST): it says so, for every address alike.
            for address in ("ada@example.com", unique_email("nobody")):
                r = down.post("/api/auth/forgot-password", json={"email": address})
                assert error_of(r, 503, "mail_unavailable")["message"]
            # The page itself needs no database.
            assert down.get("/").status_code == 200
    finally:
        app.terminate()
        app.wait(10)


# ---- the web page and the API's description -----------------------------------------

def test_the_page_is_served_at_the_root(api):
    r = api.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text.lower()
    r = api.get("/static/index.html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


def test_docs_are_off_but_openapi_stays(api):
    assert api.get("/docs").status_code == 404
    assert api.get("/redoc").status_code == 404
    paths = api.get("/openapi.json").json()["paths"]
    for path in ("/api/auth/signup", "/api/auth/signin", "/api/auth/refresh", "/api/auth/signout",
                 "/api/auth/signout-all", "/api/auth/password", "/api/auth/me", "/.well-known/jwks.json",
                 "/api/auth/forgot-password", "/api/auth/reset-password", "/api/auth/verify-email",
                 "/api/auth/verify-email/resend", "/api/auth/email", "/api/auth/email/confirm",
                 "/api/auth/delete-account",
                 "/api/tasks", "/api/tasks/{task_id}", "/api/tasks/{task_id}/complete"):
        assert path in paths
    assert "/" not in paths


# ---- concurrency: many users, one server connection ---------------------------

def test_concurrent_users_never_see_each_other(api, admin, base_url, mode):
    users = [new_user(api, f"conc{i}") for i in range(4)]
    tags = {u.id: f"[{u.id}]" for u in users}
    owned = {}
    for u in users:
        owned[u.id] = set()
        for n in range(3):
            r = api.post("/api/tasks", headers=u.auth, json={"title": f"{tags[u.id]} task {n}"})
            assert r.status_code == 201
            owned[u.id].add(r.json()["id"])
    all_ids = {uid: sorted(ids) for uid, ids in owned.items()}

    threads, errors, requests = 20, [], [0]
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def fail(msg):
        with lock:
            errors.append(msg)

    def client(n):
        user = users[n % len(users)]
        tag = tags[user.id]
        others = [i for u in users if u.id != user.id for i in owned[u.id]]
        rnd = random.Random(n)
        with httpx.Client(base_url=base_url, timeout=60) as http:
            # Each thread its own session: signins interleave with the rest.
            r = http.post("/api/auth/signin", json={"email": user.email, "password": user.password})
            if r.status_code != 200:
                return fail(f"signin {r.status_code} {r.text}")
            me = User(user.email, user.password, user.id, r.json()["access_token"])
            start.wait()
            for i in range(12):
                kind = rnd.choice(["list", "get", "other", "create", "update", "other"])
                if kind == "list":
                    r = http.get("/api/tasks", headers=me.auth)
                    if r.status_code != 200:
                        fail(f"list {r.status_code} {r.text}")
                    else:
                        seen = r.json()
                        if any(not t["title"].startswith(tag) for t in seen):
                            fail(f"{tag} saw {[t['title'] for t in seen]}")
                        if not owned[user.id] <= {t["id"] for t in seen}:
                            fail(f"{tag} misses own tasks")
                elif kind == "get":
                    r = http.get(f"/api/tasks/{rnd.choice(all_ids[user.id])}", headers=me.auth)
                    if r.status_code != 200 or not r.json()["title"].startswith(tag):
                        fail(f"get own {r.status_code} {r.text}")
                elif kind == "other":
                    tid = rnd.choice(others)
                    action = rnd.choice(list(ATTACKS))
                    r = ATTACKS[action](http, me, tid)
                    if r.status_code != 404:
                        fail(f"{action} other's {tid}: {r.status_code} {r.text}")
                elif kind == "create":
                    r = http.post("/api/tasks", headers=me.auth, json={"title": f"{tag} temp {n}.{i}"})
                    if r.status_code != 201:
                        fail(f"create {r.status_code} {r.text}")
                        continue
                    tid = r.json()["id"]
                    r = http.patch(f"/api/tasks/{tid}/complete", headers=me.auth)
                    if r.status_code != 200 or r.json()["completed"] is not True:
                        fail(f"complete {r.status_code} {r.text}")
                    r = http.delete(f"/api/tasks/{tid}", headers=me.auth)
                    if r.status_code != 204:
                        fail(f"delete {r.status_code} {r.text}")
                elif kind == "update":
                    tid = rnd.choice(all_ids[user.id])
                    r = http.put(f"/api/tasks/{tid}", headers=me.auth, json={"title": f"{tag} task by {n}"})
                    if r.status_code != 200 or r.json()["id"] != tid:
                        fail(f"update {r.status_code} {r.text}")
                with lock:
                    requests[0] += 1
            r = http.post("/api/auth/signout", headers=me.auth)
            if r.status_code != 204:
                fail(f"signout {r.status_code} {r.text}")

    pool = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    assert requests[0] == threads * 12

    # Afterwards, every task is still with its owner, and nothing else is.
    for u in users:
        mine = tasks_of(api, u)
        assert {t["id"] for t in mine} == owned[u.id]
        assert all(t["title"].startswith(tags[u.id]) for t in mine)
    rows = admin.execute("SELECT id, user_id::text FROM tasks WHERE id = ANY(%s)",
                         [[i for ids in owned.values() for i in ids]]).fetchall()
    assert all(tid in owned[uid] for tid, uid in rows) and len(rows) == 12
    if mode == "pgbouncer":
        # All of it went through a single server connection.
        n = admin.execute("SELECT count(*) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND usename = 'todo_app'").fetchone()[0]
        assert n == 1
