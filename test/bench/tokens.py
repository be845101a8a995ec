"""What test/bench/bench.py and test/bench/compare.py share: jwt_auth's own
HS256 tokens, made in SQL, each of a session of its own."""


def create_b64url(c):
    """b64url(bytea): base64url without padding, in SQL."""
    c.execute("""
        CREATE FUNCTION b64url(bytea) RETURNS text LANGUAGE sql IMMUTABLE
            AS $$ SELECT translate(rtrim(encode($1, 'base64'), '='), E'+/\\n', '-_') $$""")


def sign_tokens(c, sessions, table, secret, kid, email, lifetime, hmac="hmac"):
    """CREATE TABLE table (n, user_id, sid, token): for each row of sessions
    (n, user_id, sid), a token with jwt_auth's claims for that user and
    session, valid for lifetime seconds, signed under kid with secret by
    hmac (pgcrypto's, schema-qualified where it is not on the search_path)."""
    c.execute(f"""
        CREATE TABLE {table} AS
        SELECT n, user_id, sid, s || '.' || b64url({hmac}(convert_to(s, 'UTF8'), %s::bytea, 'sha256')) AS token
          FROM (SELECT t.n, t.user_id, t.sid,
                       b64url(convert_to(json_build_object('alg', 'HS256', 'typ', 'JWT', 'kid', %s::text)::text, 'UTF8'))
                       || '.' ||
                       b64url(convert_to(json_build_object(
                           'iss', 'jwt_auth', 'aud', 'authenticated', 'sub', t.user_id,
                           'email', %s::text, 'role', 'authenticated',
                           'iat', extract(epoch FROM now())::bigint,
                           'exp', extract(epoch FROM now())::bigint + %s,
                           'sid', t.sid, 'jti', md5('jti' || t.n)::uuid)::text, 'UTF8')) AS s
                  FROM {sessions} t) AS unsigned""",
              [secret, kid, email, lifetime])
    c.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (n)")
