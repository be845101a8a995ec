/*-------------------------------------------------------------------------
 *
 * verify_policy.h
 *	  The verification policy: how a token passed to a SQL function is
 *	  checked.
 *
 * src/verify_policy.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_VERIFY_POLICY_H
#define JWT_AUTH_VERIFY_POLICY_H

#include "fmgr.h"
#include "jose/claims.h"

extern void jwt_auth_verify_policy_check(FunctionCallInfo fcinfo, int argno,
										 bool ignore_expiry, TokenClaims *claims);

#endif							/* JWT_AUTH_VERIFY_POLICY_H */
