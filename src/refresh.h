/*-------------------------------------------------------------------------
 *
 * refresh.h
 *	  auth.refresh(refresh_token): rotate a refresh token.
 *
 * src/refresh.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_REFRESH_H
#define JWT_AUTH_REFRESH_H

#include "fmgr.h"

extern Datum jwt_auth_refresh(PG_FUNCTION_ARGS);

#endif							/* JWT_AUTH_REFRESH_H */
