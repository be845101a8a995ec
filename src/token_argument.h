/*-------------------------------------------------------------------------
 *
 * token_argument.h
 *	  Checking a token passed to a SQL function.
 *
 * src/token_argument.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_TOKEN_ARGUMENT_H
#define JWT_AUTH_TOKEN_ARGUMENT_H

#include "fmgr.h"
#include "claims.h"

extern void jwt_auth_check_token_argument(FunctionCallInfo fcinfo, int argno,
								 bool ignore_expiry, TokenClaims *claims);

#endif							/* JWT_AUTH_TOKEN_ARGUMENT_H */
