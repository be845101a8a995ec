/*-------------------------------------------------------------------------
 *
 * refresh.c
 *	  auth.refresh(refresh_token): rotate a refresh token.
 *
 * A valid refresh token is retired and traded for a new refresh token and
 * a new access token of the same session, whose lifetime starts again.  A
 * retired token presented again means two parties hold tokens of one
 * session, one of them a thief: the session is ended, in a transaction of
 * its own (revocation.c), so the end holds whatever the caller does next.
 * auth.refresh() then returns no row, with a warning.  So it does for the
 * second of two refreshes of one token at once, at every isolation level:
 * under REPEATABLE READ and SERIALIZABLE the second cannot see the first's
 * retirement, and learns of it from the failure to lock the token.
 *
 * src/refresh.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "config.h"
#include "callable.h"
#include "pg_compat.h"
#include "secrets.h"

#include "random.h"
#include "revocation.h"
#include "refresh_token.h"
#include "access_token.h"
#include "db.h"

/*
 * Lock the token (two refreshes of one token queue up), not yet its
 * session: a reused token's session is ended by a worker of its own, which
 * must not wait for this transaction.  xmin and xmax of the session row
 * tell whether this transaction wrote or locked it already.
 */
static DbQuery find_token = {
	.sql = "SELECT s.id, u.id, u.email, "
	"rt.retired_at IS NOT NULL, s.revoked_at IS NOT NULL, "
	"s.expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp(), "
	"s.xmin, s.xmax "
	"FROM auth.refresh_tokens rt "
	"JOIN auth.sessions s ON s.id OPERATOR(pg_catalog.=) rt.session_id "
	"JOIN auth.users u ON u.id OPERATOR(pg_catalog.=) s.user_id "
	"WHERE rt.token_hash OPERATOR(pg_catalog.=) $1 "
	"FOR UPDATE OF rt",
	.tables = {"refresh_tokens", "sessions", "users"},
	.nargs = 1,
	.argtypes = {BYTEAOID},
	.expect = SPI_OK_SELECT,
};

/* The same from 1.2 on, with whether the email is verified and the account disabled. */
static DbQuery find_token_1_2 = {
	.sql = "SELECT s.id, u.id, u.email, "
	"rt.retired_at IS NOT NULL, s.revoked_at IS NOT NULL, "
	"s.expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp(), "
	"s.xmin, s.xmax, u.email_verified, "
	"u.disabled_until OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp(), u.disabled_until "
	"FROM auth.refresh_tokens rt "
	"JOIN auth.sessions s ON s.id OPERATOR(pg_catalog.=) rt.session_id "
	"JOIN auth.users u ON u.id OPERATOR(pg_catalog.=) s.user_id "
	"WHERE rt.token_hash OPERATOR(pg_catalog.=) $1 "
	"FOR UPDATE OF rt",
	.tables = {"refresh_tokens", "sessions", "users"},
	.nargs = 1,
	.argtypes = {BYTEAOID},
	.expect = SPI_OK_SELECT,
};

/* Whether the token is retired or gone in the latest committed state. */
static DbQuery token_taken = {
	.sql = "SELECT 1 WHERE NOT EXISTS (SELECT FROM auth.refresh_tokens "
	"WHERE token_hash OPERATOR(pg_catalog.=) $1 AND retired_at IS NULL)",
	.tables = {"refresh_tokens"},
	.nargs = 1,
	.argtypes = {BYTEAOID},
	.expect = SPI_OK_SELECT,
	.latest = true,
};

/*
 * The session of a token that another transaction retired (or deleted)
 * after this one's snapshot was taken, without locking anything.
 */
static DbQuery find_session = {
	.sql = "SELECT s.id, s.xmin, s.xmax "
	"FROM auth.refresh_tokens rt "
	"JOIN auth.sessions s ON s.id OPERATOR(pg_catalog.=) rt.session_id "
	"WHERE rt.token_hash OPERATOR(pg_catalog.=) $1",
	.tables = {"refresh_tokens", "sessions"},
	.nargs = 1,
	.argtypes = {BYTEAOID},
	.expect = SPI_OK_SELECT,
};

static DbQuery lock_session = {
	.sql = "SELECT revoked_at IS NOT NULL, "
	"expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() "
	"FROM auth.sessions WHERE id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
	.tables = {"sessions"},
	.nargs = 1,
	.argtypes = {UUIDOID},
	.expect = SPI_OK_SELECT,
};

static DbQuery retire_token = {
	.sql = "UPDATE auth.refresh_tokens SET retired_at = pg_catalog.now() "
	"WHERE token_hash OPERATOR(pg_catalog.=) $1",
	.tables = {"refresh_tokens"},
	.nargs = 1,
	.argtypes = {BYTEAOID},
	.expect = SPI_OK_UPDATE,
};

static DbQuery extend_session = {
	.sql = "UPDATE auth.sessions SET refreshed_at = pg_catalog.now(), "
	"expires_at = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) "
	"pg_catalog.make_interval(secs => $2) "
	"WHERE id OPERATOR(pg_catalog.=) $1",
	.tables = {"sessions"},
	.nargs = 2,
	.argtypes = {UUIDOID, INT4OID},
	.expect = SPI_OK_UPDATE,
};

/* Refuse the refresh token of a session that was revoked or has expired. */
static void
refuse_ended(bool revoked, bool expired)
{
	if (revoked)
		jwt_auth_refuse(gettext_noop("refresh token has been revoked"),
						gettext_noop("Its session has ended."));
	if (expired)
		jwt_auth_refuse(gettext_noop("refresh token has expired"),
						gettext_noop("Its session was not refreshed within refresh_ttl."));
}

/* Whether this transaction wrote or locked a row, from its xmin and xmax. */
static bool
row_is_ours(const DbResult *r, int xmin_col)
{
	bool		isnull;

	return TransactionIdIsCurrentTransactionId(DatumGetTransactionId(jwt_auth_db_value(r, 0, xmin_col, &isnull))) ||
		TransactionIdIsCurrentTransactionId(DatumGetTransactionId(jwt_auth_db_value(r, 0, xmin_col + 1, &isnull)));
}

/*
 * A retired token was presented again: end its session in a transaction of
 * its own, so that it stays ended whatever this one does; failing that (a
 * worker would wait for this transaction's own row lock), in this one.
 */
static void
end_reused_session(Datum session, Oid owner, bool ours)
{
	char	   *session_id = jwt_auth_db_uuid_text(session);
	bool		apart = !ours && jwt_auth_revoke_session_apart(session_id, owner);

	if (!apart)
		jwt_auth_revoke_session(session);
	if (apart)
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("refresh token was already used"),
				 errdetail("A retired refresh token was presented again, so it may have been stolen: "
						   "its session has been ended, for good, and no tokens were issued.")));
	else
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("refresh token was already used"),
				 errdetail("A retired refresh token was presented again, so it may have been stolen: "
						   "its session has been ended and no tokens were issued."),
				 errhint("The session could not be ended in a transaction of its own (no free background "
						 "worker, or this transaction holds its row), so the end holds only if this "
						 "transaction commits.")));
}

static Datum
refresh_impl(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *token;
	Datum		hash;
	Datum		session;
	Datum		args[2];
	DbResult	r;
	bool		isnull;
	char	   *session_id;
	char	   *user_id;
	char	   *email;
	char	   *refresh_token;
	Oid			owner;
	bool		v1_2 = jwt_auth_db_version() >= DB_VERSION_1_2;
	EmailVerified email_verified = EMAIL_VERIFIED_UNKNOWN;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	TimestampTz expires_at;

	InitMaterializedSRF(fcinfo, 0);
	jwt_auth_db_require_version(DB_VERSION_1_1);

	if (PG_ARGISNULL(0))
		jwt_auth_refuse(gettext_noop("refresh token is missing"), NULL);
	if (toast_raw_datum_size(PG_GETARG_DATUM(0)) - VARHDRSZ != REFRESH_TOKEN_LENGTH)
		jwt_auth_refuse(gettext_noop("refresh token is invalid"),
						gettext_noop("A refresh token is %d characters of base64url."), REFRESH_TOKEN_LENGTH);
	jwt_auth_require_writable("auth.refresh()", NULL);
	token = PG_GETARG_TEXT_PP(0);
	hash = PointerGetDatum(jwt_auth_random_token_hash(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token)));
	(void) jwt_auth_db_table("sessions", &owner);

	jwt_auth_db_connect();
	if (!jwt_auth_db_try_lock(v1_2 ? &find_token_1_2 : &find_token, &hash, &r, &token_taken, &hash))
	{
		/*
		 * REPEATABLE READ or SERIALIZABLE, and a transaction that committed
		 * after this one's snapshot retired the token: a reuse, as READ
		 * COMMITTED would have seen once the lock was granted.
		 */
		if (jwt_auth_db_run(&find_session, &hash, NULL, &r) == 0)
			jwt_auth_refuse(gettext_noop("refresh token is invalid"),
							gettext_noop("No session has this refresh token."));
		end_reused_session(jwt_auth_db_value(&r, 0, 0, &isnull), owner, row_is_ours(&r, 1));
		jwt_auth_db_finish();
		return (Datum) 0;
	}
	if (r.nrows == 0)
		jwt_auth_refuse(gettext_noop("refresh token is invalid"),
						gettext_noop("No session has this refresh token."));
	session = jwt_auth_db_value(&r, 0, 0, &isnull);
	session_id = jwt_auth_db_uuid_text(session);
	user_id = jwt_auth_db_uuid_text(jwt_auth_db_value(&r, 0, 1, &isnull));
	email = TextDatumGetCString(jwt_auth_db_value(&r, 0, 2, &isnull));
	refuse_ended(DatumGetBool(jwt_auth_db_value(&r, 0, 4, &isnull)),
				 DatumGetBool(jwt_auth_db_value(&r, 0, 5, &isnull)));

	if (v1_2)
	{
		email_verified = DatumGetBool(jwt_auth_db_value(&r, 0, 8, &isnull)) ?
			EMAIL_VERIFIED_YES : EMAIL_VERIFIED_NO;
		if (DatumGetBool(jwt_auth_db_value(&r, 0, 9, &isnull)) && !isnull)
			jwt_auth_refuse_disabled(DatumGetTimestampTz(jwt_auth_db_value(&r, 0, 10, &isnull)));
	}

	if (DatumGetBool(jwt_auth_db_value(&r, 0, 3, &isnull)))
	{
		end_reused_session(session, owner, row_is_ours(&r, 6));
		jwt_auth_db_finish();
		return (Datum) 0;
	}

	/* Now lock the session, and look again: it may have ended meanwhile. */
	if (jwt_auth_db_run(&lock_session, &session, NULL, &r) == 0)
		jwt_auth_refuse(gettext_noop("refresh token is invalid"),
						gettext_noop("No session has this refresh token."));
	refuse_ended(DatumGetBool(jwt_auth_db_value(&r, 0, 0, &isnull)),
				 DatumGetBool(jwt_auth_db_value(&r, 0, 1, &isnull)));

	(void) jwt_auth_db_run(&retire_token, &hash, NULL, NULL);
	args[0] = session;
	args[1] = Int32GetDatum(jwt_auth_config_get()->refresh_ttl);
	(void) jwt_auth_db_run(&extend_session, args, NULL, NULL);
	refresh_token = jwt_auth_refresh_token_create(session_id);
	jwt_auth_db_finish();

	values[1] = CStringGetTextDatum(refresh_token);
	values[0] = PointerGetDatum(jwt_auth_issue_access_token(user_id, email, email_verified, session_id,
															&expires_at));
	values[2] = TimestampTzGetDatum(expires_at);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(jwt_auth_refresh);
Datum
jwt_auth_refresh(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(refresh_impl, fcinfo);
}
