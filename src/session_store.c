/*-------------------------------------------------------------------------
 *
 * session_store.c
 *	  Opening a session, a new row of auth.sessions; ending every session
 *	  of a user.
 *
 * Every signin opens a session whose id the access tokens carry as "sid"
 * (session_check.c checks it) and, through auth.signin_session(), a
 * refresh token of its own (refresh_token.c).  The row is written through
 * SQL as the owner of auth.sessions, so that its triggers and constraints
 * apply as to any other insert.
 *
 * src/session_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/timestamp.h"

#include "db.h"
#include "session_store.h"

static DbQuery insert_session = {
	.sql = "INSERT INTO auth.sessions (id, user_id, expires_at) VALUES ($1, $2, $3)",
	.tables = {"sessions"},
	.nargs = 3,
	.argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID},
	.expect = SPI_OK_INSERT,
};

/*
 * Insert a session, between jwt_auth_db_connect() and jwt_auth_db_finish();
 * the caller runs as the owner of auth.sessions.
 */
void
jwt_auth_session_create(const char *session_id, const char *user_id, TimestampTz expires_at)
{
	Datum		args[3];

	args[0] = jwt_auth_db_uuid(session_id);
	args[1] = jwt_auth_db_uuid(user_id);
	args[2] = TimestampTzGetDatum(expires_at);
	(void) jwt_auth_db_run(&insert_session, args, NULL, NULL);
}

static DbQuery end_user_sessions = {
	.sql = "UPDATE auth.sessions SET revoked_at = pg_catalog.now() "
	"WHERE user_id OPERATOR(pg_catalog.=) $1 AND revoked_at IS NULL "
	"AND ($2::pg_catalog.uuid IS NULL OR id OPERATOR(pg_catalog.<>) $2)",
	.tables = {"sessions"},
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID},
	.expect = SPI_OK_UPDATE,
};

/* A session the update above should have ended, in the latest committed state. */
static DbQuery live_user_sessions = {
	.sql = "SELECT 1 FROM auth.sessions "
	"WHERE user_id OPERATOR(pg_catalog.=) $1 AND revoked_at IS NULL "
	"AND ($2::pg_catalog.uuid IS NULL OR id OPERATOR(pg_catalog.<>) $2) LIMIT 1",
	.tables = {"sessions"},
	.nargs = 2,
	.argtypes = {UUIDOID, UUIDOID},
	.expect = SPI_OK_SELECT,
	.latest = true,
};

/*
 * End every session of a user (a uuid) but "keep" (a session id, or NULL),
 * between jwt_auth_db_connect() and jwt_auth_db_finish(); return how many
 * were still going.  Every backend's session cache learns of it when the
 * caller's transaction commits.  Under REPEATABLE READ and SERIALIZABLE a
 * session opened by a sign-in that committed after the caller's snapshot
 * was taken would be left going: that is a serialization failure (40001).
 */
uint64
jwt_auth_session_end_all(Datum user_id, const char *keep)
{
	Datum		args[2] = {user_id, (Datum) 0};
	bool		nulls[2] = {false, keep == NULL};
	uint64		ended;

	if (keep != NULL)
		args[1] = jwt_auth_db_uuid(keep);
	ended = jwt_auth_db_run(&end_user_sessions, args, nulls, NULL);
	jwt_auth_db_require_none(&live_user_sessions, args, nulls, "a session opened concurrently");
	return ended;
}
