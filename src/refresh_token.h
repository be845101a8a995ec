/*-------------------------------------------------------------------------
 *
 * refresh_token.h
 *	  Issuing refresh tokens, and the hash under which they are stored.
 *
 * src/refresh_token.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_REFRESH_TOKEN_H
#define JWT_AUTH_REFRESH_TOKEN_H

#define REFRESH_TOKEN_LENGTH	43	/* base64url of 32 random bytes */

extern char *jwt_auth_refresh_token_create(const char *session_id);
extern bytea *jwt_auth_refresh_token_hash(const char *token, size_t len);

#endif							/* JWT_AUTH_REFRESH_TOKEN_H */
