/*-------------------------------------------------------------------------
 *
 * codec.h
 *	  Text encodings of bytes: unpadded base64url, UUIDs, hex digits and
 *	  UTF-8.
 *
 * No server dependency: linked into the extension and into the fuzz target.
 *
 * src/jose/codec.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_CODEC_H
#define JWT_AUTH_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A numeric constant as a string literal: limits in fixed messages. */
#define JOSE_TEXT(x)			JOSE_TEXT_(x)
#define JOSE_TEXT_(x)			#x

/* Characters base64url needs for "n" bytes, without the terminating NUL. */
#define CODEC_B64URL_LEN(n)		(((n) * 4 + 2) / 3)

extern size_t jwt_auth_codec_b64url_span(const char *s, size_t len);
extern size_t jwt_auth_codec_b64url_encode(const unsigned char *src, size_t len, char *dst);
extern bool jwt_auth_codec_b64url_decode(const char *src, size_t len,
										 unsigned char *dst, size_t dstcap,
										 size_t *outlen);
extern bool jwt_auth_codec_uuid_parse(const char *text, size_t len, unsigned char uuid[16]);
extern bool jwt_auth_codec_uuid_parse_canonical(const char *text, size_t len,
												unsigned char uuid[16]);
extern void jwt_auth_codec_uuid_format(const unsigned char uuid[16], char out[37]);
extern int	jwt_auth_codec_hex_digit(char c);
extern size_t jwt_auth_codec_utf8_encode(uint32_t cp, char out[4]);
extern size_t jwt_auth_codec_utf8_length(const unsigned char *p, size_t avail);

#endif							/* JWT_AUTH_CODEC_H */
