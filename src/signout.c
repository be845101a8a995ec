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
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "callable.h"
#include "identity.h"
#include "pg_compat.h"
#include "secrets.h"
#include "session_store.h"
#include "db.h"
#include "verify_policy.h"

static DbQuery end_session = {
	.sql = "UPDATE auth.sessions SET revoked_at = pg_catalog.now() "
	"WHERE id OPERATOR(pg_catalog.=) $1 AND user_id OPERATOR(pg_catalog.=) $2 "
	"AND revoked_at IS NULL",
	.tables = {"sessions"},
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID},
	.expect = SPI_OK_UPDATE,
};

static Datum
signout_impl(PG_FUNCTION_ARGS)
{
	TokenClaims claims;
	pg_uuid_t	sid;
	pg_uuid_t	sub;
	Datum		args[2];
	bool		ended;

	jwt_auth_db_require_version(DB_VERSION_1_1);
	jwt_auth_require_writable("auth.signout()", NULL);
	/* An expired token may still end its session. */
	jwt_auth_verify_policy_check(fcinfo, 0, true, &claims);
	if (!claims.has_sid)
		PG_RETURN_BOOL(false);

	memcpy(sid.data, claims.sid, sizeof(sid.data));
	memcpy(sub.data, claims.sub, sizeof(sub.data));
	args[0] = UUIDPGetDatum(&sid);
	args[1] = UUIDPGetDatum(&sub);
	jwt_auth_db_connect();
	ended = jwt_auth_db_run(&end_session, args, NULL, NULL) > 0;
	jwt_auth_db_finish();
	PG_RETURN_BOOL(ended);
}

/* Every session of the verified jwt_auth account; how many were active. */
static Datum
signout_all_impl(PG_FUNCTION_ARGS)
{
	pg_uuid_t	uid;
	Datum		args[1];
	uint64		ended;

	jwt_auth_db_require_version(DB_VERSION_1_1);
	jwt_auth_identity_require_account(&uid);
	jwt_auth_require_writable("auth.signout_all()", NULL);
	args[0] = UUIDPGetDatum(&uid);
	jwt_auth_db_connect();
	ended = jwt_auth_session_end_all(args[0], NULL);
	jwt_auth_db_finish();
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
