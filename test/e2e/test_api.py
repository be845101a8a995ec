"""End-to-end tests of the FastAPI todo example (examples/fastapi) over HTTP.

Run by test/e2e/run.sh, which starts PostgreSQL's side (a database with
jwt_auth and examples/todo/schema.sql), PgBouncer in transaction mode with a
single server connection, and the app.
"""
import json
import random
import threading
import time
import uuid

import httpx
import psycopg
import pytest

from conftest import (PASSWORD_MARK, User, b64url_decode, b64url_encode, claims,
                      new_user, unique_email)

BIG_ID = 2**62  # a task id that does not exist


def tasks_of(api, user: User) -> list:
    r = api.get("/api/tasks", headers=user.auth)
    assert r.status_code == 200, r.text
    return r.json()


def assert_401(r: httpx.Response):
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert isinstance(r.json()["detail"], str)


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
        assert set(body) == {"access_token", "token_type"}
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
    # Direct, the app connects per request, so its connection may be gone.
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
]


@pytest.mark.parametrize("method,path,body", PROTECTED)
def test_no_authorization_header(api, method, path, body):
    r = api.request(method, path, json=body)
    assert_401(r)
    assert r.json() == {"detail": "missing bearer token"}


@pytest.mark.parametrize("header", [
    "", "Bearer", "Basic YWxpY2U6cGFzc3dvcmQ=", "Token {token}", "{token}",
    "Bearer  {token}", "Bearer {token} extra", "Bearer {token}x", "Bearer x{token}",
])
def test_malformed_authorization_header(api, carol, header):
    r = api.get("/api/tasks", headers={"Authorization": header.format(token=carol.token)})
    assert_401(r)


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
    assert_401(r)
    assert "expired" in r.json()["detail"]
    assert_401(api.post("/api/tasks", headers=expired.auth, json={"title": "too late"}))
    assert tasks_of(api, alice) == []


def test_signed_out_token(api, alice):
    r = api.post("/api/auth/signin", json={"email": alice.email, "password": alice.password})
    second = User(alice.email, alice.password, alice.id, r.json()["access_token"])
    assert api.post("/api/auth/signout", headers=alice.auth).status_code == 204
    r = api.get("/api/tasks", headers=alice.auth)
    assert_401(r)
    assert "revoked" in r.json()["detail"]
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
        assert_401(r)
        assert r.json() == {"detail": "invalid email or password"}
    assert "access_token" not in wrong_password.text


# ---- 409: duplicate email -----------------------------------------------------

def test_duplicate_email(api, alice):
    for email in (alice.email, alice.email.upper(), f"  {alice.email.title()}\t"):
        r = api.post("/api/auth/signup", json={"email": email, "password": f"{PASSWORD_MARK} other"})
        assert r.status_code == 409, (email, r.text)
        assert "already registered" in r.json()["detail"]
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
    assert r.status_code == 422, (email, r.text)


def test_database_validation_error_is_explained(api):
    r = api.post("/api/auth/signup", json={"email": "ada.example.com", "password": f"{PASSWORD_MARK} 1"})
    assert r.status_code == 422
    assert r.json() == {"detail": 'invalid email address: The address has no "@".'}


@pytest.mark.parametrize("password", ["", "1234567", "é" * 7, "x" * 1025, "é" * 513])
def test_signup_invalid_password(api, password):
    r = api.post("/api/auth/signup", json={"email": unique_email("pw"), "password": password})
    assert r.status_code == 422, r.text
    assert password not in r.text or password == ""


@pytest.mark.parametrize("password", ["12345678", "é" * 8, "x" * 1024, "é" * 512])
def test_signup_password_limits(api, password):
    r = api.post("/api/auth/signup", json={"email": unique_email("pw"), "password": password})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("body", [
    None, {}, {"email": "a@example.com"}, {"password": "long enough"},
    {"email": None, "password": "long enough"}, {"email": "a@example.com", "password": None},
    {"email": 5, "password": "long enough"}, {"email": "a@example.com", "password": 12345678},
    {"email": ["a@example.com"], "password": "long enough"},
    {"email": "a\u0000@example.com", "password": "long enough"},
])
@pytest.mark.parametrize("path", ["/api/auth/signup", "/api/auth/signin"])
def test_credentials_malformed(api, path, body):
    r = api.post(path, json=body)
    assert r.status_code == 422, r.text


def test_request_body_not_json(api, carol):
    r = api.post("/api/auth/signup", content=b"email=a@example.com", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    r = api.post("/api/tasks", content=b"{not json", headers={**carol.auth, "Content-Type": "application/json"})
    assert r.status_code == 422


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
        assert r.status_code == 422, (method, task_id, r.text)


def test_largest_task_id_is_just_missing(api, carol):
    assert api.get(f"/api/tasks/{2**63 - 1}", headers=carol.auth).status_code == 404


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
