/*-------------------------------------------------------------------------
 *
 * issuers.h
 *	  The trusted issuers of auth.issuers and their keys, cached per
 *	  backend.
 *
 * src/issuers.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_ISSUERS_H
#define JWT_AUTH_ISSUERS_H

#include <openssl/evp.h>

#include "jose/signature.h"
#include "jose/token.h"

typedef struct TrustedIssuer
{
	char		issuer[TOKEN_MAX_NAME + 1];
	bool		has_audience;
	char		audience[TOKEN_MAX_NAME + 1];
	int64		max_lifetime;	/* seconds, from "iat" (or "nbf") to "exp"; 0:
								 * no bound */
} TrustedIssuer;

typedef struct IssuerKey
{
	int			issuer;			/* index of its TrustedIssuer */
	char		kid[TOKEN_MAX_KID + 1];
	SignatureAlg alg;
	EVP_PKEY   *pkey;
} IssuerKey;

extern void jwt_auth_issuers_invalidate(Oid relid);
extern uint64 jwt_auth_issuers_version(void);
extern const TrustedIssuer *jwt_auth_issuers_find(const char *issuer, size_t len, int *index);
extern const IssuerKey *jwt_auth_issuers_key(int issuer, const char *kid);

#endif							/* JWT_AUTH_ISSUERS_H */
