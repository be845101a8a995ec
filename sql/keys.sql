-- Keys: rotation, retirement, import, ES256/RS256, JWKS, and the
-- algorithm pinned to the key (no key confusion).
-- The PEM keys below are throwaway test keys, made for this file only.
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT auth.signup('kay@example.com', 'kay password 1') AS kay \gset
SELECT auth.signin('kay@example.com', 'kay password 1') AS hs_tok \gset
SELECT regress.part(:'hs_tok', 1) ->> 'alg' AS alg;

-- rotate_key: a new key signs from the next token on; old tokens keep verifying.
SELECT auth.rotate_key() AS hs_kid \gset
SELECT (SELECT alg FROM auth.keys WHERE kid = :'hs_kid') AS alg,
       (SELECT octet_length(secret) FROM auth.keys WHERE kid = :'hs_kid') AS secret_bytes;
SELECT regress.part(auth.signin('kay@example.com', 'kay password 1'), 1) ->> 'kid' = :'hs_kid' AS new_key_signs;
SELECT regress.try_verify(:'hs_tok') AS old_token_still_verifies;

SELECT auth.rotate_key('ES256') AS es_kid \gset
SELECT auth.signin('kay@example.com', 'kay password 1') AS es_tok \gset
SELECT regress.part(:'es_tok', 1) - 'kid' AS header, regress.part(:'es_tok', 1) ->> 'kid' = :'es_kid' AS es_key_signs,
       length(split_part(:'es_tok', '.', 3)) AS signature_chars;
SELECT regress.try_verify(:'es_tok') AS es256_verifies;
SELECT public_key LIKE '-----BEGIN PUBLIC KEY-----%' AS public_pem,
       convert_from(secret, 'UTF8') LIKE '-----BEGIN PRIVATE KEY-----%' AS private_pkcs8
  FROM auth.keys WHERE kid = :'es_kid';

SELECT auth.rotate_key('RS256') AS rs_kid \gset
SELECT auth.signin('kay@example.com', 'kay password 1') AS rs_tok \gset
SELECT regress.part(:'rs_tok', 1) - 'kid' AS header, length(split_part(:'rs_tok', '.', 3)) AS signature_chars;
SELECT regress.try_verify(:'rs_tok') AS rs256_verifies;

SELECT auth.rotate_key('HS512');
\echo :LAST_ERROR_SQLSTATE
SELECT auth.rotate_key(NULL);

-- Tampering with an ES256 or RS256 token: refused.
SELECT regress.try_verify(split_part(:'es_tok', '.', 1) || '.' || regress.b64url(convert_to((regress.part(:'es_tok', 2) || '{"role":"admin"}')::text, 'UTF8')) || '.' || split_part(:'es_tok', '.', 3));
SELECT regress.try_verify(left(:'es_tok', -4) || 'AAAA');
SELECT regress.try_verify(left(:'es_tok', -2));
SELECT regress.try_verify(split_part(:'rs_tok', '.', 1) || '.' || split_part(:'rs_tok', '.', 2) || '.' || left(split_part(:'rs_tok', '.', 3), 300));
SELECT regress.try_verify(split_part(:'rs_tok', '.', 1) || '.' || split_part(:'es_tok', '.', 2) || '.' || split_part(:'rs_tok', '.', 3));

-- Key confusion: a token that names the ES256 key but says HS256 and is
-- MACed with the public key's PEM text (what a verifier trusting "alg"
-- would accept), or that names the RS256 key and says ES256: refused.
SELECT regress.try_verify(regress.sign(jsonb_build_object('alg', 'HS256', 'kid', :'es_kid')::text,
                                       regress.part(:'es_tok', 2)::text,
                                       convert_to((SELECT public_key FROM auth.keys WHERE kid = :'es_kid'), 'UTF8')));
SELECT regress.try_verify(regress.b64url(convert_to(jsonb_build_object('alg', 'ES256', 'kid', :'rs_kid')::text, 'UTF8'))
                          || '.' || split_part(:'es_tok', '.', 2) || '.' || split_part(:'es_tok', '.', 3));
SELECT regress.try_verify(regress.b64url(convert_to(jsonb_build_object('alg', 'none', 'kid', :'es_kid')::text, 'UTF8'))
                          || '.' || split_part(:'es_tok', '.', 2) || '.' || split_part(:'es_tok', '.', 3));

-- JWKS: the ES256 and RS256 public keys, nothing secret, nothing for HS256.
SELECT k ->> 'kid' = :'es_kid' AS es_first, k ->> 'kty' AS kty, k ->> 'crv' AS crv, k ->> 'alg' AS alg, k ->> 'use' AS use,
       length(k ->> 'x') AS x_chars, length(k ->> 'y') AS y_chars, k ? 'd' AS has_private
  FROM jsonb_array_elements(auth.jwks() -> 'keys') AS k WHERE k ->> 'kty' = 'EC';
SELECT k ->> 'kid' = :'rs_kid' AS rs_key, k ->> 'kty' AS kty, k ->> 'alg' AS alg, k ->> 'e' AS e,
       length(k ->> 'n') AS n_chars, k ?| array['d', 'p', 'q'] AS has_private
  FROM jsonb_array_elements(auth.jwks() -> 'keys') AS k WHERE k ->> 'kty' = 'RSA';
SELECT jsonb_array_length(auth.jwks() -> 'keys') AS public_keys,
       auth.jwks()::text LIKE '%' || :'hs_kid' || '%' AS hs_key_published;

-- retire_key: the key stops verifying and signing at once; the next newest signs.
SELECT auth.retire_key(:'rs_kid') AS retired;
SELECT regress.try_verify(:'rs_tok');
SELECT regress.part(auth.signin('kay@example.com', 'kay password 1'), 1) ->> 'kid' = :'es_kid' AS es_key_signs_again;
SELECT auth.retire_key(:'rs_kid') AS retired_again, auth.retire_key('no-such-key') AS unknown;
SELECT jsonb_array_length(auth.jwks() -> 'keys') AS public_keys_after_retire;

-- import_key: a shared HS256 secret (at least 32 bytes) or a PEM private key.
SELECT auth.import_key('HS256', convert_to('a shared secret of at least 32 bytes!', 'UTF8'), 'shared-1') AS imported;
SELECT regress.try_verify(regress.sign('{"alg":"HS256","kid":"shared-1"}',
                                       regress.claims(:'kay', jsonb_build_object('sid', regress.part(:'es_tok', 2) ->> 'sid'))::text,
                                       convert_to('a shared secret of at least 32 bytes!', 'UTF8'))) AS backend_minted_token;
SELECT auth.import_key('HS256', convert_to('too short', 'UTF8'));
\echo :LAST_ERROR_SQLSTATE
SELECT auth.import_key('HS256', convert_to('a shared secret of at least 32 bytes!', 'UTF8'), 'shared-1');
SELECT auth.import_key('ES256', convert_to('-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbD6uEaN+8F49Pvz7
fmKRxECZPOazKo5PfxBcevRCkXehRANCAAQf2SuoqMSf2UyCBY6XwW2uy/Avkwyt
NfusxCG9+B9UkjpD4mLdplSubDk1+KfkQy2ZWlvkmPuzAkPNqrJQ1Iiy
-----END PRIVATE KEY-----', 'UTF8'), 'imported-es') AS imported;
SELECT regress.try_verify(auth.signin('kay@example.com', 'kay password 1')) AS imported_es_signs_and_verifies;
SELECT auth.import_key('ES256', convert_to('-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCw8FGpQHnRGks4m26+
PInQ9wY5t1Qa0yCZYFTN+pKMKL+uXT2QiR9D3q8xuHpc7fyhZANiAASl/5tlGnn7
ojfBI8+9FEB1hF6sxFlnOCUYerQnOItHFkjSdi/Iz2H6yrO9Spsxflk7R9Jbtxwj
VaKKYok0JXIbbMZwqlbx3Cj18Rc4xdTaWo4T9B91a8m6HcKtJ8Dcb+k=
-----END PRIVATE KEY-----', 'UTF8'));
SELECT auth.import_key('RS256', convert_to('-----BEGIN PRIVATE KEY-----
MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAM1ltJWRRhVSJLgk
d4LUt4Ct8xk7MwzvTFZoecImqjSp/hpMPMgNXTyNxycJ04Un7rPfljpYytZqXOFx
GD55SpmotgGyDXlxZ3Hw5gM1EXafCa3tFCXpEPkSBJNQllAjYvk1NF3Zj307LCFp
wjUL5/HOp+4vZFJ+KomHSPl74kSVAgMBAAECgYBVwRrOP2MFT9Bo2UDUbL9YiEew
xxifU+GJSgFb4Ay8BCVFEYNm+r1spLz7PY0EURHGI5lzLtMxBiNVNISswLM2CIkd
VnDn+8jb4z6vSh1giH13UTIu3Z0tYhLA3CtFBlH8s6PPL+gJb94fJGyZr10C41wn
kMKF350kTJ6qQKOmgQJBAPIvhRSn4uUGCwH5wifbAVzVCaPBWJQpKu5nbhrIF13V
6ozkHoAyH9h8a8A0WS+yGGZ1C1VT9hZbSFKWr/44i9ECQQDZHP0+75q7wGgJTTJH
wbBHG7NJjXuLBTrhzVuPZdWoWcbOezir6TTRj0DgBwS/FnxGBVBFggMg/lqU56ob
nNGFAkEApNKGZapklq1oLG4IHwvDf6RVLSdW226xExM9MejfTjNZr41I3MJAPhtf
Ua3OzNEOHhymG+pKXqi9Lcfz+rYNIQJAb6LKTKwjIdsjI3VAH0lmfImvvGg1WBxO
VIClTayNGc1fvhf54ds9v2srboXtWNwU9mQRDEx3k2V16g7cluohiQJAZ2T6uUf3
uy9lzDCeGtHiit63UHxmIgvjQ2xg6GYD/czk4EDcesQBza/P71WSIgMz3jD7OFWx
BYGrPFO8JgyABg==
-----END PRIVATE KEY-----', 'UTF8'));
SELECT auth.import_key('RS256', convert_to('-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbD6uEaN+8F49Pvz7
fmKRxECZPOazKo5PfxBcevRCkXehRANCAAQf2SuoqMSf2UyCBY6XwW2uy/Avkwyt
NfusxCG9+B9UkjpD4mLdplSubDk1+KfkQy2ZWlvkmPuzAkPNqrJQ1Iiy
-----END PRIVATE KEY-----', 'UTF8'));
SELECT auth.import_key('ES256', convert_to('not a key', 'UTF8'));
SELECT auth.import_key('ES256', NULL);
SELECT auth.import_key('HS256', convert_to(repeat('k', 20000), 'UTF8'));
SELECT auth.import_key('HS256', convert_to(repeat('k', 32), 'UTF8'), '');

-- Only the extension's owner may rotate, import or retire.
SET ROLE regress_app;
SELECT auth.rotate_key();
SELECT auth.import_key('HS256', convert_to(repeat('k', 32), 'UTF8'));
SELECT auth.retire_key(:'es_kid');
SELECT jsonb_array_length(auth.jwks() -> 'keys') > 0 AS app_reads_jwks;
SELECT regress.try_verify(:'es_tok') AS app_verifies_es256;
RESET ROLE;

-- Back to an HS256 signing key for the files that follow.
SELECT auth.rotate_key('HS256') IS NOT NULL AS rotated;
