// jwt_auth's own tokens verified outside the database by jose (npm package
// jose: createLocalJWKSet and jwtVerify), as another service would, with
// nothing but the JWKS that auth.jwks() publishes, the issuer and audience
// jwt_auth puts in its tokens, and the algorithm pinned.
//
// On a database with the extension (made by run.sh), as its owner (the PG*
// environment variables) and as an application role (JOSE_APP_USER and
// JOSE_APP_PASSWORD, over TCP to 127.0.0.1):
//   - the owner sets an issuer, an audience and a token lifetime of its own;
//   - the application signs a user up; the first key is HS256, whose
//     secret auth.jwks() never shows: it lists no key at all;
//   - for EdDSA, ES256 and RS256 in turn, the owner rotates to a new key of
//     that algorithm; the token the application then gets from auth.signin
//     has that algorithm and kid in its header, and jose verifies it with
//     the JWKS of the moment, with that algorithm alone allowed: the subject
//     is the user, the lifetime the configured one, and jwt_auth itself
//     (auth.verify) agrees; jose refuses it with its claims or its signature
//     altered, under another pinned algorithm, and once it has expired;
//   - the JWKS then lists the three public keys and nothing private, and
//     still verifies every token;
//   - the owner retires the EdDSA key: auth.jwks() stops listing it, and
//     jose, with the JWKS as it now is, refuses the EdDSA token (so does
//     auth.verify) while the ES256 and RS256 tokens still verify.
//
// Prints one line per check on stdout, "ok<TAB>NAME" or
// "not ok<TAB>NAME<TAB>DETAIL", for run.sh to count; exits 1 if the script
// could not run to its end.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import pg from "pg";

const ISSUER = "https://auth.jose-interop.example.test";
const AUDIENCE = "https://api.jose-interop.example.test";
const TOKEN_TTL = 900;
const ALGS = ["EdDSA", "ES256", "RS256"];

const report = (ok, name, detail = "") =>
    process.stdout.write(ok ? `ok\t${name}\n` : `not ok\t${name}\t${String(detail).replace(/[\t\n]/g, " ")}\n`);
const expect = (name, condition, detail) => report(Boolean(condition), name, detail);

// jose's verdict on a token: its payload and header, or the error code.
async function joseVerify(token, jwks, options) {
    try {
        const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), options);
        return { ok: true, payload, protectedHeader };
    } catch (error) {
        return { ok: false, code: error.code ?? error.message };
    }
}
async function expectRefused(name, token, jwks, options, code) {
    const verdict = await joseVerify(token, jwks, options);
    expect(name, !verdict.ok && verdict.code === code,
           verdict.ok ? "jose accepted it" : `jose refused it with ${verdict.code}, not ${code}`);
}

// A token with one byte of its signature changed (a change of the last
// base64url character alone may only touch padding bits).
function flipSignature(token) {
    const [h, p, s] = token.split(".");
    const signature = Buffer.from(s, "base64url");
    signature[0] ^= 0x01;
    return `${h}.${p}.${signature.toString("base64url")}`;
}
// The token's claims replaced, its header and signature kept.
function withClaims(token, claims) {
    const [h, , s] = token.split(".");
    return `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
}

const database = process.env.PGDATABASE;
const owner = new pg.Client({ database });
const app = new pg.Client({
    database, host: "127.0.0.1", user: process.env.JOSE_APP_USER, password: process.env.JOSE_APP_PASSWORD,
});
await owner.connect();
await app.connect();
const one = async (client, sql, params = []) => Object.values((await client.query(sql, params)).rows[0])[0];
const jwks = () => one(app, "SELECT auth.jwks()");
// What auth.verify says of a token, as the application: the user id, or the
// SQLSTATE and message of its refusal.
async function jwtAuthVerify(token) {
    try {
        await app.query("BEGIN");
        return { ok: true, uid: await one(app, "SELECT auth.verify($1)", [token]) };
    } catch (error) {
        return { ok: false, error: `${error.code}: ${error.message}` };
    } finally {
        await app.query("ROLLBACK");
    }
}

let status = 0;
try {
    // The owner's settings: the issuer and audience jwt_auth puts in "iss"
    // and "aud" (the test uses them as auth.configuration() reports them),
    // and the token lifetime.
    await one(owner, "SELECT auth.configure('issuer', $1)", [ISSUER]);
    await one(owner, "SELECT auth.configure('audience', $1)", [AUDIENCE]);
    await one(owner, "SELECT auth.configure('token_ttl', $1)", [`${TOKEN_TTL}s`]);
    await one(owner, "SELECT auth.configure('bcrypt_cost', '10')");
    const settings = Object.fromEntries(
        (await owner.query("SELECT setting, value FROM auth.configuration()")).rows.map((r) => [r.setting, r.value]));
    const issuer = settings.issuer;
    const audience = settings.audience;
    expect("auth.configuration() reports the issuer and audience set", issuer === ISSUER && audience === AUDIENCE,
           JSON.stringify(settings));
    const options = (alg) => ({ issuer, audience, algorithms: [alg] });

    const email = "ada@jose-interop.example.test";
    const password = "correct horse battery staple";
    const uid = await one(app, "SELECT auth.signup($1, $2)", [email, password]);
    const signin = () => one(app, "SELECT auth.signin($1, $2)", [email, password]);

    // The first key is HS256: its secret is never published.
    const firstJwks = await jwks();
    expect("with only the first (HS256) key, auth.jwks() lists no key", firstJwks?.keys?.length === 0,
           JSON.stringify(firstJwks));
    const hsToken = await signin();
    expect("the first token is HS256", decodeProtectedHeader(hsToken).alg === "HS256",
           JSON.stringify(decodeProtectedHeader(hsToken)));

    const tokens = {};
    const kids = {};
    for (const alg of ALGS) {
        kids[alg] = await one(owner, "SELECT auth.rotate_key($1)", [alg]);
        const token = await signin();
        tokens[alg] = token;
        const header = decodeProtectedHeader(token);
        expect(`${alg}: the new key signs, header {alg, typ, kid}`,
               JSON.stringify(header) === JSON.stringify({ alg, typ: "JWT", kid: kids[alg] }), JSON.stringify(header));

        const set = await jwks();
        const verdict = await joseVerify(token, set, options(alg));
        expect(`${alg}: jose verifies the token with auth.jwks(), issuer, audience and ${alg} pinned`, verdict.ok,
               `jose refused it: ${verdict.code}`);
        // What jose verified (nothing, if it refused the token: these fail then).
        const payload = verdict.payload ?? {};
        expect(`${alg}: the subject is the user, the kid the new key's`,
               payload.sub === uid && verdict.protectedHeader?.kid === kids[alg],
               `sub ${payload.sub}, user ${uid}, kid ${verdict.protectedHeader?.kid}`);
        expect(`${alg}: the token lives token_ttl (${TOKEN_TTL} s)`, payload.exp - payload.iat === TOKEN_TTL,
               `iat ${payload.iat}, exp ${payload.exp}`);
        if (Number.isInteger(payload.exp)) {
            await expectRefused(`${alg}: jose refuses it once expired`, token, set,
                                { ...options(alg), currentDate: new Date((payload.exp + 1) * 1000) },
                                "ERR_JWT_EXPIRED");
        } else {
            expect(`${alg}: jose refuses it once expired`, false, "no verified exp to pass");
        }
        const own = await jwtAuthVerify(token);
        expect(`${alg}: auth.verify accepts the token too`, own.ok && own.uid === uid, JSON.stringify(own));

        const claims = decodeJwt(token);
        await expectRefused(`${alg}: jose refuses the token with its subject changed`,
                            withClaims(token, { ...claims, sub: "00000000-0000-4000-8000-000000000000" }), set,
                            options(alg), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
        await expectRefused(`${alg}: jose refuses the token with its expiry moved a day later`,
                            withClaims(token, { ...claims, exp: claims.exp + 86400 }), set,
                            options(alg), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
        await expectRefused(`${alg}: jose refuses the token with a byte of its signature changed`,
                            flipSignature(token), set, options(alg), "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
        const other = ALGS.find((a) => a !== alg);
        await expectRefused(`${alg}: jose refuses the token when only ${other} is allowed`, token, set,
                            options(other), "ERR_JOSE_ALG_NOT_ALLOWED");
    }

    // The JWKS now: the three public keys, nothing private, nothing else.
    const all = await jwks();
    const listed = (all?.keys ?? []).map((k) => `${k.kid}:${k.alg}:${k.kty}:${k.use}`).sort();
    const wanted = [`${kids.EdDSA}:EdDSA:OKP:sig`, `${kids.ES256}:ES256:EC:sig`, `${kids.RS256}:RS256:RSA:sig`].sort();
    expect("auth.jwks() lists the three public keys, each with kid, alg, kty and use sig",
           JSON.stringify(listed) === JSON.stringify(wanted), `${JSON.stringify(listed)}, not ${JSON.stringify(wanted)}`);
    const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
    expect("auth.jwks() holds no private or symmetric key material",
           (all?.keys ?? []).every((k) => privateMembers.every((m) => !(m in k))), JSON.stringify(all));
    for (const alg of ALGS) {
        const verdict = await joseVerify(tokens[alg], all, options(alg));
        expect(`${alg}: the token still verifies with the JWKS of all three keys`, verdict.ok,
               `jose refused it: ${verdict.code}`);
    }

    // Retire the EdDSA key: gone from the JWKS, its token refused; the
    // others unaffected.
    expect("the owner retires the EdDSA key", await one(owner, "SELECT auth.retire_key($1)", [kids.EdDSA]) === true,
           "auth.retire_key returned false");
    const after = await jwks();
    const kidsAfter = (after?.keys ?? []).map((k) => k.kid).sort();
    expect("auth.jwks() no longer lists the retired key",
           JSON.stringify(kidsAfter) === JSON.stringify([kids.ES256, kids.RS256].sort()), JSON.stringify(kidsAfter));
    await expectRefused("EdDSA: jose refuses the token of the retired key with the JWKS as it now is",
                        tokens.EdDSA, after, options("EdDSA"), "ERR_JWKS_NO_MATCHING_KEY");
    const retired = await jwtAuthVerify(tokens.EdDSA);
    expect("EdDSA: auth.verify refuses the token of the retired key too",
           !retired.ok && retired.error.startsWith("28000: token key is unknown"), JSON.stringify(retired));
    for (const alg of ["ES256", "RS256"]) {
        const verdict = await joseVerify(tokens[alg], after, options(alg));
        expect(`${alg}: the token still verifies after the EdDSA key is retired`, verdict.ok,
               `jose refused it: ${verdict.code}`);
    }
} catch (error) {
    report(false, "verify.mjs runs to its end", error.stack ?? error);
    status = 1;
} finally {
    await app.end();
    await owner.end();
}
process.exitCode = status;
