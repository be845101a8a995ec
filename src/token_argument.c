/*-------------------------------------------------------------------------
 *
 * token_argument.c
 *	  Checking a token passed to a SQL function (auth.verify(),
 *	  auth.signout()): size, header, key, signature, claims, times.
 *
 * The key is chosen by the header's "kid" alone, and the header's "alg"
 * must then equal that key's algorithm exactly: the token never chooses how
 * it is checked.  Every refusal is SQLSTATE 28000 with a message naming the
 * cause; no part of the token is ever echoed into a message.
 *
 * src/token_argument.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"

#include "callable.h"
#include "claims.h"
#include "config.h"
#include "issuers.h"
#include "keys.h"
#include "pg_compat.h"
#include "token.h"
#include "token_argument.h"
#include "token_cache.h"

/* The header of the last token checked here (see token.h). */
static TokenHeaderCache header_cache;

/* What each refusal of a token says, SQLSTATE 28000 for all. */
static const char *const status_messages[] = {
	[TOKEN_OK] = NULL,
	[TOKEN_MALFORMED] = gettext_noop("token is malformed"),
	[TOKEN_UNSUPPORTED] = gettext_noop("token uses an unsupported algorithm or header"),
	[TOKEN_BAD_SIGNATURE] = gettext_noop("token signature is invalid"),
	[TOKEN_EXPIRED] = gettext_noop("token has expired"),
	[TOKEN_NOT_YET_VALID] = gettext_noop("token is not yet valid"),
	[TOKEN_WRONG_ISSUER] = gettext_noop("token has the wrong issuer"),
	[TOKEN_WRONG_AUDIENCE] = gettext_noop("token has the wrong audience"),
};

/*
 * Check a token argument (signature, key, claims; the expiry unless
 * ignore_expiry) and fill "claims", or fail with 28000.  A token verified
 * before in this backend is found in the token cache and only its times are
 * checked again.
 */
void
jwt_auth_check_token_argument(FunctionCallInfo fcinfo, int argno, bool ignore_expiry,
					 TokenClaims *claims)
{
	text	   *token;
	const char *data;
	size_t		len;
	TokenHeader hdr;
	TokenRules	rules;
	TokenRules	own;			/* the rules of jwt_auth's own tokens, which
								 * the token cache is keyed by */
	const Settings *cfg;
	const JwtKey *key;
	static JsDoc doc;			/* large; verify does not nest */
	const JsValue *iss;
	const TrustedIssuer *trusted;
	int			issuer_index = 0;
	SignatureKey sigkey = {0};
	const char *detail = NULL;
	TokenStatus st;

	if (PG_ARGISNULL(argno))
		jwt_auth_refuse(gettext_noop("token is missing"), NULL);

	/* Bound the size before detoasting or decoding anything. */
	if (toast_raw_datum_size(PG_GETARG_DATUM(argno)) - VARHDRSZ > TOKEN_MAX_LENGTH)
		jwt_auth_refuse(status_messages[TOKEN_MALFORMED],
			   gettext_noop("The token is longer than 8192 bytes."));
	token = PG_GETARG_TEXT_PP(argno);
	data = VARDATA_ANY(token);
	len = VARSIZE_ANY_EXHDR(token);
	if (len == 0)
		jwt_auth_refuse(gettext_noop("token is missing"), NULL);

	cfg = jwt_auth_config_get();
	rules.now = jwt_auth_unix_now();
	rules.leeway = cfg->leeway;
	rules.issuer = cfg->issuer;
	rules.audience = cfg->audience;
	rules.ignore_expiry = ignore_expiry;
	rules.foreign = false;
	own = rules;

	if (jwt_auth_token_cache_lookup(data, len, &own, claims))
	{
		st = jwt_auth_claims_check_times(claims, &rules, &detail);
		if (st != TOKEN_OK)
			jwt_auth_refuse(status_messages[st], detail);
		return;
	}

	st = jwt_auth_token_parse_header(data, len, &header_cache, &hdr, &detail);
	if (st != TOKEN_OK)
		jwt_auth_refuse(status_messages[st], detail);

	if (!hdr.has_kid)
		jwt_auth_refuse(gettext_noop("token key is unknown"),
			   gettext_noop("The token header has no \"kid\"."));

	/*
	 * The issuer chooses the set of keys: a trusted issuer's own, by kid
	 * within that set only, or else jwt_auth's.  So the payload is decoded
	 * (by the strict parser, bounded) before the signature is checked.
	 */
	if (!jwt_auth_token_decode_payload(&hdr, claims->json, &claims->json_len, &doc, &detail))
		jwt_auth_refuse(status_messages[TOKEN_MALFORMED], detail);
	iss = jwt_auth_js_get(&doc, "iss");
	if (iss != NULL && iss->type == JS_STRING && !jwt_auth_js_string_equals(iss, cfg->issuer) &&
		(trusted = jwt_auth_issuers_find(iss->str, iss->len, &issuer_index)) != NULL)
	{
		const IssuerKey *ik = jwt_auth_issuers_key(issuer_index, hdr.kid);

		if (ik == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("token key is unknown"),
					 errdetail("The token's issuer has no trusted key with its \"kid\"."),
					 errhint("Pass the issuer's current JWKS to auth.trust_issuer().")));
		if (jwt_auth_signature_alg(hdr.alg) != ik->alg)
			jwt_auth_refuse(status_messages[TOKEN_UNSUPPORTED],
				   gettext_noop("The token's \"alg\" is not the algorithm of its key."));
		sigkey.alg = ik->alg;
		sigkey.pkey = ik->pkey;
		rules.issuer = trusted->issuer;
		rules.audience = trusted->has_audience ? trusted->audience : NULL;
		rules.foreign = true;
	}
	else
	{
		if (iss != NULL && iss->type == JS_STRING && !jwt_auth_js_string_equals(iss, cfg->issuer))
			jwt_auth_refuse(status_messages[TOKEN_WRONG_ISSUER],
				   gettext_noop("The \"iss\" claim names neither the issuer setting in force nor a trusted issuer."));
		key = jwt_auth_keys_find(hdr.kid);
		if (key == NULL)
			jwt_auth_refuse(gettext_noop("token key is unknown"),
				   gettext_noop("No key in auth.keys has the token's \"kid\", or it is retired."));
		if (jwt_auth_signature_alg(hdr.alg) != jwt_auth_signature_alg(key->alg))
			jwt_auth_refuse(status_messages[TOKEN_UNSUPPORTED],
				   gettext_noop("The token's \"alg\" is not the algorithm of its key."));
		if (strcmp(key->alg, "HS256") == 0 && key->hmac == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("token key is unusable"),
					 errdetail("The key's secret is shorter than %d bytes.", HMAC_MIN_SECRET)));
		sigkey.alg = jwt_auth_signature_alg(key->alg);
		sigkey.hmac = key->hmac;
		sigkey.pkey = key->public_key;
	}
	st = jwt_auth_token_check_signature(data, &hdr, &sigkey, &detail);
	if (st != TOKEN_OK)
		jwt_auth_refuse(status_messages[st], detail);

	st = jwt_auth_claims_check(&doc, &rules, claims, &detail);
	if (st != TOKEN_OK)
		jwt_auth_refuse(status_messages[st], detail);
	jwt_auth_token_cache_store(data, len, &own, claims);
}
