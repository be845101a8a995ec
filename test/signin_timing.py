"""Sign-in timing: an unknown email and a wrong password for a real account
should take the same time, so that timing does not tell who has an account.

Prints the medians of ROUNDS attempts of each, interleaved, and their
ratio; asserts nothing (the machine is shared and noisy). Runs against the
PG* environment, at the default bcrypt cost.
"""
import statistics
import time

import psycopg

ROUNDS = 25
DB = "jwt_auth_timing"

with psycopg.connect(dbname="postgres", autocommit=True) as admin:
    admin.execute(f"DROP DATABASE IF EXISTS {DB}")
    admin.execute(f"CREATE DATABASE {DB}")
try:
    with psycopg.connect(dbname=DB, autocommit=True) as c:
        c.execute("SET client_min_messages = warning")
        # Every attempt must reach the password check: no throttling here.
        c.execute("SET jwt_auth.max_failed_signins = 0")
        c.execute("CREATE EXTENSION jwt_auth CASCADE")
        c.execute("SELECT auth.signup('real@example.com', 'the real password')")
        samples = {"wrong password": [], "unknown email": []}
        for i in range(ROUNDS):
            for label, email in (("wrong password", "real@example.com"),
                                 ("unknown email", f"nobody{i}@example.com")):
                start = time.perf_counter()
                try:
                    c.execute("SELECT auth.signin(%s, 'not the password')", [email])
                except psycopg.errors.InvalidPassword:
                    pass
                samples[label].append((time.perf_counter() - start) * 1000)
        cost = c.execute("SHOW jwt_auth.bcrypt_cost").fetchone()[0]
    wrong = statistics.median(samples["wrong password"])
    unknown = statistics.median(samples["unknown email"])
    print(f"signin_timing: bcrypt cost {cost}, {ROUNDS} attempts each: median wrong password "
          f"{wrong:.1f} ms, unknown email {unknown:.1f} ms, ratio {unknown / wrong:.3f}")
finally:
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
