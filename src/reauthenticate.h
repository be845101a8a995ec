/*-------------------------------------------------------------------------
 *
 * reauthenticate.h
 *	  The verified user's password, asked again before a change that an
 *	  access token alone must not allow.
 *
 * src/reauthenticate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_REAUTHENTICATE_H
#define JWT_AUTH_REAUTHENTICATE_H

#include "pg_compat.h"

extern char *jwt_auth_reauthenticate(Datum user_id, Datum password);
pg_noreturn extern void jwt_auth_reauthenticate_refuse_changed(void);

#endif							/* JWT_AUTH_REAUTHENTICATE_H */
