/*-------------------------------------------------------------------------
 *
 * token.c
 *	  The compact JWS serialization of a JWT (RFC 7515, section 7.1):
 *	  parsing, checking the signature, signing.
 *
 * Verification is strict and written here rather than delegated to libjwt,
 * whose decoder trusts the token's "alg", skips the signature check when it
 * is handed no key, reads wrongly typed claims as zero, accepts
 * non-canonical base64 and puts each segment on the stack.  The order of
 * the checks is fixed: bound the length, check the alphabet and the
 * segments, decode and parse the header, let the caller choose the key from
 * "kid" alone, check the signature with that key's algorithm, and only then
 * decode the payload (claims.c checks the claims).
 *
 * libjwt and jansson are not used: inside a PostgreSQL backend, jansson's
 * exported json_object() is shadowed by the server's own function of that
 * name, and any call into them crashes the backend.  JSON is read by the
 * strict parser in json_strict.c.
 *
 * src/jose/token.c
 *
 *-------------------------------------------------------------------------
 */
#include "token.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "codec.h"

/* Detail sentences are marked for translation; the server translates them. */
#ifndef gettext_noop
#define gettext_noop(x) (x)
#endif

/* Why a header (column 0) or payload (column 1) could not be read. */
static const char *const segment_errors[][2] = {
	[JS_ERR_NONE] = {gettext_noop("The token header is not canonical base64url."),
	gettext_noop("The token payload is not canonical base64url.")},
	[JS_ERR_NOT_OBJECT] = {gettext_noop("The token header is not a JSON object."),
	gettext_noop("The token payload is not a JSON object.")},
	[JS_ERR_SYNTAX] = {gettext_noop("The token header is not valid JSON."),
	gettext_noop("The token payload is not valid JSON.")},
	[JS_ERR_DUPLICATE] = {gettext_noop("The token header has a duplicate member name."),
	gettext_noop("The token payload has a duplicate member name.")},
	[JS_ERR_DEPTH] = {gettext_noop("The token header is nested more than " JOSE_TEXT(JS_MAX_DEPTH) " levels deep."),
	gettext_noop("The token payload is nested more than " JOSE_TEXT(JS_MAX_DEPTH) " levels deep.")},
	[JS_ERR_NUL] = {gettext_noop("The token header contains a NUL character."),
	gettext_noop("The token payload contains a NUL character.")},
	[JS_ERR_CONTROL] = {gettext_noop("The token header has a control character inside a string."),
	gettext_noop("The token payload has a control character inside a string.")},
	[JS_ERR_UTF8] = {gettext_noop("The token header is not valid UTF-8."),
	gettext_noop("The token payload is not valid UTF-8.")},
	[JS_ERR_LIMIT] = {gettext_noop("The token header exceeds the parser's limits."),
	gettext_noop("The token payload exceeds the parser's limits.")},
};

/*
 * A "typ" of a token jwt_auth accepts: a JWT (RFC 7519), or an OAuth 2.0
 * access token in JWT form (RFC 9068), as other issuers type theirs; with
 * or without the "application/" prefix (RFC 7515), in any case.
 */
static bool
typ_accepted(const char *typ, size_t len)
{
	static const char *const accepted[] = {"JWT", "at+jwt"};

	if (len > 12 && strncasecmp(typ, "application/", 12) == 0)
	{
		typ += 12;
		len -= 12;
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		if (len == strlen(accepted[i]) && strncasecmp(typ, accepted[i], len) == 0)
			return true;
	return false;
}

/*
 * Decode one base64url segment holding a JSON object and parse it.  The
 * decoded text is left NUL-terminated in "buf" (TOKEN_MAX_JSON + 1 bytes).
 */
static bool
parse_json_segment(const char *seg, size_t seglen, char *buf, size_t *buflen,
				   JsDoc *doc, bool payload, const char **detail)
{
	if (!jwt_auth_codec_b64url_decode(seg, seglen, (unsigned char *) buf, TOKEN_MAX_JSON, buflen))
	{
		*buflen = 0;
		buf[0] = '\0';
		*detail = segment_errors[JS_ERR_NONE][payload];
		return false;
	}
	buf[*buflen] = '\0';
	if (jwt_auth_js_parse_object(buf, *buflen, doc))
		return true;
	*detail = segment_errors[doc->error == JS_ERR_NONE ? JS_ERR_SYNTAX : doc->error][payload];
	return false;
}

TokenStatus
jwt_auth_token_parse_header(const char *token, size_t len, TokenHeaderCache *cache,
							TokenHeader *hdr, const char **detail)
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
		*detail = gettext_noop("The token is empty.");
		return TOKEN_MALFORMED;
	}
	if (len > TOKEN_MAX_LENGTH)
	{
		*detail = gettext_noop("The token is longer than " JOSE_TEXT(TOKEN_MAX_LENGTH) " bytes.");
		return TOKEN_MALFORMED;
	}
	/* Runs of the alphabet, each ended by a dot or by the end. */
	for (i = jwt_auth_codec_b64url_span(token, len); i < len; i += 1 + jwt_auth_codec_b64url_span(token + i + 1, len - i - 1))
	{
		if (token[i] != '.')
		{
			*detail = gettext_noop("The token contains a character outside the base64url alphabet.");
			return TOKEN_MALFORMED;
		}
		if (dot1 == NULL)
			dot1 = token + i;
		else if (dot2 == NULL)
			dot2 = token + i;
		else
		{
			*detail = gettext_noop("The token has more than three segments.");
			return TOKEN_MALFORMED;
		}
	}
	if (dot2 == NULL)
	{
		*detail = gettext_noop("The token does not have three segments.");
		return TOKEN_MALFORMED;
	}
	if (dot1 == token || dot2 == dot1 + 1)
	{
		*detail = gettext_noop("The token has an empty header or payload.");
		return TOKEN_MALFORMED;
	}
	if (dot2 + 1 == token + len)
	{
		*detail = gettext_noop("The token has no signature.");
		return TOKEN_MALFORMED;
	}

	hdr->signing_input_len = (size_t) (dot2 - token);
	hdr->payload = dot1 + 1;
	hdr->payload_len = (size_t) (dot2 - dot1 - 1);
	hdr->signature = dot2 + 1;
	hdr->signature_len = len - hdr->signing_input_len - 1;

	/* A header seen last time says what it said then. */
	hlen = (size_t) (dot1 - token);
	if (cache != NULL && hlen == cache->len && memcmp(token, cache->segment, hlen) == 0)
	{
		memcpy(hdr->alg, cache->alg, sizeof(hdr->alg));
		memcpy(hdr->kid, cache->kid, sizeof(hdr->kid));
		hdr->has_kid = cache->has_kid;
		return TOKEN_OK;
	}
	if (cache != NULL)
		cache->len = 0;

	if (!parse_json_segment(token, hlen, buf, &buflen, &doc, false, detail))
		return TOKEN_MALFORMED;

	v = jwt_auth_js_get(&doc, "alg");
	if (v == NULL || v->type != JS_STRING)
	{
		*detail = gettext_noop("The token header has no \"alg\" string.");
		return TOKEN_MALFORMED;
	}
	if (v->len == 0 || v->len > TOKEN_MAX_ALG)
	{
		*detail = gettext_noop("The token header names an unsupported algorithm.");
		return TOKEN_UNSUPPORTED;
	}
	memcpy(hdr->alg, v->str, v->len);
	hdr->alg[v->len] = '\0';

	if (jwt_auth_js_get(&doc, "crit") != NULL)
	{
		*detail = gettext_noop("The token header has a \"crit\" member, which is not supported.");
		return TOKEN_UNSUPPORTED;
	}

	v = jwt_auth_js_get(&doc, "typ");
	if (v != NULL && !(v->type == JS_STRING && typ_accepted(v->str, v->len)))
	{
		*detail = gettext_noop("The token header has a \"typ\" other than \"JWT\" or \"at+jwt\".");
		return TOKEN_UNSUPPORTED;
	}

	v = jwt_auth_js_get(&doc, "kid");
	if (v != NULL)
	{
		if (v->type != JS_STRING || v->len == 0 || v->len > TOKEN_MAX_KID)
		{
			*detail = gettext_noop("The token header has a \"kid\" that is not a string of 1 to 128 bytes.");
			return TOKEN_MALFORMED;
		}
		memcpy(hdr->kid, v->str, v->len);
		hdr->kid[v->len] = '\0';
		hdr->has_kid = true;
	}
	if (cache != NULL && hlen <= sizeof(cache->segment))
	{
		memcpy(cache->segment, token, hlen);
		memcpy(cache->alg, hdr->alg, sizeof(hdr->alg));
		memcpy(cache->kid, hdr->kid, sizeof(hdr->kid));
		cache->has_kid = hdr->has_kid;
		cache->len = hlen;
	}
	return TOKEN_OK;
}

/*
 * Check the token's signature with "key", which the caller chose by the
 * header's "kid".  The header's "alg" must name the key's algorithm.
 */
TokenStatus
jwt_auth_token_check_signature(const char *token, const TokenHeader *hdr,
							   const SignatureKey *key, const char **detail)
{
	unsigned char sig[SIGNATURE_MAX_LEN + 3];
	size_t		siglen;

	if (key->alg == SIG_UNKNOWN || jwt_auth_signature_alg(hdr->alg) != key->alg ||
		(key->alg != SIG_HS256 && key->pkey == NULL))
	{
		*detail = gettext_noop("The token's algorithm is not the key's algorithm.");
		return TOKEN_UNSUPPORTED;
	}
	if (key->alg == SIG_HS256)
	{
		if (key->hmac == NULL)
		{
			*detail = gettext_noop("The key is too short to verify anything.");
			return TOKEN_UNSUPPORTED;
		}
		if (hdr->signature_len != CODEC_B64URL_LEN(HMAC_SHA256_LEN) ||
			!jwt_auth_codec_b64url_decode(hdr->signature, hdr->signature_len, sig, sizeof(sig), &siglen))
		{
			*detail = gettext_noop("The signature is not 32 bytes of canonical base64url.");
			return TOKEN_BAD_SIGNATURE;
		}
	}
	else if (hdr->signature_len > CODEC_B64URL_LEN(SIGNATURE_MAX_LEN) ||
			 !jwt_auth_codec_b64url_decode(hdr->signature, hdr->signature_len, sig, sizeof(sig), &siglen))
	{
		*detail = gettext_noop("The signature is not canonical base64url of a possible length.");
		return TOKEN_BAD_SIGNATURE;
	}
	if (!jwt_auth_signature_check(key, (const unsigned char *) token, hdr->signing_input_len,
								  sig, siglen, detail))
		return TOKEN_BAD_SIGNATURE;
	return TOKEN_OK;
}

/*
 * Decode and parse the payload into "buf" (TOKEN_MAX_JSON + 1 bytes, left
 * NUL-terminated) and "doc".  Only after the signature has been checked.
 */
bool
jwt_auth_token_decode_payload(const TokenHeader *hdr, char *buf, size_t *buflen,
							  JsDoc *doc, const char **detail)
{
	return parse_json_segment(hdr->payload, hdr->payload_len, buf, buflen, doc,
							  true, detail);
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

size_t
jwt_auth_token_sign(const SignatureKey *key, const char *kid, const char *claims_json,
					char *out, size_t outcap)
{
	const char *name = jwt_auth_signature_alg_name(key->alg);
	char		header[TOKEN_MAX_KID * 6 + 64];
	size_t		hlen;
	size_t		clen = strlen(claims_json);
	size_t		need;
	size_t		pos;
	unsigned char sig[SIGNATURE_MAX_LEN];
	size_t		siglen;

	if (name == NULL || strlen(kid) == 0 || strlen(kid) > TOKEN_MAX_KID)
		return 0;

	hlen = (size_t) snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":", name);
	hlen = json_quote(kid, header, hlen, sizeof(header) - 1);
	if (hlen == 0)
		return 0;
	header[hlen++] = '}';

	need = CODEC_B64URL_LEN(hlen) + 1 + CODEC_B64URL_LEN(clen) + 1 +
		CODEC_B64URL_LEN(jwt_auth_signature_max_len(key->alg)) + 1;
	if (clen > TOKEN_MAX_JSON || need > outcap || need > TOKEN_MAX_LENGTH + 1)
		return 0;

	pos = jwt_auth_codec_b64url_encode((const unsigned char *) header, hlen, out);
	out[pos++] = '.';
	pos += jwt_auth_codec_b64url_encode((const unsigned char *) claims_json, clen, out + pos);
	siglen = jwt_auth_signature_make(key, (const unsigned char *) out, pos, sig, sizeof(sig));
	if (siglen == 0)
		return 0;
	out[pos++] = '.';
	pos += jwt_auth_codec_b64url_encode(sig, siglen, out + pos);
	return pos;
}
