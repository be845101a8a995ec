"""Two builds of jwt_auth side by side; run by test/bench/compare.sh, which
builds both, installs the extension and names the server (PG*).
    compare.py PKGLIBDIR LABEL_A LIBRARY_A LABEL_B LIBRARY_B

Each round puts each library in turn in place of PKGLIBDIR/jwt_auth.so (the
first of the two alternating from round to round), and measures through a
new connection, which loads it (checked in /proc where the server is on
this machine):
- auth.verify over N distinct HS256 tokens, each of its own session
  (sessions checked), in one query, as section 1 of bench.py: µs per call;
- auth.refresh: a chain of refreshes from a fresh auth.signin_session(),
  each refresh committed on its own, in a DO loop inside the server: µs per
  call;
- auth.signup and auth.signin against a bare crypt() at the same cost, one
  after the other in alternating orders, as section 4 of bench.py: the
  overhead beyond the hash, the median of the paired differences.
bcrypt runs at cost 10, the lowest jwt_auth allows, so that its noise,
which the overheads are read through, is the smallest.  Prints, per
measure, each library's figure and the ratio of the second to the first;
nothing here passes or fails on a timing.
"""
import os
import re
import shutil
import statistics
import sys
import time

import psycopg

from tokens import create_b64url, sign_tokens

from bench import machine

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
ROUNDS = int(os.environ.get("COMPARE_ROUNDS") or (2 if SMOKE else 10))
N = 500 if SMOKE else 20_000        # distinct tokens verified per round
USERS = 100 if SMOKE else 1_000
REFRESHES = 20 if SMOKE else 500    # refreshes per chain, one chain per round
TRIPLES = 1 if SMOKE else 4         # signup, signin, crypt() per round
COST = 10
PASSWORD = "compare password 1"
DB = "jwt_auth_compare"


def put_in_place(library, pkglibdir):
    """LIBRARY as PKGLIBDIR/jwt_auth.so, replaced in one rename so that no
    connection ever finds half a file; returns its inode."""
    target = os.path.join(pkglibdir, "jwt_auth.so")
    temporary = os.path.join(pkglibdir, f".jwt_auth.so.compare-{os.getpid()}")
    shutil.copyfile(library, temporary)
    os.chmod(temporary, 0o755)
    os.replace(temporary, target)
    return os.stat(target).st_ino


def loaded_inode(conn):
    """The inode of the jwt_auth.so the connection's backend has mapped, or
    None where its /proc entry cannot be read (a server elsewhere, or
    another user's without the right)."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        with open(f"/proc/{pid}/maps") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 6 and fields[5].endswith("/jwt_auth.so"):
                    return int(fields[4])
    except OSError:
        return None
    return None


def setup(crypto):
    """The database: users with one token each of N (each token of its own
    session), and the user whose refresh chains are measured."""
    c = psycopg.connect(dbname=DB, autocommit=True)
    c.execute(f"""
        INSERT INTO auth.users (email, password_hash)
        SELECT 'user' || i || '@compare.example', 'x' FROM generate_series(1, {USERS}) AS i""")
    create_b64url(c)
    c.execute(f"""
        CREATE TABLE compare_sessions AS
        SELECT n, u.id AS user_id, md5('session' || n)::uuid AS sid
          FROM generate_series(0, {N}) AS n
          JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM auth.users) u
            ON u.k = n % {USERS}""")
    c.execute("""
        INSERT INTO auth.sessions (id, user_id, expires_at)
        SELECT sid, user_id, now() + interval '1 day' FROM compare_sessions""")
    kid, secret = c.execute("SELECT kid, secret FROM auth.keys").fetchone()
    sign_tokens(c, "compare_sessions", "compare_tokens", secret, kid, "user@compare.example", 86400,
                hmac=f"{crypto}.hmac")
    c.execute("SELECT auth.signup('refresh@compare.example', %s)", [PASSWORD])
    c.execute("VACUUM ANALYZE")
    assert c.execute("SELECT count(DISTINCT token) FROM compare_tokens WHERE n > 0").fetchone()[0] == N
    c.close()


def measure(crypto, round_no, key, ms):
    """One library's measures of one round, through a new connection: adds
    to MS[key][measure] (µs per call for verify and refresh; ms per call
    for the signup, signin and crypt() triples).  Returns the inode of the
    library the connection loaded, or None."""
    with psycopg.connect(dbname=DB, autocommit=True) as c:
        # Token 0 is not among the measured ones: it loads the library and
        # the signing key.
        assert c.execute("SELECT auth.verify(token) IS NOT NULL FROM compare_tokens WHERE n = 0").fetchone()[0]
        inode = loaded_inode(c)

        start = time.perf_counter()
        verified = c.execute("SELECT count(auth.verify(token)) FROM compare_tokens WHERE n > 0").fetchone()[0]
        ms[key]["verify"].append((time.perf_counter() - start) / N * 1e6)
        assert verified == N, f"verify: {verified} of {N}"

        refresh = c.execute("SELECT refresh_token FROM auth.signin_session('refresh@compare.example', %s)",
                            [PASSWORD]).fetchone()[0]
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", refresh), "a refresh token is 43 characters of base64url"
        c.execute("SET synchronous_commit = off")
        start = time.perf_counter()
        c.execute(f"""
            DO $$
            DECLARE
                r text := '{refresh}';
            BEGIN
                FOR i IN 1..{REFRESHES} LOOP
                    SELECT t.refresh_token INTO STRICT r FROM auth.refresh(r) AS t;
                    COMMIT;
                END LOOP;
            END
            $$""")
        ms[key]["refresh"].append((time.perf_counter() - start) / REFRESHES * 1e6)
        c.execute("RESET synchronous_commit")

        calls = {
            "signup": ("SELECT auth.signup(%s, %s)", lambda email: [email, PASSWORD]),
            "signin": ("SELECT auth.signin(%s, %s)", lambda email: [email, PASSWORD]),
            "crypt": (f"SELECT {crypto}.crypt(%s, {crypto}.gen_salt('bf', {COST}))", lambda email: [PASSWORD]),
        }
        order = list(calls)
        for t in range(TRIPLES):
            email = f"r{round_no}.{key}.{t}@compare.example"
            # Signup comes before signin of the same email; crypt() goes
            # last, then first.
            rotation = order if t % 2 == 0 else order[-1:] + order[:-1]
            for name in rotation:
                sql, args_of = calls[name]
                start = time.perf_counter()
                c.execute(sql, args_of(email)).fetchall()
                ms[key][name].append((time.perf_counter() - start) * 1000)
    return inode


def main():
    pkglibdir, label_a, library_a, label_b, library_b = sys.argv[1:6]
    libraries = {"a": library_a, "b": library_b}
    labels = {"a": label_a, "b": label_b}

    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
        admin.execute(f"ALTER DATABASE {DB} SET jwt_auth.bcrypt_cost = {COST}")
        version = admin.execute("SHOW server_version").fetchone()[0]
    try:
        with psycopg.connect(dbname=DB, autocommit=True) as c:
            c.execute("SET client_min_messages = warning")
            c.execute("CREATE EXTENSION jwt_auth CASCADE")
            crypto = c.execute("SELECT quote_ident(extnamespace::regnamespace::text) FROM pg_extension "
                               "WHERE extname = 'pgcrypto'").fetchone()[0]
        setup(crypto)

        ms = {key: {m: [] for m in ("verify", "refresh", "signup", "signin", "crypt")} for key in libraries}
        checked = True
        for r in range(ROUNDS):
            for key in (("a", "b") if r % 2 == 0 else ("b", "a")):
                inode = put_in_place(libraries[key], pkglibdir)
                loaded = measure(crypto, r, key, ms)
                if loaded is None:
                    checked = False
                elif loaded != inode:
                    raise SystemExit(f"compare: a new connection did not load the library put in place ({labels[key]})")
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DB}")

    def best(key, m):
        return min(ms[key][m])

    def median(key, m):
        return statistics.median(ms[key][m])

    def overhead(key, m):
        return statistics.median(x - y for x, y in zip(ms[key][m], ms[key]["crypt"]))

    print(f"jwt_auth compared, {time.strftime('%Y-%m-%d')}, {machine()}")
    print(f"PostgreSQL {version}; {ROUNDS} rounds, the libraries alternated in each, each through new connections"
          + ("" if checked else " (which library a connection loaded could not be checked)")
          + (" (smoke run)" if SMOKE else ""))
    print(f"   A = {label_a}")
    print(f"   B = {label_b}")
    print(f"   {'':<60} {'A':>9} {'B':>9} {'B / A':>7}")
    rows = [
        (f"auth.verify, {N} distinct tokens, sessions checked, µs/call", None, None),
        ("   best of the rounds", best, "verify"),
        ("   median of the rounds", median, "verify"),
        (f"auth.refresh, a chain of {REFRESHES}, each committed, µs/call", None, None),
        ("   best of the rounds", best, "refresh"),
        ("   median of the rounds", median, "refresh"),
        (f"beyond a bare crypt() at cost {COST}, ms, median of {ROUNDS * TRIPLES} paired differences", None, None),
        ("   auth.signin", overhead, "signin"),
        ("   auth.signup", overhead, "signup"),
        ("the bare crypt(), ms, median", median, "crypt"),
    ]
    for label, of, m in rows:
        if of is None:
            print(f"   {label}")
            continue
        a, b = of("a", m), of("b", m)
        ratio = f"{b / a:7.3f}" if a > 0 and b > 0 else "    n/a"
        print(f"   {label:<60} {a:9.3f} {b:9.3f} {ratio}")

if __name__ == "__main__":
    main()
