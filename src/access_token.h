/*-------------------------------------------------------------------------
 *
 * access_token.h
 *	  Issuing jwt_auth's own access tokens.
 *
 * src/access_token.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_ACCESS_TOKEN_H
#define JWT_AUTH_ACCESS_TOKEN_H

#include "datatype/timestamp.h"

/* Whether the user's email is verified, as the "email_verified" claim says. */
typedef enum EmailVerified
{
	EMAIL_VERIFIED_UNKNOWN,		/* SQL before 1.2: no claim */
	EMAIL_VERIFIED_NO,
	EMAIL_VERIFIED_YES
} EmailVerified;

extern text *jwt_auth_issue_access_token(const char *user_id, const char *email,
										 EmailVerified email_verified,
										 const char *session_id, TimestampTz *expires_at);

#endif							/* JWT_AUTH_ACCESS_TOKEN_H */
