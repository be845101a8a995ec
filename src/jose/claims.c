/*-------------------------------------------------------------------------
 *
 * claims.c
 *	  The claims of a JWT whose signature has been checked: their types,
 *	  the issuer, the audience and the times.
 *
 * A claim jwt_auth reads is refused when it has another JSON type than the
 * one RFC 7519 gives it; it is never read as zero or as an empty string.
 *
 * src/jose/claims.c
 *
 *-------------------------------------------------------------------------
 */
#include "claims.h"

#include <string.h>

#include "codec.h"
#include "json_strict.h"

/* Detail sentences are marked for translation; the server translates them. */
#ifndef gettext_noop
#define gettext_noop(x) (x)
#endif

/* NumericDate values outside [0, 9999-12-31T23:59:59Z] are refused. */
#define TOKEN_MAX_NUMERIC_DATE	INT64_C(253402300799)

/*
 * Read an optional NumericDate claim.  Returns false if present but not an
 * integer in range.
 */
static bool
get_date(const JsDoc *doc, const char *name, bool *present, int64_t *value)
{
	const JsValue *v = jwt_auth_js_get(doc, name);

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
	const JsValue *v = jwt_auth_js_get(doc, name);

	return v == NULL || v->type == JS_STRING;
}

static TokenStatus
check_audience(const JsDoc *doc, const char *audience, bool foreign,
			   const char **detail)
{
	const JsValue *v = jwt_auth_js_get(doc, "aud");
	bool		found = false;

	if (v == NULL)
	{
		*detail = gettext_noop("The token has no \"aud\" claim.");
		return TOKEN_WRONG_AUDIENCE;
	}
	if (v->type == JS_STRING)
		found = jwt_auth_js_string_equals(v, audience);
	else if (v->type == JS_ARRAY)
	{
		for (int i = 0; i < v->count; i++)
		{
			const JsValue *e = &doc->elems[v->first + i];

			if (e->type != JS_STRING)
			{
				*detail = gettext_noop("The \"aud\" claim holds a value that is not a string.");
				return TOKEN_MALFORMED;
			}
			if (jwt_auth_js_string_equals(e, audience))
				found = true;
		}
	}
	else
	{
		*detail = gettext_noop("The \"aud\" claim is neither a string nor an array of strings.");
		return TOKEN_MALFORMED;
	}
	if (!found)
	{
		*detail = foreign ?
			gettext_noop("The \"aud\" claim does not contain the audience trusted for the token's issuer.") :
			gettext_noop("The \"aud\" claim does not contain the audience setting in force.");
		return TOKEN_WRONG_AUDIENCE;
	}
	return TOKEN_OK;
}

/*
 * Check the claims of a token whose signature was found good (its payload
 * decoded by jwt_auth_token_decode_payload() into "doc" and claims->json)
 * against "rules".  Claims jwt_auth reads must have their type; "iss" must
 * equal the issuer and "aud" name the audience.
 */
TokenStatus
jwt_auth_claims_check(const JsDoc *doc, const TokenRules *rules,
					  TokenClaims *claims, const char **detail)
{
	const JsValue *v;
	TokenStatus st;
	bool		has_exp,
				has_nbf,
				has_iat;
	int64_t		exp = 0,
				nbf = 0,
				iat = 0;

	claims->foreign = rules->foreign;
	v = jwt_auth_js_get(doc, "sub");
	if (rules->foreign)
	{
		/*
		 * Another issuer's subject: any string of 1 to 255 bytes, kept as
		 * given, since subjects are compared case-sensitively.  It is a UUID
		 * only in canonical lower-case form, so that no two subjects are the
		 * same UUID.
		 */
		if (v == NULL || v->type != JS_STRING || v->len == 0 || v->len > TOKEN_MAX_NAME)
		{
			*detail = gettext_noop("The \"sub\" claim is not a string of 1 to 255 bytes.");
			return TOKEN_MALFORMED;
		}
		memcpy(claims->sub_text, v->str, v->len);
		claims->sub_text[v->len] = '\0';
		claims->sub_is_uuid = jwt_auth_codec_uuid_parse_canonical(v->str, v->len, claims->sub);
	}
	else
	{
		if (v == NULL || v->type != JS_STRING || !jwt_auth_codec_uuid_parse(v->str, v->len, claims->sub))
		{
			*detail = gettext_noop("The \"sub\" claim is not a UUID.");
			return TOKEN_MALFORMED;
		}
		claims->sub_is_uuid = true;
		jwt_auth_codec_uuid_format(claims->sub, claims->sub_text);
	}
	/* Another issuer's sessions are its own business: its "sid" is not read. */
	v = rules->foreign ? NULL : jwt_auth_js_get(doc, "sid");
	claims->has_sid = (v != NULL);
	if (v != NULL && (v->type != JS_STRING || !jwt_auth_codec_uuid_parse(v->str, v->len, claims->sid)))
	{
		*detail = gettext_noop("The \"sid\" claim is not a UUID.");
		return TOKEN_MALFORMED;
	}
	if (!get_date(doc, "exp", &has_exp, &exp))
	{
		*detail = gettext_noop("The \"exp\" claim is not an integer NumericDate.");
		return TOKEN_MALFORMED;
	}
	if (!has_exp)
	{
		*detail = gettext_noop("The token has no \"exp\" claim.");
		return TOKEN_MALFORMED;
	}
	if (!get_date(doc, "nbf", &has_nbf, &nbf))
	{
		*detail = gettext_noop("The \"nbf\" claim is not an integer NumericDate.");
		return TOKEN_MALFORMED;
	}
	if (!get_date(doc, "iat", &has_iat, &iat))
	{
		*detail = gettext_noop("The \"iat\" claim is not an integer NumericDate.");
		return TOKEN_MALFORMED;
	}

	/*
	 * The string claims jwt_auth issues must be strings in its own tokens; in
	 * another issuer's, claims jwt_auth does not use are not its business
	 * ("email": null, "role": ["admin"] are fine there).
	 */
	if (!optional_string(doc, "iss") ||
		(!rules->foreign && (!optional_string(doc, "email") ||
							 !optional_string(doc, "role") || !optional_string(doc, "jti"))))
	{
		*detail = gettext_noop("A string claim (\"iss\", \"email\", \"role\" or \"jti\") has another JSON type.");
		return TOKEN_MALFORMED;
	}

	v = jwt_auth_js_get(doc, "iss");
	if (v == NULL)
	{
		*detail = gettext_noop("The token has no \"iss\" claim.");
		return TOKEN_WRONG_ISSUER;
	}
	if (!jwt_auth_js_string_equals(v, rules->issuer))
	{
		*detail = gettext_noop("The \"iss\" claim does not equal the issuer setting in force.");
		return TOKEN_WRONG_ISSUER;
	}

	if (rules->audience != NULL)
	{
		st = check_audience(doc, rules->audience, rules->foreign, detail);
		if (st != TOKEN_OK)
			return st;
	}

	claims->exp = exp;
	claims->has_nbf = has_nbf;
	claims->nbf = nbf;
	claims->has_iat = has_iat;
	claims->iat = iat;
	st = jwt_auth_claims_check_times(claims, rules, detail);
	if (st != TOKEN_OK)
		return st;

	/*
	 * The lifetime the issuer gave the token, measured on its own clock from
	 * "iat" or "nbf"; without either, what is left of it, on ours.  It does
	 * not change as time passes (what is left only shrinks), so a token found
	 * in the cache need not be checked again.
	 */
	if (rules->max_lifetime > 0 &&
		exp - (has_iat ? iat : has_nbf ? nbf : rules->now) >
		rules->max_lifetime + (has_iat || has_nbf ? 0 : rules->leeway))
	{
		*detail = gettext_noop("The token is valid for longer than its issuer's max_lifetime allows.");
		return TOKEN_TOO_LONG_LIVED;
	}
	return TOKEN_OK;
}

/*
 * The checks of a token's validity that depend on the time: "exp" (unless
 * the rules ignore it), "nbf" and "iat", each with the leeway.
 */
TokenStatus
jwt_auth_claims_check_times(const TokenClaims *claims, const TokenRules *rules,
							const char **detail)
{
	if (!rules->ignore_expiry && rules->now >= claims->exp + rules->leeway)
	{
		*detail = gettext_noop("The time in the \"exp\" claim has passed.");
		return TOKEN_EXPIRED;
	}
	if (claims->has_nbf && rules->now + rules->leeway < claims->nbf)
	{
		*detail = gettext_noop("The time in the \"nbf\" claim has not come yet.");
		return TOKEN_NOT_YET_VALID;
	}
	if (claims->has_iat && rules->now + rules->leeway < claims->iat)
	{
		*detail = gettext_noop("The \"iat\" claim says the token was issued in the future.");
		return TOKEN_NOT_YET_VALID;
	}
	return TOKEN_OK;
}
