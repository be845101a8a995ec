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
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "email.h"
#include "config.h"
#include "callable.h"
#include "pg_compat.h"
#include "secrets.h"
#include "password.h"
#include "tables.h"


static void
report_duplicate(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("email address is already registered")));
}

static Datum
signup_impl(PG_FUNCTION_ARGS)
{
	const char *why = NULL;
	char	   *email;
	text	   *password;
	char	   *hash;
	pg_uuid_t  *result;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	Oid			owner;

	jwt_auth_require_argument(fcinfo, 0, "email");
	jwt_auth_require_argument(fcinfo, 1, "password");
	jwt_auth_require_writable("auth.signup()", NULL);

	email = jwt_auth_email_argument(PG_GETARG_DATUM(0), &why);
	if (email == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid email address"),
				 errdetail_internal("%s", why)));
	password = jwt_auth_password_check_rules(PG_GETARG_DATUM(1));

	result = (pg_uuid_t *) palloc(sizeof(pg_uuid_t));
	values[0] = CStringGetTextDatum(email);
	(void) jwt_auth_table("users", &owner);

	jwt_auth_query_begin();

	jwt_auth_query("SELECT 1 FROM auth.users WHERE email OPERATOR(pg_catalog.=) $1",
			   1, argtypes, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed > 0)
		report_duplicate();

	hash = jwt_auth_password_hash(password, jwt_auth_config_get()->bcrypt_cost);
	values[1] = CStringGetTextDatum(hash);

	jwt_auth_query("INSERT INTO auth.users (email, password_hash) VALUES ($1, $2) "
			   "ON CONFLICT (email) DO NOTHING RETURNING id",
			   2, argtypes, values, NULL, false, SPI_OK_INSERT_RETURNING);
	if (SPI_processed == 0)
		report_duplicate();
	{
		bool		isnull;
		Datum		id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		memcpy(result, DatumGetUUIDP(id), sizeof(pg_uuid_t));
	}

	jwt_auth_query_end();
	PG_RETURN_UUID_P(result);
}

PG_FUNCTION_INFO_V1(jwt_auth_signup);
Datum
jwt_auth_signup(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(signup_impl, fcinfo);
}
