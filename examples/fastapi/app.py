"""The todo API over jwt_auth: FastAPI in front, PostgreSQL doing the work.

Accounts, sessions and tokens are the extension's (auth.signup,
auth.signin_session, auth.refresh, auth.signout, ...); every request that
carries a bearer token is one transaction that starts with
SELECT auth.verify(token), and row-level security on `tasks`
(examples/todo/schema.sql) shows each user only their own rows.  Nothing
here filters by user.  The web page in static/ is served at /.

    DATABASE_URL='postgresql://todo_app:secret@localhost:6432/app' \
        uvicorn --app-dir examples/fastapi app:app

DATABASE_URL defaults to the libpq environment (PGHOST, PGUSER, ...).
DB_POOL_SIZE (default 10) is the number of connections the app keeps open;
0, or a missing psycopg_pool, means one new connection per request.  Both
work through PgBouncer in transaction mode: the identity ends with each
transaction and no statement is prepared on the server.
REFRESH_COOKIE_MAX_AGE (seconds, default 30 days) is the refresh cookie's
Max-Age; keep it equal to the database's refresh_ttl.
"""
import logging
import os
from contextlib import contextmanager
from datetime import datetime
from http import HTTPStatus
from typing import Dict, Iterator, List, Optional
from uuid import UUID

import psycopg
from fastapi import Cookie, Depends, FastAPI, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from psycopg.rows import dict_row
from pydantic import BaseModel, Field, StrictBool, StrictStr, validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

try:
    from psycopg_pool import ConnectionPool
except ImportError:  # Debian: apt-get install python3-psycopg-pool
    ConnectionPool = None

log = logging.getLogger("todo")

DATABASE_URL = os.environ.get("DATABASE_URL", "")
POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "10"))
# No server-side prepared statements: PgBouncer's transaction mode may run
# the next transaction on another server connection.
CONNECT_ARGS = {"autocommit": True, "prepare_threshold": None, "row_factory": dict_row}

# The refresh token lives in this cookie, sent only to /api/auth/*.
REFRESH_COOKIE = "refresh_token"
REFRESH_COOKIE_PATH = "/api/auth"
REFRESH_COOKIE_MAX_AGE = int(os.environ.get("REFRESH_COOKIE_MAX_AGE", str(30 * 24 * 3600)))
# Browsers keep a Secure cookie from plain http only on these hosts.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")

# /docs and /redoc load their scripts from a CDN, so they are blank offline:
# they are off.  /openapi.json describes the API all the same.
app = FastAPI(title="todo", description=__doc__.split("\n\n")[0], docs_url=None, redoc_url=None)
pool = None


@app.on_event("startup")
def open_pool() -> None:
    global pool
    if ConnectionPool is not None and POOL_SIZE > 0:
        pool = ConnectionPool(DATABASE_URL, min_size=POOL_SIZE, kwargs=CONNECT_ARGS, name="todo")
        pool.wait(timeout=30)  # fail at startup, not at the first request


@app.on_event("shutdown")
def close_pool() -> None:
    if pool is not None:
        pool.close()


@contextmanager
def transaction() -> Iterator[psycopg.Connection]:
    """One connection, one transaction: committed if the block succeeds."""
    if pool is not None:
        with pool.connection() as conn, conn.transaction():
            yield conn
    else:
        with psycopg.connect(DATABASE_URL, **CONNECT_ARGS) as conn, conn.transaction():
            yield conn


# ---- errors: one body for all -------------------------------------------------
#
#   {"error": {"code": "invalid_input", "message": "...",
#              "fields": [{"field": "email", "message": "..."}],   (422 only)
#              "hint": "..."}}                                     (when the database gave one)

class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, hint: Optional[str] = None,
                 fields: Optional[List[Dict[str, str]]] = None, headers: Optional[Dict[str, str]] = None,
                 clear_cookie: bool = False):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.hint, self.fields, self.headers, self.clear_cookie = hint, fields, headers, clear_cookie


def error_response(request: Request, error: ApiError) -> JSONResponse:
    body = {"code": error.code, "message": error.message}
    if error.fields is not None:
        body["fields"] = error.fields
    if error.hint:
        body["hint"] = error.hint
    headers = dict(error.headers or {})
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    response = JSONResponse({"error": body}, error.status, headers)
    if error.clear_cookie:
        clear_refresh_cookie(request, response)
    return response


def database_error(exc: psycopg.Error) -> ApiError:
    """The answer to a database error: SQLSTATE -> status and code."""
    state = exc.sqlstate or ""
    message = exc.diag.message_primary or "invalid input"
    if state == "28000" and message.startswith("too many failed sign-in attempts"):
        # signin or change_password throttled; the hint says when to retry
        return ApiError(429, "too_many_attempts", message, hint=exc.diag.message_hint)
    if state == "28000":  # verify: missing, malformed, expired, revoked token
        return ApiError(401, "invalid_token", message,
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if state == "28P01":  # signin: one answer for wrong email and wrong password
        return ApiError(401, "invalid_credentials", "invalid email or password")
    if state == "23505":
        return ApiError(409, "conflict", message)
    if state.startswith("22") or state == "23514":  # bad data, a CHECK constraint
        if exc.diag.message_detail:  # e.g. 'The address has no "@".'
            message = f"{message}: {exc.diag.message_detail}"
        return ApiError(422, "invalid_input", message, fields=[])
    if isinstance(exc, psycopg.OperationalError) or state == "25006":
        # no connection, pool timeout, a read-only (standby) server
        log.error("database unavailable: %s", exc)
        return ApiError(503, "database_unavailable", "the database is unavailable; try again later")
    log.error("database error %s", state, exc_info=exc)
    return ApiError(500, "internal_error", "internal server error")


@contextmanager
def input_fields(fields: Dict[str, str]) -> Iterator[None]:
    """Name the request field of a database validation error: {word: field}.

    auth.signup's messages start with what is wrong ("invalid email
    address", "password must be at least 8 characters long")."""
    try:
        yield
    except psycopg.Error as exc:
        error = database_error(exc)
        if error.code == "invalid_input":
            primary = (exc.diag.message_primary or "").lower()
            for word, field in fields.items():
                if word in primary:
                    error.fields = [{"field": field, "message": error.message}]
                    break
        raise error from None


@app.exception_handler(ApiError)
async def api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(request, exc)


@app.exception_handler(psycopg.Error)
async def psycopg_error(request: Request, exc: psycopg.Error) -> JSONResponse:
    return error_response(request, database_error(exc))


@app.exception_handler(RequestValidationError)
async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = []
    for e in exc.errors():
        loc = [str(part) for part in e["loc"]]
        if e["type"] == "value_error.jsondecode":
            fields.append({"field": "body", "message": f"is not valid JSON ({e['msg']})"})
            continue
        # ("body", "email") -> "email"; ("path", "task_id") -> "task_id"
        name = ".".join(loc[1:]) if len(loc) > 1 else loc[0] if loc else "body"
        fields.append({"field": name, "message": e["msg"]})
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return error_response(request, ApiError(422, "invalid_input", f"invalid input: {summary}", fields=fields))


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # Starlette's own: no route (404), a method the route has not (405), ...
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        error = ApiError(404, "not_found", "nothing here: check the URL")
    elif exc.status_code == 405:
        # Starlette's Allow names the methods of the first route of the
        # path only (FastAPI makes one route per method): name them all.
        allowed = sorted({method for route in request.app.router.routes
                          if route.matches(request.scope)[0] != Match.NONE
                          for method in getattr(route, "methods", None) or ()})
        if allowed:
            headers = {k: v for k, v in headers.items() if k.lower() != "allow"}
            headers["Allow"] = ", ".join(allowed)
        message = f"method {request.method} is not allowed here"
        error = ApiError(405, "method_not_allowed", message + (f"; use {', '.join(allowed)}" if allowed else ""))
    else:
        phrase = HTTPStatus(exc.status_code).phrase
        error = ApiError(exc.status_code, phrase.lower().replace(" ", "_").replace("-", "_"),
                         str(exc.detail) if exc.detail else phrase.lower())
    error.headers = headers
    return error_response(request, error)


@app.exception_handler(Exception)
async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the traceback after this answer is sent.
    return error_response(request, ApiError(500, "internal_error", "internal server error"))


# ---- the refresh cookie ---------------------------------------------------------

def cookie_secure(request: Request) -> bool:
    """Secure everywhere but on localhost, where the page may be plain http."""
    return (request.url.hostname or "") not in LOCAL_HOSTS


def set_refresh_cookie(request: Request, response: Response, refresh_token: str) -> None:
    response.set_cookie(
        REFRESH_COOKIE, refresh_token, max_age=REFRESH_COOKIE_MAX_AGE, path=REFRESH_COOKIE_PATH,
        secure=cookie_secure(request), httponly=True, samesite="strict",
    )


def clear_refresh_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        REFRESH_COOKIE, path=REFRESH_COOKIE_PATH,
        secure=cookie_secure(request), httponly=True, samesite="strict",
    )


# ---- bearer tokens ---------------------------------------------------------------

def bearer_token(
    credentials: Optional[HTTPAuthorizationCredentials] = Depends(HTTPBearer(auto_error=False)),
) -> str:
    # HTTPBearer's own error would be a 403; a missing credential is a 401.
    if credentials is None:
        raise ApiError(401, "missing_token", "missing bearer token: send Authorization: Bearer <access_token>")
    return credentials.credentials


@contextmanager
def as_user(token: str) -> Iterator[psycopg.Connection]:
    """A transaction whose queries see only the token owner's rows."""
    with transaction() as conn:
        conn.execute("SELECT auth.verify(%s)", [token])  # 28000 if it is not valid
        yield conn


# ---- models -------------------------------------------------------------------

class Input(BaseModel):
    @validator("*")
    def storable(cls, value):
        # PostgreSQL text holds neither NUL nor lone surrogates ("\ud800").
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError("must not contain NUL characters")
            try:
                value.encode()
            except UnicodeEncodeError:
                raise ValueError("must be valid Unicode") from None
        return value


class Credentials(Input):
    # The database normalises and validates both (22023 -> 422); these
    # limits only bound the input.
    email: StrictStr = Field(..., max_length=254)
    password: StrictStr = Field(..., max_length=1024)


class PasswordChange(Input):
    old_password: StrictStr = Field(..., max_length=1024)
    new_password: StrictStr = Field(..., max_length=1024)


class TaskIn(Input):
    title: StrictStr = Field(..., min_length=1, max_length=200)
    description: Optional[StrictStr] = Field(None, max_length=1000)


class TaskReplace(TaskIn):
    completed: StrictBool = False


class Task(BaseModel):
    id: int
    title: str
    description: Optional[str]
    completed: bool
    created_at: datetime
    updated_at: datetime


class SignupOut(BaseModel):
    id: UUID


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class Me(BaseModel):
    id: str
    email: Optional[str]


class Ended(BaseModel):
    ended: int


TASK = "id, title, description, completed, created_at, updated_at"
TaskId = Path(..., ge=1, le=2**63 - 1)


def found(row: Optional[dict]) -> dict:
    # Another user's task is as absent as a deleted one: RLS hides it.
    if row is None:
        raise ApiError(404, "not_found", "task not found")
    return row


def tokens(request: Request, response: Response, row: dict) -> dict:
    """The answer of signin and refresh: the access token in the body, the
    refresh token in the cookie, and neither in any cache."""
    set_refresh_cookie(request, response, row["refresh_token"])
    response.headers["Cache-Control"] = "no-store"
    return {"access_token": row["access_token"], "token_type": "bearer", "expires_at": row["expires_at"]}


# ---- accounts -----------------------------------------------------------------

@app.post("/api/auth/signup", status_code=201, response_model=SignupOut)
def signup(body: Credentials):
    with input_fields({"email": "email", "password": "password"}), transaction() as conn:
        row = conn.execute("SELECT auth.signup(%s, %s) AS id", [body.email, body.password]).fetchone()
    return row


@app.post("/api/auth/signin", response_model=TokenOut)
def signin(body: Credentials, request: Request, response: Response):
    with transaction() as conn:
        row = conn.execute(
            "SELECT access_token, refresh_token, expires_at FROM auth.signin_session(%s, %s)",
            [body.email, body.password],
        ).fetchone()
    return tokens(request, response, row)


@app.post("/api/auth/refresh", response_model=TokenOut)
def refresh(request: Request, response: Response,
            refresh_token: Optional[str] = Cookie(None)):
    if not refresh_token:
        raise ApiError(401, "refresh_failed", "no refresh token: sign in")
    try:
        with transaction() as conn:
            row = conn.execute(
                "SELECT access_token, refresh_token, expires_at FROM auth.refresh(%s)", [refresh_token]
            ).fetchone()
    except psycopg.Error as exc:
        if exc.sqlstate != "28000":
            raise
        # unknown, expired, or its session ended
        raise ApiError(401, "refresh_failed", f"{exc.diag.message_primary}: sign in again",
                       clear_cookie=True) from None
    if row is None:
        # A retired token came back: someone else holds this session's
        # tokens.  auth.refresh has ended the session (committed above).
        log.warning("a used refresh token was presented again: its session has been ended")
        raise ApiError(401, "refresh_failed",
                       "refresh token was already used, so its session has ended: sign in again",
                       clear_cookie=True)
    return tokens(request, response, row)


@app.post("/api/auth/signout", status_code=204, response_class=Response)
def signout(request: Request, token: str = Depends(bearer_token)):
    with as_user(token) as conn:
        conn.execute("SELECT auth.signout(%s)", [token])
    response = Response(status_code=204)
    clear_refresh_cookie(request, response)
    return response


@app.post("/api/auth/signout-all", response_model=Ended)
def signout_all(request: Request, response: Response, token: str = Depends(bearer_token)):
    with as_user(token) as conn:
        row = conn.execute("SELECT auth.signout_all() AS ended").fetchone()
    clear_refresh_cookie(request, response)
    return row


@app.post("/api/auth/password", response_model=Ended)
def change_password(body: PasswordChange, token: str = Depends(bearer_token)):
    # Ends the user's other sessions; this one goes on.
    try:
        with input_fields({"password": "new_password"}), as_user(token) as conn:
            row = conn.execute("SELECT auth.change_password(%s, %s) AS ended",
                               [body.old_password, body.new_password]).fetchone()
    except ApiError as error:
        if error.code == "invalid_credentials":  # 28P01: the old password
            error.message = "the current password is wrong"
        raise
    return row


@app.get("/api/auth/me", response_model=Me)
def me(token: str = Depends(bearer_token)):
    with as_user(token) as conn:
        return conn.execute("SELECT auth.user_id() AS id, auth.email() AS email").fetchone()


@app.get("/.well-known/jwks.json")
def jwks():
    """The public keys that verify the access tokens (RFC 7517)."""
    with transaction() as conn:
        keys = conn.execute("SELECT auth.jwks() AS jwks").fetchone()["jwks"]
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})


# ---- tasks --------------------------------------------------------------------

@app.get("/api/tasks", response_model=List[Task])
def list_tasks(token: str = Depends(bearer_token)):
    with as_user(token) as conn:
        return conn.execute(f"SELECT {TASK} FROM tasks ORDER BY id").fetchall()


@app.post("/api/tasks", status_code=201, response_model=Task)
def create_task(body: TaskIn, token: str = Depends(bearer_token)):
    # user_id is not written: it defaults to auth.uid(), and RLS checks it.
    with as_user(token) as conn:
        return conn.execute(
            f"INSERT INTO tasks (title, description) VALUES (%s, %s) RETURNING {TASK}",
            [body.title, body.description],
        ).fetchone()


@app.get("/api/tasks/{task_id}", response_model=Task)
def get_task(task_id: int = TaskId, token: str = Depends(bearer_token)):
    with as_user(token) as conn:
        return found(conn.execute(f"SELECT {TASK} FROM tasks WHERE id = %s", [task_id]).fetchone())


@app.put("/api/tasks/{task_id}", response_model=Task)
def replace_task(body: TaskReplace, task_id: int = TaskId, token: str = Depends(bearer_token)):
    with as_user(token) as conn:
        return found(conn.execute(
            f"UPDATE tasks SET title = %s, description = %s, completed = %s WHERE id = %s RETURNING {TASK}",
            [body.title, body.description, body.completed, task_id],
        ).fetchone())


@app.patch("/api/tasks/{task_id}/complete", response_model=Task)
def complete_task(task_id: int = TaskId, token: str = Depends(bearer_token)):
    with as_user(token) as conn:
        return found(conn.execute(
            f"UPDATE tasks SET completed = true WHERE id = %s RETURNING {TASK}", [task_id]
        ).fetchone())


@app.delete("/api/tasks/{task_id}", status_code=204, response_class=Response)
def delete_task(task_id: int = TaskId, token: str = Depends(bearer_token)):
    with as_user(token) as conn:
        found(conn.execute("DELETE FROM tasks WHERE id = %s RETURNING id", [task_id]).fetchone())
    return Response(status_code=204)


# ---- the web page -------------------------------------------------------------

@app.get("/", include_in_schema=False)
def index():
    return FileResponse(os.path.join(STATIC_DIR, "index.html"))


app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
