/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  auth.verify(token, is_local): check a token (verify_policy.c) and its
 *	  session, then set the identity.
 *
 * Every refusal is SQLSTATE 28000 with a message naming the cause; no part
 * of the token is ever echoed into a message.
 *
 * src/verify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/uuid.h"

#include "callable.h"
#include "config.h"
#include "identity.h"
#include "pg_compat.h"
#include "secrets.h"
#include "session_check.h"
#include "jose/claims.h"
#include "verify_policy.h"

static Datum
verify_impl(PG_FUNCTION_ARGS)
{
	bool		is_local = true;
	TokenClaims claims;
	pg_uuid_t  *result;

	/* auth.verify(token) is auth.verify(token, true). */
	if (PG_NARGS() > 1)
	{
		jwt_auth_require_argument(fcinfo, 1, "is_local");
		is_local = PG_GETARG_BOOL(1);
	}

	jwt_auth_verify_policy_check(fcinfo, 0, false, &claims);

	/* The session must still be active (not for other issuers' tokens). */
	if (jwt_auth_config_get()->check_sessions && !claims.foreign)
		jwt_auth_session_check(&claims);

	jwt_auth_identity_set(claims.sub_text, claims.json, claims.foreign, is_local);

	/*
	 * Another issuer's subject need not be a UUID: then there is none to
	 * return.
	 */
	if (!claims.sub_is_uuid)
		PG_RETURN_NULL();
	result = (pg_uuid_t *) palloc(sizeof(pg_uuid_t));
	memcpy(result->data, claims.sub, sizeof(result->data));
	PG_RETURN_UUID_P(result);
}

/* A verify that fails, for whatever reason, leaves no identity in force. */
PG_FUNCTION_INFO_V1(jwt_auth_verify);
Datum
jwt_auth_verify(PG_FUNCTION_ARGS)
{
	Datum		result = (Datum) 0;

	PG_TRY();
	{
		result = jwt_auth_call_hiding_statement(verify_impl, fcinfo);
	}
	PG_CATCH();
	{
		jwt_auth_identity_refused();
		PG_RE_THROW();
	}
	PG_END_TRY();
	return result;
}
