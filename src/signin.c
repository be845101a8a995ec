/*-------------------------------------------------------------------------
 *
 * signin.c
 *	  auth.signin() and auth.signin_session(): check a password, open a
 *	  session, issue tokens.
 *
 * A wrong password, an unknown email and an address that cannot exist all
 * end in the same 28P01 error after the same bcrypt work, so neither the
 * answer nor its timing tells whether an account exists.  The only early
 * exit is a password over the length bound, which no account can have.
 *
 * src/signin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "access_token.h"
#include "callable.h"
#include "config.h"
#include "db.h"
#include "email.h"
#include "password.h"
#include "pg_compat.h"
#include "refresh_token.h"
#include "secrets.h"
#include "random.h"
#include "session_store.h"
#include "throttle.h"

static DbQuery rehash_password = {
	.sql = "UPDATE auth.users SET password_hash = $2 "
	"WHERE id OPERATOR(pg_catalog.=) $1 AND password_hash OPERATOR(pg_catalog.=) $3",
	.tables = {"users"},
	.nargs = 3,
	.argtypes = {UUIDOID, TEXTOID, TEXTOID},
	.expect = SPI_OK_UPDATE,
};

static DbQuery highest_hash = {
	.sql = "SELECT password_hash FROM auth.users "
	"ORDER BY pg_catalog.substr(password_hash, 5, 2) DESC LIMIT 1",
	.tables = {"users"},
	.expect = SPI_OK_SELECT,
};

/*
 * FOR SHARE: a concurrent auth.change_password() (which locks the row FOR
 * UPDATE) finishes first, and the password is then checked against the new
 * hash; the session is opened after its revocations.
 */
static DbQuery find_user = {
	.sql = "SELECT id, email, password_hash FROM auth.users "
	"WHERE email OPERATOR(pg_catalog.=) $1 FOR SHARE",
	.tables = {"users"},
	.nargs = 1,
	.argtypes = {TEXTOID},
	.expect = SPI_OK_SELECT,
};

/* The same from 1.2 on, with whether the email is verified and the account disabled. */
static DbQuery find_user_1_2 = {
	.sql = "SELECT id, email, password_hash, email_verified, "
	"disabled_until OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp(), disabled_until "
	"FROM auth.users WHERE email OPERATOR(pg_catalog.=) $1 FOR SHARE",
	.tables = {"users"},
	.nargs = 1,
	.argtypes = {TEXTOID},
	.expect = SPI_OK_SELECT,
};

/* The account a sign-in found. */
typedef struct Account
{
	char	   *id;
	char	   *email;
	EmailVerified email_verified;
	bool		disabled;
	TimestampTz disabled_until;
} Account;

static void
report_bad_credentials(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PASSWORD),
			 errmsg("invalid email or password")));
}

/*
 * Store the password's hash again, at the current cost, unless the hash has
 * changed since it was checked.
 */
static void
rehash(const char *user_id, text *password, const char *checked_hash, int cost)
{
	Datum		args[3];

	args[0] = jwt_auth_db_uuid(user_id);
	args[1] = CStringGetTextDatum(jwt_auth_password_hash(password, cost));
	args[2] = CStringGetTextDatum(checked_hash);
	(void) jwt_auth_db_run(&rehash_password, args, NULL, NULL);
}

/*
 * The cost every failed sign-in takes the time of: the current cost, or a
 * higher one still stored (the cost was lowered, and some accounts have not
 * signed in since).  auth.users has an index on the cost part of the hash.
 */
static int
failure_cost(int cost)
{
	int			highest = -1;
	DbResult	r;
	bool		isnull;

	if (jwt_auth_db_run(&highest_hash, NULL, NULL, &r) == 1)
	{
		Datum		hash = jwt_auth_db_value(&r, 0, 0, &isnull);

		if (!isnull)
			highest = jwt_auth_password_cost(TextDatumGetCString(hash));
	}
	return Max(cost, Min(highest, 31));
}

/*
 * Check the email and password arguments; return the user's account, or
 * fail with 28P01.  Every failure, for an unknown email or a wrong
 * password, takes the time of one bcrypt hash at failure_cost().  Then an
 * account that is disabled, or whose email is not verified where that is
 * required, is refused with 28000: only once the password is known right,
 * so that nothing tells of an account to who does not know it.
 */
static void
authenticate(FunctionCallInfo fcinfo, Account *account)
{
	const char *why = NULL;
	char	   *email;
	text	   *password;
	char	   *stored = NULL;
	const char *throttle_key;
	ThrottleKey throttled;
	int			cost = jwt_auth_config_get()->bcrypt_cost;
	int			target;

	DbVersion	version = jwt_auth_db_version();

	memset(account, 0, sizeof(*account));
	account->email_verified = EMAIL_VERIFIED_UNKNOWN;
	jwt_auth_require_argument(fcinfo, 0, "email");
	jwt_auth_require_argument(fcinfo, 1, "password");
	if (!jwt_auth_password_size_ok(PG_GETARG_DATUM(1)))
		report_bad_credentials();
	password = PG_GETARG_TEXT_PP(1);
	email = jwt_auth_email_argument(PG_GETARG_DATUM(0), &why);

	/*
	 * Throttle by the normalised address, or by the argument as given when it
	 * cannot be an address: unknown emails are throttled like real ones.
	 */
	if (email != NULL)
		throttle_key = email;
	else if (toast_raw_datum_size(PG_GETARG_DATUM(0)) - VARHDRSZ <= 4 * EMAIL_MAX_LENGTH)
		throttle_key = text_to_cstring(PG_GETARG_TEXT_PP(0));
	else
		throttle_key = "";
	jwt_auth_throttle_attempt(throttle_key, strlen(throttle_key), &throttled);

	target = failure_cost(cost);
	if (email != NULL)
	{
		Datum		args[1] = {CStringGetTextDatum(email)};
		DbResult	r;
		bool		isnull;

		if (jwt_auth_db_run(version >= DB_VERSION_1_2 ? &find_user_1_2 : &find_user, args, NULL, &r) == 1)
		{
			account->id = jwt_auth_db_uuid_text(jwt_auth_db_value(&r, 0, 0, &isnull));
			account->email = TextDatumGetCString(jwt_auth_db_value(&r, 0, 1, &isnull));
			stored = TextDatumGetCString(jwt_auth_db_value(&r, 0, 2, &isnull));
			if (version >= DB_VERSION_1_2)
			{
				account->email_verified = DatumGetBool(jwt_auth_db_value(&r, 0, 3, &isnull)) ?
					EMAIL_VERIFIED_YES : EMAIL_VERIFIED_NO;
				account->disabled = DatumGetBool(jwt_auth_db_value(&r, 0, 4, &isnull)) && !isnull;
				account->disabled_until = DatumGetTimestampTz(jwt_auth_db_value(&r, 0, 5, &isnull));
			}
		}
	}

	if (!jwt_auth_password_matches(password, stored, target) || account->id == NULL)
	{
		if (stored != NULL)
			jwt_auth_password_pad(password, jwt_auth_password_cost(stored), target);
		report_bad_credentials();	/* the attempt was counted already */
	}
	jwt_auth_throttle_success(&throttled);

	/*
	 * Keep every hash at the current cost, so that failures soon cost the
	 * current cost again after it was lowered (failure_cost()).
	 */
	if (jwt_auth_password_cost(stored) != cost && !XactReadOnly)
		rehash(account->id, password, stored, cost);

	if (account->disabled)
		jwt_auth_refuse_disabled(account->disabled_until);
	if (account->email_verified == EMAIL_VERIFIED_NO && jwt_auth_config_get()->require_verified_email)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("email address is not verified"),
				 errdetail("This database signs in only accounts whose email address is verified (setting require_verified_email)."),
				 errhint("Have the user verify it with the token of auth.request_email_verification().")));
}

#define OPENS_A_SESSION "Signing in opens a session, which is written to auth.sessions."

static Datum
signin_impl(PG_FUNCTION_ARGS)
{
	Account		account;
	char		sid[37];

	/*
	 * Version 1.0 of the SQL has no sessions: its signin issues a token
	 * without "sid", which its verify accepts, until ALTER EXTENSION UPDATE.
	 */
	if (jwt_auth_db_version() == DB_VERSION_1_0)
	{
		jwt_auth_db_connect();
		authenticate(fcinfo, &account);
		jwt_auth_db_finish();
		PG_RETURN_TEXT_P(jwt_auth_issue_access_token(account.id, account.email, account.email_verified,
													 NULL, NULL));
	}
	jwt_auth_require_writable("auth.signin()", OPENS_A_SESSION);
	jwt_auth_db_connect();
	authenticate(fcinfo, &account);
	jwt_auth_random_uuid(sid);
	jwt_auth_session_create(sid, account.id,
							TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														(int64) jwt_auth_config_get()->token_ttl * 1000));
	jwt_auth_db_finish();
	PG_RETURN_TEXT_P(jwt_auth_issue_access_token(account.id, account.email, account.email_verified, sid, NULL));
}

static Datum
signin_session_impl(PG_FUNCTION_ARGS)
{
	Account		account;
	char		sid[37];
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	TimestampTz expires_at;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	jwt_auth_require_writable("auth.signin_session()", OPENS_A_SESSION);
	jwt_auth_db_connect();
	authenticate(fcinfo, &account);
	jwt_auth_random_uuid(sid);
	jwt_auth_session_create(sid, account.id,
							TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														(int64) jwt_auth_config_get()->refresh_ttl * 1000));
	values[1] = CStringGetTextDatum(jwt_auth_refresh_token_create(sid));
	jwt_auth_db_finish();
	values[0] = PointerGetDatum(jwt_auth_issue_access_token(account.id, account.email, account.email_verified,
															sid, &expires_at));
	values[2] = TimestampTzGetDatum(expires_at);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

PG_FUNCTION_INFO_V1(jwt_auth_signin);
Datum
jwt_auth_signin(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(signin_impl, fcinfo);
}

PG_FUNCTION_INFO_V1(jwt_auth_signin_session);
Datum
jwt_auth_signin_session(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(signin_session_impl, fcinfo);
}
