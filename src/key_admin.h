/*-------------------------------------------------------------------------
 *
 * key_admin.h
 *	  auth.rotate_key(), auth.import_key() and auth.jwks().
 *
 * src/key_admin.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_KEY_ADMIN_H
#define JWT_AUTH_KEY_ADMIN_H

#include "fmgr.h"

extern Datum jwt_auth_rotate_key(PG_FUNCTION_ARGS);
extern Datum jwt_auth_import_key(PG_FUNCTION_ARGS);
extern Datum jwt_auth_jwks(PG_FUNCTION_ARGS);

#endif							/* JWT_AUTH_KEY_ADMIN_H */
