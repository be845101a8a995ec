/*-------------------------------------------------------------------------
 *
 * jwk.h
 *	  A public key from a JSON Web Key.
 *
 * src/jwk.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_JWK_H
#define JWT_AUTH_JWK_H

#include "utils/jsonb.h"

#include <openssl/evp.h>

#include "jose/token.h"

typedef struct JwkKey
{
	char		kid[TOKEN_MAX_KID + 1];
	char		alg[TOKEN_MAX_ALG + 1]; /* EdDSA, ES256, ES384, ES512, RS256,
										 * PS256 */
	EVP_PKEY   *pkey;			/* the caller frees it */
} JwkKey;

extern bool jwt_auth_jwk_public_key(JsonbContainer *jwk, JwkKey *out, const char **problem);

#endif							/* JWT_AUTH_JWK_H */
