/*-------------------------------------------------------------------------
 *
 * token.h
 *	  The compact JWS serialization of a JWT: parsing, checking the
 *	  signature, signing.
 *
 * This unit does not depend on the PostgreSQL server: it is linked into the
 * extension and, on its own, into the fuzz target.  It never allocates
 * memory that outlives a call, never prints token content, and reports
 * failures through TokenStatus plus a static detail sentence.
 *
 * src/jose/token.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_TOKEN_H
#define JWT_AUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json_strict.h"
#include "signature.h"

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

typedef enum TokenStatus
{
	TOKEN_OK = 0,
	TOKEN_MALFORMED,
	TOKEN_UNSUPPORTED,			/* well-formed but uses something we refuse */
	TOKEN_BAD_SIGNATURE,
	TOKEN_EXPIRED,
	TOKEN_NOT_YET_VALID,
	TOKEN_WRONG_ISSUER,
	TOKEN_WRONG_AUDIENCE,
	TOKEN_TOO_LONG_LIVED		/* valid for longer than its issuer may make
								 * it */
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

/*
 * The header segment of the last token whose header was accepted, and what
 * it said.  The tokens a server sees share a few headers (one per key), so
 * a caller that keeps one of these lets most headers be recognised by
 * comparing bytes instead of decoding and parsing them again.
 */
typedef struct TokenHeaderCache
{
	size_t		len;			/* 0: none */
	char		segment[256];
	char		alg[TOKEN_MAX_ALG + 1];
	char		kid[TOKEN_MAX_KID + 1];
	bool		has_kid;
} TokenHeaderCache;

extern TokenStatus jwt_auth_token_parse_header(const char *token, size_t len,
											   TokenHeaderCache *cache,
											   TokenHeader *hdr, const char **detail);
extern TokenStatus jwt_auth_token_check_signature(const char *token, const TokenHeader *hdr,
												  const SignatureKey *key,
												  const char **detail);
extern bool jwt_auth_token_decode_payload(const TokenHeader *hdr, char *buf, size_t *buflen,
										  JsDoc *doc, const char **detail);

/*
 * Sign a token with "key".  "claims_json" must be a JSON object, "kid"
 * plain text.  Writes the NUL-terminated token to "out" and returns its
 * length, or 0 if it cannot be signed or would exceed TOKEN_MAX_LENGTH.
 */
extern size_t jwt_auth_token_sign(const SignatureKey *key, const char *kid,
								  const char *claims_json, char *out, size_t outcap);

#endif							/* JWT_AUTH_TOKEN_H */
