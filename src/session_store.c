/*-------------------------------------------------------------------------
 *
 * session_store.c
 *	  Opening a session: a new row of auth.sessions, and the random UUIDs
 *	  that name sessions and tokens.
 *
 * Every signin opens a session whose id the access tokens carry as "sid"
 * (session_check.c checks it) and, through auth.signin_session(), a
 * refresh token of its own (refresh_token.c).  The row is written through
 * SPI as the owner of auth.sessions, so that its triggers and constraints
 * apply as to any other insert.
 *
 * src/session_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "codec.h"
#include "session_store.h"
#include "tables.h"

/* A random (version 4) UUID, as text. */
void
jwt_auth_random_uuid(char out[37])
{
	unsigned char u[16];

	if (!pg_strong_random(u, sizeof(u)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	jwt_auth_codec_uuid_format(u, out);
}

/* Insert a session; the caller runs as the owner of auth.sessions. */
void
jwt_auth_session_create(const char *session_id, const char *user_id, TimestampTz expires_at)
{
	Oid			owner;
	Oid			argtypes[3] = {TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		values[3];

	(void) jwt_auth_table("sessions", &owner);
	values[0] = CStringGetTextDatum(session_id);
	values[1] = CStringGetTextDatum(user_id);
	values[2] = TimestampTzGetDatum(expires_at);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO auth.sessions (id, user_id, expires_at) "
							  "VALUES ($1::pg_catalog.uuid, $2::pg_catalog.uuid, $3)",
							  3, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into auth.sessions");
	SPI_finish();
}
