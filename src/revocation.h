/*-------------------------------------------------------------------------
 *
 * revocation.h
 *	  Ending a session: in a transaction of its own, whatever becomes of the
 *	  caller's, or else in the caller's.
 *
 * src/revocation.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_REVOCATION_H
#define JWT_AUTH_REVOCATION_H

extern void jwt_auth_revoke_session(Datum session);
extern bool jwt_auth_revoke_session_apart(const char *session_id, Oid owner);

#endif							/* JWT_AUTH_REVOCATION_H */
