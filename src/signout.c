/*-------------------------------------------------------------------------
 *
 * signout.c
 *	  auth.signout(token): ending the session a token belongs to;
 *	  auth.signout_all(): ending every session of the verified user.
 *
 * It runs as SECURITY DEFINER with a fixed search_path and takes effect for
 * every backend as soon as the caller's transaction commits: auth.verify()
 * reads the session afresh on every call.  An expired token may still end
 * its session.
 *
 * src/signout.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "callable.h"
#include "codec.h"
#include "identity.h"
#include "pg_compat.h"
#include "secrets.h"
#include "tables.h"
#include "token_argument.h"

static Datum
signout_impl(PG_FUNCTION_ARGS)
{
	TokenClaims claims;
	char		sid[37];
	char		sub[37];
	Oid			owner;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	bool		ended;

	jwt_auth_require_sessions();
	jwt_auth_require_writable("auth.signout()", NULL);
	/* An expired token may still end its session. */
	jwt_auth_check_token_argument(fcinfo, 0, true, &claims);
	if (!claims.has_sid)
		PG_RETURN_BOOL(false);

	jwt_auth_codec_uuid_format(claims.sid, sid);
	jwt_auth_codec_uuid_format(claims.sub, sub);
	values[0] = CStringGetTextDatum(sid);
	values[1] = CStringGetTextDatum(sub);
	(void) jwt_auth_table("sessions", &owner);
	jwt_auth_query_begin();
	jwt_auth_query("UPDATE auth.sessions SET revoked_at = pg_catalog.now() "
			   "WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.uuid "
			   "AND user_id OPERATOR(pg_catalog.=) $2::pg_catalog.uuid "
			   "AND revoked_at IS NULL",
			   2, types, values, NULL, false, SPI_OK_UPDATE);
	ended = SPI_processed > 0;
	jwt_auth_query_end();
	PG_RETURN_BOOL(ended);
}

/* Every session of the verified jwt_auth account; how many were active. */
static Datum
signout_all_impl(PG_FUNCTION_ARGS)
{
	pg_uuid_t	uid;
	char		uid_text[37];
	Oid			owner;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	int64		ended;

	jwt_auth_require_sessions();
	jwt_auth_identity_require_account(&uid);
	jwt_auth_require_writable("auth.signout_all()", NULL);
	jwt_auth_codec_uuid_format(uid.data, uid_text);
	values[0] = CStringGetTextDatum(uid_text);
	(void) jwt_auth_table("sessions", &owner);
	jwt_auth_query_begin();
	jwt_auth_query("UPDATE auth.sessions SET revoked_at = pg_catalog.now() "
			   "WHERE user_id OPERATOR(pg_catalog.=) $1::pg_catalog.uuid "
			   "AND revoked_at IS NULL",
			   1, types, values, NULL, false, SPI_OK_UPDATE);
	ended = (int64) SPI_processed;
	jwt_auth_query_end();
	PG_RETURN_INT32((int32) Min(ended, PG_INT32_MAX));
}

PG_FUNCTION_INFO_V1(jwt_auth_signout_all_self);
Datum
jwt_auth_signout_all_self(PG_FUNCTION_ARGS)
{
	return signout_all_impl(fcinfo);
}

PG_FUNCTION_INFO_V1(jwt_auth_signout);
Datum
jwt_auth_signout(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(signout_impl, fcinfo);
}
