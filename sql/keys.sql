-- Keys: rotation, retirement, import, ES256/RS256/EdDSA, JWKS, and the
-- algorithm pinned to the key (no key confusion).
-- The PEM keys below are throwaway test keys, made for this file only.
-- Fixtures (install.sql): regress.try_verify, regress.sign, regress.claims,
-- regress.part, regress.b64url; the role regress_app.
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
-- ECDSA signatures are malleable: (r, n - s) verifies as (r, s) does.
-- jwt_auth makes the low-S form (s <= n / 2) and accepts both, as other
-- signers of a shared key (libjwt, jose) make either.
CREATE FUNCTION regress.flip_s(token text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    part text := translate(split_part(token, '.', 3), '-_', '+/');
    sig bytea := decode(rpad(part, (length(part) + 3) / 4 * 4, '='), 'base64');
    n numeric := 0;
    s numeric := 0;
    out bytea := '\x';
BEGIN
    FOR i IN 0..31 LOOP
        n := n * 256 + get_byte('\xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'::bytea, i);
        s := s * 256 + get_byte(sig, 32 + i);
    END LOOP;
    s := n - s;
    FOR i IN 0..31 LOOP
        out := set_byte('\x00'::bytea, 0, (s % 256)::int) || out;
        s := div(s, 256);
    END LOOP;
    RETURN split_part(token, '.', 1) || '.' || split_part(token, '.', 2) || '.'
        || regress.b64url(substr(sig, 1, 32) || out);
END
$$;
SELECT bool_and(substr(decode(rpad(p, 88, '='), 'base64'), 33, 32)
                <= '\x7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8'::bytea) AS all_low_s
  FROM (SELECT t, translate(split_part(t, '.', 3), '-_', '+/') AS p
          FROM (SELECT auth.signin('kay@example.com', 'kay password 1') AS t FROM generate_series(1, 20)) s) tokens;
SELECT regress.try_verify(regress.flip_s(:'es_tok')) AS high_s;
SELECT regress.try_verify(regress.flip_s(regress.flip_s(:'es_tok'))) AS flipped_back;
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
SELECT auth.import_key('RS256', convert_to('-----BEGIN PRIVATE KEY-----
MIIJZgIBADANBgkqhkiG9w0BAQEFAASCCVAwgglMAgEAAoICCQCzLyB2V7+dL3az
Qne+qeeDVgpOmUJuFVMuSzwA9x+DukQ+F5BzAMNkfZO/7/rAf5gu/jAo9IQn6nwY
xC64QzM/IY9Pjklwa6u51SNCSCcnANoeXJ5mDYX33IU/tzq15wB+fPvLFyiACtRZ
vGLEoJfbhwxXcZw2pyR59uSWI7yTYbY3ZD5phW1xHIVLiJxBrKFN/tkJPzkce05b
mdRuwmw1vCAU4zMqfpK9LNSlAfu+CZYlcNg5ZOfvMNYGCJ0TCAJu4H8OT4H++vWS
IjnYIyZr60Dx00nNXbtxzpDdjlXJlm8fpZsfm0P7OE9dvPDHQnH2tUsxb21sE7Jm
l6CCWbx5pejJrmM3Mn1Oe/WZYMUaYFgu127aR8vb/NJZuEBC3gv3Z0kNZL/b07zV
+JR3JyQiIpzdfidCXeNk6Qs/Myp0AI8mMWwc8Q36UGE27cYvB/uOt9oNAW/C4KI4
+YfpziRnmF/LY+ituyCTxgxRiEANS631T3G/0dIrPFtzs8KU9VC+iDwKpWzqhKYI
P5woAPVwdItGh0LZZGFzpMWHejNb1u35PTysYgQI18u8JJmN66PVnEZ+VbjRFWfE
nWlr/ZeE6iJaxI0r2xdXCgvi3eijy03zZ4k0CgJ5RFlMJ837ZS+qfmv/iuK9GWwv
dICzLqQQGC6GJWarNwttcfLiJjsRUhRqW6JDZiQVAgMBAAECggIIHxcL+6StjV01
LBTaGJW74xSsfKdIeLfQAz4QFv3J9M3+tcRabq3g+UB1wK2ntTteYTb/DbghbxiX
OCfgEF4ul+NfjZb7ZJt2BCw4bjF9Q534+qAo5r2tc0yKvTuyXuoKMqhGex5VS2Q1
pK1UeNgBiVhlGo4OpAf7wwLE9k0UlQD1ACbvUllRnDjt4uV88UM+CL2xlFJpOykk
9y1Zh+9Jncg6y80BLXwhQ1wyOEBAGSDqMaxjBBBfUugHFqxrbqgq3eirewTuIhsS
vWydW0R8D+kVj3ARA+Zh1fUYuyyNc4kb1mKiaAlFciM62CGmqHg9tGgP+C+kjYZc
Y8Mm2T8vPe881TNX1Nwn6du1xeo5kXgh8T9xvbJsRg6okBW0RT5j3SYZ+J6P1TUU
uDmHreNQc5bvOm+R5Plfiz563B+4GP2YNHfZuhgyRvS9FpuTaja3Ypjx+CEjKlHb
H7NFDTe+AJge++OK0aAevQ8zAijabXBiJC5dPT76NiCuHtLv5epXCV8q/ycHuvHo
7YUvRnlsnDzR8uOhjnaoQhuFkr7K2OG1wsqvDEntadQd+RPzsiSWhI1LxFeOFewg
r8n505GpjqT9JesbOayCpylp742M0KKzjneIyOPWOFNuw9GPskqcgLtyoOrVSsmg
f9GwCCTcuRvVivmBNLfSsQyRBaOPIPo+Tx4WRPMNGQKCAQUA2NbxLi/p4pZVwEd2
JTAOKcImvMAHY8O6h608BweqvRoZMMPtafB4Ef3AOYGK6jCg3qaP/7jZEhxaCIGl
BtuSChnd/GWuX5qDbAZJ0lQgm6CsiSc8tDPuWuFUbWl7iVuWhU1zOzTVHwqsiNxi
/SVzyhfcIpvLQ5J6tlnMCstpMoZbRHKUNuRS4K4nK8WaAUscyytQ3wtvzI25cFk8
4lx1TdO8Z0bHmSoNAhua5gGNuBZpWVJD7c8GFME34b2DOeie/cnk9jrGt97g+JxR
DCPDHDWeF32M9uh+bKTf2juzJ8ECO2JGPcXDg+N+NgQKvxlnIBKwJTr70Opa6n6q
YYPrYnLPsg0CggEFANOLRZ6oQE3s5WCsFjg1rk4ofJjiEXr5SiCj76zXsYkAeFgG
vb2EM4AyVxOgIMQtJFOza38JZ/IZN2xHlk23lAa9gXPP8ViwVH3brZswFMHp7zbv
XYtd6QBSnumWpWkV7K0s37zGqkehQxIHm43R3f9/vyv1bX8z5QTZpZRS2lHIGRUi
18S6+m4vgMIvD/U8CwUDkeACgoDDCdHZDvlnsl/2ifwEBRHCY8IELnNi4JsZog88
wrSaC1kz0edSq+XaddC+G20GlOEIF2HLRxS1VAmoRHvq8kgd4CGc46f9vaqRii9+
SNsA85E1fraM8urRFn/0JfMJuWH+5Sug26QUGkZmJSApAoIBBQCLCH6J89TOIUCI
Ugmx3HcoVUGLQsE6OZSPTAcyJrtWFrbSKr4+cB48wuwOsz4D3Pw45qlr+PTOBPnB
fIb4t66S5XUNUZEV4bekev+4aZKi1snqAwuMK8QH53S/1qOMNfp0LG3XJ5ADIE/y
TQT3dZ0hllzin+wbvn8KDteikDw6ViWM5L6d15ZAU8nv6fpOHAAxUOvAp8+eY7zk
CYPdTBU2uq2RtrNiRLEkidiu444f29bem73MbDJk+mK/Tkkmxz2yUlKJgrRJzxGG
tovM8d03aDWesDTDV91AAhM6FY9QzROGSgPptbUgCqyxK7RMRZh22ySwKnqtwKZc
tqy+a9xwOldrvQKCAQQRLBUStAXETZ6xIkcLeRAVOCQlJPTWTrY9wBEMrtWykV8z
hhiQ8dJcbbmz1iPSyPdR9Bad0V2mwXVGTOlelbBme6uugwrMcEPrk5GcL2L/+sV4
aCXn0k+/vvU3cQssZKM5y5K9+EKKXgTbydJOyOKEgxI5t0qUMNo+coyGZdNjICMp
HBL33VXG7AQ/vyJEfgNG/OsyjAGcAjkh18TnaguIzrKUyp6+ulDuxvgeVcB11rbZ
Fc2Ya4jQTOyVIpjhp8I4l7YSO56KReXgAmhavf18azRj+saAJCy1jc7NLEPhPL9C
67VuUb1z5CvNFdQCS8bPzDnoaLmrws1HpV8vCpK3dEM/QQKCAQRyFnJqZi6F4cGe
IP4JY+yIxBQsj0kcfs6lQ/zPn42DTxfZLoQ09ZB+edz7tbJyrfCzt/A0+ADvZaDx
3ta/9r0+zgdWvm9ue4KU1zALvASDKn6dVDB62cEqccYE9dh+RybYfRRNWrfyhy71
mWm5Jr7AmskswYmPZIBALjfwmnjVlN8UzKzLsOV2iQ1ejcPvdkV1ejQ2bVw+aEfV
lhs7BDGvUXKmibRynBOuJZutAf93/uBJr+WnB4xb32U5yaPPcqTG5Yk/32cPa3Ht
jXodQ4tPH8YMDcvzCVhOW5IbEZKPen2j24VmR3t+sYcvVFcbypOm2SkYVk8PFsGO
A88e3fTywBxa3Q==
-----END PRIVATE KEY-----', 'UTF8'));
-- Keys that would let anyone forge tokens, or that are not what they claim,
-- are refused however well-formed their PEM: an RSA public exponent of 3,
-- an EC private key whose public point is another key's.
SELECT '-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDFTzW5s0LerCo/
khgwiu9yNneYg5sgH9wazmGhoSf5Xs0XaU/jvjQ1LfrV1MDIhZXrBUy2Id4pfj+a
+wCXOAkpJj6Xdr7RvM4lj3ASzVhREW0yGEdYsLWmThBl0e+GmdZGeWeoeVYcKZTR
jFOZrHWLKP2hWu4uTZel3DUUjNBEw+NDREuPbQ4g3HpJQtJj0rlwC4ZIfxThgSI9
+F92qO+Hn6W2SH8YRKmOiO0rvq8F+jPHZiXCZ12GlxIoBDf95BFkiByLYeh40f+D
5UVBP+PJEfX9q2pxyN8SCmCAgGyfpg6RUhDVLpeuvkx47VO0s7mXVynSvF1Wzv+e
TJL+eFR1AgEDAoIBAQCDiiPRIiyUcsbVDBAgXJ+heaUQV7zAFT1nNEEWa2/7lIi6
RjVCfs14yVHj4yswWQ6crjMkFpQbqX+8p1W6JVtwxCm6TynhKIluX6AMiOWLYPN2
uto7IHkZiWBD4UpZu+Qu+5pwUOQSxmM2XY0RHaOyG1PA50l0M7puks4NszWDLBXf
PzqI5/TnZO+STtHKyTL25sknmWaVZ+K4A3U0Ive77AxNbVAphFCexemODiNJEfUP
z71IUgLkXpEqeZHSFVcbKfwoBF+gO0jdYc3qKq9HPcDfUDM689CMZqbRDkVo5qEm
JUcIs/niAUkC5slaZhKdgzQp7irBA4okLUJ//r3rAoGBAO/t3J7MDdYoL8yGJ51V
w4EFmd+s2wT7lrnvVokIWq1yJKN8Vq6njHunU56hu43dGDrdYSIoo6ur3Peli3rN
EaQs3r1AAX9Vbvivl2a6WDy66cUBbeUG5YECQGEF0X8mxUYpgP2WqnfdzXwi5JSY
qLq3ChqiENPE33PNkNMbSiptAoGBANKGiNT2A0idlUZnpPpd4Wv4F3jgPfYFzpQ6
nKagGc57mO/FzdgycbT5DHA07ew7RwlSTWetSK2ELEDCwmJ1smqO6mUPWdmzChmI
Oymnp6AjS4+tRTiSdaU9MAVBGYVbhtaumSixdij97uLRrpEUceL0CEDxxklwajya
d9wjMA0pAoGBAJ/z6GndXo7FdTMEGmjj16tZET/IkgNSZHv05Fta5x5MGGz9jx8a
XafE4mnBJ7PoutHo62wbF8fH6KUZB6czYRgd6dOAAP+OSfsfukR8OtMnRoNWSUNZ
7lYBgECui6oZ2NlxAKkPHE/pM6gXQw27GycksWcWteKDP6KJCzdnhsbzAoGBAIxZ
sI35V4W+Y4RFGKbpQPKlZPtAKU6uibgnExnAETRSZfUuiTrMS837XaAjSUgnhLDh
iO/I2x5YHYCB1uxOdvG0nENfkTvMsWZa0hvFGmrCMl/I2NBho8N+IAOAu649BI8f
EMXLpBtT9Jc2dGC4S+yisCtL2YZK8X28T+gXdV4bAoGBAM1kcZ6JNh3Zfw/fwqEZ
briNROXhMqLaFht1D0sHb0y6BUEYICNFbH7jQOT7U8giUB1PYa507+BPP02GIYCQ
snmfCCDCXz+n6OtVSjC56iyu35PjL2LfOUEieuYBfSwERoVXLnvn/Sy4H+BrkJvJ
erKv21w/uCkEhf4PealzAi7H
-----END PRIVATE KEY-----' AS e3_pem \gset
SELECT auth.import_key('RS256', convert_to(:'e3_pem', 'UTF8'));
\echo :LAST_ERROR_SQLSTATE
SELECT auth.import_key('ES256', convert_to('-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWfVxdYWea1/G6W/7
lJFjBF0v2MGAm21G1KHbSSy22K6hRANCAASGgBJ+p4LDWQsf+Vepbt59yWYakK87
Av9DmYMkSFh6veaBQlcXpPwh1RbB/hFPGAPv/Ek4zqw6tppWcSoMQtVF
-----END PRIVATE KEY-----', 'UTF8'));
\echo :LAST_ERROR_SQLSTATE
-- Nor does such a key written into the table by hand verify anything: the
-- cache checks every public key it loads, and leaves this one out.
BEGIN;
INSERT INTO auth.keys (kid, alg, secret, public_key, created_at)
    VALUES ('weak-rsa', 'RS256', convert_to(:'e3_pem', 'UTF8'), '-----BEGIN PUBLIC KEY-----
MIIBIDANBgkqhkiG9w0BAQEFAAOCAQ0AMIIBCAKCAQEAxU81ubNC3qwqP5IYMIrv
cjZ3mIObIB/cGs5hoaEn+V7NF2lP4740NS361dTAyIWV6wVMtiHeKX4/mvsAlzgJ
KSY+l3a+0bzOJY9wEs1YURFtMhhHWLC1pk4QZdHvhpnWRnlnqHlWHCmU0YxTmax1
iyj9oVruLk2Xpdw1FIzQRMPjQ0RLj20OINx6SULSY9K5cAuGSH8U4YEiPfhfdqjv
h5+ltkh/GESpjojtK76vBfozx2YlwmddhpcSKAQ3/eQRZIgci2HoeNH/g+VFQT/j
yRH1/atqccjfEgpggIBsn6YOkVIQ1S6Xrr5MeO1TtLO5l1cp0rxdVs7/nkyS/nhU
dQIBAw==
-----END PUBLIC KEY-----', now() - interval '1 day');
SELECT regress.try_verify(regress.b64url(convert_to('{"alg":"RS256","kid":"weak-rsa"}', 'UTF8'))
                          || '.' || split_part(:'rs_tok', '.', 2) || '.' || split_part(:'rs_tok', '.', 3)) AS weak_key_unknown;
ROLLBACK;
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

-- An HMAC secret longer than a SHA-256 block (64 bytes) is hashed first,
-- as RFC 2104 says; pgcrypto's hmac() signs the token here.
SELECT auth.import_key('HS256', convert_to(repeat('long secret ', 10), 'UTF8'), 'long-secret') AS long_kid;
SET jwt_auth.check_sessions = off;
SELECT regress.try_verify(regress.sign(jsonb_build_object('alg', 'HS256', 'kid', 'long-secret')::text,
                                       regress.claims(gen_random_uuid())::text,
                                       convert_to(repeat('long secret ', 10), 'UTF8'))) AS long_secret;
SELECT regress.try_verify(regress.sign(jsonb_build_object('alg', 'HS256', 'kid', 'long-secret')::text,
                                       regress.claims(gen_random_uuid())::text,
                                       convert_to(repeat('long secret ', 9), 'UTF8'))) AS other_secret;
RESET jwt_auth.check_sessions;
SELECT auth.retire_key('long-secret');

-- EdDSA (Ed25519, RFC 8037): 64-byte signatures, published as an OKP key.
SELECT auth.rotate_key('EdDSA') AS ed_kid \gset
SELECT auth.signin('kay@example.com', 'kay password 1') AS ed_tok \gset
SELECT regress.part(:'ed_tok', 1) - 'kid' AS header, regress.part(:'ed_tok', 1) ->> 'kid' = :'ed_kid' AS ed_key_signs,
       length(split_part(:'ed_tok', '.', 3)) AS signature_chars;
SELECT regress.try_verify(:'ed_tok') AS eddsa_verifies;
SELECT regress.try_verify(left(:'ed_tok', -4) || 'AAAA');
SELECT regress.try_verify(split_part(:'ed_tok', '.', 1) || '.' || split_part(:'es_tok', '.', 2) || '.' || split_part(:'ed_tok', '.', 3));
-- Named HS256 and MACed with the public key's PEM, or named ES256: refused.
SELECT regress.try_verify(regress.sign(jsonb_build_object('alg', 'HS256', 'kid', :'ed_kid')::text,
                                       regress.part(:'ed_tok', 2)::text,
                                       convert_to((SELECT public_key FROM auth.keys WHERE kid = :'ed_kid'), 'UTF8')));
SELECT regress.try_verify(regress.b64url(convert_to(jsonb_build_object('alg', 'ES256', 'kid', :'ed_kid')::text, 'UTF8'))
                          || '.' || split_part(:'ed_tok', '.', 2) || '.' || split_part(:'ed_tok', '.', 3));
SELECT k ->> 'kty' AS kty, k ->> 'crv' AS crv, k ->> 'alg' AS alg, k ->> 'use' AS use,
       length(k ->> 'x') AS x_chars, k ? 'd' AS has_private
  FROM jsonb_array_elements(auth.jwks() -> 'keys') AS k WHERE k ->> 'kid' = :'ed_kid';
-- An imported Ed25519 key signs too; an Ed25519 key is not an ES256 key,
-- nor an EC key an EdDSA one.
SELECT auth.import_key('EdDSA', convert_to('-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEILUBWaAiKhWSMGmCeTPcHAFGNu4i+qEg/soYyduK8PoG
-----END PRIVATE KEY-----', 'UTF8'), 'imported-ed') AS imported;
SELECT regress.part(auth.signin('kay@example.com', 'kay password 1'), 1) ->> 'kid' AS signing_kid,
       regress.try_verify(auth.signin('kay@example.com', 'kay password 1')) AS imported_ed_verifies;
SELECT auth.import_key('ES256', convert_to('-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEILUBWaAiKhWSMGmCeTPcHAFGNu4i+qEg/soYyduK8PoG
-----END PRIVATE KEY-----', 'UTF8'));
SELECT auth.import_key('EdDSA', convert_to('-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbD6uEaN+8F49Pvz7
fmKRxECZPOazKo5PfxBcevRCkXehRANCAAQf2SuoqMSf2UyCBY6XwW2uy/Avkwyt
NfusxCG9+B9UkjpD4mLdplSubDk1+KfkQy2ZWlvkmPuzAkPNqrJQ1Iiy
-----END PRIVATE KEY-----', 'UTF8'));
SELECT auth.retire_key(:'ed_kid') AND auth.retire_key('imported-ed') AS retired;

-- Back to an HS256 signing key for the files that follow.
SELECT auth.rotate_key('HS256') IS NOT NULL AS rotated;
