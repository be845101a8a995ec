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
#include "jose/mac.h"
#include "jose/token.h"

typedef struct JwtKey
{
	char		kid[TOKEN_MAX_KID + 1];
	SignatureAlg alg;
	unsigned char *secret;		/* HS256: the HMAC key; else the private PEM */
	size_t		secret_len;
	HmacKey    *hmac;			/* HS256: the secret set up for HMAC; NULL if
								 * it is too short to use */
	TimestampTz created_at;
	char	   *public_pem;		/* ES256, RS256, EdDSA */
	EVP_PKEY   *public_key;		/* the same: parsed public_pem */
	EVP_PKEY   *private_key;	/* the same: parsed on first signing */
} JwtKey;

extern void jwt_auth_keys_invalidate(Oid relid);
extern const JwtKey *jwt_auth_keys_find(const char *kid);
extern uint64 jwt_auth_keys_version(void);
extern const JwtKey *jwt_auth_keys_signing_key(void);
extern int	jwt_auth_keys_all(const JwtKey **all);
extern EVP_PKEY *jwt_auth_keys_private_key(const JwtKey *key);

#endif							/* JWT_AUTH_KEYS_H */
