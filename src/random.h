/*-------------------------------------------------------------------------
 *
 * random.h
 *	  Random values from the server's strong random source: bytes, and
 *	  version 4 UUIDs for session ids and token ids.
 *
 * src/random.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_RANDOM_H
#define JWT_AUTH_RANDOM_H

extern void jwt_auth_random_bytes(void *buf, size_t len);
extern void jwt_auth_random_uuid(char out[37]);

#endif							/* JWT_AUTH_RANDOM_H */
