/*-------------------------------------------------------------------------
 *
 * verify.h
 *	  auth.verify(token, is_local): check a token, set the identity.
 *
 * src/verify.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_VERIFY_H
#define JWT_AUTH_VERIFY_H

#include "fmgr.h"

#include "token.h"

extern void check_token_argument(FunctionCallInfo fcinfo, int argno,
								 bool ignore_expiry, TokenClaims *claims);
extern Datum jwt_auth_verify(PG_FUNCTION_ARGS);

#endif							/* JWT_AUTH_VERIFY_H */
