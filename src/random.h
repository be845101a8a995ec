/*-------------------------------------------------------------------------
 *
 * random.h
 *	  Random values from the server's strong random source: bytes,
 *	  version 4 UUIDs for session ids and token ids, and bearer tokens with
 *	  the hash under which they are stored.
 *
 * src/random.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_RANDOM_H
#define JWT_AUTH_RANDOM_H

#define RANDOM_TOKEN_LENGTH		43	/* base64url of 32 random bytes */

extern void jwt_auth_random_bytes(void *buf, size_t len);
extern void jwt_auth_random_uuid(char out[37]);
extern void jwt_auth_random_token(char out[RANDOM_TOKEN_LENGTH + 1]);
extern bytea *jwt_auth_random_token_hash(const char *token, size_t len);

#endif							/* JWT_AUTH_RANDOM_H */
