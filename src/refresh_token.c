/*-------------------------------------------------------------------------
 *
 * refresh_token.c
 *	  Issuing refresh tokens.
 *
 * A refresh token is a bearer token (random.c), issued for one session (a
 * row of auth.refresh_tokens) by auth.signin_session() and again at every
 * rotation by auth.refresh() (refresh.c), which finds a presented token by
 * the same hash.  Only the SHA-256 is stored, so the table holds no token
 * that could be used.
 *
 * src/refresh_token.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"

#include "db.h"
#include "pg_compat.h"
#include "random.h"
#include "refresh_token.h"

static DbQuery insert_refresh_token = {
	.sql = "INSERT INTO auth.refresh_tokens (token_hash, session_id) VALUES ($1, $2)",
	.tables = {"refresh_tokens"},
	.nargs = 2,
	.argtypes = {BYTEAOID, UUIDOID},
	.expect = SPI_OK_INSERT,
};

/*
 * Issue a refresh token for a session, between jwt_auth_db_connect() and
 * jwt_auth_db_finish(); the caller runs as the tables' owner.
 */
char *
jwt_auth_refresh_token_create(const char *session_id)
{
	char	   *token = palloc(REFRESH_TOKEN_LENGTH + 1);
	Datum		args[2];

	jwt_auth_random_token(token);
	args[0] = PointerGetDatum(jwt_auth_random_token_hash(token, REFRESH_TOKEN_LENGTH));
	args[1] = jwt_auth_db_uuid(session_id);
	(void) jwt_auth_db_run(&insert_refresh_token, args, NULL, NULL);
	return token;
}
