/*-------------------------------------------------------------------------
 *
 * password_reset.c
 *	  auth.request_password_reset(email) and auth.reset_password(token,
 *	  new_password): a forgotten password, replaced through the account's
 *	  inbox.
 *
 * The backend mails the token that request_password_reset() makes (it is
 * for the extension's owner and the roles it grants it to: whoever could
 * ask for anyone's token could take over any account) and answers its
 * client the same whether a token was made or not: NULL stands for an
 * unknown or disabled account and for one that had its share of tokens in
 * the last hour alike.  reset_password() is for everyone, the token being
 * the credential; it sets the new password under the rules of a sign-up,
 * ends every session of the account (whoever knew the old password is
 * out), and marks the email verified, since the token came through it.
 *
 * src/password_reset.c
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
#include "password.h"
#include "pg_compat.h"
#include "secrets.h"
#include "session_store.h"

/* The account of an email, locked so that its requests are counted in turn. */
static DbQuery find_user = {
	.sql = "SELECT id, disabled_until OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp() "
	"FROM auth.users WHERE email OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE",
	.tables = {"users"},
	.nargs = 1,
	.argtypes = {TEXTOID},
	.expect = SPI_OK_SELECT,
};

static DbQuery set_password = {
	.sql = "UPDATE auth.users SET password_hash = $2, updated_at = pg_catalog.now(), "
	"email_verified = email_verified OR email OPERATOR(pg_catalog.=) $3 "
	"WHERE id OPERATOR(pg_catalog.=) $1",
	.tables = {"users"},
	.nargs = 3,
	.argtypes = {UUIDOID, TEXTOID, TEXTOID},
	.expect = SPI_OK_UPDATE,
};

static Datum
request_password_reset_impl(PG_FUNCTION_ARGS)
{
	const char *why = NULL;
	char	   *email;
	char	   *token = NULL;
	Datum		args[1];
	DbResult	r;
	bool		isnull;

	jwt_auth_db_require_version(DB_VERSION_1_2);
	jwt_auth_require_argument(fcinfo, 0, "email");
	jwt_auth_require_writable("auth.request_password_reset()", NULL);
	email = jwt_auth_email_argument(PG_GETARG_DATUM(0), &why);
	if (email == NULL)
		PG_RETURN_NULL();		/* no account can have it */

	args[0] = CStringGetTextDatum(email);
	jwt_auth_db_connect();
	if (jwt_auth_db_run(&find_user, args, NULL, &r) == 1 &&
		!DatumGetBool(jwt_auth_db_value(&r, 0, 1, &isnull)))
		token = jwt_auth_account_token_make(jwt_auth_db_value(&r, 0, 0, &isnull),
											ACCOUNT_TOKEN_PASSWORD_RESET, email,
											jwt_auth_config_get()->reset_ttl);
	jwt_auth_db_finish();
	if (token == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(token));
}

static Datum
reset_password_impl(PG_FUNCTION_ARGS)
{
	text	   *new_password;
	AccountTokenUse use;
	Datum		args[3];

	jwt_auth_db_require_version(DB_VERSION_1_2);
	jwt_auth_require_argument(fcinfo, 0, "token");
	jwt_auth_require_argument(fcinfo, 1, "new_password");
	jwt_auth_require_writable("auth.reset_password()", NULL);
	/* A password the rules refuse leaves the token usable. */
	new_password = jwt_auth_password_check_rules(PG_GETARG_DATUM(1));

	jwt_auth_db_connect();
	jwt_auth_account_token_use(PG_GETARG_DATUM(0), ACCOUNT_TOKEN_PASSWORD_RESET, &use);
	args[0] = use.user_id;
	args[1] = CStringGetTextDatum(jwt_auth_password_hash(new_password, jwt_auth_config_get()->bcrypt_cost));
	args[2] = CStringGetTextDatum(use.email);
	(void) jwt_auth_db_run(&set_password, args, NULL, NULL);
	(void) jwt_auth_session_end_all(use.user_id, NULL);
	jwt_auth_account_tokens_void(use.user_id);
	jwt_auth_db_finish();
	PG_RETURN_DATUM(use.user_id);
}

PG_FUNCTION_INFO_V1(jwt_auth_request_password_reset);
Datum
jwt_auth_request_password_reset(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(request_password_reset_impl, fcinfo);
}

PG_FUNCTION_INFO_V1(jwt_auth_reset_password);
Datum
jwt_auth_reset_password(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(reset_password_impl, fcinfo);
}
