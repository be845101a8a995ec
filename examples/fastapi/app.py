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

Mail (password resets, email verifications and changes) goes out through
the SMTP server at SMTP_HOST:SMTP_PORT (default port 25), from MAIL_FROM,
with links to the page at APP_URL (its public address, e.g.
https://todo.example.com: never taken from a request, whose Host header the
client chooses).  The one-time tokens it carries are made by the mail role,
todo_mail, through MAIL_DATABASE_URL: the app role may not make them.
Without SMTP_HOST the app sends no mail, and the endpoints that would
answer 503 mail_unavailable.
"""
import logging
import os
import smtplib
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from http import HTTPStatus
from typing import Dict, Iterator, List, Optional
from uuid import UUID

import psycopg
from fastapi import BackgroundTasks, Cookie, Depends, FastAPI, Path, Request, Response
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

# Mail: off without SMTP_HOST.
SMTP_HOST = os.environ.get("SMTP_HOST", "")
SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
MAIL_FROM = os.environ.get("MAIL_FROM", "Todo <todo@localhost>")
APP_URL = os.environ.get("APP_URL", "").rstrip("/")
MAIL_DATABASE_URL = os.environ.get("MAIL_DATABASE_URL", "")

# Every answer, the page's and the API's: scripts, styles and requests from
# this origin only, no inline script or style, no framing; no Referer.
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
     b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")

# /docs and /redoc load their scripts from a CDN, so they are blank offline:
# they are off.  /openapi.json describes the API all the same.
app = FastAPI(title="todo", description=__doc__.split("\n\n")[0], docs_url=None, redoc_url=None)
pool = None


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP answer (a plain ASGI middleware,
    so that background tasks run after the answer has gone)."""

    names = {name for name, _ in SECURITY_HEADERS}

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in self.names]
                message = {**message, "headers": headers + SECURITY_HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)


app.add_middleware(SecurityHeaders)


@app.on_event("startup")
def open_pool() -> None:
    global pool
    if SMTP_HOST and not (APP_URL and MAIL_DATABASE_URL):
        raise RuntimeError("SMTP_HOST is set: set APP_URL (the page's public address) and "
                           "MAIL_DATABASE_URL (the mail role's connection) too")
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


@contextmanager
def mail_transaction() -> Iterator[psycopg.Connection]:
    """A transaction as the mail role, the one that may make one-time
    tokens.  One connection each time: mail is rare."""
    with psycopg.connect(MAIL_DATABASE_URL, **CONNECT_ARGS) as conn, conn.transaction():
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
    if state == "23505":  # signup, email change: the address has an account
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


@contextmanager
def link_token() -> Iterator[None]:
    """The one-time token of a mailed link: 28000 is a token that is
    unknown, used, replaced or expired (one message for all)."""
    try:
        yield
    except psycopg.Error as exc:
        if exc.sqlstate != "28000":
            raise
        raise ApiError(400, "invalid_link", "this link is invalid or has expired: ask for a new one") from None


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

# Always Secure: browsers keep a Secure cookie from plain http on
# localhost and 127.0.0.1 too, and everywhere else the app must be served
# over https.  Nothing depends on the Host header, which the client chooses.

def set_refresh_cookie(request: Request, response: Response, refresh_token: str) -> None:
    response.set_cookie(
        REFRESH_COOKIE, refresh_token, max_age=REFRESH_COOKIE_MAX_AGE, path=REFRESH_COOKIE_PATH,
        secure=True, httponly=True, samesite="strict",
    )


def clear_refresh_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        REFRESH_COOKIE, path=REFRESH_COOKIE_PATH,
        secure=True, httponly=True, samesite="strict",
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


class EmailIn(Input):
    email: StrictStr = Field(..., max_length=254)


class NewEmail(Input):
    new_email: StrictStr = Field(..., max_length=254)
    # Asked again: whoever controls the email controls the account.
    password: StrictStr = Field(..., min_length=1, max_length=1024)


class LinkToken(Input):
    # 43 characters of base64url; anything else is refused as invalid_link
    # by the database, with the same answer as an expired one.
    token: StrictStr = Field(..., max_length=100)


class PasswordReset(LinkToken):
    password: StrictStr = Field(..., max_length=1024)


class PasswordConfirm(Input):
    password: StrictStr = Field(..., max_length=1024)


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
    email_verified: Optional[bool]


class Message(BaseModel):
    message: str


class Sent(BaseModel):
    sent: bool


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
def signup(body: Credentials, background: BackgroundTasks):
    with input_fields({"email": "email", "password": "password"}), transaction() as conn:
        row = conn.execute("SELECT auth.signup(%s, %s) AS id", [body.email, body.password]).fetchone()
    if SMTP_HOST:  # the verification mail, once the answer has gone
        background.add_task(mail_verification, row["id"], normalised(body.email))
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
    # From the token: a verification or an email change shows after the
    # next refresh.
    with as_user(token) as conn:
        return conn.execute("SELECT auth.user_id() AS id, auth.email() AS email, "
                            "(auth.jwt() ->> 'email_verified')::boolean AS email_verified").fetchone()


@app.post("/api/auth/delete-account", status_code=204, response_class=Response)
def delete_account(body: PasswordConfirm, request: Request, token: str = Depends(bearer_token)):
    # The user's tasks go with the account (ON DELETE CASCADE).
    try:
        with input_fields({}), as_user(token) as conn:
            conn.execute("SELECT auth.delete_account(%s)", [body.password])
    except ApiError as error:
        if error.code == "invalid_credentials":  # 28P01
            error.message = "the password is wrong"
        raise
    response = Response(status_code=204)
    clear_refresh_cookie(request, response)
    return response


# ---- mail: password resets, email verifications and changes ---------------------
#
# The mail role makes a one-time token; the app mails a link to the page that
# carries it in the fragment (#reset=..., #verify=..., #email=...), which
# browsers send to no server; the page posts it back.  No token is ever
# logged.

def normalised(email: str) -> str:
    """An address as the database keeps it (trimmed, lower case): the one a
    token is made for."""
    return email.strip().lower()


def require_mail() -> None:
    if not SMTP_HOST:
        raise ApiError(503, "mail_unavailable", "this server sends no mail; ask its administrator")


def send_mail(to: str, subject: str, text: str) -> None:
    """Send one plain-text mail; a failure is logged (without the mail).
    Lines of up to 78 characters go as they are (7bit); a longer one (a
    link to a long APP_URL) makes the body quoted-printable."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = MAIL_FROM, to, subject
    message.set_content(text)
    try:
        with smtplib.SMTP(SMTP_HOST, SMTP_PORT, timeout=30) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("mail %r could not be sent: %s", subject, type(exc).__name__)


def make_token(sql: str, args: list) -> Optional[str]:
    """A one-time token from the mail role, for a background task: None, and
    a log line, when the database fails."""
    try:
        with mail_transaction() as conn:
            return conn.execute(sql, args).fetchone()["token"]
    except psycopg.Error as exc:
        log.error("no one-time token made: database error %s", exc.sqlstate or type(exc).__name__)
        return None


def mail_password_reset(email: str) -> None:
    token = make_token("SELECT auth.request_password_reset(%s) AS token", [email])
    if token is None:  # no such account, or three links in the hour: nothing to send
        return
    send_mail(email, "Reset your todo password",
              "Someone, perhaps you, asked to reset the password of the todo account\n"
              "of this address. To choose a new password, open this link (it works\n"
              "once, and for a short time only):\n\n"
              f"{APP_URL}/#reset={token}\n\n"
              "If you did not ask, ignore this mail: your password stays as it is.\n")


def mail_verification(user_id: str, email: str, token: Optional[str] = None) -> None:
    if token is None:
        token = make_token("SELECT auth.request_email_verification(%s) AS token", [user_id])
    if token is None:  # verified already, or three links in the hour
        return
    send_mail(email, "Confirm your todo email address",
              "To confirm that this address is yours, open this link:\n\n"
              f"{APP_URL}/#verify={token}\n\n"
              "If you did not create a todo account, ignore this mail.\n")


def mail_email_change(email: str, token: str) -> None:
    send_mail(email, "Confirm your new todo email address",
              "Someone, perhaps you, asked to make this the address of their todo\n"
              "account. To confirm, open this link (until then the account keeps its\n"
              "old address):\n\n"
              f"{APP_URL}/#email={token}\n\n"
              "If you did not ask, ignore this mail.\n")


def verified_account(conn: psycopg.Connection, token: str) -> str:
    """auth.verify on the mail role's connection: the user's id."""
    user_id = conn.execute("SELECT auth.verify(%s) AS id", [token]).fetchone()["id"]
    if user_id is None:  # another issuer's subject: no account of this app
        raise ApiError(401, "invalid_token", "this token names no account of this app",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return user_id


FORGOT_ANSWER = "If an account has this address, we have sent it a link to choose a new password."


@app.post("/api/auth/forgot-password", status_code=202, response_model=Message)
def forgot_password(body: EmailIn, background: BackgroundTasks):
    # The same answer, at once, whether the address has an account or not:
    # the token is made and mailed after the answer has gone.
    require_mail()
    background.add_task(mail_password_reset, normalised(body.email))
    return {"message": FORGOT_ANSWER}


@app.post("/api/auth/reset-password", status_code=204, response_class=Response)
def reset_password(body: PasswordReset):
    # Every session of the account ends: the user signs in again.
    with input_fields({"password": "password"}), link_token(), transaction() as conn:
        conn.execute("SELECT auth.reset_password(%s, %s)", [body.token, body.password])
    return Response(status_code=204)


@app.post("/api/auth/verify-email", status_code=204, response_class=Response)
def verify_email(body: LinkToken):
    with link_token(), transaction() as conn:
        conn.execute("SELECT auth.verify_email(%s)", [body.token])
    return Response(status_code=204)


@app.post("/api/auth/verify-email/resend", status_code=202, response_model=Sent)
def resend_verification(background: BackgroundTasks, token: str = Depends(bearer_token)):
    # sent: false when the address is verified already, or three links were
    # sent in the last hour.
    require_mail()
    with mail_transaction() as conn:
        user_id = verified_account(conn, token)
        email = conn.execute("SELECT auth.email() AS email").fetchone()["email"]
        link = conn.execute("SELECT auth.request_email_verification(%s) AS token", [user_id]).fetchone()["token"]
    if link is not None:
        background.add_task(mail_verification, user_id, email, link)
    return {"sent": link is not None}


@app.post("/api/auth/email", status_code=202, response_model=Sent)
def change_email(body: NewEmail, background: BackgroundTasks, token: str = Depends(bearer_token)):
    # The link goes to the new address; the account keeps the old one until
    # it is used.
    require_mail()
    with input_fields({"email": "new_email"}), mail_transaction() as conn:
        user_id = verified_account(conn, token)
        link = conn.execute("SELECT auth.request_email_change(%s, %s, %s) AS token",
                            [user_id, body.new_email, body.password]).fetchone()["token"]
    if link is None:
        raise ApiError(429, "too_many_requests",
                       "too many email changes were asked for this account: try again in an hour")
    background.add_task(mail_email_change, normalised(body.new_email), link)
    return {"sent": True}


@app.post("/api/auth/email/confirm", status_code=204, response_class=Response)
def confirm_email_change(body: LinkToken):
    # 23505 (409): another account took the address meanwhile.
    with link_token(), transaction() as conn:
        conn.execute("SELECT auth.confirm_email_change(%s)", [body.token])
    return Response(status_code=204)


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
