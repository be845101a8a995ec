/*-------------------------------------------------------------------------
 *
 * codec.c
 *	  Text encodings of bytes: unpadded base64url (RFC 4648, section 5),
 *	  UUIDs, hex digits and UTF-8.
 *
 * Decoding is strict: a token's segments have one spelling each, so a
 * signed token cannot be re-spelled into another string that verifies.
 *
 * src/jose/codec.c
 *
 *-------------------------------------------------------------------------
 */
#include "codec.h"

#include <stdint.h>
#include <string.h>

static const char b64url_alphabet[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* -1 for bytes outside the base64url alphabet. */
static const signed char b64url_value[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* How many of the first "len" bytes of "s" are of the base64url alphabet. */
size_t
jwt_auth_codec_b64url_span(const char *s, size_t len)
{
	size_t		i = 0;

	while (i < len && b64url_value[(unsigned char) s[i]] >= 0)
		i++;
	return i;
}

/*
 * Encode "len" bytes as unpadded base64url into "dst", which must hold
 * CODEC_B64URL_LEN(len) + 1 bytes; returns the length written.
 */
size_t
jwt_auth_codec_b64url_encode(const unsigned char *src, size_t len, char *dst)
{
	size_t		i = 0;
	size_t		o = 0;

	for (; i + 3 <= len; i += 3)
	{
		uint32_t	v = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];

		dst[o++] = b64url_alphabet[(v >> 18) & 63];
		dst[o++] = b64url_alphabet[(v >> 12) & 63];
		dst[o++] = b64url_alphabet[(v >> 6) & 63];
		dst[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1)
	{
		uint32_t	v = src[i] << 16;

		dst[o++] = b64url_alphabet[(v >> 18) & 63];
		dst[o++] = b64url_alphabet[(v >> 12) & 63];
	}
	else if (len - i == 2)
	{
		uint32_t	v = (src[i] << 16) | (src[i + 1] << 8);

		dst[o++] = b64url_alphabet[(v >> 18) & 63];
		dst[o++] = b64url_alphabet[(v >> 12) & 63];
		dst[o++] = b64url_alphabet[(v >> 6) & 63];
	}
	dst[o] = '\0';
	return o;
}

/*
 * Decode unpadded base64url.  Only the canonical spelling is accepted: no
 * padding, no byte outside the alphabet, no length that leaves a lone
 * character, and zero bits where the last character has bits to spare.
 */
bool
jwt_auth_codec_b64url_decode(const char *src, size_t len, unsigned char *dst,
							 size_t dstcap, size_t *outlen)
{
	size_t		rem = len % 4;
	size_t		need = len / 4 * 3 + (rem == 2 ? 1 : rem == 3 ? 2 : 0);
	size_t		i = 0;
	size_t		o = 0;

	if (rem == 1 || need > dstcap)
		return false;

	for (; i + 4 <= len; i += 4)
	{
		int			a = b64url_value[(unsigned char) src[i]];
		int			b = b64url_value[(unsigned char) src[i + 1]];
		int			c = b64url_value[(unsigned char) src[i + 2]];
		int			d = b64url_value[(unsigned char) src[i + 3]];
		uint32_t	v;

		if ((a | b | c | d) < 0)
			return false;
		v = ((uint32_t) a << 18) | ((uint32_t) b << 12) | ((uint32_t) c << 6) | (uint32_t) d;
		dst[o++] = (v >> 16) & 0xff;
		dst[o++] = (v >> 8) & 0xff;
		dst[o++] = v & 0xff;
	}
	if (rem == 2)
	{
		int			a = b64url_value[(unsigned char) src[i]];
		int			b = b64url_value[(unsigned char) src[i + 1]];

		if ((a | b) < 0 || (b & 0x0f) != 0)
			return false;
		dst[o++] = (unsigned char) ((a << 2) | (b >> 4));
	}
	else if (rem == 3)
	{
		int			a = b64url_value[(unsigned char) src[i]];
		int			b = b64url_value[(unsigned char) src[i + 1]];
		int			c = b64url_value[(unsigned char) src[i + 2]];

		if ((a | b | c) < 0 || (c & 0x03) != 0)
			return false;
		dst[o++] = (unsigned char) ((a << 2) | (b >> 4));
		dst[o++] = (unsigned char) (((b & 0x0f) << 4) | (c >> 2));
	}
	*outlen = o;
	return true;
}

/* The value of a hex digit, either case, or -1. */
int
jwt_auth_codec_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse the canonical 8-4-4-4-12 spelling of a UUID, either case. */
bool
jwt_auth_codec_uuid_parse(const char *text, size_t len, unsigned char uuid[16])
{
	size_t		i;
	int			n = 0;

	if (len != 36)
		return false;
	for (i = 0; i < 36;)
	{
		int			hi,
					lo;

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (text[i] != '-')
				return false;
			i++;
			continue;
		}
		hi = jwt_auth_codec_hex_digit(text[i]);
		lo = jwt_auth_codec_hex_digit(text[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		uuid[n++] = (unsigned char) ((hi << 4) | lo);
		i += 2;
	}
	return n == 16;
}

/*
 * Parse a UUID only in its canonical lower-case spelling, the one
 * jwt_auth_codec_uuid_format() writes: of the spellings of one UUID, one
 * text.
 */
bool
jwt_auth_codec_uuid_parse_canonical(const char *text, size_t len, unsigned char uuid[16])
{
	char		canonical[37];

	if (!jwt_auth_codec_uuid_parse(text, len, uuid))
		return false;
	jwt_auth_codec_uuid_format(uuid, canonical);
	return memcmp(text, canonical, 36) == 0;
}

/* The canonical lower-case text of a UUID. */
void
jwt_auth_codec_uuid_format(const unsigned char uuid[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int			o = 0;

	for (int i = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[uuid[i] >> 4];
		out[o++] = hex[uuid[i] & 0x0f];
	}
	out[o] = '\0';
}

/* Write code point "cp" (at most U+10FFFF) as UTF-8; returns 1 to 4 bytes. */
size_t
jwt_auth_codec_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xc0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xe0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char) (0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char) (0xf0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char) (0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Length of the valid multi-byte UTF-8 sequence at p (at most "avail"
 * bytes), or 0: no overlong form, surrogate or code point above U+10FFFF.
 */
size_t
jwt_auth_codec_utf8_length(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];

	if (c >= 0xc2 && c <= 0xdf)
		return (avail >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef)
	{
		if (avail < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;			/* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0;			/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4)
	{
		if (avail < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
			(p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;			/* overlong */
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;			/* above U+10FFFF */
		return 4;
	}
	return 0;
}
