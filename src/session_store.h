/*-------------------------------------------------------------------------
 *
 * session_store.h
 *	  Opening a session, a new row of auth.sessions; ending every session
 *	  of a user.
 *
 * src/session_store.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SESSION_STORE_H
#define JWT_AUTH_SESSION_STORE_H

#include "datatype/timestamp.h"

extern void jwt_auth_session_create(const char *session_id, const char *user_id,
									TimestampTz expires_at);
extern uint64 jwt_auth_session_end_all(Datum user_id, const char *keep);

#endif							/* JWT_AUTH_SESSION_STORE_H */
