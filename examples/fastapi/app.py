"""The todo API over jwt_auth: FastAPI in front, PostgreSQL doing the work.

Accounts and tokens are the extension's (auth.signup, auth.signin,
auth.signout); every request that carries a bearer token is one transaction
that starts with SELECT auth.verify(token), and row-level security on
`tasks` (examples/todo/schema.sql) shows each user only their own rows.
Nothing here filters by user.

    DATABASE_URL='postgresql://todo_app:secret@localhost:6432/app' \
        uvicorn --app-dir examples/fastapi app:app

DATABASE_URL defaults to the libpq environment (PGHOST, PGUSER, ...).
DB_POOL_SIZE (default 10) is the number of connections the app keeps open;
0, or a missing psycopg_pool, means one new connection per request.  Both
work through PgBouncer in transaction mode: the identity ends with each
transaction and no statement is prepared on the server.
"""
import logging
import os
from contextlib import contextmanager
from datetime import datetime
from typing import Iterator, List, Optional
from uuid import UUID

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Path, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg.rows import dict_row
from pydantic import BaseModel, Field, StrictBool, StrictStr, validator

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

app = FastAPI(title="todo", description=__doc__.split("\n\n")[0])
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


def bearer_token(
    credentials: Optional[HTTPAuthorizationCredentials] = Depends(HTTPBearer(auto_error=False)),
) -> str:
    # HTTPBearer's own error would be a 403; a missing credential is a 401.
    if credentials is None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    return credentials.credentials


@contextmanager
def as_user(token: str) -> Iterator[psycopg.Connection]:
    """A transaction whose queries see only the token owner's rows."""
    with transaction() as conn:
        conn.execute("SELECT auth.verify(%s)", [token])  # 28000 if it is not valid
        yield conn


# ---- errors: SQLSTATE -> HTTP status ----------------------------------------

@app.exception_handler(psycopg.Error)
async def database_error(request: Request, exc: psycopg.Error) -> JSONResponse:
    state = exc.sqlstate or ""
    message = exc.diag.message_primary or "invalid input"
    if state == "28000" and message.startswith("too many failed sign-in attempts"):
        # signin throttled; the hint says when to retry
        return JSONResponse({"detail": message, "hint": exc.diag.message_hint}, 429)
    if state == "28000":  # verify: missing, malformed, expired, revoked token
        return JSONResponse({"detail": message}, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if state == "28P01":  # signin: one answer for wrong email and wrong password
        return JSONResponse({"detail": "invalid email or password"}, 401, {"WWW-Authenticate": "Bearer"})
    if state == "23505":
        return JSONResponse({"detail": message}, 409)
    if state.startswith("22") or state == "23514":  # bad data, a CHECK constraint
        if exc.diag.message_detail:  # e.g. 'The address has no "@".'
            message = f"{message}: {exc.diag.message_detail}"
        return JSONResponse({"detail": message}, 422)
    if isinstance(exc, psycopg.OperationalError):  # no connection, pool timeout
        log.error("database unavailable: %s", exc)
        return JSONResponse({"detail": "database unavailable"}, 503)
    log.exception("database error %s", state, exc_info=exc)
    return JSONResponse({"detail": "internal server error"}, 500)


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


TASK = "id, title, description, completed, created_at, updated_at"
TaskId = Path(..., ge=1, le=2**63 - 1)


def found(row: Optional[dict]) -> dict:
    # Another user's task is as absent as a deleted one: RLS hides it.
    if row is None:
        raise HTTPException(404, "task not found")
    return row


# ---- accounts -----------------------------------------------------------------

@app.post("/api/auth/signup", status_code=201, response_model=SignupOut)
def signup(body: Credentials):
    with transaction() as conn:
        row = conn.execute("SELECT auth.signup(%s, %s) AS id", [body.email, body.password]).fetchone()
    return row


@app.post("/api/auth/signin", response_model=TokenOut)
def signin(body: Credentials):
    with transaction() as conn:
        row = conn.execute("SELECT auth.signin(%s, %s) AS access_token", [body.email, body.password]).fetchone()
    return row


@app.post("/api/auth/signout", status_code=204, response_class=Response)
def signout(token: str = Depends(bearer_token)):
    with as_user(token) as conn:
        conn.execute("SELECT auth.signout(%s)", [token])
    return Response(status_code=204)


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
