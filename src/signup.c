/*-------------------------------------------------------------------------
 *
 * signup.c
 *	  auth.signup(email, password): create an account.
 *
 * Runs as SECURITY DEFINER with search_path fixed to pg_catalog, pg_temp
 * (see the install script); every query names its schema and operators.
 * Duplicates are refused twice: by a look-up before the (slow) hash, and by
 * INSERT ... ON CONFLICT DO NOTHING for two signups that race.
 *
 * src/signup.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "email.h"
#include "config.h"
#include "db.h"
#include "callable.h"
#include "pg_compat.h"
#include "secrets.h"
#include "password.h"


static DbQuery email_taken = {
	.sql = "SELECT 1 FROM auth.users WHERE email OPERATOR(pg_catalog.=) $1",
	.tables = {"users"},
	.nargs = 1,
	.argtypes = {TEXTOID},
	.expect = SPI_OK_SELECT,
};

static DbQuery insert_user = {
	.sql = "INSERT INTO auth.users (email, password_hash) VALUES ($1, $2) "
	"ON CONFLICT (email) DO NOTHING RETURNING id",
	.tables = {"users"},
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
	.expect = SPI_OK_INSERT_RETURNING,
};

static Datum
signup_impl(PG_FUNCTION_ARGS)
{
	char	   *email;
	text	   *password;
	Datum		args[2];
	DbResult	r;
	bool		isnull;
	Datum		id;

	jwt_auth_require_argument(fcinfo, 0, "email");
	jwt_auth_require_argument(fcinfo, 1, "password");
	jwt_auth_require_writable("auth.signup()", NULL);

	email = jwt_auth_email_require(PG_GETARG_DATUM(0));
	password = jwt_auth_password_check_rules(PG_GETARG_DATUM(1));
	args[0] = CStringGetTextDatum(email);

	jwt_auth_db_connect();
	if (jwt_auth_db_run(&email_taken, args, NULL, NULL) > 0)
		jwt_auth_email_refuse_taken();
	args[1] = CStringGetTextDatum(jwt_auth_password_hash(password, jwt_auth_config_get()->bcrypt_cost));
	if (jwt_auth_db_run(&insert_user, args, NULL, &r) == 0)
		jwt_auth_email_refuse_taken();
	id = jwt_auth_db_value(&r, 0, 0, &isnull);
	jwt_auth_db_finish();
	PG_RETURN_DATUM(id);
}

PG_FUNCTION_INFO_V1(jwt_auth_signup);
Datum
jwt_auth_signup(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(signup_impl, fcinfo);
}
