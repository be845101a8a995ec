/*-------------------------------------------------------------------------
 *
 * mac.h
 *	  HMAC-SHA256 with a key prepared once.
 *
 * No server dependency: linked into the extension and into the fuzz target.
 *
 * src/jose/mac.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_MAC_H
#define JWT_AUTH_MAC_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of an HMAC-SHA256 value. */
#define HMAC_SHA256_LEN			32
/* Shortest secret that may verify or sign anything, in bytes. */
#define HMAC_MIN_SECRET			32

/*
 * An HMAC-SHA256 key, its two padded key blocks already hashed, so that a
 * MAC costs the hashing of the message alone.  Not thread-safe: it holds
 * its own working state.
 */
typedef struct HmacKey HmacKey;

extern HmacKey *jwt_auth_hmac_key_new(const unsigned char *secret, size_t len);
extern void jwt_auth_hmac_key_free(HmacKey *key);
extern bool jwt_auth_hmac_sha256(HmacKey *key, const unsigned char *data, size_t len,
								 unsigned char mac[HMAC_SHA256_LEN]);

#endif							/* JWT_AUTH_MAC_H */
