/*-------------------------------------------------------------------------
 *
 * delete_account.c
 *	  auth.delete_account(password): the verified user deletes their own
 *	  account, after giving their password again.
 *
 * The password is checked as for auth.change_password() (reauthenticate.c:
 * guesses are throttled as sign-ins are); another issuer's identity is no
 * jwt_auth account (28000).  The account goes with its sessions, refresh tokens and
 * one-time tokens, and with the application's rows whose foreign keys
 * reference it ON DELETE CASCADE.
 *
 * src/delete_account.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "callable.h"
#include "db.h"
#include "identity.h"
#include "reauthenticate.h"
#include "pg_compat.h"
#include "secrets.h"

/* Only if the hash is still the one checked: else the password changed meanwhile. */
static DbQuery delete_user = {
	.sql = "DELETE FROM auth.users WHERE id OPERATOR(pg_catalog.=) $1 "
	"AND password_hash OPERATOR(pg_catalog.=) $2",
	.tables = {"users"},
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
	.expect = SPI_OK_DELETE,
};

static Datum
delete_account_impl(PG_FUNCTION_ARGS)
{
	pg_uuid_t	uid;
	Datum		args[2];

	jwt_auth_db_require_version(DB_VERSION_1_2);
	jwt_auth_require_argument(fcinfo, 0, "password");
	jwt_auth_identity_require_account(&uid);
	jwt_auth_require_writable("auth.delete_account()", NULL);

	args[0] = UUIDPGetDatum(&uid);
	jwt_auth_db_connect();
	args[1] = CStringGetTextDatum(jwt_auth_reauthenticate(args[0], PG_GETARG_DATUM(0)));
	if (jwt_auth_db_run(&delete_user, args, NULL, NULL) != 1)
		jwt_auth_reauthenticate_refuse_changed();
	jwt_auth_db_finish();
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(jwt_auth_delete_account);
Datum
jwt_auth_delete_account(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(delete_account_impl, fcinfo);
}
