-- Hostile tokens: every family an attacker tries.  Each is refused with
-- 28000 and a reason (the few valid look-alikes among them are marked as
-- such), and the backend survives them all (the file goes on).  Key
-- confusion between key types is in keys.sql; the limits at their
-- boundaries are in verify.sql.
-- Fixtures (install.sql): regress.try_verify, regress.sign, regress.part,
-- regress.kid, regress.secret, regress.b64url, regress.hmac256.
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT auth.signup('target@example.com', 'target password') AS uid \gset
SELECT auth.signin('target@example.com', 'target password') AS tok \gset
SELECT regress.part(:'tok', 2)::text AS claims, regress.kid() AS kid, split_part(:'tok', '.', 1) AS h,
       split_part(:'tok', '.', 2) AS p, split_part(:'tok', '.', 3) AS s \gset
-- Shorthands: a header or payload text, base64url-encoded.
CREATE FUNCTION pg_temp.e(text) RETURNS text LANGUAGE sql AS $$ SELECT regress.b64url(convert_to($1, 'UTF8')) $$;
CREATE FUNCTION pg_temp.hdr(extra text) RETURNS text LANGUAGE sql
    AS $$ SELECT '{"alg":"HS256","typ":"JWT","kid":"' || regress.kid() || '"' || extra || '}' $$;
CREATE FUNCTION pg_temp.signed(header text, payload text) RETURNS text LANGUAGE sql
    AS $$ SELECT regress.sign(header, payload, regress.secret()) $$;

SELECT regress.try_verify(:'tok') AS the_genuine_token;

-- Algorithm games (all correctly MACed with the real key).
SELECT name, regress.try_verify(t) AS result FROM (VALUES
    ('alg none',            pg_temp.e('{"alg":"none","kid":"' || :'kid' || '"}') || '.' || :'p' || '.'),
    ('alg none, with MAC',  pg_temp.signed('{"alg":"none","kid":"' || :'kid' || '"}', :'claims')),
    ('alg nOnE',            pg_temp.signed('{"alg":"nOnE","kid":"' || :'kid' || '"}', :'claims')),
    ('alg hs256',           pg_temp.signed('{"alg":"hs256","kid":"' || :'kid' || '"}', :'claims')),
    ('alg HS256 + space',   pg_temp.signed('{"alg":" HS256","kid":"' || :'kid' || '"}', :'claims')),
    ('alg null',            pg_temp.signed('{"alg":null,"kid":"' || :'kid' || '"}', :'claims')),
    ('alg array',           pg_temp.signed('{"alg":["HS256"],"kid":"' || :'kid' || '"}', :'claims')),
    ('alg object',          pg_temp.signed('{"alg":{"HS256":1},"kid":"' || :'kid' || '"}', :'claims')),
    ('alg missing',         pg_temp.signed('{"kid":"' || :'kid' || '"}', :'claims')),
    ('alg very long',       pg_temp.signed('{"alg":"' || repeat('HS256', 100) || '","kid":"' || :'kid' || '"}', :'claims')),
    ('alg twice',           pg_temp.signed('{"alg":"HS256","alg":"none","kid":"' || :'kid' || '"}', :'claims'))
) AS cases(name, t);
-- The same name spelled with JSON escapes is the same string: accepted.
SELECT regress.try_verify(pg_temp.signed('{"alg":"HS\u0032\u0035\u0036","kid":"' || :'kid' || '"}', :'claims')) AS escaped_alg;

-- Broken structure.
SELECT name, regress.try_verify(t) AS result FROM (VALUES
    ('one segment',          :'h'),
    ('two segments',         :'h' || '.' || :'p'),
    ('four segments',        :'tok' || '.' || :'s'),
    ('five segments',        :'tok' || '.a.b'),
    ('leading dot',          '.' || :'tok'),
    ('trailing dot',         :'tok' || '.'),
    ('only dots',            repeat('.', 8000)),
    ('empty header',         '.' || :'p' || '.' || :'s'),
    ('empty payload',        :'h' || '..' || :'s'),
    ('empty signature',      :'h' || '.' || :'p' || '.'),
    ('signature 42 chars',   :'h' || '.' || :'p' || '.' || left(:'s', 42)),
    ('signature 44 chars',   :'h' || '.' || :'p' || '.' || :'s' || 'A'),
    ('signature 86 chars',   :'h' || '.' || :'p' || '.' || :'s' || :'s'),
    ('padding on header',    :'h' || '==.' || :'p' || '.' || :'s'),
    ('padding on signature', :'tok' || '='),
    ('base64 +',             '+' || substr(:'tok', 2)),
    ('base64 /',             '/' || substr(:'tok', 2)),
    ('percent-encoded',      replace(:'tok', '.', '%2E')),
    ('newline inside',       :'h' || E'.\n' || :'p' || '.' || :'s'),
    ('tab before',           E'\t' || :'tok'),
    ('Bearer prefix',        'Bearer ' || :'tok'),
    ('quoted',               '"' || :'tok' || '"'),
    ('non-ASCII',            :'tok' || 'é'),
    ('lone base64 char',     :'h' || 'A.' || :'p' || '.' || :'s')
) AS cases(name, t);

-- Broken JSON, correctly signed.
SELECT name, regress.try_verify(pg_temp.signed(header, payload)) AS result FROM (VALUES
    ('header not object',    '["HS256"]', :'claims'),
    ('header string',        '"HS256"', :'claims'),
    ('header BOM',           E'\ufeff' || pg_temp.hdr(''), :'claims'),
    ('header comment',       pg_temp.hdr('') || '/* x */', :'claims'),
    ('header trailing',      pg_temp.hdr('') || 'x', :'claims'),
    ('header single quotes', replace(pg_temp.hdr(''), '"', ''''), :'claims'),
    ('header trailing comma', pg_temp.hdr(','), :'claims'),
    ('payload array',        pg_temp.hdr(''), '[' || :'claims' || ']'),
    ('payload number',       pg_temp.hdr(''), '42'),
    ('payload two objects',  pg_temp.hdr(''), :'claims' || :'claims'),
    ('payload NaN',          pg_temp.hdr(''), replace(:'claims', '"iat": ', '"x": NaN, "iat": ')),
    ('duplicate sub',        pg_temp.hdr(''), replace(:'claims', '"iat": ', '"sub": "' || :'uid' || '", "iat": ')),
    ('duplicate nested',     pg_temp.hdr(''), replace(:'claims', '"iat": ', '"app": {"a": 1, "a": 2}, "iat": ')),
    ('depth 17',             pg_temp.hdr(''), replace(:'claims', '"iat": ', '"x": ' || repeat('{"a":', 16) || '1' || repeat('}', 16) || ', "iat": ')),
    ('depth 1000',           pg_temp.hdr(''), replace(:'claims', '"iat": ', '"x": ' || repeat('[', 1000) || repeat(']', 1000) || ', "iat": ')),
    ('200 members',          pg_temp.hdr(''), replace(:'claims', '"iat": ', (SELECT string_agg('"m' || i || '": ' || i, ', ') FROM generate_series(1, 200) i) || ', "iat": ')),
    ('100-element array',    pg_temp.hdr(''), replace(:'claims', '"aud": "authenticated"', '"aud": [' || (SELECT string_agg('"a' || i || '"', ',') FROM generate_series(1, 100) i) || ', "authenticated"]')),
    ('NUL escape',           pg_temp.hdr(''), replace(:'claims', '"role": "authenticated"', '"role": "authenticated\u0000admin"')),
    ('lone high surrogate',  pg_temp.hdr(''), replace(:'claims', '"role": "authenticated"', '"role": "\ud800"')),
    ('lone low surrogate',   pg_temp.hdr(''), replace(:'claims', '"role": "authenticated"', '"role": "\udc00x"')),
    ('bad escape',           pg_temp.hdr(''), replace(:'claims', '"role": "authenticated"', '"role": "\x41"')),
    ('raw newline in string', pg_temp.hdr(''), replace(:'claims', '"role": "authenticated"', E'"role": "auth\nenticated"')),
    ('single-quoted key',    pg_temp.hdr(''), replace(:'claims', '"role"', '''role''')),
    ('unquoted key',         pg_temp.hdr(''), replace(:'claims', '"role"', 'role'))
) AS cases(name, header, payload);
-- Bytes that are not UTF-8 (overlong "/", a raw 0xFF) inside a signed payload.
SELECT name, regress.try_verify(s || '.' || regress.b64url(regress.hmac256(convert_to(s, 'UTF8'), regress.secret()))) AS result
  FROM (VALUES
    ('overlong UTF-8', pg_temp.e(pg_temp.hdr('')) || '.' || regress.b64url(convert_to('{"sub":"', 'UTF8') || '\xc0af'::bytea || convert_to('"}', 'UTF8'))),
    ('byte 0xFF',      pg_temp.e(pg_temp.hdr('')) || '.' || regress.b64url(convert_to('{"sub":"', 'UTF8') || '\xff'::bytea || convert_to('"}', 'UTF8'))),
    ('encoded surrogate', pg_temp.e(pg_temp.hdr('')) || '.' || regress.b64url(convert_to('{"sub":"', 'UTF8') || '\xeda080'::bytea || convert_to('"}', 'UTF8'))),
    ('random bytes',   pg_temp.e(pg_temp.hdr('')) || '.' || regress.b64url('\x8f3a00ff12e5c4d3b2a1'::bytea))
  ) AS cases(name, s);

-- Broken numbers.
SELECT name, regress.try_verify(pg_temp.signed(pg_temp.hdr(''), replace(:'claims', '"exp": ', '"exp": ' || v || ', "old_exp": '))) AS result
  FROM (VALUES
    ('exp as string',   '"9999999999"'),
    ('exp float',       '1800000000.0'),
    ('exp exponent',    '1.8e9'),
    ('exp negative',    '-1'),
    ('exp minus zero',  '-0'),
    ('exp leading 0',   '01800000000'),
    ('exp year 10000',  '253402300800'),
    ('exp 2^63',        '9223372036854775808'),
    ('exp 1e400',       '1e400'),
    ('exp true',        'true'),
    ('exp null',        'null'),
    ('exp hex',         '0x6B49D200')
  ) AS cases(name, v);
SELECT regress.try_verify(pg_temp.signed(pg_temp.hdr(''), (:'claims'::jsonb || '{"nbf": 9223372036854775807}')::text)) AS nbf_max;
SELECT regress.try_verify(pg_temp.signed(pg_temp.hdr(''), (:'claims'::jsonb || '{"iat": -9223372036854775808}')::text)) AS iat_min;
SELECT regress.try_verify(pg_temp.signed(pg_temp.hdr(''), (:'claims'::jsonb || '{"exp": 253402300799}')::text)) AS exp_year_9999_ok;

-- Hostile header fields: never followed, never trusted.
SELECT name, regress.try_verify(t) AS result FROM (VALUES
    ('crit',               pg_temp.signed(pg_temp.hdr(',"crit":["exp"]'), :'claims')),
    ('crit empty',         pg_temp.signed(pg_temp.hdr(',"crit":[]'), :'claims')),
    ('b64 false',          pg_temp.signed(pg_temp.hdr(',"b64":false,"crit":["b64"]'), :'claims')),
    ('typ JWE',            pg_temp.signed('{"alg":"HS256","typ":"JWE","kid":"' || :'kid' || '"}', :'claims')),
    ('kid traversal',      pg_temp.signed('{"alg":"HS256","kid":"../../../../etc/passwd"}', :'claims')),
    ('kid injection',      pg_temp.signed('{"alg":"HS256","kid":"x'' OR ''1''=''1"}', :'claims')),
    ('kid NUL',            pg_temp.signed('{"alg":"HS256","kid":"' || :'kid' || '\u0000"}', :'claims')),
    ('kid with key + NUL', pg_temp.signed('{"alg":"HS256","kid":"' || :'kid' || '\u0000x"}', :'claims')),
    ('kid number',         pg_temp.signed('{"alg":"HS256","kid":1}', :'claims')),
    ('embedded jwk, attacker key',
                           regress.sign(pg_temp.hdr(',"jwk":{"kty":"oct","k":"YXR0YWNrZXIga2V5IG9mIHRoaXJ0eS10d28gYnl0ZXMhIQ"}'), :'claims',
                                        convert_to('attacker key of thirty-two bytes!!', 'UTF8'))),
    ('jku, attacker key',  regress.sign(pg_temp.hdr(',"jku":"https://attacker.example/jwks.json"'), :'claims',
                                        convert_to('attacker key of thirty-two bytes!!', 'UTF8'))),
    ('x5u, attacker key',  regress.sign(pg_temp.hdr(',"x5u":"https://attacker.example/cert.pem"'), :'claims',
                                        convert_to('attacker key of thirty-two bytes!!', 'UTF8'))),
    ('x5c, attacker key',  regress.sign(pg_temp.hdr(',"x5c":["MIIB"]'), :'claims',
                                        convert_to('attacker key of thirty-two bytes!!', 'UTF8')))
) AS cases(name, t);

-- Oversized and binary input.
SELECT name, regress.try_verify(t) AS result FROM (VALUES
    ('8 MB',               repeat('eyJ', 3 * 1024 * 1024)),
    ('huge payload',       :'h' || '.' || repeat('A', 8000) || '.' || :'s'),
    ('all A',              repeat('A', 8192)),
    ('binary-looking',     E'\\x00\\xff\\xfe'),
    ('SQL in token',       ''';DROP TABLE auth.users;--')
) AS cases(name, t);

-- Still alive, and the genuine token still works.
SELECT regress.try_verify(:'tok') AS still_alive;
SELECT count(*) AS users_intact FROM auth.users WHERE email = 'target@example.com';
