/*-------------------------------------------------------------------------
 *
 * token.h
 *	  Compact JWS (JWT) encoding, parsing and claim checks.
 *
 * This unit does not depend on the PostgreSQL server: it is linked into the
 * extension and, on its own, into the fuzz target.  Apart from the HMAC keys
 * its caller creates and frees, it never allocates memory that outlives a
 * call; it never prints token content, and reports failures through
 * TokenStatus plus a static detail sentence.
 *
 * src/token.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_TOKEN_H
#define JWT_AUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Longest token accepted, in bytes; checked before any decoding. */
#define TOKEN_MAX_LENGTH		8192
/* Longest decoded header or payload (base64url of 8192 bytes decodes to less). */
#define TOKEN_MAX_JSON			6144
/* Longest "kid" and "alg" header values kept. */
#define TOKEN_MAX_KID			128
#define TOKEN_MAX_ALG			16
/* Longest issuer or audience compared. */
#define TOKEN_MAX_NAME			255
/* Nesting depth allowed in header and claims JSON. */
#define TOKEN_MAX_DEPTH			16
/* Shortest HMAC secret that may verify or sign anything, in bytes. */
#define TOKEN_MIN_SECRET		32
#define TOKEN_HS256_SIGLEN		32
#define TOKEN_ES256_SIGLEN		64
/* Longest signature accepted: RS256 with a 4096-bit modulus. */
#define TOKEN_MAX_SIGLEN		512

typedef enum TokenStatus
{
	TOKEN_OK = 0,
	TOKEN_MALFORMED,
	TOKEN_UNSUPPORTED,			/* well-formed but uses something we refuse */
	TOKEN_BAD_SIGNATURE,
	TOKEN_EXPIRED,
	TOKEN_NOT_YET_VALID,
	TOKEN_WRONG_ISSUER,
	TOKEN_WRONG_AUDIENCE
} TokenStatus;

/* What the header says, plus where the parts of the token are. */
typedef struct TokenHeader
{
	char		alg[TOKEN_MAX_ALG + 1];
	char		kid[TOKEN_MAX_KID + 1];
	bool		has_kid;
	size_t		signing_input_len;	/* bytes of "header.payload" */
	const char *payload;		/* base64url payload segment */
	size_t		payload_len;
	const char *signature;		/* base64url signature segment */
	size_t		signature_len;
} TokenHeader;

/* What a valid token must satisfy. */
typedef struct TokenRules
{
	int64_t		now;			/* seconds since the Unix epoch */
	int64_t		leeway;			/* seconds of clock skew tolerated */
	const char *issuer;
	const char *audience;
	bool		ignore_expiry;	/* for signing out with an expired token */
} TokenRules;

/* What a verified token tells. */
typedef struct TokenClaims
{
	unsigned char sub[16];		/* the subject, a UUID */
	char		sub_text[37];	/* the same, canonical lower-case text */
	bool		has_sid;
	unsigned char sid[16];		/* the session ("sid"), a UUID */
	int64_t		exp;
	bool		has_nbf;
	int64_t		nbf;
	bool		has_iat;
	int64_t		iat;
	size_t		json_len;
	char		json[TOKEN_MAX_JSON + 1];	/* the decoded payload */
} TokenClaims;

/*
 * An HMAC-SHA256 key, its two padded key blocks already hashed, so that a
 * MAC costs the hashing of the message alone.  Not thread-safe: it holds
 * its own working state.
 */
typedef struct TokenHmacKey TokenHmacKey;

extern TokenStatus token_parse_header(const char *token, size_t len,
									  TokenHeader *hdr, const char **detail);
extern TokenHmacKey *token_hmac_key_new(const unsigned char *secret, size_t len);
extern void token_hmac_key_free(TokenHmacKey *key);
extern bool token_hmac(TokenHmacKey *key, const unsigned char *data, size_t len,
					   unsigned char mac[TOKEN_HS256_SIGLEN]);
extern TokenStatus token_check_hs256(const char *token, const TokenHeader *hdr,
									 TokenHmacKey *key, const char **detail);
extern TokenStatus token_check_pkey(const char *token, const TokenHeader *hdr,
									EVP_PKEY *pkey, const char **detail);
extern TokenStatus token_check_claims(const TokenHeader *hdr,
									  const TokenRules *rules,
									  TokenClaims *claims, const char **detail);
extern TokenStatus token_check_times(const TokenClaims *claims,
									 const TokenRules *rules, const char **detail);

extern size_t token_b64url_encode(const unsigned char *src, size_t len, char *dst);
extern bool token_b64url_decode(const char *src, size_t len,
								unsigned char *dst, size_t dstcap,
								size_t *outlen);
extern bool token_uuid_parse(const char *text, size_t len, unsigned char uuid[16]);
extern void token_uuid_format(const unsigned char uuid[16], char out[37]);

/*
 * Sign a token with "alg" (HS256 with "hmac"; ES256 or RS256 with the
 * private key "pkey").  "claims_json" must be a JSON object, "kid" plain
 * text.  Writes the NUL-terminated token to "out" and returns its length,
 * or 0 if it cannot be signed or would exceed TOKEN_MAX_LENGTH.
 */
extern size_t token_sign(const char *alg, const char *kid,
						 TokenHmacKey *hmac, EVP_PKEY *pkey, const char *claims_json,
						 char *out, size_t outcap);

#endif							/* JWT_AUTH_TOKEN_H */
