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

extern char *jwt_auth_reauthenticate(Datum user_id, Datum password);

#endif							/* JWT_AUTH_REAUTHENTICATE_H */
