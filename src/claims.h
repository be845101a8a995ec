/*-------------------------------------------------------------------------
 *
 * claims.h
 *	  The claims of a JWT whose signature has been checked: their types,
 *	  the issuer, the audience and the times.
 *
 * No server dependency: linked into the extension and into the fuzz target.
 *
 * src/claims.h
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
} TokenRules;

/* What a verified token tells. */
typedef struct TokenClaims
{
	unsigned char sub[16];		/* the subject, a UUID */
	char		sub_text[37];	/* the same, canonical lower-case text */
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

extern TokenStatus claims_check(const TokenHeader *hdr, const TokenRules *rules,
								TokenClaims *claims, const char **detail);
extern TokenStatus claims_check_times(const TokenClaims *claims,
									  const TokenRules *rules, const char **detail);

#endif							/* JWT_AUTH_CLAIMS_H */
