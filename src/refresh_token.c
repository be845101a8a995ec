/*-------------------------------------------------------------------------
 *
 * refresh_token.c
 *	  Issuing refresh tokens, and the hash under which they are stored.
 *
 * A refresh token is 32 random bytes in base64url, issued for one session
 * (a row of auth.refresh_tokens) by auth.signin_session() and again at
 * every rotation by auth.refresh() (refresh.c), which finds a presented
 * token by the same hash.  Only the SHA-256 is stored, so the table holds
 * no token that could be used.
 *
 * src/refresh_token.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include <openssl/evp.h>

#include "codec.h"
#include "pg_compat.h"
#include "refresh_token.h"
#include "tables.h"

/* SHA-256 of a refresh token, as stored. */
bytea *
jwt_auth_refresh_token_hash(const char *token, size_t len)
{
	bytea	   *result = (bytea *) palloc(VARHDRSZ + 32);
	unsigned int n = 0;

	if (!EVP_Digest(token, len, (unsigned char *) VARDATA(result), &n, EVP_sha256(), NULL) ||
		n != 32)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not hash refresh token")));
	SET_VARSIZE(result, VARHDRSZ + 32);
	return result;
}

/* Issue a refresh token for a session; the caller runs as the tables' owner. */
char *
jwt_auth_refresh_token_create(const char *session_id)
{
	unsigned char raw[32];
	char	   *token = palloc(REFRESH_TOKEN_LENGTH + 2);
	Oid			owner;
	Oid			argtypes[2] = {BYTEAOID, TEXTOID};
	Datum		values[2];

	(void) jwt_auth_table("refresh_tokens", &owner);
	if (!pg_strong_random(raw, sizeof(raw)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	jwt_auth_codec_b64url_encode(raw, sizeof(raw), token);
	explicit_bzero(raw, sizeof(raw));

	values[0] = PointerGetDatum(jwt_auth_refresh_token_hash(token, REFRESH_TOKEN_LENGTH));
	values[1] = CStringGetTextDatum(session_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO auth.refresh_tokens (token_hash, session_id) "
							  "VALUES ($1, $2::pg_catalog.uuid)",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into auth.refresh_tokens");
	SPI_finish();
	return token;
}
