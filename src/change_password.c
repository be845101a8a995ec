/*-------------------------------------------------------------------------
 *
 * change_password.c
 *	  auth.change_password(old, new): the verified user changes their
 *	  password, and every other session of theirs ends.
 *
 * It runs as SECURITY DEFINER with a fixed search_path, for the identity
 * auth.verify() set in this transaction, and takes effect for every backend
 * as soon as the caller's transaction commits.
 *
 * src/change_password.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "callable.h"
#include "codec.h"
#include "config.h"
#include "identity.h"
#include "password.h"
#include "pg_compat.h"
#include "secrets.h"
#include "tables.h"
#include "throttle.h"

static Datum
change_password_impl(PG_FUNCTION_ARGS)
{
	pg_uuid_t	uid;
	char		uid_text[37];
	text	   *sid = jwt_auth_claim_text("sid");
	text	   *new_password;
	char	   *stored = NULL;
	char	   *email = NULL;
	ThrottleKey throttled = {0};
	char	   *hash;
	Oid			owner;
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	int			ended;
	MemoryContext outer = CurrentMemoryContext;

	jwt_auth_require_sessions();
	jwt_auth_require_argument(fcinfo, 0, "old_password");
	jwt_auth_require_argument(fcinfo, 1, "new_password");
	jwt_auth_identity_require_account(&uid);
	jwt_auth_require_writable("auth.change_password()", NULL);
	new_password = jwt_auth_password_check_rules(PG_GETARG_DATUM(1));
	if (!jwt_auth_password_size_ok(PG_GETARG_DATUM(0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PASSWORD),
				 errmsg("invalid password")));

	jwt_auth_codec_uuid_format(uid.data, uid_text);
	values[0] = CStringGetTextDatum(uid_text);
	(void) jwt_auth_table("users", &owner);
	(void) jwt_auth_table("sessions", &owner);
	jwt_auth_query_begin();
	/*
	 * Guesses of the old password are throttled as sign-ins of the user's
	 * email are (a stolen access token must not allow unlimited guesses),
	 * and checked before the row is locked, so that a guess does not hold
	 * up the user's sign-ins for the length of a hash.
	 */
	jwt_auth_query("SELECT email, password_hash FROM auth.users "
			   "WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.uuid",
			   1, types, values, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(outer);

		email = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		stored = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		MemoryContextSwitchTo(spi);
	}
	if (email != NULL)
		jwt_auth_throttle_attempt(email, strlen(email), &throttled);
	if (!jwt_auth_password_matches(PG_GETARG_TEXT_PP(0), stored, jwt_auth_config_get()->bcrypt_cost))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PASSWORD),
				 errmsg("invalid password")));
	jwt_auth_throttle_success(&throttled);

	/* Only if the hash is still the one checked: else the password changed meanwhile. */
	hash = jwt_auth_password_hash(new_password, jwt_auth_config_get()->bcrypt_cost);
	values[1] = CStringGetTextDatum(hash);
	values[2] = CStringGetTextDatum(stored);
	jwt_auth_query("UPDATE auth.users SET password_hash = $2, updated_at = pg_catalog.now() "
			   "WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.uuid "
			   "AND password_hash OPERATOR(pg_catalog.=) $3",
			   3, types, values, NULL, false, SPI_OK_UPDATE);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PASSWORD),
				 errmsg("invalid password"),
				 errdetail("The password was changed by another transaction meanwhile.")));

	/* End every other session: whoever knew the old password is out. */
	values[2] = sid ? PointerGetDatum(sid) : (Datum) 0;
	nulls[2] = sid ? ' ' : 'n';
	jwt_auth_query("UPDATE auth.sessions SET revoked_at = pg_catalog.now() "
			   "WHERE user_id OPERATOR(pg_catalog.=) $1::pg_catalog.uuid "
			   "AND revoked_at IS NULL "
			   "AND ($3::pg_catalog.uuid IS NULL OR id OPERATOR(pg_catalog.<>) $3::pg_catalog.uuid)",
			   3, types, values, nulls, false, SPI_OK_UPDATE);
	ended = (int) SPI_processed;
	jwt_auth_query_end();
	PG_RETURN_INT32(ended);
}

PG_FUNCTION_INFO_V1(jwt_auth_change_password);
Datum
jwt_auth_change_password(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(change_password_impl, fcinfo);
}
