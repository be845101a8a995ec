/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  auth.verify(token, is_local): check a token (token_argument.c) and its
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
#include "tables.h"
#include "claims.h"
#include "token_argument.h"

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

	jwt_auth_check_token_argument(fcinfo, 0, false, &claims);

	/*
	 * The session must still be active.  A token without "sid" has no
	 * session to check: it is refused, unless the extension has not been
	 * updated to a version with sessions yet.
	 */
	if (jwt_auth_config_get()->check_sessions && !claims.foreign)
	{
		if (claims.has_sid)
		{
			switch (jwt_auth_session_state(claims.sid, claims.sub))
			{
				case SESSION_ACTIVE:
					break;
				case SESSION_REVOKED:
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 errmsg("token has been revoked"),
							 errdetail("Its session was ended: signed out, by a password change, with all of its "
									   "user's sessions, or after its refresh token was reused.")));
					break;
				case SESSION_EXPIRED:
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 errmsg("token's session has expired"),
							 errdetail("The session was not refreshed within refresh_ttl, or it was opened by "
									   "auth.signin() and lasted as long as its token."),
							 errhint("Sign in again.")));
					break;
				case SESSION_UNKNOWN:
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 errmsg("token's session does not exist"),
							 errdetail("No session of the token's user has its \"sid\": the session was purged, "
									   "or its user was deleted.")));
					break;
			}
		}
		else if (jwt_auth_table_exists("sessions"))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("token has no session"),
					 errdetail("The token has no \"sid\" claim, so whether its session has ended cannot be checked."),
					 errhint("Sign in again, or turn the setting check_sessions off for stateless tokens.")));
	}

	jwt_auth_identity_set(claims.sub_text, claims.json, claims.foreign, is_local);

	/* Another issuer's subject need not be a UUID: then there is none to return. */
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
