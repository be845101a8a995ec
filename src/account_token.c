/*-------------------------------------------------------------------------
 *
 * account_token.c
 *	  One-time tokens that prove control of an inbox: made for a password
 *	  reset, an email verification or an email change, used once.
 *
 * A token is a bearer token (random.c) stored only as its SHA-256, in a row
 * of auth.account_tokens bound to one purpose, one account and the address
 * it is to be sent to.  Making one voids the account's older tokens of the
 * same purpose; at most ACCOUNT_TOKEN_REQUESTS are made per account and
 * purpose in an hour (the rows of voided tokens are kept that long to count
 * them), so that nobody can flood an inbox through the application.  Using
 * one voids it; an unknown, expired, voided or wrongly purposed token, or
 * one of a disabled account, is refused with one message that tells none
 * of these from another.  Of two uses of one token at once, the second
 * waits for the first's row lock and then finds the token voided (under
 * REPEATABLE READ and SERIALIZABLE, the lock it cannot take tells it the
 * same).  Under those levels, a request or a voiding that would miss a
 * token made by a transaction that committed after the caller's snapshot
 * fails with 40001 instead, to be retried: the count and the voiding hold
 * at every isolation level.
 *
 * Every function runs between jwt_auth_db_connect() and
 * jwt_auth_db_finish(), as the tables' owner; the caller has locked the
 * account's row (FOR NO KEY UPDATE) before making a token, so that
 * requests of one account are counted one after another.
 *
 * src/account_token.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "account_token.h"
#include "callable.h"
#include "db.h"
#include "pg_compat.h"
#include "random.h"

static const char *const purpose_names[] = {
	[ACCOUNT_TOKEN_PASSWORD_RESET] = "password_reset",
	[ACCOUNT_TOKEN_EMAIL_VERIFICATION] = "email_verification",
	[ACCOUNT_TOKEN_EMAIL_CHANGE] = "email_change",
};

static DbQuery count_requests = {
	.sql = "SELECT pg_catalog.count(*) FROM auth.account_tokens "
	"WHERE user_id OPERATOR(pg_catalog.=) $1 AND purpose OPERATOR(pg_catalog.=) $2 "
	"AND created_at OPERATOR(pg_catalog.>) "
	"(pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) '1 hour'::pg_catalog.interval)",
	.tables = {"account_tokens"},
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
	.expect = SPI_OK_SELECT,
};

/* Void the account's live tokens of one purpose (NULL: of every purpose). */
static DbQuery void_tokens = {
	.sql = "UPDATE auth.account_tokens SET voided_at = pg_catalog.now() "
	"WHERE user_id OPERATOR(pg_catalog.=) $1 AND voided_at IS NULL "
	"AND ($2::pg_catalog.text IS NULL OR purpose OPERATOR(pg_catalog.=) $2)",
	.tables = {"account_tokens"},
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
	.expect = SPI_OK_UPDATE,
};

/* A token the update above should have voided, in the latest committed state. */
static DbQuery live_tokens = {
	.sql = "SELECT 1 FROM auth.account_tokens "
	"WHERE user_id OPERATOR(pg_catalog.=) $1 AND voided_at IS NULL "
	"AND ($2::pg_catalog.text IS NULL OR purpose OPERATOR(pg_catalog.=) $2) LIMIT 1",
	.tables = {"account_tokens"},
	.nargs = 2,
	.argtypes = {UUIDOID, TEXTOID},
	.expect = SPI_OK_SELECT,
	.latest = true,
};

/* Forget the account's tokens that are no longer counted nor usable. */
static DbQuery forget_tokens = {
	.sql = "DELETE FROM auth.account_tokens WHERE user_id OPERATOR(pg_catalog.=) $1 "
	"AND created_at OPERATOR(pg_catalog.<=) "
	"(pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) '1 hour'::pg_catalog.interval) "
	"AND (voided_at IS NOT NULL OR expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp())",
	.tables = {"account_tokens"},
	.nargs = 1,
	.argtypes = {UUIDOID},
	.expect = SPI_OK_DELETE,
};

static DbQuery insert_token = {
	.sql = "INSERT INTO auth.account_tokens (token_hash, user_id, purpose, email, created_at, expires_at) "
	"VALUES ($1, $2, $3, $4, pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) "
	"pg_catalog.make_interval(secs => $5))",
	.tables = {"account_tokens"},
	.nargs = 5,
	.argtypes = {BYTEAOID, UUIDOID, TEXTOID, TEXTOID, INT4OID},
	.expect = SPI_OK_INSERT,
};

/* Whose a token is, without locking anything yet. */
static DbQuery token_owner = {
	.sql = "SELECT user_id FROM auth.account_tokens "
	"WHERE token_hash OPERATOR(pg_catalog.=) $1 AND purpose OPERATOR(pg_catalog.=) $2",
	.tables = {"account_tokens"},
	.nargs = 2,
	.argtypes = {BYTEAOID, TEXTOID},
	.expect = SPI_OK_SELECT,
};

static DbQuery lock_account = {
	.sql = "SELECT 1 FROM auth.users WHERE id OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE",
	.tables = {"users"},
	.nargs = 1,
	.argtypes = {UUIDOID},
	.expect = SPI_OK_SELECT,
};

/* Whether the token is voided or gone in the latest committed state. */
static DbQuery token_taken = {
	.sql = "SELECT 1 WHERE NOT EXISTS (SELECT FROM auth.account_tokens "
	"WHERE token_hash OPERATOR(pg_catalog.=) $1 AND purpose OPERATOR(pg_catalog.=) $2 "
	"AND voided_at IS NULL)",
	.tables = {"account_tokens"},
	.nargs = 2,
	.argtypes = {BYTEAOID, TEXTOID},
	.expect = SPI_OK_SELECT,
	.latest = true,
};

static DbQuery find_token = {
	.sql = "SELECT t.user_id, t.email, u.email, "
	"t.voided_at IS NULL AND t.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp() "
	"AND (u.disabled_until IS NULL OR u.disabled_until OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()) "
	"FROM auth.account_tokens t JOIN auth.users u ON u.id OPERATOR(pg_catalog.=) t.user_id "
	"WHERE t.token_hash OPERATOR(pg_catalog.=) $1 AND t.purpose OPERATOR(pg_catalog.=) $2 "
	"FOR UPDATE OF t",
	.tables = {"account_tokens", "users"},
	.nargs = 2,
	.argtypes = {BYTEAOID, TEXTOID},
	.expect = SPI_OK_SELECT,
};

static DbQuery use_token = {
	.sql = "UPDATE auth.account_tokens SET voided_at = pg_catalog.now() "
	"WHERE token_hash OPERATOR(pg_catalog.=) $1",
	.tables = {"account_tokens"},
	.nargs = 1,
	.argtypes = {BYTEAOID},
	.expect = SPI_OK_UPDATE,
};

/*
 * A new token of "purpose" for the account, to be sent to "email", valid
 * for "ttl" seconds; NULL if the account had its share of tokens of this
 * purpose in the last hour.
 */
char *
jwt_auth_account_token_make(Datum user_id, AccountTokenPurpose purpose, const char *email, int ttl)
{
	Datum		args[5];
	DbResult	r;
	bool		isnull;
	char	   *token;

	args[0] = user_id;
	args[1] = CStringGetTextDatum(purpose_names[purpose]);
	(void) jwt_auth_db_run(&count_requests, args, NULL, &r);
	if (DatumGetInt64(jwt_auth_db_value(&r, 0, 0, &isnull)) >= ACCOUNT_TOKEN_REQUESTS)
		return NULL;
	(void) jwt_auth_db_run(&void_tokens, args, NULL, NULL);
	jwt_auth_db_require_none(&live_tokens, args, NULL, "a token requested concurrently");
	(void) jwt_auth_db_run(&forget_tokens, args, NULL, NULL);

	token = palloc(RANDOM_TOKEN_LENGTH + 1);
	jwt_auth_random_token(token);
	args[0] = PointerGetDatum(jwt_auth_random_token_hash(token, RANDOM_TOKEN_LENGTH));
	args[1] = user_id;
	args[2] = CStringGetTextDatum(purpose_names[purpose]);
	args[3] = CStringGetTextDatum(email);
	args[4] = Int32GetDatum(ttl);
	(void) jwt_auth_db_run(&insert_token, args, NULL, NULL);
	return token;
}

/* Refuse a token, whatever is wrong with it, with one message (28000). */
void
jwt_auth_account_token_refuse(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("token is invalid or has expired"),
			 errhint("Request a new one.")));
}

/*
 * Use "token" (a text argument, not NULL) for "purpose": void it and tell
 * whose it was, or refuse it with 28000.
 */
void
jwt_auth_account_token_use(Datum token, AccountTokenPurpose purpose, AccountTokenUse *use)
{
	text	   *t;
	Datum		args[2];
	Datum		account;
	DbResult	r;
	bool		isnull;

	/* Bound the size before detoasting or hashing anything. */
	if (toast_raw_datum_size(token) - VARHDRSZ != RANDOM_TOKEN_LENGTH)
		jwt_auth_account_token_refuse();
	t = DatumGetTextPP(token);
	args[0] = PointerGetDatum(jwt_auth_random_token_hash(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
	args[1] = CStringGetTextDatum(purpose_names[purpose]);

	/*
	 * Lock the account first, then the token, in the order of every other
	 * change of an account and its tokens (disabling, deleting, an email
	 * change), so that two of them never wait for each other.
	 */
	if (jwt_auth_db_run(&token_owner, args, NULL, &r) == 0)
		jwt_auth_account_token_refuse();
	account = jwt_auth_db_value(&r, 0, 0, &isnull);
	if (!jwt_auth_db_try_lock(&lock_account, &account, NULL, &token_taken, args) ||
		!jwt_auth_db_try_lock(&find_token, args, &r, &token_taken, args) || r.nrows == 0 ||
		!DatumGetBool(jwt_auth_db_value(&r, 0, 3, &isnull)))
		jwt_auth_account_token_refuse();
	use->user_id = jwt_auth_db_value(&r, 0, 0, &isnull);
	use->email = TextDatumGetCString(jwt_auth_db_value(&r, 0, 1, &isnull));
	use->user_email = TextDatumGetCString(jwt_auth_db_value(&r, 0, 2, &isnull));
	(void) jwt_auth_db_run(&use_token, args, NULL, NULL);
}

/*
 * Void every live token of the account: it was disabled, its password was
 * reset or changed, or its email changed.  Under REPEATABLE READ and
 * SERIALIZABLE a token made by a transaction that committed after the
 * caller's snapshot was taken would stay live: a serialization failure.
 */
void
jwt_auth_account_tokens_void(Datum user_id)
{
	Datum		args[2] = {user_id, (Datum) 0};
	bool		nulls[2] = {false, true};

	(void) jwt_auth_db_run(&void_tokens, args, nulls, NULL);
	jwt_auth_db_require_none(&live_tokens, args, nulls, "a token requested concurrently");
}
