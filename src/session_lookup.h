/*-------------------------------------------------------------------------
 *
 * session_lookup.h
 *	  Reading a session of auth.sessions by its primary key, directly and
 *	  with a fresh snapshot.
 *
 * src/session_lookup.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SESSION_LOOKUP_H
#define JWT_AUTH_SESSION_LOOKUP_H

#include "datatype/timestamp.h"

/* What became of a token's session. */
typedef enum SessionState
{
	SESSION_ACTIVE,
	SESSION_REVOKED,			/* revoked_at is set */
	SESSION_EXPIRED,			/* expires_at has passed */
	SESSION_UNKNOWN				/* no such session of that user (purged, or
								 * its user deleted) */
} SessionState;

extern bool jwt_auth_session_lookup_forget_table(Oid relid);
extern SessionState jwt_auth_session_lookup(const unsigned char sid[16], const unsigned char sub[16],
								   TimestampTz now, TimestampTz *expires_at, bool *cacheable);

#endif							/* JWT_AUTH_SESSION_LOOKUP_H */
