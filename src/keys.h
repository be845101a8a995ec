/*-------------------------------------------------------------------------
 *
 * keys.h
 *	  The signing keys in auth.keys, cached per backend.
 *
 * src/keys.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_KEYS_H
#define JWT_AUTH_KEYS_H

#include "datatype/timestamp.h"
#include "token.h"

typedef struct JwtKey
{
	char		kid[TOKEN_MAX_KID + 1];
	char		alg[TOKEN_MAX_ALG + 1];
	unsigned char *secret;
	size_t		secret_len;
	TimestampTz created_at;
} JwtKey;

extern void keys_init(void);
extern const JwtKey *keys_find(const char *kid);
extern const JwtKey *keys_signing_key(void);

#endif							/* JWT_AUTH_KEYS_H */
