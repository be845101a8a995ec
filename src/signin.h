/*-------------------------------------------------------------------------
 *
 * signin.h
 *	  auth.signin() and auth.signin_session(): check a password, open a
 *	  session, issue tokens.
 *
 * src/signin.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SIGNIN_H
#define JWT_AUTH_SIGNIN_H

#include "fmgr.h"

extern text *issue_access_token(const char *user_id, const char *email,
								const char *session_id, TimestampTz *expires_at);
extern Datum jwt_auth_signin(PG_FUNCTION_ARGS);
extern Datum jwt_auth_signin_session(PG_FUNCTION_ARGS);

#endif							/* JWT_AUTH_SIGNIN_H */
