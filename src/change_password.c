/*-------------------------------------------------------------------------
 *
 * change_password.c
 *	  auth.change_password(old, new): the verified user changes their
 *	  password, and every other session of theirs ends.
 *
 * It runs as SECURITY DEFINER with a fixed search_path, for the identity
 * auth.verify() set in this transaction, and takes effect for every backend
 * as soon as the caller's transaction commits.
 *
 * src/change_password.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "callable.h"
#include "config.h"
#include "db.h"
#include "identity.h"
#include "password.h"
#include "pg_compat.h"
#include "secrets.h"
#include "throttle.h"

/*
 * Guesses of the old password are throttled as sign-ins of the user's
 * email are (a stolen access token must not allow unlimited guesses), and
 * checked before the row is locked, so that a guess does not hold up the
 * user's sign-ins for the length of a hash.
 */
static DbQuery find_user = {
	.sql = "SELECT email, password_hash FROM auth.users WHERE id OPERATOR(pg_catalog.=) $1",
	.tables = {"users"},
	.nargs = 1,
	.argtypes = {UUIDOID},
	.expect = SPI_OK_SELECT,
};

/* Only if the hash is still the one checked: else the password changed meanwhile. */
static DbQuery set_password = {
	.sql = "UPDATE auth.users SET password_hash = $2, updated_at = pg_catalog.now() "
	"WHERE id OPERATOR(pg_catalog.=) $1 AND password_hash OPERATOR(pg_catalog.=) $3",
	.tables = {"users"},
	.nargs = 3,
	.argtypes = {UUIDOID, TEXTOID, TEXTOID},
	.expect = SPI_OK_UPDATE,
};

/* End every other session: whoever knew the old password is out. */
static DbQuery end_other_sessions = {
	.sql = "UPDATE auth.sessions SET revoked_at = pg_catalog.now() "
	"WHERE user_id OPERATOR(pg_catalog.=) $1 AND revoked_at IS NULL "
	"AND ($2::pg_catalog.uuid IS NULL OR id OPERATOR(pg_catalog.<>) $2)",
	.tables = {"sessions"},
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID},
	.expect = SPI_OK_UPDATE,
};

static Datum
change_password_impl(PG_FUNCTION_ARGS)
{
	pg_uuid_t	uid;
	text	   *sid = jwt_auth_claim_text("sid");
	text	   *new_password;
	char	   *stored = NULL;
	char	   *email = NULL;
	ThrottleKey throttled = {0};
	Datum		args[3];
	bool		nulls[2] = {false, false};
	DbResult	r;
	bool		isnull;
	uint64		ended;

	jwt_auth_db_require_version(DB_VERSION_1_1);
	jwt_auth_require_argument(fcinfo, 0, "old_password");
	jwt_auth_require_argument(fcinfo, 1, "new_password");
	jwt_auth_identity_require_account(&uid);
	jwt_auth_require_writable("auth.change_password()", NULL);
	new_password = jwt_auth_password_check_rules(PG_GETARG_DATUM(1));
	if (!jwt_auth_password_size_ok(PG_GETARG_DATUM(0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PASSWORD),
				 errmsg("invalid password")));

	args[0] = UUIDPGetDatum(&uid);
	jwt_auth_db_connect();
	if (jwt_auth_db_run(&find_user, args, NULL, &r) == 1)
	{
		email = TextDatumGetCString(jwt_auth_db_value(&r, 0, 0, &isnull));
		stored = TextDatumGetCString(jwt_auth_db_value(&r, 0, 1, &isnull));
	}
	if (email != NULL)
		jwt_auth_throttle_attempt(email, strlen(email), &throttled);
	if (!jwt_auth_password_matches(PG_GETARG_TEXT_PP(0), stored, jwt_auth_config_get()->bcrypt_cost))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PASSWORD),
				 errmsg("invalid password")));
	jwt_auth_throttle_success(&throttled);

	args[1] = CStringGetTextDatum(jwt_auth_password_hash(new_password, jwt_auth_config_get()->bcrypt_cost));
	args[2] = CStringGetTextDatum(stored);
	if (jwt_auth_db_run(&set_password, args, NULL, NULL) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PASSWORD),
				 errmsg("invalid password"),
				 errdetail("The password was changed by another transaction meanwhile.")));

	nulls[1] = (sid == NULL);
	args[1] = sid ? jwt_auth_db_uuid(text_to_cstring(sid)) : (Datum) 0;
	ended = jwt_auth_db_run(&end_other_sessions, args, nulls, NULL);
	jwt_auth_db_finish();
	PG_RETURN_INT32((int32) Min(ended, PG_INT32_MAX));
}

PG_FUNCTION_INFO_V1(jwt_auth_change_password);
Datum
jwt_auth_change_password(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(change_password_impl, fcinfo);
}
