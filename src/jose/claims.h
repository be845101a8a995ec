/*-------------------------------------------------------------------------
 *
 * claims.h
 *	  The claims of a JWT whose signature has been checked: their types,
 *	  the issuer, the audience and the times.
 *
 * No server dependency: linked into the extension and into the fuzz target.
 *
 * src/jose/claims.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_CLAIMS_H
#define JWT_AUTH_CLAIMS_H

#include "token.h"

/* What a valid token must satisfy. */
typedef struct TokenRules
{
	int64_t		now;			/* seconds since the Unix epoch */
	int64_t		leeway;			/* seconds of clock skew tolerated */
	const char *issuer;
	const char *audience;
	bool		ignore_expiry;	/* for signing out with an expired token */
	bool		foreign;		/* a trusted issuer's token, not jwt_auth's:
								 * "audience" may be NULL (no check) */
	int64_t		max_lifetime;	/* seconds from "iat" (else "nbf", else now)
								 * to "exp"; 0: no bound */
} TokenRules;

/* What a verified token tells. */
typedef struct TokenClaims
{
	bool		foreign;		/* checked by the rules of another issuer */
	bool		sub_is_uuid;
	unsigned char sub[16];		/* the subject, when it is a UUID */
	char		sub_text[TOKEN_MAX_NAME + 1];	/* the subject as text:
												 * jwt_auth's UUID in
												 * canonical form, another
												 * issuer's as given */
	bool		has_sid;
	unsigned char sid[16];		/* the session ("sid"), a UUID */
	int64_t		exp;
	bool		has_nbf;
	int64_t		nbf;
	bool		has_iat;
	int64_t		iat;
	size_t		json_len;
	char		json[TOKEN_MAX_JSON + 1];	/* the decoded payload */
} TokenClaims;

extern TokenStatus jwt_auth_claims_check(const JsDoc *doc, const TokenRules *rules,
										 TokenClaims *claims, const char **detail);
extern TokenStatus jwt_auth_claims_check_times(const TokenClaims *claims,
											   const TokenRules *rules, const char **detail);

#endif							/* JWT_AUTH_CLAIMS_H */
