/*-------------------------------------------------------------------------
 *
 * session_check.h
 *	  Whether a token's session is still active: the per-backend session
 *	  cache in front of the look-up, and its invalidation.
 *
 * src/session_check.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SESSION_CHECK_H
#define JWT_AUTH_SESSION_CHECK_H

#include "session_lookup.h"

extern void jwt_auth_sessions_invalidate(Oid relid);
extern SessionState jwt_auth_session_state(const unsigned char sid[16], const unsigned char sub[16]);

#endif							/* JWT_AUTH_SESSION_CHECK_H */
