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
 * auth.refresh() then returns no row, with a warning.
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
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "config.h"
#include "callable.h"
#include "pg_compat.h"
#include "secrets.h"

#include "revocation.h"
#include "refresh_token.h"
#include "access_token.h"
#include "tables.h"

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

static Datum
refresh_impl(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *token;
	bytea	   *hash;
	Oid			owner;
	Oid			types[1] = {BYTEAOID};
	Datum		args[1];
	char	   *session_id;
	char	   *user_id;
	char	   *email;
	bool		retired,
				revoked,
				expired,
				ours;
	MemoryContext outer = CurrentMemoryContext;

	InitMaterializedSRF(fcinfo, 0);
	jwt_auth_require_sessions();

	if (PG_ARGISNULL(0))
		jwt_auth_refuse(gettext_noop("refresh token is missing"), NULL);
	if (toast_raw_datum_size(PG_GETARG_DATUM(0)) - VARHDRSZ != REFRESH_TOKEN_LENGTH)
		jwt_auth_refuse(gettext_noop("refresh token is invalid"),
			   gettext_noop("A refresh token is 43 characters of base64url."));
	jwt_auth_require_writable("auth.refresh()", NULL);
	token = PG_GETARG_TEXT_PP(0);
	hash = jwt_auth_refresh_token_hash(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token));
	args[0] = PointerGetDatum(hash);

	(void) jwt_auth_table("refresh_tokens", &owner);
	(void) jwt_auth_table("sessions", &owner);
	jwt_auth_query_begin();
	/*
	 * Lock the token (two refreshes of one token queue up), not yet its
	 * session: a reused token's session is ended by a worker of its own,
	 * which must not wait for this transaction.
	 */
	jwt_auth_query("SELECT s.id::pg_catalog.text, u.id::pg_catalog.text, u.email, "
			   "rt.retired_at IS NOT NULL, s.revoked_at IS NOT NULL, "
			   "s.expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp(), "
			   "s.xmin, s.xmax "
			   "FROM auth.refresh_tokens rt "
			   "JOIN auth.sessions s ON s.id OPERATOR(pg_catalog.=) rt.session_id "
			   "JOIN auth.users u ON u.id OPERATOR(pg_catalog.=) s.user_id "
			   "WHERE rt.token_hash OPERATOR(pg_catalog.=) $1 "
			   "FOR UPDATE OF rt",
			   1, types, args, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		jwt_auth_refuse(gettext_noop("refresh token is invalid"),
			   gettext_noop("No session has this refresh token."));
	{
		MemoryContext spi = MemoryContextSwitchTo(outer);
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		session_id = SPI_getvalue(tup, desc, 1);
		user_id = SPI_getvalue(tup, desc, 2);
		email = SPI_getvalue(tup, desc, 3);
		retired = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		revoked = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull));
		expired = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		/* Did this transaction write or lock the session row already? */
		ours = TransactionIdIsCurrentTransactionId(DatumGetTransactionId(SPI_getbinval(tup, desc, 7, &isnull))) ||
			TransactionIdIsCurrentTransactionId(DatumGetTransactionId(SPI_getbinval(tup, desc, 8, &isnull)));
		MemoryContextSwitchTo(spi);
	}

	refuse_ended(revoked, expired);

	if (retired)
	{
		Oid			stypes[1] = {TEXTOID};
		Datum		sargs[1] = {CStringGetTextDatum(session_id)};
		bool		apart;

		/*
		 * End the session in a transaction of its own, so that it stays
		 * ended whatever this one does; failing that, in this one.
		 */
		jwt_auth_query_end();
		/* A worker would wait for this transaction's own row lock. */
		apart = !ours && jwt_auth_revoke_session_apart(session_id, owner);
		if (!apart)
		{
			jwt_auth_query_begin();
			jwt_auth_query("UPDATE auth.sessions SET revoked_at = pg_catalog.now() "
					   "WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.uuid AND revoked_at IS NULL",
					   1, stypes, sargs, NULL, false, SPI_OK_UPDATE);
			jwt_auth_query_end();
		}
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
		return (Datum) 0;
	}

	/* Now lock the session, and look again: it may have ended meanwhile. */
	{
		Oid			stypes[1] = {TEXTOID};
		Datum		sargs[1] = {CStringGetTextDatum(session_id)};

		if (jwt_auth_query("SELECT revoked_at IS NOT NULL, "
					   "expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() "
					   "FROM auth.sessions WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.uuid "
					   "FOR UPDATE",
					   1, stypes, sargs, NULL, false, SPI_OK_SELECT) == 0)
			jwt_auth_refuse(gettext_noop("refresh token is invalid"),
			   gettext_noop("No session has this refresh token."));
		else
		{
			bool		isnull;

			refuse_ended(DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
						 DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)));
		}
	}

	{
		Oid			stypes[2] = {TEXTOID, INT4OID};
		Datum		sargs[2] = {CStringGetTextDatum(session_id), Int32GetDatum(jwt_auth_config_get()->refresh_ttl)};

		jwt_auth_query("UPDATE auth.refresh_tokens SET retired_at = pg_catalog.now() "
				   "WHERE token_hash OPERATOR(pg_catalog.=) $1",
				   1, types, args, NULL, false, SPI_OK_UPDATE);
		jwt_auth_query("UPDATE auth.sessions SET refreshed_at = pg_catalog.now(), "
				   "expires_at = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) "
				   "pg_catalog.make_interval(secs => $2) "
				   "WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.uuid",
				   2, stypes, sargs, NULL, false, SPI_OK_UPDATE);
	}
	jwt_auth_query_end();

	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		TimestampTz expires_at;

		values[1] = CStringGetTextDatum(jwt_auth_refresh_token_create(session_id));
		values[0] = PointerGetDatum(jwt_auth_issue_access_token(user_id, email, session_id, &expires_at));
		values[2] = TimestampTzGetDatum(expires_at);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(jwt_auth_refresh);
Datum
jwt_auth_refresh(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(refresh_impl, fcinfo);
}
