/*-------------------------------------------------------------------------
 *
 * random.c
 *	  Random values from the server's strong random source: bytes, and
 *	  version 4 UUIDs for session ids and token ids.
 *
 * Session ids ("sid"), token ids ("jti") and refresh tokens all come from
 * pg_strong_random(), which is OpenSSL's generator in a build with OpenSSL.
 *
 * src/random.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "jose/codec.h"
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
