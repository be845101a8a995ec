/*-------------------------------------------------------------------------
 *
 * token_cache.h
 *	  Tokens this backend has verified, so that the same token presented
 *	  again is not parsed and its signature not checked again.
 *
 * src/token_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_TOKEN_CACHE_H
#define JWT_AUTH_TOKEN_CACHE_H

#include "jose/claims.h"

/* Longer tokens are verified in full every time. */
#define TOKEN_CACHE_MAX_TOKEN	2048

extern bool jwt_auth_token_cache_lookup(const char *token, size_t len, const TokenRules *rules,
										TokenClaims *claims);
extern void jwt_auth_token_cache_store(const char *token, size_t len, const TokenRules *rules,
									   const TokenClaims *claims);

#endif							/* JWT_AUTH_TOKEN_CACHE_H */
