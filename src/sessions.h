/*-------------------------------------------------------------------------
 *
 * sessions.h
 *	  Sessions and refresh tokens: creating them and checking them.
 *
 * src/sessions.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SESSIONS_H
#define JWT_AUTH_SESSIONS_H

#include "datatype/timestamp.h"

#define REFRESH_TOKEN_LENGTH	43	/* base64url of 32 random bytes */

extern void sessions_invalidate(Oid relid);
extern void random_uuid(char out[37]);
extern void session_create(const char *session_id, const char *user_id,
						   TimestampTz expires_at);
/* What became of a token's session. */
typedef enum SessionState
{
	SESSION_ACTIVE,
	SESSION_REVOKED,			/* revoked_at is set */
	SESSION_EXPIRED,			/* expires_at has passed */
	SESSION_UNKNOWN				/* no such session of that user (purged, or
								 * its user deleted) */
} SessionState;

extern SessionState session_state(const unsigned char sid[16], const unsigned char sub[16]);
extern char *refresh_token_create(const char *session_id);
extern bytea *refresh_token_hash(const char *token, size_t len);

#endif							/* JWT_AUTH_SESSIONS_H */
