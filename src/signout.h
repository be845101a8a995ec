/*-------------------------------------------------------------------------
 *
 * signout.h
 *	  auth.signout(token) and auth.change_password(old, new): the ways a
 *	  user ends sessions.
 *
 * src/signout.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SIGNOUT_H
#define JWT_AUTH_SIGNOUT_H

#include "fmgr.h"

extern Datum jwt_auth_signout(PG_FUNCTION_ARGS);
extern Datum jwt_auth_change_password(PG_FUNCTION_ARGS);

#endif							/* JWT_AUTH_SIGNOUT_H */
