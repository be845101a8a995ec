"""Fixtures for the end-to-end tests of examples/fastapi over real HTTP.

test/e2e/run.sh starts the app and sets:
  E2E_BASE_URL  the app, e.g. http://127.0.0.1:41234
  E2E_DB        the database, reached as a superuser through the PG* variables
  E2E_APP_DSN   the app's own connection string (role todo_app)
  E2E_MODE      "pgbouncer" (one server connection behind PgBouncer) or "direct"
"""
import base64
import json
import os
import uuid
from dataclasses import dataclass

import httpx
import psycopg
import pytest

# The server log is checked for this text after the run (run.sh): every
# password the tests use contains it.
PASSWORD_MARK = "e2e password"


def pytest_collection_modifyitems(config, items):
    if "E2E_BASE_URL" not in os.environ:
        skip = pytest.mark.skip(reason="needs the app: run test/e2e/run.sh")
        for item in items:
            item.add_marker(skip)


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(token: str) -> dict:
    return json.loads(b64url_decode(token.split(".")[1]))


@dataclass
class User:
    email: str
    password: str
    id: str
    token: str

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


def unique_email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:12]}@example.com"


def new_user(api: httpx.Client, name: str = "user") -> User:
    email = unique_email(name)
    password = f"{PASSWORD_MARK} {uuid.uuid4().hex[:8]}"
    r = api.post("/api/auth/signup", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    r = api.post("/api/auth/signin", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return User(email, password, user_id, r.json()["access_token"])


@pytest.fixture(scope="session")
def base_url() -> str:
    return os.environ["E2E_BASE_URL"]


@pytest.fixture(scope="session")
def mode() -> str:
    return os.environ.get("E2E_MODE", "direct")


@pytest.fixture(scope="session")
def api(base_url):
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def admin():
    """A superuser connection to the test database, for what the API cannot do."""
    with psycopg.connect(dbname=os.environ["E2E_DB"], autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def app_dsn() -> str:
    return os.environ["E2E_APP_DSN"]


@pytest.fixture(scope="session")
def carol(api) -> User:
    """A user shared by the tests that neither sign her out nor list her tasks."""
    return new_user(api, "carol")


@pytest.fixture(scope="session")
def carol_task(api, carol) -> dict:
    r = api.post("/api/tasks", headers=carol.auth, json={"title": "carol's task", "description": "as it was"})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def alice(api) -> User:
    return new_user(api, "alice")


@pytest.fixture
def bob(api) -> User:
    return new_user(api, "bob")


@pytest.fixture
def alice_task(api, alice) -> dict:
    r = api.post("/api/tasks", headers=alice.auth,
                 json={"title": "alice's secret task", "description": "only alice may see this"})
    assert r.status_code == 201, r.text
    return r.json()
