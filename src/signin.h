/*-------------------------------------------------------------------------
 *
 * signin.h
 *	  auth.signin(email, password): check a password, issue a token.
 *
 * src/signin.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SIGNIN_H
#define JWT_AUTH_SIGNIN_H

#include "fmgr.h"

extern Datum jwt_auth_signin(PG_FUNCTION_ARGS);

#endif							/* JWT_AUTH_SIGNIN_H */
