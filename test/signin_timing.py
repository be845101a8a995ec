"""Sign-in timing: an unknown email and a wrong password for a real account
should take the same time, so that timing does not tell who has an account;
also right after the bcrypt cost changed, while accounts still have hashes
of the old cost (raised from 10 to 12, then lowered from 12 to 10).

Prints the medians of interleaved attempts of each and their ratio; asserts
nothing (the machine is shared and noisy). Runs against the PG* environment.
"""
import statistics
import time

import psycopg

ROUNDS = 25
DB = "jwt_auth_timing"


def medians(c, real, rounds, tag):
    samples = {"wrong password": [], "unknown email": []}
    for i in range(rounds):
        for label, email in (("wrong password", real), ("unknown email", f"nobody-{tag}-{i}@example.com")):
            start = time.perf_counter()
            try:
                c.execute("SELECT auth.signin(%s, 'not the password')", [email])
            except psycopg.errors.InvalidPassword:
                pass
            samples[label].append((time.perf_counter() - start) * 1000)
    return statistics.median(samples["wrong password"]), statistics.median(samples["unknown email"])


with psycopg.connect(dbname="postgres", autocommit=True) as admin:
    admin.execute(f"DROP DATABASE IF EXISTS {DB}")
    admin.execute(f"CREATE DATABASE {DB}")
try:
    with psycopg.connect(dbname=DB, autocommit=True) as c:
        c.execute("SET client_min_messages = warning")
        # Every attempt must reach the password check: no throttling here.
        c.execute("SET jwt_auth.max_failed_signins = 0")
        c.execute("CREATE EXTENSION jwt_auth CASCADE")
        c.execute("SET jwt_auth.bcrypt_cost = 12")
        c.execute("SELECT auth.signup('real@example.com', 'the real password')")
        wrong, unknown = medians(c, "real@example.com", ROUNDS, "same")
        print(f"signin_timing: bcrypt cost 12, {ROUNDS} attempts each: median wrong password "
              f"{wrong:.1f} ms, unknown email {unknown:.1f} ms, ratio {unknown / wrong:.3f}")

        # An account hashed at cost 10 after the cost went up to 12: its
        # wrong passwords are padded to the time of a hash at 12.
        c.execute("SET jwt_auth.bcrypt_cost = 10")
        c.execute("SELECT auth.signup('older@example.com', 'the real password')")
        c.execute("SET jwt_auth.bcrypt_cost = 12")
        wrong, unknown = medians(c, "older@example.com", ROUNDS // 2, "raised")
        print(f"signin_timing: cost raised 10 -> 12, account at 10: median wrong password "
              f"{wrong:.1f} ms, unknown email {unknown:.1f} ms, ratio {unknown / wrong:.3f}")

        # The cost lowered to 10 while accounts still have hashes at 12:
        # unknown emails take the time of the highest stored cost.
        c.execute("SET jwt_auth.bcrypt_cost = 10")
        wrong, unknown = medians(c, "real@example.com", ROUNDS // 2, "lowered")
        print(f"signin_timing: cost lowered 12 -> 10, account at 12: median wrong password "
              f"{wrong:.1f} ms, unknown email {unknown:.1f} ms, ratio {unknown / wrong:.3f}")
finally:
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
