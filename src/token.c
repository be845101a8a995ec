/*-------------------------------------------------------------------------
 *
 * token.c
 *	  Compact JWS (JWT) encoding, parsing and claim checks.
 *
 * Verification is strict and written here rather than delegated to libjwt,
 * whose decoder trusts the token's "alg", skips the signature check when it
 * is handed no key, reads wrongly typed claims as zero, accepts
 * non-canonical base64 and puts each segment on the stack.  The order of
 * the checks is fixed: bound the length, check the alphabet and the
 * segments, decode and parse the header, let the caller choose the key from
 * "kid" alone, check the signature, and only then parse the claims.
 *
 * libjwt and jansson are not used: inside a PostgreSQL backend, jansson's
 * exported json_object() is shadowed by the server's own function of that
 * name, and any call into them crashes the backend.  JSON is read by the
 * strict parser in json_strict.c.
 *
 * src/token.c
 *
 *-------------------------------------------------------------------------
 */
#include "token.h"
#include "json_strict.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

/* NumericDate values outside [0, 9999-12-31T23:59:59Z] are refused. */
#define TOKEN_MAX_NUMERIC_DATE	INT64_C(253402300799)

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

size_t
token_b64url_encode(const unsigned char *src, size_t len, char *dst)
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
token_b64url_decode(const char *src, size_t len, unsigned char *dst,
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

static int
hexval(char c)
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
token_uuid_parse(const char *text, size_t len, unsigned char uuid[16])
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
		hi = hexval(text[i]);
		lo = hexval(text[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		uuid[n++] = (unsigned char) ((hi << 4) | lo);
		i += 2;
	}
	return n == 16;
}

void
token_uuid_format(const unsigned char uuid[16], char out[37])
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

/* Why a header (column 0) or payload (column 1) could not be read. */
static const char *const segment_errors[][2] = {
	[JS_ERR_NONE] = {"The token header is not canonical base64url.",
	"The token payload is not canonical base64url."},
	[JS_ERR_NOT_OBJECT] = {"The token header is not a JSON object.",
	"The token payload is not a JSON object."},
	[JS_ERR_SYNTAX] = {"The token header is not valid JSON.",
	"The token payload is not valid JSON."},
	[JS_ERR_DUPLICATE] = {"The token header has a duplicate member name.",
	"The token payload has a duplicate member name."},
	[JS_ERR_DEPTH] = {"The token header is nested more than 16 levels deep.",
	"The token payload is nested more than 16 levels deep."},
	[JS_ERR_NUL] = {"The token header contains a NUL character.",
	"The token payload contains a NUL character."},
	[JS_ERR_CONTROL] = {"The token header has a control character inside a string.",
	"The token payload has a control character inside a string."},
	[JS_ERR_UTF8] = {"The token header is not valid UTF-8.",
	"The token payload is not valid UTF-8."},
	[JS_ERR_LIMIT] = {"The token header exceeds the parser's limits.",
	"The token payload exceeds the parser's limits."},
};

/*
 * Decode one base64url segment holding a JSON object and parse it.  The
 * decoded text is left NUL-terminated in "buf" (TOKEN_MAX_JSON + 1 bytes).
 */
static bool
parse_json_segment(const char *seg, size_t seglen, char *buf, size_t *buflen,
				   JsDoc *doc, bool payload, const char **detail)
{
	if (!token_b64url_decode(seg, seglen, (unsigned char *) buf, TOKEN_MAX_JSON, buflen))
	{
		*buflen = 0;
		buf[0] = '\0';
		*detail = segment_errors[JS_ERR_NONE][payload];
		return false;
	}
	buf[*buflen] = '\0';
	if (js_parse_object(buf, *buflen, doc))
		return true;
	*detail = segment_errors[doc->error == JS_ERR_NONE ? JS_ERR_SYNTAX : doc->error][payload];
	return false;
}

/*
 * The header segment of the last token whose header was accepted, and what
 * it said.  The tokens a server sees share a few headers (one per key), so
 * most headers are recognised by comparing bytes instead of decoding and
 * parsing them again.  A header is public: the comparison need not be
 * constant-time.
 */
static struct
{
	size_t		len;			/* 0: none */
	char		segment[256];
	char		alg[TOKEN_MAX_ALG + 1];
	char		kid[TOKEN_MAX_KID + 1];
	bool		has_kid;
}			last_header;

TokenStatus
token_parse_header(const char *token, size_t len, TokenHeader *hdr,
				   const char **detail)
{
	const char *dot1 = NULL;
	const char *dot2 = NULL;
	char		buf[TOKEN_MAX_JSON + 1];
	size_t		buflen;
	size_t		hlen;
	JsDoc		doc;
	const JsValue *v;
	size_t		i;

	memset(hdr, 0, sizeof(*hdr));

	if (len == 0)
	{
		*detail = "The token is empty.";
		return TOKEN_MALFORMED;
	}
	if (len > TOKEN_MAX_LENGTH)
	{
		*detail = "The token is longer than 8192 bytes.";
		return TOKEN_MALFORMED;
	}
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) token[i];

		if (c == '.')
		{
			if (dot1 == NULL)
				dot1 = token + i;
			else if (dot2 == NULL)
				dot2 = token + i;
			else
			{
				*detail = "The token has more than three segments.";
				return TOKEN_MALFORMED;
			}
		}
		else if (b64url_value[c] < 0)
		{
			*detail = "The token contains a character outside the base64url alphabet.";
			return TOKEN_MALFORMED;
		}
	}
	if (dot2 == NULL)
	{
		*detail = "The token does not have three segments.";
		return TOKEN_MALFORMED;
	}
	if (dot1 == token || dot2 == dot1 + 1)
	{
		*detail = "The token has an empty header or payload.";
		return TOKEN_MALFORMED;
	}
	if (dot2 + 1 == token + len)
	{
		*detail = "The token has no signature.";
		return TOKEN_MALFORMED;
	}

	hdr->signing_input_len = (size_t) (dot2 - token);
	hdr->payload = dot1 + 1;
	hdr->payload_len = (size_t) (dot2 - dot1 - 1);
	hdr->signature = dot2 + 1;
	hdr->signature_len = len - hdr->signing_input_len - 1;

	/* A header seen last time says what it said then. */
	hlen = (size_t) (dot1 - token);
	if (hlen == last_header.len && memcmp(token, last_header.segment, hlen) == 0)
	{
		memcpy(hdr->alg, last_header.alg, sizeof(hdr->alg));
		memcpy(hdr->kid, last_header.kid, sizeof(hdr->kid));
		hdr->has_kid = last_header.has_kid;
		return TOKEN_OK;
	}
	last_header.len = 0;

	if (!parse_json_segment(token, hlen, buf, &buflen, &doc, false, detail))
		return TOKEN_MALFORMED;

	v = js_get(&doc, "alg");
	if (v == NULL || v->type != JS_STRING)
	{
		*detail = "The token header has no \"alg\" string.";
		return TOKEN_MALFORMED;
	}
	if (v->len == 0 || v->len > TOKEN_MAX_ALG)
	{
		*detail = "The token header names an unsupported algorithm.";
		return TOKEN_UNSUPPORTED;
	}
	memcpy(hdr->alg, v->str, v->len);
	hdr->alg[v->len] = '\0';

	if (js_get(&doc, "crit") != NULL)
	{
		*detail = "The token header has a \"crit\" member, which is not supported.";
		return TOKEN_UNSUPPORTED;
	}

	v = js_get(&doc, "typ");
	if (v != NULL && !(v->type == JS_STRING && v->len == 3 && strncasecmp(v->str, "JWT", 3) == 0))
	{
		*detail = "The token header has a \"typ\" other than \"JWT\".";
		return TOKEN_UNSUPPORTED;
	}

	v = js_get(&doc, "kid");
	if (v != NULL)
	{
		if (v->type != JS_STRING || v->len == 0 || v->len > TOKEN_MAX_KID)
		{
			*detail = "The token header has a \"kid\" that is not a string of 1 to 128 bytes.";
			return TOKEN_MALFORMED;
		}
		memcpy(hdr->kid, v->str, v->len);
		hdr->kid[v->len] = '\0';
		hdr->has_kid = true;
	}
	if (hlen <= sizeof(last_header.segment))
	{
		memcpy(last_header.segment, token, hlen);
		memcpy(last_header.alg, hdr->alg, sizeof(hdr->alg));
		memcpy(last_header.kid, hdr->kid, sizeof(hdr->kid));
		last_header.has_kid = hdr->has_kid;
		last_header.len = hlen;
	}
	return TOKEN_OK;
}

/* SHA-256 reads its input in blocks of this many bytes. */
#define SHA256_BLOCK			64

/* Start "ctx" on a key block XORed with "pad"; the padded copy is wiped. */
static bool
hash_padded_key(EVP_MD_CTX *ctx, const unsigned char block[SHA256_BLOCK], unsigned char pad)
{
	unsigned char padded[SHA256_BLOCK];
	bool		ok;

	for (int i = 0; i < SHA256_BLOCK; i++)
		padded[i] = block[i] ^ pad;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		EVP_DigestUpdate(ctx, padded, sizeof(padded)) == 1;
	OPENSSL_cleanse(padded, sizeof(padded));
	return ok;
}

struct TokenHmacKey
{
	EVP_MD_CTX *inner;			/* SHA-256 state after (key XOR ipad) */
	EVP_MD_CTX *outer;			/* SHA-256 state after (key XOR opad) */
	EVP_MD_CTX *work;
};

/*
 * HMAC-SHA256 (RFC 2104) with both padded key blocks hashed once, here: the
 * one-shot HMAC() of OpenSSL 3 looks the algorithm up and sets the key up
 * again on every call, which costs several times the hashing of a token.
 * NULL if the secret is shorter than TOKEN_MIN_SECRET or memory runs out.
 */
TokenHmacKey *
token_hmac_key_new(const unsigned char *secret, size_t len)
{
	unsigned char block[SHA256_BLOCK];
	unsigned int n = 0;
	TokenHmacKey *key;
	bool		ok;

	if (secret == NULL || len < TOKEN_MIN_SECRET)
		return NULL;
	key = OPENSSL_zalloc(sizeof(TokenHmacKey));
	if (key == NULL)
		return NULL;
	key->inner = EVP_MD_CTX_new();
	key->outer = EVP_MD_CTX_new();
	key->work = EVP_MD_CTX_new();

	/* A key longer than a block is replaced by its digest. */
	memset(block, 0, sizeof(block));
	if (len > SHA256_BLOCK)
		ok = EVP_Digest(secret, len, block, &n, EVP_sha256(), NULL) == 1;
	else
	{
		memcpy(block, secret, len);
		ok = true;
	}
	ok = ok && key->inner != NULL && key->outer != NULL && key->work != NULL &&
		hash_padded_key(key->inner, block, 0x36) &&
		hash_padded_key(key->outer, block, 0x5c);
	OPENSSL_cleanse(block, sizeof(block));
	if (!ok)
	{
		token_hmac_key_free(key);
		return NULL;
	}
	return key;
}

/* Free a key; its hash states are wiped as they are freed. */
void
token_hmac_key_free(TokenHmacKey *key)
{
	if (key == NULL)
		return;
	EVP_MD_CTX_free(key->inner);
	EVP_MD_CTX_free(key->outer);
	EVP_MD_CTX_free(key->work);
	OPENSSL_free(key);
}

/* The HMAC-SHA256 of "data" under "key"; false if OpenSSL fails. */
bool
token_hmac(TokenHmacKey *key, const unsigned char *data, size_t len,
		   unsigned char mac[TOKEN_HS256_SIGLEN])
{
	unsigned char inner[TOKEN_HS256_SIGLEN];
	unsigned int n1 = 0;
	unsigned int n2 = 0;
	bool		ok;

	ok = EVP_MD_CTX_copy_ex(key->work, key->inner) == 1 &&
		EVP_DigestUpdate(key->work, data, len) == 1 &&
		EVP_DigestFinal_ex(key->work, inner, &n1) == 1 && n1 == sizeof(inner) &&
		EVP_MD_CTX_copy_ex(key->work, key->outer) == 1 &&
		EVP_DigestUpdate(key->work, inner, sizeof(inner)) == 1 &&
		EVP_DigestFinal_ex(key->work, mac, &n2) == 1 && n2 == TOKEN_HS256_SIGLEN;
	OPENSSL_cleanse(inner, sizeof(inner));
	return ok;
}

TokenStatus
token_check_hs256(const char *token, const TokenHeader *hdr, TokenHmacKey *key,
				  const char **detail)
{
	unsigned char sig[TOKEN_HS256_SIGLEN + 3];
	size_t		siglen;
	unsigned char mac[TOKEN_HS256_SIGLEN];

	if (strcmp(hdr->alg, "HS256") != 0)
	{
		*detail = "The token's algorithm is not the key's algorithm.";
		return TOKEN_UNSUPPORTED;
	}
	if (key == NULL)
	{
		*detail = "The key is too short to verify anything.";
		return TOKEN_UNSUPPORTED;
	}
	if (hdr->signature_len != 43 ||
		!token_b64url_decode(hdr->signature, hdr->signature_len, sig, sizeof(sig), &siglen) ||
		siglen != TOKEN_HS256_SIGLEN)
	{
		*detail = "The signature is not 32 bytes of canonical base64url.";
		return TOKEN_BAD_SIGNATURE;
	}
	if (!token_hmac(key, (const unsigned char *) token, hdr->signing_input_len, mac))
	{
		*detail = "The signature could not be computed.";
		return TOKEN_BAD_SIGNATURE;
	}
	if (CRYPTO_memcmp(mac, sig, TOKEN_HS256_SIGLEN) != 0)
	{
		*detail = "The signature does not match the token's header and payload.";
		return TOKEN_BAD_SIGNATURE;
	}
	return TOKEN_OK;
}

/*
 * Read an optional NumericDate claim.  Returns false if present but not an
 * integer in range.
 */
static bool
get_date(const JsDoc *doc, const char *name, bool *present, int64_t *value)
{
	const JsValue *v = js_get(doc, name);

	*present = (v != NULL);
	if (v == NULL)
		return true;
	if (v->type != JS_INTEGER || v->integer < 0 || v->integer > TOKEN_MAX_NUMERIC_DATE)
		return false;
	*value = v->integer;
	return true;
}

static bool
optional_string(const JsDoc *doc, const char *name)
{
	const JsValue *v = js_get(doc, name);

	return v == NULL || v->type == JS_STRING;
}

static TokenStatus
check_audience(const JsDoc *doc, const char *audience, const char **detail)
{
	const JsValue *v = js_get(doc, "aud");
	bool		found = false;

	if (v == NULL)
	{
		*detail = "The token has no \"aud\" claim.";
		return TOKEN_WRONG_AUDIENCE;
	}
	if (v->type == JS_STRING)
		found = js_string_equals(v, audience);
	else if (v->type == JS_ARRAY)
	{
		for (int i = 0; i < v->count; i++)
		{
			const JsValue *e = &doc->elems[v->first + i];

			if (e->type != JS_STRING)
			{
				*detail = "The \"aud\" claim holds a value that is not a string.";
				return TOKEN_MALFORMED;
			}
			if (js_string_equals(e, audience))
				found = true;
		}
	}
	else
	{
		*detail = "The \"aud\" claim is neither a string nor an array of strings.";
		return TOKEN_MALFORMED;
	}
	if (!found)
	{
		*detail = "The \"aud\" claim does not contain the audience setting in force.";
		return TOKEN_WRONG_AUDIENCE;
	}
	return TOKEN_OK;
}

TokenStatus
token_check_claims(const TokenHeader *hdr, const TokenRules *rules,
				   TokenClaims *claims, const char **detail)
{
	JsDoc		doc;
	const JsValue *v;
	TokenStatus st;
	bool		has_exp,
				has_nbf,
				has_iat;
	int64_t		exp = 0,
				nbf = 0,
				iat = 0;

	if (!parse_json_segment(hdr->payload, hdr->payload_len, claims->json,
							&claims->json_len, &doc, true, detail))
		return TOKEN_MALFORMED;

	v = js_get(&doc, "sub");
	if (v == NULL || v->type != JS_STRING || !token_uuid_parse(v->str, v->len, claims->sub))
	{
		*detail = "The \"sub\" claim is not a UUID.";
		return TOKEN_MALFORMED;
	}
	v = js_get(&doc, "sid");
	claims->has_sid = (v != NULL);
	if (v != NULL && (v->type != JS_STRING || !token_uuid_parse(v->str, v->len, claims->sid)))
	{
		*detail = "The \"sid\" claim is not a UUID.";
		return TOKEN_MALFORMED;
	}
	if (!get_date(&doc, "exp", &has_exp, &exp))
	{
		*detail = "The \"exp\" claim is not an integer NumericDate.";
		return TOKEN_MALFORMED;
	}
	if (!has_exp)
	{
		*detail = "The token has no \"exp\" claim.";
		return TOKEN_MALFORMED;
	}
	if (!get_date(&doc, "nbf", &has_nbf, &nbf))
	{
		*detail = "The \"nbf\" claim is not an integer NumericDate.";
		return TOKEN_MALFORMED;
	}
	if (!get_date(&doc, "iat", &has_iat, &iat))
	{
		*detail = "The \"iat\" claim is not an integer NumericDate.";
		return TOKEN_MALFORMED;
	}
	if (!optional_string(&doc, "iss") || !optional_string(&doc, "email") ||
		!optional_string(&doc, "role") || !optional_string(&doc, "jti"))
	{
		*detail = "A string claim (\"iss\", \"email\", \"role\" or \"jti\") has another JSON type.";
		return TOKEN_MALFORMED;
	}

	v = js_get(&doc, "iss");
	if (v == NULL)
	{
		*detail = "The token has no \"iss\" claim.";
		return TOKEN_WRONG_ISSUER;
	}
	if (!js_string_equals(v, rules->issuer))
	{
		*detail = "The \"iss\" claim does not equal the issuer setting in force.";
		return TOKEN_WRONG_ISSUER;
	}

	st = check_audience(&doc, rules->audience, detail);
	if (st != TOKEN_OK)
		return st;

	claims->exp = exp;
	claims->has_nbf = has_nbf;
	claims->nbf = nbf;
	claims->has_iat = has_iat;
	claims->iat = iat;
	st = token_check_times(claims, rules, detail);
	if (st != TOKEN_OK)
		return st;
	token_uuid_format(claims->sub, claims->sub_text);
	return TOKEN_OK;
}

/*
 * The checks of a token's validity that depend on the time: "exp" (unless
 * the rules ignore it), "nbf" and "iat", each with the leeway.
 */
TokenStatus
token_check_times(const TokenClaims *claims, const TokenRules *rules,
				  const char **detail)
{
	if (!rules->ignore_expiry && rules->now >= claims->exp + rules->leeway)
	{
		*detail = "The time in the \"exp\" claim has passed.";
		return TOKEN_EXPIRED;
	}
	if (claims->has_nbf && rules->now + rules->leeway < claims->nbf)
	{
		*detail = "The time in the \"nbf\" claim has not come yet.";
		return TOKEN_NOT_YET_VALID;
	}
	if (claims->has_iat && rules->now + rules->leeway < claims->iat)
	{
		*detail = "The \"iat\" claim says the token was issued in the future.";
		return TOKEN_NOT_YET_VALID;
	}
	return TOKEN_OK;
}

/* Append "s" as a JSON string; returns the new length or 0 if it does not fit. */
static size_t
json_quote(const char *s, char *out, size_t pos, size_t cap)
{
	static const char hex[] = "0123456789abcdef";

	if (pos + 1 >= cap)
		return 0;
	out[pos++] = '"';
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (pos + 7 >= cap)
			return 0;
		if (c == '"' || c == '\\')
		{
			out[pos++] = '\\';
			out[pos++] = (char) c;
		}
		else if (c < 0x20)
		{
			memcpy(out + pos, "\\u00", 4);
			out[pos + 4] = hex[c >> 4];
			out[pos + 5] = hex[c & 0x0f];
			pos += 6;
		}
		else
			out[pos++] = (char) c;
	}
	out[pos++] = '"';
	return pos;
}

/*
 * The order n of P-256's base point, and n / 2 rounded down, big-endian.  An
 * ECDSA signature (r, s) verifies as (r, n - s) too; only the form with
 * s <= n / 2 ("low S") is accepted and made, so that one set of claims has
 * one token string.
 */
static const unsigned char p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};
static const unsigned char p256_half_order[32] = {
	0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8
};

/*
 * Verify an ES256 or RS256 signature.  The caller has checked that "pkey"
 * is the key named by the header's kid and that the header's alg is that
 * key's algorithm.
 */
TokenStatus
token_check_pkey(const char *token, const TokenHeader *hdr, EVP_PKEY *pkey,
				 const char **detail)
{
	unsigned char sig[TOKEN_MAX_SIGLEN + 3];
	size_t		siglen;
	unsigned char der[TOKEN_ES256_SIGLEN + 16];
	const unsigned char *verify_sig = sig;
	size_t		verify_len;
	bool		es256 = strcmp(hdr->alg, "ES256") == 0;
	EVP_MD_CTX *ctx;
	int			ok;

	if (pkey == NULL || (!es256 && strcmp(hdr->alg, "RS256") != 0))
	{
		*detail = "The token's algorithm is not the key's algorithm.";
		return TOKEN_UNSUPPORTED;
	}
	if (hdr->signature_len > (TOKEN_MAX_SIGLEN * 4 + 2) / 3 ||
		!token_b64url_decode(hdr->signature, hdr->signature_len, sig, sizeof(sig), &siglen))
	{
		*detail = "The signature is not canonical base64url of a possible length.";
		return TOKEN_BAD_SIGNATURE;
	}
	verify_len = siglen;
	if (es256)
	{
		/* JOSE carries r || s; OpenSSL wants a DER ECDSA-Sig-Value. */
		ECDSA_SIG  *esig;
		BIGNUM	   *r,
				   *s;
		unsigned char *p = der;
		int			n;

		if (siglen != TOKEN_ES256_SIGLEN)
		{
			*detail = "The signature is not 64 bytes.";
			return TOKEN_BAD_SIGNATURE;
		}
		/* Big-endian numbers of one width compare as bytes. */
		if (memcmp(sig + 32, p256_half_order, 32) > 0)
		{
			*detail = "The ECDSA signature is not in low-S form (s greater than half the curve order).";
			return TOKEN_BAD_SIGNATURE;
		}
		esig = ECDSA_SIG_new();
		r = BN_bin2bn(sig, 32, NULL);
		s = BN_bin2bn(sig + 32, 32, NULL);
		if (esig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(esig, r, s))
		{
			BN_free(r);
			BN_free(s);
			ECDSA_SIG_free(esig);
			*detail = "The signature could not be decoded.";
			return TOKEN_BAD_SIGNATURE;
		}
		n = i2d_ECDSA_SIG(esig, NULL);
		if (n <= 0 || (size_t) n > sizeof(der) || i2d_ECDSA_SIG(esig, &p) != n)
		{
			ECDSA_SIG_free(esig);
			*detail = "The signature could not be decoded.";
			return TOKEN_BAD_SIGNATURE;
		}
		ECDSA_SIG_free(esig);
		verify_sig = der;
		verify_len = (size_t) n;
	}
	else if (siglen != (size_t) EVP_PKEY_get_size(pkey))
	{
		*detail = "The signature is not as long as the key's modulus.";
		return TOKEN_BAD_SIGNATURE;
	}

	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL &&
		EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
		EVP_DigestVerify(ctx, verify_sig, verify_len,
						 (const unsigned char *) token, hdr->signing_input_len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
	{
		*detail = "The signature does not match the token's header and payload.";
		return TOKEN_BAD_SIGNATURE;
	}
	return TOKEN_OK;
}

/* Sign "input" with ES256 (as r || s) or RS256; returns the length or 0. */
static size_t
sign_pkey(bool es256, EVP_PKEY *pkey, const char *input, size_t len,
		  unsigned char *out, size_t outcap)
{
	unsigned char der[TOKEN_MAX_SIGLEN + 16];
	size_t		derlen = sizeof(der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int			ok;

	ok = ctx != NULL &&
		EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
		EVP_DigestSign(ctx, der, &derlen, (const unsigned char *) input, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return 0;
	if (es256)
	{
		const unsigned char *p = der;
		ECDSA_SIG  *esig = d2i_ECDSA_SIG(NULL, &p, (long) derlen);
		const BIGNUM *r,
				   *s;

		if (esig == NULL || outcap < TOKEN_ES256_SIGLEN)
		{
			ECDSA_SIG_free(esig);
			return 0;
		}
		ECDSA_SIG_get0(esig, &r, &s);
		ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32;
		ECDSA_SIG_free(esig);
		/* Low S: replace s by n - s when s > n / 2. */
		if (ok && memcmp(out + 32, p256_half_order, 32) > 0)
		{
			BIGNUM	   *n = BN_bin2bn(p256_order, 32, NULL);
			BIGNUM	   *high = BN_bin2bn(out + 32, 32, NULL);

			ok = n != NULL && high != NULL && BN_sub(high, n, high) == 1 &&
				BN_bn2binpad(high, out + 32, 32) == 32;
			BN_free(n);
			BN_free(high);
		}
		return ok ? TOKEN_ES256_SIGLEN : 0;
	}
	if (derlen > outcap)
		return 0;
	memcpy(out, der, derlen);
	return derlen;
}

static const char *const header_prefixes[] = {
	"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":",
	"{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":",
	"{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":",
};

size_t
token_sign(const char *alg, const char *kid, TokenHmacKey *hmac,
		   EVP_PKEY *pkey, const char *claims_json,
		   char *out, size_t outcap)
{
	char		header[TOKEN_MAX_KID * 6 + 64];
	const char *prefix;
	size_t		plen;
	size_t		hlen;
	size_t		clen = strlen(claims_json);
	size_t		siglen_max;
	size_t		need;
	size_t		pos;
	unsigned char sig[TOKEN_MAX_SIGLEN];
	size_t		siglen;
	int			kind;

	if (strcmp(alg, "HS256") == 0)
		kind = 0;
	else if (strcmp(alg, "ES256") == 0)
		kind = 1;
	else if (strcmp(alg, "RS256") == 0)
		kind = 2;
	else
		return 0;
	if (kind == 0 && hmac == NULL)
		return 0;
	if (kind != 0 && pkey == NULL)
		return 0;
	if (strlen(kid) == 0 || strlen(kid) > TOKEN_MAX_KID)
		return 0;

	prefix = header_prefixes[kind];
	plen = strlen(prefix);
	memcpy(header, prefix, plen);
	hlen = json_quote(kid, header, plen, sizeof(header) - 1);
	if (hlen == 0)
		return 0;
	header[hlen++] = '}';

	siglen_max = kind == 0 ? TOKEN_HS256_SIGLEN : kind == 1 ? TOKEN_ES256_SIGLEN : TOKEN_MAX_SIGLEN;
	need = (hlen + 2) / 3 * 4 + 1 + (clen + 2) / 3 * 4 + 1 + (siglen_max + 2) / 3 * 4 + 1;
	if (clen > TOKEN_MAX_JSON || need > outcap || need > TOKEN_MAX_LENGTH + 1)
		return 0;

	pos = token_b64url_encode((const unsigned char *) header, hlen, out);
	out[pos++] = '.';
	pos += token_b64url_encode((const unsigned char *) claims_json, clen, out + pos);
	if (kind == 0)
	{
		if (!token_hmac(hmac, (const unsigned char *) out, pos, sig))
			return 0;
		siglen = TOKEN_HS256_SIGLEN;
	}
	else
	{
		siglen = sign_pkey(kind == 1, pkey, out, pos, sig, sizeof(sig));
		if (siglen == 0)
			return 0;
	}
	out[pos++] = '.';
	pos += token_b64url_encode(sig, siglen, out + pos);
	return pos;
}
