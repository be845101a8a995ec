/*-------------------------------------------------------------------------
 *
 * access_token.c
 *	  Issuing jwt_auth's own access tokens: the claims, under the settings
 *	  in force, signed with the newest key (auth.signin(),
 *	  auth.signin_session() and auth.refresh() all issue them).
 *
 * src/access_token.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "access_token.h"
#include "callable.h"
#include "config.h"
#include "keys.h"
#include "random.h"
#include "jose/token.h"

static void
add_string(StringInfo buf, const char *name, const char *value)
{
	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	escape_json(buf, name);
	appendStringInfoChar(buf, ':');
	escape_json(buf, value);
}

static void
add_number(StringInfo buf, const char *name, int64 value)
{
	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	escape_json(buf, name);
	appendStringInfo(buf, ":" INT64_FORMAT, value);
}

/*
 * Sign an access token for the user with the newest key; its expiry goes
 * to *expires_at.  session_id may be NULL (no "sid" claim); email_verified
 * is EMAIL_VERIFIED_UNKNOWN in a database before 1.2 (no such claim).
 */
text *
jwt_auth_issue_access_token(const char *user_id, const char *email, EmailVerified email_verified,
							const char *session_id, TimestampTz *expires_at)
{
	const JwtKey *key = jwt_auth_keys_signing_key();
	const Settings *cfg = jwt_auth_config_get();
	StringInfoData claims;
	char		jti[37];
	int64		now = jwt_auth_unix_now();
	char		signed_token[TOKEN_MAX_LENGTH + 1];
	size_t		len;
	SignatureKey sigkey = {0};

	if (key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no signing key is available"),
				 errdetail("auth.keys holds no key that is not retired."),
				 errhint("Create one with auth.rotate_key().")));
	sigkey.alg = key->alg;
	sigkey.hmac = key->hmac;
	sigkey.pkey = NULL;
	if (key->alg != SIG_HS256)
	{
		sigkey.pkey = jwt_auth_keys_private_key(key);
		if (sigkey.pkey == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("signing key is unusable"),
					 errdetail("The private key of the newest key does not parse or does not fit %s.",
							   jwt_auth_signature_alg_name(key->alg))));
	}

	jwt_auth_random_uuid(jti);
	initStringInfo(&claims);
	appendStringInfoChar(&claims, '{');
	add_string(&claims, "iss", cfg->issuer);
	add_string(&claims, "aud", cfg->audience);
	add_string(&claims, "sub", user_id);
	add_string(&claims, "email", email);
	if (email_verified != EMAIL_VERIFIED_UNKNOWN)
	{
		appendStringInfoString(&claims, ",\"email_verified\":");
		appendStringInfoString(&claims, email_verified == EMAIL_VERIFIED_YES ? "true" : "false");
	}
	add_string(&claims, "role", "authenticated");
	add_number(&claims, "iat", now);
	add_number(&claims, "exp", now + cfg->token_ttl);
	if (session_id != NULL)
		add_string(&claims, "sid", session_id);
	add_string(&claims, "jti", jti);
	appendStringInfoChar(&claims, '}');

	len = jwt_auth_token_sign(&sigkey, key->kid, claims.data, signed_token, sizeof(signed_token));
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not sign token"),
				 errdetail("The token would be longer than %d bytes, or the key is unusable.",
						   TOKEN_MAX_LENGTH)));
	pfree(claims.data);
	if (expires_at != NULL)
		*expires_at = time_t_to_timestamptz((pg_time_t) (now + cfg->token_ttl));
	return cstring_to_text_with_len(signed_token, len);
}
