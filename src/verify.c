/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  auth.verify(token, is_local): check a token, set the identity.
 *
 * The key is chosen by the header's "kid" alone, and the header's "alg"
 * must then equal that key's algorithm exactly: the token never chooses how
 * it is checked.  Every refusal is SQLSTATE 28000 with a message naming the
 * cause; no part of the token is ever echoed into a message.
 *
 * src/verify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"
#include "utils/uuid.h"

#include "config.h"
#include "identity.h"
#include "jwt_auth.h"
#include "secrets.h"
#include "keys.h"
#include "sessions.h"
#include "tables.h"
#include "token.h"
#include "token_cache.h"
#include "verify.h"

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
		st = token_check_times(claims, &rules, &detail);
		if (st != TOKEN_OK)
			refuse(st, detail);
		return;
	}

	st = token_parse_header(data, len, &hdr, &detail);
	if (st != TOKEN_OK)
		refuse(st, detail);

	if (!hdr.has_kid)
		refuse_key("The token header has no \"kid\".");
	key = keys_find(hdr.kid);
	if (key == NULL)
		refuse_key("No key in auth.keys has the token's \"kid\", or it is retired.");
	if (strcmp(hdr.alg, key->alg) != 0)
		refuse(TOKEN_UNSUPPORTED, "The token's \"alg\" is not the algorithm of its key.");

	if (strcmp(key->alg, "HS256") == 0)
	{
		if (key->hmac == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("token key is unusable"),
					 errdetail("The key's secret is shorter than %d bytes.", TOKEN_MIN_SECRET)));
		st = token_check_hs256(data, &hdr, key->hmac, &detail);
	}
	else
		st = token_check_pkey(data, &hdr, key->public_key, &detail);
	if (st != TOKEN_OK)
		refuse(st, detail);

	st = token_check_claims(&hdr, &rules, claims, &detail);
	if (st != TOKEN_OK)
		refuse(st, detail);
	token_cache_store(data, len, &rules, claims);
}

static Datum
verify_impl(PG_FUNCTION_ARGS)
{
	bool		is_local = true;
	TokenClaims claims;
	pg_uuid_t  *result;

	/* auth.verify(token) is auth.verify(token, true). */
	if (PG_NARGS() > 1)
	{
		require_argument(fcinfo, 1, "is_local");
		is_local = PG_GETARG_BOOL(1);
	}

	check_token_argument(fcinfo, 0, false, &claims);

	/*
	 * The session must still be active.  A token without "sid" has no
	 * session to check: it is refused, unless the extension has not been
	 * updated to a version with sessions yet.
	 */
	if (config_get()->check_sessions)
	{
		if (claims.has_sid)
		{
			switch (session_state(claims.sid, claims.sub))
			{
				case SESSION_ACTIVE:
					break;
				case SESSION_REVOKED:
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 errmsg("token has been revoked"),
							 errdetail("Its session was ended: signed out, by a password change, with all of its "
									   "user's sessions, or after its refresh token was reused.")));
					break;
				case SESSION_EXPIRED:
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 errmsg("token's session has expired"),
							 errdetail("The session was not refreshed within refresh_ttl, or it was opened by "
									   "auth.signin() and lasted as long as its token."),
							 errhint("Sign in again.")));
					break;
				case SESSION_UNKNOWN:
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
							 errmsg("token's session does not exist"),
							 errdetail("No session of the token's user has its \"sid\": the session was purged, "
									   "or its user was deleted.")));
					break;
			}
		}
		else if (auth_table_exists("sessions"))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("token has no session"),
					 errdetail("The token has no \"sid\" claim, so whether its session has ended cannot be checked."),
					 errhint("Sign in again, or turn the setting check_sessions off for stateless tokens.")));
	}

	identity_set(claims.sub, claims.sub_text, claims.json, is_local);

	result = (pg_uuid_t *) palloc(sizeof(pg_uuid_t));
	memcpy(result->data, claims.sub, sizeof(result->data));
	PG_RETURN_UUID_P(result);
}

/* A verify that fails, for whatever reason, leaves no identity in force. */
PG_FUNCTION_INFO_V1(jwt_auth_verify);
Datum
jwt_auth_verify(PG_FUNCTION_ARGS)
{
	Datum		result = (Datum) 0;

	PG_TRY();
	{
		result = call_hiding_statement(verify_impl, fcinfo);
	}
	PG_CATCH();
	{
		identity_refused();
		PG_RE_THROW();
	}
	PG_END_TRY();
	return result;
}
