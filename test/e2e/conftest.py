"""Fixtures for the end-to-end tests of examples/fastapi over real HTTP.

test/e2e/run.sh starts the app and sets:
  E2E_BASE_URL  the app, e.g. http://127.0.0.1:41234
  E2E_DB        the database, reached as a superuser through the PG* variables
  E2E_APP_DSN   the app's own connection string (role todo_app)
  E2E_MODE      "pgbouncer" (one server connection behind PgBouncer) or "direct"
  E2E_MAIL_DIR  the folder where the app's SMTP sink keeps each mail (NNNN.eml)
  E2E_MAIL_DSN  the mail role's connection string (role todo_mail)

Every HTTP client here checks that each error answer it receives has the
API's one error shape (check_error_body).
"""
import base64
import email
import email.policy
import http.cookiejar
import json
import os
import pathlib
import re
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Dict, List, Optional, Tuple

import httpx
import psycopg
import pytest

# The server log is checked for this text after the run (run.sh): every
# password the tests use contains it.
PASSWORD_MARK = "e2e password"

# Every error code of the API, with the one status it comes with.
ERROR_STATUS = {
    "missing_token": 401, "invalid_token": 401, "invalid_credentials": 401, "refresh_failed": 401,
    "invalid_link": 400, "not_found": 404, "method_not_allowed": 405, "conflict": 409, "invalid_input": 422,
    "too_many_attempts": 429, "too_many_requests": 429, "internal_error": 500, "database_unavailable": 503,
    "mail_unavailable": 503,
}
REFRESH_COOKIE = "refresh_token"


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


def check_error_body(r: httpx.Response) -> None:
    """Every error answer has the one shape of the API's errors:
    {"error": {"code", "message", "fields"?, "hint"?}}."""
    if r.status_code < 400:
        return
    r.read()
    where = f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text}"
    assert r.headers["content-type"] == "application/json", where
    body = r.json()
    assert isinstance(body, dict) and list(body) == ["error"], where
    error = body["error"]
    assert set(error) <= {"code", "message", "fields", "hint"}, where
    assert set(error) >= {"code", "message"}, where
    assert ERROR_STATUS.get(error["code"]) == r.status_code, where
    assert isinstance(error["message"], str) and error["message"].strip(), where
    if r.status_code == 422:
        assert isinstance(error["fields"], list), where
    if "fields" in error:
        for field in error["fields"]:
            assert set(field) == {"field", "message"}, where
            assert all(isinstance(v, str) and v for v in field.values()), where
    if "hint" in error:
        assert isinstance(error["hint"], str) and error["hint"], where
    if r.status_code == 401:
        assert r.headers["www-authenticate"].startswith("Bearer"), where


class BrowserCookieJar(http.cookiejar.CookieJar):
    """As browsers do, a Secure cookie from localhost or 127.0.0.1 (origins
    browsers trust as secure) goes back to them over plain http.  httpx
    reads the jar through a copy with the default policy, which sends a
    Secure cookie over https only: the copy kept here is not marked Secure
    (the Set-Cookie header the tests check is)."""

    def set_cookie(self, cookie):
        if cookie.secure and cookie.domain in ("localhost", "127.0.0.1", "::1"):
            cookie.secure = False
        super().set_cookie(cookie)


def client(base_url: str, keep_cookies: bool) -> httpx.Client:
    """An HTTP client that checks the shape of every error it receives;
    keep_cookies: like a browser, else it stores none (tests send them)."""
    if keep_cookies:
        jar = BrowserCookieJar()
    else:
        jar = http.cookiejar.CookieJar()
        jar.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.Client(base_url=base_url, timeout=30, cookies=jar,
                        event_hooks={"response": [check_error_body]})


def set_cookies(r: httpx.Response) -> Dict[str, Dict[str, Optional[str]]]:
    """The Set-Cookie headers of a response: {name: {"value": ..., attribute (lower case): value or None}}."""
    cookies = {}
    for header in r.headers.get_list("set-cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        cookie = {"value": value}
        for attribute in attributes:
            key, eq, val = attribute.partition("=")
            cookie[key.strip().lower()] = val.strip() if eq else None
        cookies[name] = cookie
    return cookies


def refresh_token_of(r: httpx.Response) -> str:
    cookie = set_cookies(r)[REFRESH_COOKIE]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie["value"]), cookie
    return cookie["value"]


@dataclass
class User:
    email: str
    password: str
    id: str
    token: str
    refresh: Optional[str] = None  # the refresh cookie of the token's session

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
    return signin(api, User(email, password, r.json()["id"], ""))


def signin(api: httpx.Client, user: User) -> User:
    """A new session of the user: its access token and refresh cookie."""
    r = api.post("/api/auth/signin", json={"email": user.email, "password": user.password})
    assert r.status_code == 200, r.text
    return User(user.email, user.password, user.id, r.json()["access_token"], refresh_token_of(r))


@pytest.fixture(scope="session")
def base_url() -> str:
    return os.environ["E2E_BASE_URL"]


@pytest.fixture(scope="session")
def mode() -> str:
    return os.environ.get("E2E_MODE", "direct")


@pytest.fixture(scope="session")
def api(base_url):
    """The tests' client: it keeps no cookie, a test sends the ones it means."""
    with client(base_url, keep_cookies=False) as c:
        yield c


@pytest.fixture
def browser(base_url):
    """A client that keeps cookies as a browser does, one per test."""
    with client(base_url, keep_cookies=True) as c:
        yield c


@pytest.fixture(scope="session")
def admin():
    """A superuser connection to the test database, for what the API cannot do."""
    with psycopg.connect(dbname=os.environ["E2E_DB"], autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def app_dsn() -> str:
    return os.environ["E2E_APP_DSN"]


@pytest.fixture(scope="session")
def mail_dsn() -> str:
    return os.environ["E2E_MAIL_DSN"]


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


# ---- the mail the app sent ------------------------------------------------------

# A link of a mail: the page's address, what the token is for, the token.
LINK = re.compile(r"(https?://[^\s#]+)/#(reset|verify|email)=([A-Za-z0-9_-]{43})(?=\s)")


def mails_to(address: str) -> List[EmailMessage]:
    """The mails the SMTP sink received for an address, oldest first."""
    found = []
    for path in sorted(pathlib.Path(os.environ["E2E_MAIL_DIR"]).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"].addresses[0].addr_spec.lower() == address.lower():
            found.append(message)
    return found


def wait_for_mails(address: str, count: int, timeout: float = 15) -> List[EmailMessage]:
    """Wait until the sink holds at least count mails for address; exactly
    count, checked once more after a moment, or the test fails."""
    deadline = time.monotonic() + timeout
    while len(mails_to(address)) < count:
        assert time.monotonic() < deadline, f"{count} mail(s) for {address}: got {len(mails_to(address))}"
        time.sleep(0.1)
    time.sleep(0.3)  # no other on its way
    found = mails_to(address)
    assert len(found) == count, f"{count} mail(s) for {address}: got {len(found)}"
    return found


def link_of(message: EmailMessage) -> Tuple[str, str, str]:
    """The one link of a mail: (page address, kind, token)."""
    links = LINK.findall(message.get_content())
    assert len(links) == 1, message.get_content()
    return links[0]
