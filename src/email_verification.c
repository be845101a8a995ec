/*-------------------------------------------------------------------------
 *
 * email_verification.c
 *	  auth.request_email_verification(user_id), auth.verify_email(token),
 *	  auth.request_email_change(user_id, new_email, password) and
 *	  auth.confirm_email_change(token): an email proved to be the user's.
 *
 * The functions that make tokens are for the extension's owner and the
 * roles it grants them to; they return NULL when there is nothing to send
 * (no such account, a disabled one, an email verified already) and when
 * the account had its share of tokens in the last hour.  A verification
 * token is for the address it was sent to: once the email has changed it
 * verifies nothing.  A change token carries the new address, which becomes
 * the account's, verified, when the token is used; every other token of
 * the account is then void.  Since whoever controls the email controls the
 * account (a password reset goes there), the change is asked for with the
 * user's password when the backend passes it (checked as for
 * auth.change_password(): reauthenticate.c).  The functions that use a token are for
 * everyone, the token being the credential.
 *
 * src/email_verification.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "account_token.h"
#include "callable.h"
#include "config.h"
#include "db.h"
#include "email.h"
#include "pg_compat.h"
#include "reauthenticate.h"
#include "secrets.h"

/* An account, locked so that its requests are counted in turn. */
static DbQuery find_user = {
	.sql = "SELECT email, email_verified, "
	"disabled_until OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp() "
	"FROM auth.users WHERE id OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE",
	.tables = {"users"},
	.nargs = 1,
	.argtypes = {UUIDOID},
	.expect = SPI_OK_SELECT,
};

static DbQuery email_taken = {
	.sql = "SELECT 1 FROM auth.users WHERE email OPERATOR(pg_catalog.=) $1 "
	"AND id OPERATOR(pg_catalog.<>) $2",
	.tables = {"users"},
	.nargs = 2,
	.argtypes = {TEXTOID, UUIDOID},
	.expect = SPI_OK_SELECT,
};

static DbQuery set_verified = {
	.sql = "UPDATE auth.users SET email_verified = true, updated_at = pg_catalog.now() "
	"WHERE id OPERATOR(pg_catalog.=) $1",
	.tables = {"users"},
	.nargs = 1,
	.argtypes = {UUIDOID},
	.expect = SPI_OK_UPDATE,
};

static DbQuery set_email = {
	.sql = "UPDATE auth.users SET email = $2, email_verified = true, updated_at = pg_catalog.now() "
	"WHERE id OPERATOR(pg_catalog.=) $1",
	.tables = {"users"},
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
	.expect = SPI_OK_UPDATE,
};

/*
 * The account's email (and whether it is verified), or NULL if there is no
 * such account or it is disabled.
 */
static char *
account_email(Datum user_id, bool *verified)
{
	DbResult	r;
	bool		isnull;

	if (jwt_auth_db_run(&find_user, &user_id, NULL, &r) != 1 ||
		DatumGetBool(jwt_auth_db_value(&r, 0, 2, &isnull)))
		return NULL;
	*verified = DatumGetBool(jwt_auth_db_value(&r, 0, 1, &isnull));
	return TextDatumGetCString(jwt_auth_db_value(&r, 0, 0, &isnull));
}

static Datum
request_email_verification_impl(PG_FUNCTION_ARGS)
{
	char	   *email;
	char	   *token = NULL;
	bool		verified = false;

	jwt_auth_db_require_version(DB_VERSION_1_2);
	jwt_auth_require_argument(fcinfo, 0, "user_id");
	jwt_auth_require_writable("auth.request_email_verification()", NULL);
	jwt_auth_db_connect();
	email = account_email(PG_GETARG_DATUM(0), &verified);
	if (email != NULL && !verified)
		token = jwt_auth_account_token_make(PG_GETARG_DATUM(0), ACCOUNT_TOKEN_EMAIL_VERIFICATION, email,
											jwt_auth_config_get()->verification_ttl);
	jwt_auth_db_finish();
	if (token == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(token));
}

static Datum
verify_email_impl(PG_FUNCTION_ARGS)
{
	AccountTokenUse use;

	jwt_auth_db_require_version(DB_VERSION_1_2);
	jwt_auth_require_argument(fcinfo, 0, "token");
	jwt_auth_require_writable("auth.verify_email()", NULL);
	jwt_auth_db_connect();
	jwt_auth_account_token_use(PG_GETARG_DATUM(0), ACCOUNT_TOKEN_EMAIL_VERIFICATION, &use);
	/* Sent to an address the account no longer has: it verifies nothing. */
	if (strcmp(use.email, use.user_email) != 0)
		jwt_auth_account_token_refuse();
	(void) jwt_auth_db_run(&set_verified, &use.user_id, NULL, NULL);
	jwt_auth_db_finish();
	PG_RETURN_DATUM(use.user_id);
}

static Datum
request_email_change_impl(PG_FUNCTION_ARGS)
{
	char	   *new_email;
	char	   *email;
	char	   *token = NULL;
	bool		verified = false;
	Datum		args[2];

	jwt_auth_db_require_version(DB_VERSION_1_2);
	jwt_auth_require_argument(fcinfo, 0, "user_id");
	jwt_auth_require_argument(fcinfo, 1, "new_email");
	jwt_auth_require_writable("auth.request_email_change()", NULL);
	new_email = jwt_auth_email_require(PG_GETARG_DATUM(1));

	jwt_auth_db_connect();
	email = account_email(PG_GETARG_DATUM(0), &verified);
	if (email != NULL && !PG_ARGISNULL(2))
		(void) jwt_auth_reauthenticate(PG_GETARG_DATUM(0), PG_GETARG_DATUM(2));
	if (email != NULL && strcmp(email, new_email) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("new email address is the account's address already")));
	args[0] = CStringGetTextDatum(new_email);
	args[1] = PG_GETARG_DATUM(0);
	if (email != NULL && jwt_auth_db_run(&email_taken, args, NULL, NULL) > 0)
		jwt_auth_email_refuse_taken();
	if (email != NULL)
		token = jwt_auth_account_token_make(PG_GETARG_DATUM(0), ACCOUNT_TOKEN_EMAIL_CHANGE, new_email,
											jwt_auth_config_get()->verification_ttl);
	jwt_auth_db_finish();
	if (token == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(token));
}

static Datum
confirm_email_change_impl(PG_FUNCTION_ARGS)
{
	AccountTokenUse use;
	Datum		args[2];

	jwt_auth_db_require_version(DB_VERSION_1_2);
	jwt_auth_require_argument(fcinfo, 0, "token");
	jwt_auth_require_writable("auth.confirm_email_change()", NULL);
	jwt_auth_db_connect();
	jwt_auth_account_token_use(PG_GETARG_DATUM(0), ACCOUNT_TOKEN_EMAIL_CHANGE, &use);
	args[0] = CStringGetTextDatum(use.email);
	args[1] = use.user_id;
	if (jwt_auth_db_run(&email_taken, args, NULL, NULL) > 0)
		jwt_auth_email_refuse_taken();
	args[0] = use.user_id;
	args[1] = CStringGetTextDatum(use.email);
	(void) jwt_auth_db_run(&set_email, args, NULL, NULL);
	jwt_auth_account_tokens_void(use.user_id);
	jwt_auth_db_finish();
	PG_RETURN_DATUM(use.user_id);
}

PG_FUNCTION_INFO_V1(jwt_auth_request_email_verification);
Datum
jwt_auth_request_email_verification(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(request_email_verification_impl, fcinfo);
}

PG_FUNCTION_INFO_V1(jwt_auth_verify_email);
Datum
jwt_auth_verify_email(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(verify_email_impl, fcinfo);
}

PG_FUNCTION_INFO_V1(jwt_auth_request_email_change);
Datum
jwt_auth_request_email_change(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(request_email_change_impl, fcinfo);
}

PG_FUNCTION_INFO_V1(jwt_auth_confirm_email_change);
Datum
jwt_auth_confirm_email_change(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(confirm_email_change_impl, fcinfo);
}
