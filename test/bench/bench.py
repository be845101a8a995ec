"""jwt_auth benchmark; run by test/bench/run.sh inside a throwaway cluster.

1. verify cost per call over N distinct valid HS256 tokens (each of its own
   session) in one query, against the same query calling length() (the
   floor), pgcrypto's hmac() over the same tokens (the cryptographic floor),
   and a verifier written in plain SQL with pgcrypto; and the same token N
   times, with the caches and without; ES256 and RS256 tokens (signed with
   PyJWT), distinct and the same again.
1c. Another issuer's EdDSA tokens (auth.trust_issuer()): verify cost per
   call over distinct tokens, against one Ed25519 verification as OpenSSL
   measures it (openssl speed) in the same rounds, and against jwt_auth's
   own EdDSA tokens; the same token again, against an own token again.
2. RLS overhead: a user's tasks read through the policy with a verified
   identity, in each form of the policy (auth.uid() as a sub-select, and
   called directly), with and without the index qual in the query, against
   the same query with an explicit WHERE user_id = $1 as a role that
   bypasses RLS: pgbench with and without prepared statements, the latency
   of the statement alone, its planning and execution times; and the plans.
3. A request transaction (BEGIN; verify; read own tasks; COMMIT) in pgbench
   against the same without verify, with tokens drawn from all N and from
   100 active users'.
4. signin and signup latency against a bare crypt() at the same cost.
5. verify with and without the session (revocation) check, and verify
   checking sessions against stateless verify plus a primary-key probe of
   auth.sessions written in SQL, in the same query.
6. What throttling costs a sign-in: a sign-in of a locked email (refused
   by the throttle, after its look-up in the shared table) against one
   refused before it (a password over the length bound), and a successful
   sign-in against the same with throttling off, both beside a bare crypt().
"""
import base64
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
import uuid

import jwt
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tokens import create_b64url, sign_tokens

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
N = 2_000 if SMOKE else 100_000
N_ASYM = 200 if SMOKE else 2_000
N_OUTSIDE = 50 if SMOKE else 4_000     # distinct outside tokens per round
USERS = 100 if SMOKE else 10_000
TASKS_PER_USER = 10 if SMOKE else 100
PGBENCH_SECONDS = 2 if SMOKE else 15
LATENCY_ROUNDS = 3 if SMOKE else 30
REPEAT = 1 if SMOKE else 5
DB = "jwt_auth_bench"


P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def low_s(token):
    """An ES256 token with s replaced by n - s when s > n / 2: jwt_auth
    accepts only that form, and PyJWT (OpenSSL) leaves half its signatures
    in the other."""
    head, sig = token.rsplit(".", 1)
    raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    s = int.from_bytes(raw[32:], "big")
    if s > P256_ORDER // 2:
        raw = raw[:32] + (P256_ORDER - s).to_bytes(32, "big")
    return head + "." + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def timed(conn, sql, args=()):
    """Best of REPEAT runs, in seconds."""
    best = None
    for _ in range(REPEAT):
        start = time.perf_counter()
        conn.execute(sql, args).fetchall()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def pgbench(script, user, password, seconds, clients=2, protocol="extended"):
    """tps of SCRIPT run by pgbench for SECONDS.  The extended protocol
    without prepared statements (-M extended) parses and plans every
    statement every time, as the example app does: psycopg with
    prepare_threshold=None, which PgBouncer's transaction mode needs."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    env = dict(os.environ, PGUSER=user, PGPASSWORD=password)
    out = subprocess.run(["pgbench", "-n", "-M", protocol, "-c", str(clients), "-j", str(clients),
                          "-T", str(seconds), "-f", f.name, DB], env=env, capture_output=True, text=True)
    os.unlink(f.name)
    if out.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{out.stdout}\n{out.stderr}")
    for line in out.stdout.splitlines():
        if line.startswith("tps ="):
            return float(line.split()[2])
    raise SystemExit(f"no tps in pgbench output:\n{out.stdout}")


def openssl_ed25519_verify_us():
    """µs per Ed25519 verification as `openssl speed` measures it, over one
    second.  -elapsed: wall-clock time, the clock the queries are timed by
    (by default openssl divides by its CPU user time, which leaves out the
    time a shared machine gives to others).  -mr prints, for EdDSA,
    "+F6:<index>:<bits>:Ed25519:<signs/s>:<verifies/s>"."""
    out = subprocess.run(["openssl", "speed", "-seconds", "1", "-elapsed", "-mr", "ed25519"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"openssl speed failed:\n{out.stdout}\n{out.stderr}")
    for line in out.stdout.splitlines():
        fields = line.split(":")
        if fields[0] == "+F6" and len(fields) == 6 and fields[3] == "Ed25519":
            return 1e6 / float(fields[5])
    raise SystemExit(f"no Ed25519 verify rate in openssl speed output:\n{out.stdout}")


def alternated(runs, seconds, rounds=3):
    """tps of pgbench runs, each (key, argument tuple for pgbench() without
    the duration, a function to call before it or None), alternated ROUNDS
    times so that the machine's drift hits all alike; the best of each, by
    key."""
    part = max(1, seconds // rounds)
    best = {}
    for _ in range(rounds):
        for key, args, before in runs:
            if before:
                before()
            best[key] = max(best.get(key, 0.0), pgbench(*args[:3], part, *args[3:]))
    return best


def side_by_side(a, b, seconds):
    """tps of two pgbench runs (argument tuples for pgbench() without the
    duration), alternated; the best of each."""
    best = alternated([("a", a, None), ("b", b, None)], seconds)
    return best["a"], best["b"]


def outside_eddsa(c, user, one):
    """Section 1c: another issuer's EdDSA tokens, against OpenSSL's Ed25519
    verify and jwt_auth's own tokens; user is a user's id, one an own token
    of a live session.  Leaves an HS256 key signing."""
    # The issuer is trusted with one Ed25519 key, as Better Auth's JWKS has
    # it; its tokens carry a subject that is not a UUID (verify returns NULL
    # and sets the identity), an audience, iat and exp, and no session.
    # jwt_auth's own EdDSA tokens, verified statelessly as the outside ones
    # are (they have no session to check), show what is the issuer's part.
    issuer, audience = "https://issuer.bench.example", "bench-api"
    outside_key = Ed25519PrivateKey.generate()
    x = base64.urlsafe_b64encode(outside_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x.rstrip(b"=").decode(), "kid": "k1"}]}
    c.execute("SELECT auth.trust_issuer(%s, %s::jsonb, %s)", [issuer, json.dumps(jwks), audience])
    own_kid = c.execute("SELECT auth.rotate_key('EdDSA')").fetchone()[0]
    own_pem = bytes(c.execute("SELECT secret FROM auth.keys WHERE kid = %s", [own_kid]).fetchone()[0])
    now = int(time.time())

    def outside_token(sub):
        return jwt.encode({"iss": issuer, "aud": audience, "sub": sub, "iat": now, "exp": now + 3600},
                          outside_key, algorithm="EdDSA", headers={"kid": "k1", "typ": None})

    def own_token():
        return jwt.encode({"iss": "jwt_auth", "aud": "authenticated", "sub": str(user),
                           "role": "authenticated", "iat": now, "exp": now + 3600,
                           "sid": str(uuid.uuid4()), "jti": str(uuid.uuid4())},
                          own_pem, algorithm="EdDSA", headers={"kid": own_kid})

    # Every round verifies tokens of its own, each once in the whole run, so
    # that no distinct token is ever found in the token cache.
    signed = {}
    for r in range(REPEAT):
        signed[f"outside_{r}"] = [outside_token(f"outside user {r} {i}") for i in range(N_OUTSIDE)]
        signed[f"own_ed_{r}"] = [own_token() for _ in range(N_OUTSIDE)]
    assert len({token for tokens in signed.values() for token in tokens}) == 2 * REPEAT * N_OUTSIDE
    for table, tokens in signed.items():
        c.execute(f"CREATE TEMP TABLE {table} (token text)")
        with c.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            for token in tokens:
                copy.write_row((token,))
    # The token of the same-again measure, checked once: it verifies, to no
    # UUID, and sets the identity of its subject at its issuer.
    again = outside_token("outside user again")
    with c.transaction():
        assert c.execute("SELECT auth.verify(%s)", [again]).fetchone()[0] is None
        assert c.execute("SELECT auth.issuer(), auth.user_id()").fetchone() == (issuer, "outside user again"), \
            "the outside token did not set its identity"
    c.execute("SELECT auth.rotate_key('HS256')")

    # (key, label, query, its arguments, a setting it runs under, its calls);
    # {r} is the round.
    outside_measures = [
        ("outside", "auth.verify, outside EdDSA, distinct tokens",
         "SELECT count(auth.verify(token)) FROM outside_{r}", [], None, N_OUTSIDE),
        ("own_ed", "auth.verify, own EdDSA, distinct, stateless",
         "SELECT count(auth.verify(token)) FROM own_ed_{r}", [], "jwt_auth.check_sessions = off", N_OUTSIDE),
        ("outside_same", "auth.verify, outside EdDSA, the same token",
         f"SELECT count(auth.verify(%s)) FROM generate_series(1, {N})", [again], None, N),
        ("own_same", "auth.verify, own HS256 again, sessions checked",
         f"SELECT count(auth.verify(%s)) FROM generate_series(1, {N})", [one], None, N),
        ("own_same_off", "the same, stateless",
         f"SELECT count(auth.verify(%s)) FROM generate_series(1, {N})", [one], "jwt_auth.check_sessions = off", N),
        ("same_floor", "length(), the same token  [floor]",
         f"SELECT count(length(%s)) FROM generate_series(1, {N})", [one], None, N),
    ]
    best = {}
    for r in range(REPEAT):
        # openssl speed (a second of verifications) runs before the queries
        # in one round and after them in the next.
        if r % 2 == 0:
            best["openssl"] = min(best.get("openssl", float("inf")), openssl_ed25519_verify_us())
        for key, _label, sql, args, setting, calls in outside_measures:
            if setting:
                c.execute(f"SET {setting}")
            start = time.perf_counter()
            count = c.execute(sql.format(r=r), args).fetchone()[0]
            elapsed = (time.perf_counter() - start) / calls * 1e6
            if setting:
                c.execute(f"RESET {setting.split()[0]}")
            # An outside token's subject is no UUID: verify returns NULL.
            assert count == (0 if key.startswith("outside") else calls), f"{key}: {count} of {calls}"
            best[key] = min(best.get(key, elapsed), elapsed)
        if r % 2 == 1:
            best["openssl"] = min(best["openssl"], openssl_ed25519_verify_us())
    c.execute("DROP TABLE " + ", ".join(signed))
    print(f"\n1c. Another issuer's EdDSA tokens, {N_OUTSIDE} distinct tokens a round, "
          f"µs per call (best of {REPEAT} rounds)")
    print(f"   {'openssl speed, Ed25519 verify  [crypto floor]':<48} {best['openssl']:8.2f}")
    for key, label, *_ in outside_measures:
        print(f"   {label:<48} {best[key]:8.2f}")
    print(f"   outside (distinct) / openssl verify:      {best['outside'] / best['openssl']:6.2f}     "
          f"(target <= 1.30; +{best['outside'] - best['openssl']:.2f} µs per call)")
    print(f"   outside (distinct) / own EdDSA:           {best['outside'] / best['own_ed']:6.2f}")
    # A token found in the cache costs the same work whoever issued it (the
    # look-up, the time checks, setting the identity; neither checks a
    # session), so the ratio should be 1; the 10% allow for the noise of a
    # call of a quarter of a µs, as the other ratios of like to like here
    # (the SQL probe, the RLS read) do.
    print(f"   outside (same) / own (same), stateless:   {best['outside_same'] / best['own_same_off']:6.2f}     "
          f"(target <= 1.10)")
    print(f"   outside (same) / length() floor:          {best['outside_same'] / best['same_floor']:6.2f}     "
          f"(target <= 3, as own tokens)")


# The forms of the todo policy that section 2 compares (USING and WITH CHECK
# alike): auth.uid() as a sub-select, which the planner makes an InitPlan run
# once per query, and auth.uid() called directly, which the planner can use
# as an index condition (it is STABLE), evaluated once per index scan.
POLICY_FORMS = {
    "initplan": "user_id = (SELECT auth.uid())",
    "direct": "user_id = auth.uid()",
}


def rls_policy_forms(c):
    """Section 2: one user's tasks read through each form of the policy,
    with and without the index qual in the query, against the same read
    with an explicit WHERE as a role that bypasses RLS (the baseline), and
    the baseline again (what the noise alone gives).  The policy is changed
    (ALTER POLICY) before each run that needs another form, so that all
    read the same table; the schema's own is put back at the end."""
    uid, token = c.execute("SELECT user_id, token FROM bench_tokens WHERE n = 1").fetchone()
    using, check = c.execute("SELECT pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) "
                             "FROM pg_policy WHERE polrelid = 'tasks'::regclass AND polname = 'tasks_owner'").fetchone()
    in_force = {"form": None}

    def set_form(form):
        if in_force["form"] != form:
            c.execute(f"ALTER POLICY tasks_owner ON tasks USING ({POLICY_FORMS[form]}) "
                      f"WITH CHECK ({POLICY_FORMS[form]})")
            in_force["form"] = form

    # Which form the example's schema has, as the server prints it.
    example = None
    for form in POLICY_FORMS:
        set_form(form)
        if c.execute("SELECT pg_get_expr(polqual, polrelid) FROM pg_policy "
                     "WHERE polrelid = 'tasks'::regclass AND polname = 'tasks_owner'").fetchone()[0] == using:
            example = form

    explicit = f"SELECT * FROM tasks WHERE user_id = '{uid}'"
    own = "SELECT * FROM tasks WHERE user_id = auth.uid()"
    # (key, label, role, policy form or None, query)
    variants = [
        ("explicit", "explicit WHERE user_id = '<id>', BYPASSRLS", "bench_bypass", None, explicit),
        ("initplan", f"policy {POLICY_FORMS['initplan']}", "todo_app", "initplan", "SELECT * FROM tasks"),
        ("initplan_q", "  the same, query WHERE user_id = auth.uid()", "todo_app", "initplan", own),
        ("direct", f"policy {POLICY_FORMS['direct']}", "todo_app", "direct", "SELECT * FROM tasks"),
        ("direct_q", "  the same, query WHERE user_id = auth.uid()", "todo_app", "direct", own),
        ("explicit_again", "the baseline again  [noise]", "bench_bypass", None, explicit),
    ]

    def before(form):
        return (lambda: set_form(form)) if form else None

    # pgbench: both protocols, every run verifying the token first, so that
    # the ratio is the read's.
    rounds = 1 if SMOKE else 5
    tps = {}
    for protocol in ("extended", "prepared"):
        tps[protocol] = alternated(
            [(key, ("BEGIN;\nSELECT auth.verify(token) FROM bench_tokens WHERE n = 1;\n"
                    f"{query};\nCOMMIT;\n", role, "bench password", 1, protocol), before(form))
             for key, _label, role, form, query in variants],
            1 if SMOKE else PGBENCH_SECONDS, rounds)

    # Per statement, in rounds alternating the variants: the latency of the
    # read alone (libpq, extended protocol, nothing prepared, no conversion
    # of the rows in Python), and the planning and execution times EXPLAIN
    # ANALYZE gives (planning leaves out parsing and the rewriting that adds
    # the policy); medians.  And the plan of each.
    calls = 20 if SMOKE else 500
    latency, planning, execution, plans = {}, {}, {}, {}
    for _ in range(rounds):
        for key, _label, role, form, query in variants:
            if form:
                set_form(form)
            with psycopg.connect(dbname=DB, user=role, password="bench password", host="127.0.0.1",
                                 port=os.environ.get("PGPORT"), prepare_threshold=None) as app:
                with app.transaction():
                    app.execute("SELECT auth.verify(%s)", [token])
                    plans[key] = [r[0] for r in app.execute("EXPLAIN (COSTS OFF) " + query).fetchall()]
                    sql = query.encode()
                    times = []
                    for i in range(calls + 10):
                        start = time.perf_counter()
                        result = app.pgconn.exec_params(sql, [])
                        elapsed = time.perf_counter() - start
                        assert result.ntuples == TASKS_PER_USER, f"{key}: {result.ntuples} rows"
                        if i >= 10:
                            times.append(elapsed * 1e6)
                    latency.setdefault(key, []).append(statistics.median(times))
                    for _ in range(calls):
                        p = app.execute("EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) "
                                        + query).fetchone()[0][0]
                        planning.setdefault(key, []).append(p["Planning Time"] * 1000)
                        execution.setdefault(key, []).append(p["Execution Time"] * 1000)
    # Where the policy cannot be an index condition, as in a sequential scan
    # (index scans off here), the direct form calls auth.uid() for every row
    # read, the sub-select once: the scan of the whole table, best of REPEAT.
    scan = {}
    with psycopg.connect(dbname=DB, user="todo_app", password="bench password", host="127.0.0.1",
                         port=os.environ.get("PGPORT"), autocommit=True) as app:
        # Each read in a transaction of its own (autocommit between them):
        # no lock on tasks is held while the policy is changed.
        app.execute("SET enable_indexscan = off")
        app.execute("SET enable_bitmapscan = off")
        app.execute("SET max_parallel_workers_per_gather = 0")
        for _ in range(REPEAT):
            for form in POLICY_FORMS:
                set_form(form)
                with app.transaction():
                    app.execute("SELECT auth.verify(%s)", [token])
                    start = time.perf_counter()
                    assert app.execute("SELECT count(*) FROM tasks").fetchone()[0] == TASKS_PER_USER
                    elapsed = (time.perf_counter() - start) * 1000
                scan[form] = min(scan.get(form, elapsed), elapsed)
    rows = c.execute("SELECT count(*) FROM tasks").fetchone()[0]
    c.execute(f"ALTER POLICY tasks_owner ON tasks USING ({using}) WITH CHECK ({check})")

    lat = {key: min(v) for key, v in latency.items()}
    print(f"\n2. RLS read of one user's {TASKS_PER_USER} tasks, after verify, 1 client: pgbench tps "
          f"(best of {rounds} rounds) and time ratio to the baseline;")
    print("   -M extended plans every statement every time, as the example app (psycopg, "
          "prepare_threshold=None); -M prepared plans once")
    print(f"   {'':<48} {'extended':>9} {'ratio':>6} {'prepared':>9} {'ratio':>6}")
    for key, label, _role, form, _query in variants:
        mark = "  [example]" if form == example and key == form else ""
        print(f"   {label + mark:<48} {tps['extended'][key]:9.0f} "
              f"{tps['extended']['explicit'] / tps['extended'][key]:6.3f} "
              f"{tps['prepared'][key]:9.0f} {tps['prepared']['explicit'] / tps['prepared'][key]:6.3f}")
    if example:
        print(f"   time ratio, the example's policy / explicit:   "
              f"{tps['extended']['explicit'] / tps['extended'][example]:6.3f}     (target <= 1.10)")
    else:
        print("   the example's policy is none of these forms: " + using)
    print(f"   per statement, µs: latency over libpq (the best of {rounds} rounds' medians of {calls}) and its "
          f"ratio; planning / execution (EXPLAIN ANALYZE, medians of {rounds * calls})")
    for key, label, *_ in variants:
        print(f"   {label:<48} {lat[key]:7.1f} {lat[key] / lat['explicit']:6.3f}   "
              f"{statistics.median(planning[key]):5.1f} / {statistics.median(execution[key]):5.1f}")
    print(f"   a sequential scan of all {rows} tasks (index scans off), ms, best of {REPEAT}: "
          + ", ".join(f"policy {POLICY_FORMS[form]} {scan[form]:.1f}" for form in POLICY_FORMS)
          + f" ({(scan['direct'] - scan['initplan']) / rows * 1e3:+.3f} µs per row)")
    print("   plans:")
    for key, label, *_ in variants:
        if key != "explicit_again":
            print(f"   {label.strip():<46}: " + " | ".join(p.strip() for p in plans[key]))


def main():
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
    c = psycopg.connect(dbname=DB, autocommit=True)
    c.execute("SET client_min_messages = warning")
    c.execute("CREATE EXTENSION jwt_auth CASCADE")
    # The schema is a psql script: leave out its meta-commands (\set ...).
    with open("examples/todo/schema.sql") as f:
        c.execute("".join(line for line in f if not line.startswith("\\")))
    c.execute("ALTER ROLE todo_app PASSWORD 'bench password'")
    c.execute("CREATE ROLE bench_bypass LOGIN BYPASSRLS PASSWORD 'bench password'")
    c.execute("GRANT SELECT ON tasks TO bench_bypass")
    crypto = c.execute("SELECT extnamespace::regnamespace::text FROM pg_extension "
                       "WHERE extname = 'pgcrypto'").fetchone()[0]
    c.execute(f"SET search_path = public, {crypto}")

    print(f"jwt_auth benchmark, {time.strftime('%Y-%m-%d')}, {machine()}")
    print(f"PostgreSQL {c.execute('SHOW server_version').fetchone()[0]}; "
          f"{N} tokens, {USERS} users x {TASKS_PER_USER} tasks" + (" (smoke run)" if SMOKE else ""))

    # --- data: users, their tasks, and N distinct signed tokens, each of its own session ---
    c.execute(f"""
        INSERT INTO auth.users (email, password_hash)
        SELECT 'user' || i || '@bench.example', 'x' FROM generate_series(1, {USERS}) AS i""")
    c.execute(f"""
        INSERT INTO tasks (user_id, title)
        SELECT u.id, 'task ' || j FROM auth.users u, generate_series(1, {TASKS_PER_USER}) AS j""")
    create_b64url(c)
    kid, secret = c.execute("SELECT kid, secret FROM auth.keys").fetchone()
    # Token n belongs to user n % USERS and has a session and a jti of its own,
    # so that no two tokens are equal and no session is seen twice.
    c.execute(f"""
        CREATE TABLE bench_sessions AS
        SELECT n, u.id AS user_id, md5('session' || n)::uuid AS sid
          FROM generate_series(0, {N - 1}) AS n
          JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM auth.users) u
            ON u.k = n % {USERS}""")
    c.execute("""
        INSERT INTO auth.sessions (id, user_id, expires_at)
        SELECT sid, user_id, now() + interval '1 day' FROM bench_sessions""")
    sign_tokens(c, "bench_sessions", "bench_tokens", secret, kid, "user@bench.example", 3600)
    c.execute("DROP TABLE bench_sessions")
    c.execute("VACUUM ANALYZE")
    assert c.execute("SELECT count(DISTINCT token) FROM bench_tokens").fetchone()[0] == N
    c.execute("GRANT SELECT ON bench_tokens TO todo_app, bench_bypass")
    # The plain-SQL verifier, as pgjwt and PostgREST's recipe do it.
    c.execute("""
        CREATE FUNCTION sql_verify(token text, secret bytea) RETURNS uuid LANGUAGE sql STABLE AS $$
          SELECT CASE WHEN parts.s = b64url(hmac(convert_to(parts.h || '.' || parts.p, 'UTF8'), secret, 'sha256'))
                       AND (c.claims ->> 'exp')::bigint > extract(epoch FROM now())
                       AND c.claims ->> 'iss' = 'jwt_auth'
                       AND c.claims ->> 'aud' = 'authenticated'
                      THEN (c.claims ->> 'sub')::uuid END
            FROM (SELECT split_part(token, '.', 1) AS h, split_part(token, '.', 2) AS p,
                         split_part(token, '.', 3) AS s) AS parts,
                 LATERAL (SELECT convert_from(decode(rpad(translate(parts.p, '-_', '+/'),
                                 (length(parts.p) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb AS claims) AS c
        $$""")
    assert c.execute("SELECT count(*) FROM bench_tokens WHERE sql_verify(token, %s) = user_id",
                     [secret]).fetchone()[0] == N, "the SQL verifier refuses the tokens"
    one = c.execute("SELECT token FROM bench_tokens WHERE n = 0").fetchone()[0]

    # --- 1 and 5: cost per call ---
    # Each round runs every query once, in this order; the best time of each
    # is kept, so that a slow spell of the machine hits them all alike.
    # (key, label, query, its arguments, a setting it runs under)
    measures = [
        ("floor", "length(token)  [floor]", "SELECT count(length(token)) FROM bench_tokens", [], None),
        ("hmac", "pgcrypto hmac(token)  [crypto floor]",
         "SELECT count(hmac(convert_to(token, 'UTF8'), %s, 'sha256')) FROM bench_tokens", [secret], None),
        ("sql", "plain-SQL verifier (pgcrypto + jsonb)",
         "SELECT count(sql_verify(token, %s)) FROM bench_tokens", [secret], None),
        ("off", "auth.verify, distinct tokens, stateless",
         "SELECT count(auth.verify(token)) FROM bench_tokens", [], "jwt_auth.check_sessions = off"),
        ("on", "auth.verify, distinct tokens, sessions checked",
         "SELECT count(auth.verify(token)) FROM bench_tokens", [], None),
        # What the session check does, as SQL would do it: the same look-up
        # of each token's session by primary key, reading the row, in the
        # query that verifies the tokens statelessly.
        ("probe", "stateless verify + SQL probe of auth.sessions",
         "SELECT count(auth.verify(t.token)), "
         "count((SELECT s.user_id = t.user_id AND s.revoked_at IS NULL AND s.expires_at > now() "
         "FROM auth.sessions s WHERE s.id = t.sid)) FROM bench_tokens t", [], "jwt_auth.check_sessions = off"),
        ("same", "auth.verify, the same token, sessions checked",
         f"SELECT count(auth.verify(%s)) FROM generate_series(1, {N})", [one], None),
        ("same_off", "the same, caches off (jwt_auth.cache_size = 0)",
         f"SELECT count(auth.verify(%s)) FROM generate_series(1, {N})", [one], "jwt_auth.cache_size = 0"),
        ("same_floor", "length(), the same token  [floor]",
         f"SELECT count(length(%s)) FROM generate_series(1, {N})", [one], None),
    ]
    best = {}
    for _ in range(REPEAT):
        for key, _label, sql, args, setting in measures:
            if setting:
                c.execute(f"SET {setting}")
            start = time.perf_counter()
            c.execute(sql, args).fetchall()
            elapsed = time.perf_counter() - start
            if setting:
                c.execute(f"RESET {setting.split()[0]}")
            best[key] = min(best.get(key, elapsed), elapsed)
    us = {key: seconds / N * 1e6 for key, seconds in best.items()}
    hmac_floor, sql_v = us["hmac"], us["sql"]
    v_off, v_on, same, same_uncached, same_floor = us["off"], us["on"], us["same"], us["same_off"], us["same_floor"]
    rows = [(label, us[key]) for key, label, *_ in measures]
    print("\n1. Cost per call, µs (best of %d rounds)" % REPEAT)
    for label, value in rows:
        print(f"   {label:<48} {value:8.2f}")
    print(f"   verify (distinct) vs plain-SQL verifier:  {sql_v / v_on:6.1f}x faster   (target >= 10x)")
    print(f"   verify (distinct) / hmac() floor:         {v_on / hmac_floor:6.2f}     (target <= 2.5)")
    print(f"   the same, stateless / hmac() floor:       {v_off / hmac_floor:6.2f}")
    print(f"   verify (same token) / length() floor:     {same / same_floor:6.2f}     (target <= 3)")
    print(f"   the same, caches off / length() floor:    {same_uncached / same_floor:6.2f}")
    print(f"5. session check: verify with / without:     {v_on / v_off:6.2f}     "
          f"(+{v_on - v_off:.2f} µs per call)")
    print(f"   verify with / stateless + SQL probe:      {v_on / us['probe']:6.2f}     (target <= 1.10)")

    # --- 1b: ES256 and RS256, tokens signed here with PyJWT ---
    print(f"\n1b. Asymmetric keys, {N_ASYM} distinct tokens, sessions checked, µs per call (best of {REPEAT})")
    user = c.execute("SELECT id FROM auth.users ORDER BY id LIMIT 1").fetchone()[0]
    for alg in ("ES256", "RS256"):
        kid = c.execute("SELECT auth.rotate_key(%s)", [alg]).fetchone()[0]
        pem = bytes(c.execute("SELECT secret FROM auth.keys WHERE kid = %s", [kid]).fetchone()[0])
        now = int(time.time())
        signed = []
        for i in range(N_ASYM):
            sid = str(uuid.uuid4())
            token = jwt.encode({"iss": "jwt_auth", "aud": "authenticated", "sub": str(user),
                                "role": "authenticated", "iat": now, "exp": now + 3600,
                                "sid": sid, "jti": str(uuid.uuid4())},
                               pem, algorithm=alg, headers={"kid": kid})
            signed.append((i, sid, low_s(token) if alg == "ES256" else token))
        c.execute("CREATE TEMP TABLE asym (n int, sid uuid, token text)")
        with c.cursor().copy("COPY asym FROM STDIN") as copy:
            for row in signed:
                copy.write_row(row)
        c.execute("INSERT INTO auth.sessions (id, user_id, expires_at) "
                  "SELECT sid, %s, now() + interval '1 day' FROM asym", [user])
        distinct = timed(c, "SELECT count(auth.verify(token)) FROM asym") / N_ASYM * 1e6
        again = timed(c, f"SELECT count(auth.verify(t.token)) FROM (SELECT token FROM asym WHERE n = 0) t, "
                         f"generate_series(1, {N})") / N * 1e6
        print(f"   {alg}: distinct tokens {distinct:8.2f}, the same token again {again:6.2f}")
        c.execute("DROP TABLE asym")
    # Back to an HS256 signing key for signin (section 4).
    c.execute("SELECT auth.rotate_key('HS256')")

    outside_eddsa(c, user, one)

    # --- 2: RLS overhead, by the form of the policy ---
    rls_policy_forms(c)

    # --- 3: request transaction ---
    # Tokens drawn from all N (each seen for the first time, as after a
    # deploy), and from ACTIVE users' tokens (an application's steady state:
    # each client sends its token again with every request).
    clients = 2
    active = min(100, N)

    def request(pool):
        return side_by_side(
            ("\\set n random(0, %d)\nBEGIN;\nSELECT auth.verify(token) FROM bench_tokens WHERE n = :n;\n"
             "SELECT * FROM tasks;\nCOMMIT;\n" % (pool - 1), "todo_app", "bench password", clients),
            ("\\set n random(0, %d)\nBEGIN;\nSELECT user_id AS uid FROM bench_tokens WHERE n = :n \\gset\n"
             "SELECT * FROM tasks WHERE user_id = :uid;\nCOMMIT;\n" % (pool - 1),
             "bench_bypass", "bench password", clients),
            PGBENCH_SECONDS)

    cold_with, cold_without = request(N)
    hot_with, hot_without = request(active)
    print(f"\n3. Request transaction, {clients} clients (tps)")
    print(f"   BEGIN; verify; own tasks; COMMIT, {N} tokens: {cold_with:10.0f}")
    print(f"   the same, identity as a parameter:         {cold_without:10.0f}")
    print(f"   ratio with / without:                      {cold_with / cold_without:6.3f}     (target >= 0.85)")
    print(f"   the same over {active} active users' tokens:  {hot_with:10.0f} / {hot_without:.0f}")
    print(f"   ratio with / without:                      {hot_with / hot_without:6.3f}     (target >= 0.85)")

    # --- 4: signin and signup latency ---
    cost = int(c.execute("SHOW jwt_auth.bcrypt_cost").fetchone()[0])

    # Each round runs the three calls one after the other, in alternating
    # orders, so that the overhead is the median of differences measured
    # seconds apart rather than minutes apart.
    calls = {
        "auth.signup": ("SELECT auth.signup(%s, 'bench password 1')", lambda i: [f"lat{i}@bench.example"]),
        "auth.signin": ("SELECT auth.signin(%s, 'bench password 1')", lambda i: [f"lat{i}@bench.example"]),
        "bare crypt()": (f"SELECT crypt('bench password 1', gen_salt('bf', {cost}))", lambda i: []),
    }
    order = list(calls)
    ms = {name: [] for name in order}
    for i in range(LATENCY_ROUNDS):
        # Signup comes before signin of the same email; crypt() goes last,
        # then first.
        rotation = order if i % 2 == 0 else order[-1:] + order[:-1]
        for name in rotation:
            sql, args_of = calls[name]
            start = time.perf_counter()
            c.execute(sql, args_of(i)).fetchall()
            ms[name].append((time.perf_counter() - start) * 1000)

    def p95(xs):
        return sorted(xs)[max(0, int(len(xs) * 0.95) - 1)]

    def overhead(name):
        return statistics.median(a - b for a, b in zip(ms[name], ms["bare crypt()"]))
    print(f"\n4. Latency at bcrypt cost {cost}, {LATENCY_ROUNDS} rounds (ms): median / p95")
    for name in order:
        print(f"   {name:<40} {statistics.median(ms[name]):8.1f} / {p95(ms[name]):8.1f}")
    print(f"   overhead beyond the hash, signup / signin: "
          f"{overhead('auth.signup'):+.2f} / {overhead('auth.signin'):+.2f} ms   "
          f"(median of paired differences; target < 1 ms; p95 < 500 ms)")

    # --- 6: throttling ---
    # The look-up itself: a locked email is refused by the throttle, an
    # over-long password before it; both raise, in a loop inside the server.
    c.execute("SELECT auth.signup('locked@bench.example', 'bench password 1')")
    for i in range(5):
        try:
            c.execute("SELECT auth.signin('locked@bench.example', %s)", [f"wrong {i}"])
        except psycopg.errors.InvalidPassword:
            pass
    calls_per_loop = 200 if SMOKE else 5_000
    loop = ("DO $$ BEGIN FOR i IN 1..%d LOOP BEGIN PERFORM auth.signin('locked@bench.example', %s); "
            "EXCEPTION WHEN invalid_password OR invalid_authorization_specification THEN NULL; END; "
            "END LOOP; END $$")
    refused_before = loop % (calls_per_loop, "repeat('x', 1025)")
    refused_locked = loop % (calls_per_loop, "'bench password 1'")
    best = {"before": None, "locked": None}
    for _ in range(REPEAT):
        for name, sql in (("before", refused_before), ("locked", refused_locked)):
            start = time.perf_counter()
            c.execute(sql)
            elapsed = (time.perf_counter() - start) / calls_per_loop * 1e6
            best[name] = elapsed if best[name] is None else min(best[name], elapsed)
    # A whole successful sign-in with throttling on and off (a session SET,
    # superuser): the difference is the look-up, the success and the noise.
    paired = []
    for i in range(LATENCY_ROUNDS):
        pair = {}
        for mode in (("on", "off") if i % 2 == 0 else ("off", "on")):
            c.execute("SET jwt_auth.max_failed_signins = %s" % ("5" if mode == "on" else "0"))
            start = time.perf_counter()
            c.execute("SELECT auth.signin(%s, 'bench password 1')", [f"lat{i}@bench.example"])
            pair[mode] = (time.perf_counter() - start) * 1000
        paired.append(pair["on"] - pair["off"])
    c.execute("RESET jwt_auth.max_failed_signins")
    print(f"\n6. Throttling, µs per sign-in (best of {REPEAT} loops of {calls_per_loop})")
    print(f"   refused by the throttle (locked email):   {best['locked']:8.2f}")
    print(f"   refused before it (password too long):    {best['before']:8.2f}")
    print(f"   throttle look-up (the difference):        {best['locked'] - best['before']:8.2f}     (target < 100)")
    print(f"   successful signin, throttling on - off:   {statistics.median(paired) * 1000:+8.0f}     "
          f"(median of {LATENCY_ROUNDS} paired differences; bcrypt noise is about +-1000)")

    c.close()
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute("DROP ROLE IF EXISTS bench_bypass")


if __name__ == "__main__":
    main()
