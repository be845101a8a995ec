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

extern text *jwt_auth_issue_access_token(const char *user_id, const char *email,
										 const char *session_id, TimestampTz *expires_at);

#endif							/* JWT_AUTH_ACCESS_TOKEN_H */
