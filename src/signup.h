/*-------------------------------------------------------------------------
 *
 * signup.h
 *	  auth.signup(email, password): create an account.
 *
 * src/signup.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SIGNUP_H
#define JWT_AUTH_SIGNUP_H

#include "fmgr.h"

extern Datum jwt_auth_signup(PG_FUNCTION_ARGS);

#endif							/* JWT_AUTH_SIGNUP_H */
