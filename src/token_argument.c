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
#include "keys.h"
#include "token.h"
#include "token_argument.h"
#include "token_cache.h"

/* The header of the last token checked here (see token.h). */
static TokenHeaderCache header_cache;

static void
refuse(TokenStatus st, const char *detail)
{
	const char *msg;

	switch (st)
	{
		case TOKEN_BAD_SIGNATURE:
			msg = "token signature is invalid";
			break;
		case TOKEN_EXPIRED:
			msg = "token has expired";
			break;
		case TOKEN_NOT_YET_VALID:
			msg = "token is not yet valid";
			break;
		case TOKEN_WRONG_ISSUER:
			msg = "token has the wrong issuer";
			break;
		case TOKEN_WRONG_AUDIENCE:
			msg = "token has the wrong audience";
			break;
		case TOKEN_UNSUPPORTED:
			msg = "token uses an unsupported algorithm or header";
			break;
		default:
			msg = "token is malformed";
			break;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg_internal("%s", msg),
			 detail ? errdetail_internal("%s", detail) : 0));
}

static void
refuse_key(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("token key is unknown"),
			 errdetail_internal("%s", detail)));
}

/*
 * Check a token argument (signature, key, claims; the expiry unless
 * ignore_expiry) and fill "claims", or fail with 28000.  A token verified
 * before in this backend is found in the token cache and only its times are
 * checked again.
 */
void
check_token_argument(FunctionCallInfo fcinfo, int argno, bool ignore_expiry,
					 TokenClaims *claims)
{
	text	   *token;
	const char *data;
	size_t		len;
	TokenHeader hdr;
	TokenRules	rules;
	const Settings *cfg;
	const JwtKey *key;
	SignatureKey sigkey;
	const char *detail = NULL;
	TokenStatus st;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("token is missing")));

	/* Bound the size before detoasting or decoding anything. */
	if (toast_raw_datum_size(PG_GETARG_DATUM(argno)) - VARHDRSZ > TOKEN_MAX_LENGTH)
		refuse(TOKEN_MALFORMED, "The token is longer than 8192 bytes.");
	token = PG_GETARG_TEXT_PP(argno);
	data = VARDATA_ANY(token);
	len = VARSIZE_ANY_EXHDR(token);
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("token is missing")));

	cfg = config_get();
	rules.now = unix_now();
	rules.leeway = cfg->leeway;
	rules.issuer = cfg->issuer;
	rules.audience = cfg->audience;
	rules.ignore_expiry = ignore_expiry;

	if (token_cache_lookup(data, len, &rules, claims))
	{
		st = claims_check_times(claims, &rules, &detail);
		if (st != TOKEN_OK)
			refuse(st, detail);
		return;
	}

	st = token_parse_header(data, len, &header_cache, &hdr, &detail);
	if (st != TOKEN_OK)
		refuse(st, detail);

	if (!hdr.has_kid)
		refuse_key("The token header has no \"kid\".");
	key = keys_find(hdr.kid);
	if (key == NULL)
		refuse_key("No key in auth.keys has the token's \"kid\", or it is retired.");
	if (strcmp(hdr.alg, key->alg) != 0)
		refuse(TOKEN_UNSUPPORTED, "The token's \"alg\" is not the algorithm of its key.");

	if (strcmp(key->alg, "HS256") == 0 && key->hmac == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("token key is unusable"),
				 errdetail("The key's secret is shorter than %d bytes.", HMAC_MIN_SECRET)));
	sigkey.alg = signature_alg(key->alg);
	sigkey.hmac = key->hmac;
	sigkey.pkey = key->public_key;
	st = token_check_signature(data, &hdr, &sigkey, &detail);
	if (st != TOKEN_OK)
		refuse(st, detail);

	st = claims_check(&hdr, &rules, claims, &detail);
	if (st != TOKEN_OK)
		refuse(st, detail);
	token_cache_store(data, len, &rules, claims);
}
