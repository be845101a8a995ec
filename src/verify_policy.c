/*-------------------------------------------------------------------------
 *
 * verify_policy.c
 *	  The verification policy: how a token passed to a SQL function
 *	  (auth.verify(), auth.signout()) is checked: size, header, which key,
 *	  signature, claims, times.
 *
 * The issuer selects the set of keys, the header's "kid" the key within
 * it, and the header's "alg" must then equal that key's algorithm exactly:
 * the token never chooses how it is checked.  Every refusal is SQLSTATE
 * 28000 with a message naming the cause; no part of the token is ever
 * echoed into a message.
 *
 * src/verify_policy.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"

#include "callable.h"
#include "config.h"
#include "issuers.h"
#include "jose/claims.h"
#include "jose/token.h"
#include "keys.h"
#include "pg_compat.h"
#include "token_cache.h"
#include "verify_policy.h"

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
	[TOKEN_TOO_LONG_LIVED] = gettext_noop("token lifetime is too long"),
};

/*
 * Refuse a token for "st", with "detail", a fixed sentence of the ground
 * floor (or NULL), as the detail.
 */
pg_noreturn static void
refuse_status(TokenStatus st, const char *detail)
{
	if (detail != NULL)
		jwt_auth_refuse(status_messages[st], "%s", _(detail));
	jwt_auth_refuse(status_messages[st], NULL);
}

/*
 * The policy: which key checks a token, and by which rules its claims are
 * checked.  The issuer chooses the set of keys: a trusted issuer's own (and
 * its issuer and audience rules), by kid within that set only, or else
 * jwt_auth's.  So the payload is decoded (by the strict parser, bounded)
 * before the signature is checked.  The header's "alg" must then be the
 * algorithm of the key the kid names, exactly.
 */
static void
choose_key(const TokenHeader *hdr, const JsDoc *doc, const Settings *cfg,
		   SignatureKey *sigkey, TokenRules *rules)
{
	const JsValue *iss = jwt_auth_js_get(doc, "iss");
	bool		other_issuer = iss != NULL && iss->type == JS_STRING &&
		!jwt_auth_js_string_equals(iss, cfg->issuer);
	const TrustedIssuer *trusted;
	int			issuer_index = 0;
	const JwtKey *key;

	if (other_issuer &&
		(trusted = jwt_auth_issuers_find(iss->str, iss->len, &issuer_index)) != NULL)
	{
		const IssuerKey *ik = jwt_auth_issuers_key(issuer_index, hdr->kid);

		if (ik == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("token key is unknown"),
					 errdetail("The token's issuer has no trusted key with its \"kid\"."),
					 errhint("Pass the issuer's current JWKS to auth.trust_issuer().")));
		if (jwt_auth_signature_alg(hdr->alg) != ik->alg)
			jwt_auth_refuse(status_messages[TOKEN_UNSUPPORTED],
							gettext_noop("The token's \"alg\" is not the algorithm of its key."));
		sigkey->alg = ik->alg;
		sigkey->pkey = ik->pkey;
		rules->issuer = trusted->issuer;
		rules->audience = trusted->has_audience ? trusted->audience : NULL;
		rules->foreign = true;
		rules->max_lifetime = trusted->max_lifetime;
		return;
	}
	if (other_issuer)
		jwt_auth_refuse(status_messages[TOKEN_WRONG_ISSUER],
						gettext_noop("The \"iss\" claim names neither the issuer setting in force nor a trusted issuer."));
	key = jwt_auth_keys_find(hdr->kid);
	if (key == NULL)
		jwt_auth_refuse(gettext_noop("token key is unknown"),
						gettext_noop("No key in auth.keys has the token's \"kid\", or it is retired."));
	if (jwt_auth_signature_alg(hdr->alg) != key->alg)
		jwt_auth_refuse(status_messages[TOKEN_UNSUPPORTED],
						gettext_noop("The token's \"alg\" is not the algorithm of its key."));
	if (key->alg == SIG_HS256 && key->hmac == NULL)
		jwt_auth_refuse(gettext_noop("token key is unusable"),
						gettext_noop("The key's secret is shorter than %d bytes."), HMAC_MIN_SECRET);
	sigkey->alg = key->alg;
	sigkey->hmac = key->hmac;
	sigkey->pkey = key->public_key;
}

/*
 * Check a token argument (signature, key, claims; the expiry unless
 * ignore_expiry) and fill "claims", or fail with 28000.  A token verified
 * before in this backend is found in the token cache and only its times are
 * checked again.
 */
void
jwt_auth_verify_policy_check(FunctionCallInfo fcinfo, int argno, bool ignore_expiry,
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
	static JsDoc doc;			/* large; verify does not nest */
	SignatureKey sigkey = {0};
	const char *detail = NULL;
	TokenStatus st;

	if (PG_ARGISNULL(argno))
		jwt_auth_refuse(gettext_noop("token is missing"), NULL);

	/* Bound the size before detoasting or decoding anything. */
	if (toast_raw_datum_size(PG_GETARG_DATUM(argno)) - VARHDRSZ > TOKEN_MAX_LENGTH)
		jwt_auth_refuse(status_messages[TOKEN_MALFORMED],
						gettext_noop("The token is longer than %d bytes."), TOKEN_MAX_LENGTH);
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
	rules.max_lifetime = 0;
	own = rules;

	if (jwt_auth_token_cache_lookup(data, len, &own, claims))
	{
		st = jwt_auth_claims_check_times(claims, &rules, &detail);
		if (st != TOKEN_OK)
			refuse_status(st, detail);
		return;
	}

	st = jwt_auth_token_parse_header(data, len, &header_cache, &hdr, &detail);
	if (st != TOKEN_OK)
		refuse_status(st, detail);

	if (!hdr.has_kid)
		jwt_auth_refuse(gettext_noop("token key is unknown"),
						gettext_noop("The token header has no \"kid\"."));

	if (!jwt_auth_token_decode_payload(&hdr, claims->json, &claims->json_len, &doc, &detail))
		refuse_status(TOKEN_MALFORMED, detail);
	choose_key(&hdr, &doc, cfg, &sigkey, &rules);
	st = jwt_auth_token_check_signature(data, &hdr, &sigkey, &detail);
	if (st != TOKEN_OK)
		refuse_status(st, detail);

	st = jwt_auth_claims_check(&doc, &rules, claims, &detail);
	if (st != TOKEN_OK)
		refuse_status(st, detail);
	jwt_auth_token_cache_store(data, len, &own, claims);
}
