// Runs a real Better Auth (its email-and-password sign-up and its jwt plugin)
// on a PostgreSQL database, and prints as JSON on stdout what a test of
// jwt_auth's trusted issuers needs: the issuer, the audience, the JWKS, users
// with tokens, a key rotation on Better Auth's side, a second Better Auth
// with another base URL (a second issuer), and forged tokens, each of which
// a verifier must refuse, and genuine tokens with a UUID subject, a "role"
// claim, or (issuer B's) the subject of a user of A.  Every token and JWKS is first checked here with jose; the results
// are in "sanity" and the exit status is 1 when one fails.
//
// Usage: node issue.mjs [--alg EdDSA|ES256|RS256|PS256] [--schema NAME]
//                       [--base-url URL] [--peer-base-url URL] [--users N]
// The connection comes from the PG* environment variables.  Better Auth's
// tables go into the schema NAME (default better_auth) and those of the
// second issuer into NAME_peer; both schemas are dropped and made anew.
// Better Auth's own messages go to stderr.
import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { betterAuth } from "better-auth";
import { symmetricDecrypt } from "better-auth/crypto";
import { getMigrations } from "better-auth/db/migration";
import { jwt } from "better-auth/plugins/jwt";
import { createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import pg from "pg";

const { values: args } = parseArgs({
    options: {
        alg: { type: "string", default: "EdDSA" },
        schema: { type: "string", default: "better_auth" },
        "base-url": { type: "string", default: "https://idp-a.example.test" },
        "peer-base-url": { type: "string", default: "https://idp-b.example.test" },
        users: { type: "string", default: "2" },
    },
});
const ALGS = ["EdDSA", "ES256", "RS256", "PS256"];
if (!ALGS.includes(args.alg)) throw new Error(`--alg must be one of ${ALGS.join(", ")}`);
if (!/^[a-z_][a-z0-9_]*$/.test(args.schema)) throw new Error("--schema must be a plain lower-case identifier");
const userCount = Number(args.users);
if (!Number.isInteger(userCount) || userCount < 2) throw new Error("--users must be 2 or more");

// Better Auth's key rotation: every key expires rotationInterval seconds
// after it was made; the next token then gets a new key, and the JWKS still
// lists the expired key for gracePeriod seconds.  The test moves a key's
// expiry into the past instead of waiting.
const ROTATION_INTERVAL = 30 * 24 * 3600;
const GRACE_PERIOD = 7 * 24 * 3600;

const log = (...parts) => process.stderr.write(parts.join(" ") + "\n");
const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const segment = (object) => b64url(JSON.stringify(object));
const decode = (part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
const now = () => Math.floor(Date.now() / 1000);

function split(token) {
    const [h, p, s] = token.split(".");
    return { h, p, s, header: decode(h), claims: decode(p) };
}

// One Better Auth instance on its own schema.
async function startIssuer(baseURL, schema) {
    const admin = new pg.Client();
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();

    const pool = new pg.Pool({ options: `-c search_path=${schema}`, max: 4 });
    const jwks = { rotationInterval: ROTATION_INTERVAL, gracePeriod: GRACE_PERIOD };
    // EdDSA is the plugin's default: leave keyPairConfig out for it.
    if (args.alg !== "EdDSA") jwks.keyPairConfig = { alg: args.alg };
    const auth = betterAuth({
        baseURL,
        secret: crypto.randomBytes(32).toString("hex"),
        database: pool,
        emailAndPassword: { enabled: true },
        telemetry: { enabled: false },
        logger: { log: (level, message) => log(`better-auth ${level}: ${message}`) },
        plugins: [jwt({ jwks })],
    });
    const { runMigrations } = await getMigrations(auth.options);
    await runMigrations();

    // Better Auth's HTTP API, without a server.
    const call = async (method, path, { body, cookie } = {}) => {
        const headers = { origin: baseURL };
        if (body) headers["content-type"] = "application/json";
        if (cookie) headers.cookie = cookie;
        const response = await auth.handler(new Request(baseURL + "/api/auth" + path, {
            method, headers, body: body && JSON.stringify(body),
        }));
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
        return response;
    };
    const issuer = {
        baseURL, schema, pool, auth,
        async signUp(email, name) {
            const password = crypto.randomBytes(12).toString("base64url");
            const response = await call("POST", "/sign-up/email", { body: { email, password, name } });
            const { user } = await response.json();
            const cookie = response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
            return { email, id: user.id, cookie };
        },
        async token(user) {
            return (await (await call("GET", "/token", { cookie: user.cookie })).json()).token;
        },
        async jwks() {
            return (await call("GET", "/jwks")).json();
        },
        // A token with claims of our choosing, signed by this issuer's current
        // key (the plugin's server-only signJWT endpoint).
        async sign(payload) {
            return (await auth.api.signJWT({ body: { payload } })).token;
        },
        // The private key behind a kid, as Better Auth stores it (encrypted
        // with its secret), for forgeries that need a genuine signature.
        async privateKey(kid) {
            const { rows } = await pool.query('SELECT "privateKey" FROM jwks WHERE id = $1', [kid]);
            const context = await auth.$context;
            const jwk = await symmetricDecrypt({ key: context.secretConfig, data: JSON.parse(rows[0].privateKey) });
            return crypto.createPrivateKey({ key: JSON.parse(jwk), format: "jwk" });
        },
        async expireKey(kid, secondsAgo) {
            await pool.query(`UPDATE jwks SET "expiresAt" = now() - make_interval(secs => $2) WHERE id = $1`,
                             [kid, secondsAgo]);
        },
        async end() {
            await pool.end();
        },
    };
    return issuer;
}

// Sign header.payload with a private key, as the algorithm asks, whatever
// the header says (for forgeries with a genuine signature).
function signAs(alg, key, header, claims) {
    const input = `${segment(header)}.${segment(claims)}`;
    const data = Buffer.from(input);
    let signature;
    if (alg === "EdDSA") signature = crypto.sign(null, data, key);
    else if (alg === "ES256") signature = crypto.sign("sha256", data, { key, dsaEncoding: "ieee-p1363" });
    else if (alg === "RS256") signature = crypto.sign("sha256", data, { key, padding: crypto.constants.RSA_PKCS1_PADDING });
    else if (alg === "PS256") signature = crypto.sign("sha256", data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    else throw new Error(`cannot sign ${alg}`);
    return `${input}.${b64url(signature)}`;
}

function verifyAs(alg, publicKey, token) {
    const { h, p, s } = split(token);
    const data = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s, "base64url");
    if (alg === "EdDSA") return crypto.verify(null, data, publicKey, signature);
    if (alg === "ES256") return crypto.verify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature);
    if (alg === "RS256") return crypto.verify("sha256", data, { key: publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, signature);
    return crypto.verify("sha256", data, { key: publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
}

// The version of an installed package, from its package.json.
function packageVersion(name) {
    const entry = fileURLToPath(import.meta.resolve(name));
    const root = entry.slice(0, entry.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
    return JSON.parse(readFileSync(root + "package.json", "utf8")).version;
}

function hs256(header, claims, secret) {
    const input = `${segment(header)}.${segment(claims)}`;
    return `${input}.${b64url(crypto.createHmac("sha256", secret).update(input).digest())}`;
}

// Sanity checks with jose, an independent verifier.
const sanity = [];
async function expectValid(name, token, jwks, { issuer, audience, alg = args.alg, sub } = {}) {
    try {
        const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer, audience, algorithms: [alg] });
        if (sub !== undefined && payload.sub !== sub) throw new Error(`sub is ${payload.sub}, not ${sub}`);
        sanity.push({ check: name, ok: true });
    } catch (error) {
        sanity.push({ check: name, ok: false, detail: `jose refused it: ${error.code ?? error.message}` });
    }
}
async function expectRefused(name, token, jwks, { issuer, audience }) {
    try {
        await jwtVerify(token, createLocalJWKSet(jwks), { issuer, audience });
        sanity.push({ check: name, ok: false, detail: "jose accepted it" });
    } catch (error) {
        sanity.push({ check: name, ok: true, detail: `jose: ${error.code ?? error.message}` });
    }
}
function expect(name, condition, detail) {
    sanity.push(condition ? { check: name, ok: true } : { check: name, ok: false, detail });
}

const started = Date.now();
const a = await startIssuer(args["base-url"], args.schema);
const b = await startIssuer(args["peer-base-url"], `${args.schema}_peer`);
const host = (url) => new URL(url).hostname;
try {
    // Users of issuer A, and one of issuer B.
    const users = [];
    const names = ["Ada", "Bob", "Cyd", "Dee", "Eve", "Fay"];
    for (let i = 0; i < userCount; i++) {
        const name = names[i % names.length] + (i >= names.length ? i : "");
        users.push(await a.signUp(`${name.toLowerCase()}@${host(a.baseURL)}`, name));
    }
    for (const user of users) user.token = await a.token(user);
    const peerUser = await b.signUp(`pat@${host(b.baseURL)}`, "Pat");
    peerUser.token = await b.token(peerUser);

    const jwksA = await a.jwks();
    const jwksB = await b.jwks();
    const first = split(users[0].token);
    const issuerA = first.claims.iss;
    const audienceA = first.claims.aud;
    const { iss: issuerB, aud: audienceB } = split(peerUser.token).claims;
    const kidA = first.header.kid;
    const kidB = split(peerUser.token).header.kid;
    const jwkA = jwksA.keys.find((k) => k.kid === kidA);
    const jwkB = jwksB.keys.find((k) => k.kid === kidB);
    const publicA = crypto.createPublicKey({ key: jwkA, format: "jwk" });

    expect("issuer A's JWKS holds one key, of the configured algorithm",
           jwksA.keys.length === 1 && jwkA?.alg === args.alg, JSON.stringify(jwksA));
    expect("issuer B's JWKS holds one key, of the configured algorithm",
           jwksB.keys.length === 1 && jwkB?.alg === args.alg, JSON.stringify(jwksB));
    expect("the two issuers differ in iss and kid", issuerA !== issuerB && kidA !== kidB, `${issuerA} ${issuerB}`);
    expect("issuer and audience are the base URL", issuerA === a.baseURL && audienceA === a.baseURL,
           `iss ${issuerA}, aud ${audienceA}`);
    for (const user of users) {
        expect(`token of ${user.email}: header is {alg, kid}`,
               JSON.stringify(Object.keys(split(user.token).header).sort()) === '["alg","kid"]',
               JSON.stringify(split(user.token).header));
        await expectValid(`token of ${user.email} verifies with issuer A's JWKS`, user.token, jwksA,
                          { issuer: issuerA, audience: audienceA, sub: user.id });
    }
    await expectValid(`token of ${peerUser.email} verifies with issuer B's JWKS`, peerUser.token, jwksB,
                      { issuer: issuerB, audience: audienceB, sub: peerUser.id });
    expect("user ids are distinct and are not uuids",
           new Set(users.map((u) => u.id)).size === users.length &&
           users.every((u) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(u.id)),
           users.map((u) => u.id).join(" "));

    // Forgeries: each must be refused by a verifier that trusts issuer A
    // (audience A) and issuer B with the JWKS above.
    const forgeries = {};
    const victim = users[0];
    const other = users[1];
    const claims = first.claims;
    const forge = (name, why, token) => { forgeries[name] = { why, token }; };

    forge("tampered_sub", "A's token with sub and id changed to another user, signature kept",
          `${first.h}.${segment({ ...claims, sub: other.id, id: other.id })}.${first.s}`);
    forge("tampered_exp", "A's token with exp a day later, signature kept",
          `${first.h}.${segment({ ...claims, exp: claims.exp + 86400 })}.${first.s}`);
    forge("signature_stripped", "A's token with an empty signature", `${first.h}.${first.p}.`);
    forge("signature_of_other_user", "A's header and claims of one user with the signature of another's token",
          `${first.h}.${first.p}.${split(other.token).s}`);
    forge("alg_none", "alg none, A's kid, no signature",
          `${segment({ alg: "none", kid: kidA })}.${first.p}.`);
    forge("alg_none_capitalised", "alg None, no kid, no signature",
          `${segment({ alg: "None" })}.${first.p}.`);
    // Key confusion: HS256 keyed with what the JWKS makes public.
    const rawPublic = Buffer.from(jwkA.kty === "RSA" ? jwkA.n : jwkA.x, "base64url");
    const pem = publicA.export({ type: "spki", format: "pem" });
    const hsHeader = { alg: "HS256", kid: kidA };
    forge("hs256_public_key_bytes", `HS256 keyed with the JWK's ${jwkA.kty === "RSA" ? "n" : "x"} decoded`,
          hs256(hsHeader, claims, rawPublic));
    forge("hs256_public_key_text", `HS256 keyed with the JWK's ${jwkA.kty === "RSA" ? "n" : "x"} as text`,
          hs256(hsHeader, claims, jwkA.kty === "RSA" ? jwkA.n : jwkA.x));
    forge("hs256_pem", "HS256 keyed with the public key's PEM text", hs256(hsHeader, claims, pem));
    forge("hs256_pem_no_newline", "HS256 keyed with the PEM text less its final newline",
          hs256(hsHeader, claims, pem.trimEnd()));
    forge("hs256_jwk_json", "HS256 keyed with the JWK as JSON text", hs256(hsHeader, claims, JSON.stringify(jwkA)));
    // Each is a well-formed HS256 token under its key: a verifier confused
    // into using that key as an HMAC secret would accept it.
    const hsSecrets = {
        hs256_public_key_bytes: rawPublic,
        hs256_public_key_text: jwkA.kty === "RSA" ? jwkA.n : jwkA.x,
        hs256_pem: pem,
        hs256_pem_no_newline: pem.trimEnd(),
        hs256_jwk_json: JSON.stringify(jwkA),
    };
    for (const [name, secret] of Object.entries(hsSecrets)) {
        try {
            await jwtVerify(forgeries[name].token, new Uint8Array(Buffer.from(secret)),
                            { issuer: first.claims.iss, audience: first.claims.aud, algorithms: ["HS256"] });
            sanity.push({ check: `${name} verifies as HS256 under that key`, ok: true });
        } catch (error) {
            sanity.push({ check: `${name} verifies as HS256 under that key`, ok: false, detail: error.code ?? error.message });
        }
    }
    // Issuer binding.
    const crossIssuer = await b.sign({ ...claims, iss: issuerA, aud: audienceA });
    forge("cross_issuer", "signed by issuer B's own key (B's kid) with iss and aud of issuer A", crossIssuer);
    forge("kid_of_other_issuer", "A's token with its kid replaced by issuer B's kid, signature kept",
          `${segment({ ...first.header, kid: kidB })}.${first.p}.${first.s}`);
    forge("unknown_kid", "A's token with a kid in no JWKS, signature kept",
          `${segment({ ...first.header, kid: "k".repeat(32) })}.${first.p}.${first.s}`);
    forge("no_kid", "A's token without its kid, signature kept", `${segment({ alg: args.alg })}.${first.p}.${first.s}`);
    // Genuine signatures by A's key on tokens that are wrong in other ways.
    const t = now();
    forge("expired", "signed by A, expired an hour ago",
          await a.sign({ ...claims, iat: t - 7200, exp: t - 3600 }));
    forge("not_yet_valid", "signed by A, nbf an hour ahead", await a.sign({ ...claims, iat: t, nbf: t + 3600, exp: t + 7200 }));
    forge("wrong_audience", "signed by A for another audience", await a.sign({ ...claims, aud: "https://elsewhere.example.test" }));
    forge("wrong_issuer", "signed by A, iss of nobody trusted", await a.sign({ ...claims, iss: "https://nobody.example.test" }));
    const keyA = await a.privateKey(kidA);
    const fresh = { ...claims, iat: t, exp: t + 900 };
    const casedAlg = args.alg === "EdDSA" ? "EDDSA" : args.alg.toLowerCase();
    forge("alg_case", `signed by A's key, header alg written ${casedAlg}`,
          signAs(args.alg, keyA, { alg: casedAlg, kid: kidA }, fresh));
    forge("crit_unknown", "signed by A's key, header crit names an extension nobody knows",
          signAs(args.alg, keyA, { alg: args.alg, kid: kidA, crit: ["urn:example:unknown"], "urn:example:unknown": true }, fresh));
    const genuine = ["alg_case", "crit_unknown"];
    if (args.alg === "RS256" || args.alg === "PS256") {
        const otherAlg = args.alg === "RS256" ? "PS256" : "RS256";
        forge("alg_mismatch", `signed by A's ${args.alg} key with ${otherAlg}, header alg ${otherAlg}`,
              signAs(otherAlg, keyA, { alg: otherAlg, kid: kidA }, fresh));
        const { alg: _, ...bare } = jwkA;
        await expectValid(`alg_mismatch carries a genuine ${otherAlg} signature by A's key`,
                          forgeries.alg_mismatch.token, { keys: [{ ...bare, alg: otherAlg }] },
                          { issuer: issuerA, audience: audienceA, alg: otherAlg });
    }
    for (const name of genuine) {
        expect(`${name} carries a genuine signature by A's key`, verifyAs(args.alg, publicA, forgeries[name].token),
               "the signature does not verify");
    }
    await expectValid("cross_issuer carries a genuine signature by issuer B's key", crossIssuer, jwksB,
                      { issuer: issuerA, audience: audienceA });
    expect("cross_issuer carries issuer B's kid", decodeProtectedHeader(crossIssuer).kid === kidB,
           JSON.stringify(decodeProtectedHeader(crossIssuer)));
    for (const name of ["expired", "not_yet_valid", "wrong_audience", "wrong_issuer"]) {
        expect(`${name} is signed with A's key`, decodeProtectedHeader(forgeries[name].token).kid === kidA &&
               verifyAs(args.alg, publicA, forgeries[name].token), "kid or signature differs");
    }
    // Genuine tokens of issuer A with claims its sign-in tokens lack: a
    // subject that is a UUID (lower and upper case), and a "role" of its own
    // (as Better Auth's admin plugin adds); and one of issuer B whose
    // subject is the id of A's first user.
    const uuidSub = crypto.randomUUID();
    const extras = {
        uuid_sub: { sub: uuidSub, token: await a.sign({ ...claims, sub: uuidSub, id: uuidSub }) },
        uuid_sub_upper: { sub: uuidSub.toUpperCase(),
                          token: await a.sign({ ...claims, sub: uuidSub.toUpperCase(), id: uuidSub.toUpperCase() }) },
        role_admin: { sub: victim.id, role: "admin", token: await a.sign({ ...claims, role: "admin" }) },
    };
    for (const [name, { sub, token }] of Object.entries(extras)) {
        await expectValid(`${name} verifies with issuer A's JWKS`, token, jwksA,
                          { issuer: issuerA, audience: audienceA, sub });
    }
    extras.peer_same_sub = {
        sub: victim.id,
        token: await b.sign({ ...split(peerUser.token).claims, sub: victim.id, id: victim.id }),
    };
    await expectValid("peer_same_sub verifies with issuer B's JWKS", extras.peer_same_sub.token, jwksB,
                      { issuer: issuerB, audience: audienceB, sub: victim.id });
    expect("role_admin carries role admin", split(extras.role_admin.token).claims.role === "admin",
           JSON.stringify(split(extras.role_admin.token).claims));
    for (const [name, { token }] of Object.entries(forgeries)) {
        await expectRefused(`forgery ${name} refused by jose with A's JWKS`, token, jwksA,
                            { issuer: issuerA, audience: audienceA });
    }

    // Rotation on A's side: the rotation interval of the key runs out
    // (moved into the past), the next token gets a new key, and the JWKS
    // lists both during the grace period; after the grace period only the
    // new one.
    const oldToken = victim.token;
    await a.expireKey(kidA, 60);
    const newToken = await a.token(victim);
    const newKid = split(newToken).header.kid;
    const jwksRotated = await a.jwks();
    await a.expireKey(kidA, GRACE_PERIOD + 60);
    const jwksRetired = await a.jwks();
    const kids = (jwks) => jwks.keys.map((k) => k.kid);
    expect("rotation: the new token has a new kid", newKid !== kidA && !kids(jwksA).includes(newKid),
           `${kidA} -> ${newKid}`);
    expect("rotation: the JWKS in the grace period lists the old and the new key",
           kids(jwksRotated).length === 2 && kids(jwksRotated).includes(kidA) && kids(jwksRotated).includes(newKid),
           JSON.stringify(kids(jwksRotated)));
    expect("rotation: after the grace period the JWKS lists the new key only",
           JSON.stringify(kids(jwksRetired)) === JSON.stringify([newKid]), JSON.stringify(kids(jwksRetired)));
    await expectValid("rotation: the new token verifies with the rotated JWKS", newToken, jwksRotated,
                      { issuer: issuerA, audience: audienceA, sub: victim.id });
    await expectValid("rotation: the old token verifies with the rotated JWKS", oldToken, jwksRotated,
                      { issuer: issuerA, audience: audienceA, sub: victim.id });
    await expectValid("rotation: the new token verifies with the retired JWKS", newToken, jwksRetired,
                      { issuer: issuerA, audience: audienceA, sub: victim.id });
    await expectRefused("rotation: the old token is refused with the retired JWKS", oldToken, jwksRetired,
                        { issuer: issuerA, audience: audienceA });
    await expectRefused("rotation: the new token is refused with the first JWKS", newToken, jwksA,
                        { issuer: issuerA, audience: audienceA });

    const failed = sanity.filter((s) => !s.ok);
    const strip = ({ email, id, token }) => ({ email, id, token });
    const output = {
        alg: args.alg,
        better_auth_version: packageVersion("better-auth"),
        jose_version: packageVersion("jose"),
        node: process.version,
        issuer: issuerA,
        audience: audienceA,
        schema: a.schema,
        jwks: jwksA,
        users: users.map(strip),
        example: { header: first.header, claims: first.claims },
        peer: {
            issuer: issuerB, audience: audienceB, schema: b.schema, jwks: jwksB, users: [strip(peerUser)],
        },
        rotation: {
            how: `Better Auth's jwks.rotationInterval (${ROTATION_INTERVAL} s) and gracePeriod (${GRACE_PERIOD} s): ` +
                 "the old key's expiresAt was moved 60 s into the past, the next token minted a new key; " +
                 "then it was moved past the grace period, and the JWKS dropped the old key",
            user: victim.id,
            old_kid: kidA,
            new_kid: newKid,
            old_token: oldToken,
            new_token: newToken,
            jwks_before: jwksA,
            jwks_rotated: jwksRotated,
            jwks_retired: jwksRetired,
            old_kid_in_rotated: kids(jwksRotated).includes(kidA),
            old_kid_in_retired: kids(jwksRetired).includes(kidA),
        },
        forgeries,
        extras,
        sanity,
        sanity_failed: failed.length,
        milliseconds: Date.now() - started,
    };
    process.stdout.write(JSON.stringify(output, null, 2) + "\n");
    for (const f of failed) log(`issue.mjs: sanity check failed: ${f.check}: ${f.detail}`);
    log(`issue.mjs: ${args.alg}: ${sanity.length - failed.length} of ${sanity.length} sanity checks passed`);
    process.exitCode = failed.length ? 1 : 0;
} finally {
    await a.end();
    await b.end();
}
