/*-------------------------------------------------------------------------
 *
 * account_admin.c
 *	  auth.delete_user(user_id), auth.disable_user(user_id, until) and
 *	  auth.enable_user(user_id): the extension's owner deletes, disables
 *	  and enables accounts.
 *
 * Deleting an account deletes its sessions, refresh tokens and one-time
 * tokens with it (and, through their foreign keys, the application's rows
 * that reference it with ON DELETE CASCADE).  Disabling one ends every
 * session and voids every one-time token of it at once; until the time
 * given, auth.signin() and auth.refresh() refuse it with 28000.  Each
 * returns whether the account exists.
 *
 * src/account_admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "account_token.h"
#include "callable.h"
#include "db.h"
#include "pg_compat.h"
#include "session_store.h"

static DbQuery delete_user = {
	.sql = "DELETE FROM auth.users WHERE id OPERATOR(pg_catalog.=) $1",
	.tables = {"users"},
	.nargs = 1,
	.argtypes = {UUIDOID},
	.expect = SPI_OK_DELETE,
};

static DbQuery set_disabled = {
	.sql = "UPDATE auth.users SET disabled_until = $2, updated_at = pg_catalog.now() "
	"WHERE id OPERATOR(pg_catalog.=) $1",
	.tables = {"users"},
	.nargs = 2,
	.argtypes = {UUIDOID, TIMESTAMPTZOID},
	.expect = SPI_OK_UPDATE,
};

PG_FUNCTION_INFO_V1(jwt_auth_delete_user);
Datum
jwt_auth_delete_user(PG_FUNCTION_ARGS)
{
	Datum		user_id;
	uint64		deleted;

	jwt_auth_db_require_version(DB_VERSION_1_2);
	jwt_auth_require_argument(fcinfo, 0, "user_id");
	jwt_auth_require_writable("auth.delete_user()", NULL);
	user_id = PG_GETARG_DATUM(0);
	jwt_auth_db_connect();
	deleted = jwt_auth_db_run(&delete_user, &user_id, NULL, NULL);
	jwt_auth_db_finish();
	PG_RETURN_BOOL(deleted > 0);
}

PG_FUNCTION_INFO_V1(jwt_auth_disable_user);
Datum
jwt_auth_disable_user(PG_FUNCTION_ARGS)
{
	Datum		args[2];
	bool		found;

	jwt_auth_db_require_version(DB_VERSION_1_2);
	jwt_auth_require_argument(fcinfo, 0, "user_id");
	jwt_auth_require_argument(fcinfo, 1, "until");
	jwt_auth_require_writable("auth.disable_user()", NULL);
	if (PG_GETARG_TIMESTAMPTZ(1) <= GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("until must be in the future"),
				 errhint("To let the account sign in again, call auth.enable_user().")));
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	jwt_auth_db_connect();
	found = jwt_auth_db_run(&set_disabled, args, NULL, NULL) > 0;
	if (found)
	{
		(void) jwt_auth_session_end_all(args[0], NULL);
		jwt_auth_account_tokens_void(args[0]);
	}
	jwt_auth_db_finish();
	PG_RETURN_BOOL(found);
}

PG_FUNCTION_INFO_V1(jwt_auth_enable_user);
Datum
jwt_auth_enable_user(PG_FUNCTION_ARGS)
{
	Datum		args[2];
	bool		nulls[2] = {false, true};
	bool		found;

	jwt_auth_db_require_version(DB_VERSION_1_2);
	jwt_auth_require_argument(fcinfo, 0, "user_id");
	jwt_auth_require_writable("auth.enable_user()", NULL);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = (Datum) 0;
	jwt_auth_db_connect();
	found = jwt_auth_db_run(&set_disabled, args, nulls, NULL) > 0;
	jwt_auth_db_finish();
	PG_RETURN_BOOL(found);
}
