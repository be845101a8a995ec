/*-------------------------------------------------------------------------
 *
 * random.c
 *	  Random values from the server's strong random source: bytes,
 *	  version 4 UUIDs for session ids and token ids, and bearer tokens with
 *	  the hash under which they are stored.
 *
 * Session ids ("sid"), token ids ("jti"), refresh tokens and the one-time
 * tokens of accounts all come from pg_strong_random(), which is OpenSSL's
 * generator in a build with OpenSSL.  A bearer token is 256 random bits in
 * base64url; only its SHA-256 is stored, so a table holds no token that
 * could be used.
 *
 * src/random.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/evp.h>

#include "jose/codec.h"
#include "pg_compat.h"
#include "random.h"

/* Fill "buf" with "len" random bytes, or fail. */
void
jwt_auth_random_bytes(void *buf, size_t len)
{
	if (!pg_strong_random(buf, len))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
}

/* A random (version 4) UUID, as text. */
void
jwt_auth_random_uuid(char out[37])
{
	unsigned char u[16];

	jwt_auth_random_bytes(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	jwt_auth_codec_uuid_format(u, out);
}

/* A new bearer token: 32 random bytes in base64url. */
void
jwt_auth_random_token(char out[RANDOM_TOKEN_LENGTH + 1])
{
	unsigned char raw[32];

	jwt_auth_random_bytes(raw, sizeof(raw));
	jwt_auth_codec_b64url_encode(raw, sizeof(raw), out);
	explicit_bzero(raw, sizeof(raw));
}

/* The SHA-256 of a bearer token, as stored. */
bytea *
jwt_auth_random_token_hash(const char *token, size_t len)
{
	bytea	   *result = (bytea *) palloc(VARHDRSZ + 32);
	unsigned int n = 0;

	if (!EVP_Digest(token, len, (unsigned char *) VARDATA(result), &n, EVP_sha256(), NULL) ||
		n != 32)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not hash a token")));
	SET_VARSIZE(result, VARHDRSZ + 32);
	return result;
}
