/*-------------------------------------------------------------------------
 *
 * session_check.h
 *	  Whether a token's session is still active: the look-up in
 *	  auth.sessions, the per-backend cache in front of it, its
 *	  invalidation, and the errors auth.verify() raises.
 *
 * src/session_check.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SESSION_CHECK_H
#define JWT_AUTH_SESSION_CHECK_H

#include "jose/claims.h"

extern void jwt_auth_sessions_invalidate(Oid relid);
extern void jwt_auth_session_check(const TokenClaims *claims);

#endif							/* JWT_AUTH_SESSION_CHECK_H */
