/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  The settings that shape issued and accepted tokens.
 *
 * Every setting here is PGC_SUSET: an application role must not give itself
 * longer-lived tokens, a wider clock leeway or a cheaper password hash.  A
 * superuser sets them (postgresql.conf, ALTER DATABASE/ROLE ... SET), or
 * grants SET on one of them to a role, which then holds cluster-wide.
 *
 * The identity settings (jwt_auth.user_id, jwt_auth.claims) live with their
 * feature in identity.c.
 *
 * src/guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "guc.h"
#include "token.h"

int			jwt_auth_token_ttl = 3600;
int			jwt_auth_leeway = 30;
int			jwt_auth_bcrypt_cost = 12;
int			jwt_auth_refresh_ttl = 30 * 24 * 3600;
bool		jwt_auth_check_sessions = true;
char	   *jwt_auth_issuer = NULL;
char	   *jwt_auth_audience = NULL;
int			jwt_auth_cache_size = 1024;

/* Issuer and audience: 1 to 255 bytes, no control characters. */
static bool
check_name(char **newval, void **extra, GucSource source)
{
	const unsigned char *p = (const unsigned char *) *newval;
	size_t		len;

	if (p == NULL || *p == '\0')
	{
		GUC_check_errdetail("The value must not be empty.");
		return false;
	}
	len = strlen(*newval);
	if (len > TOKEN_MAX_NAME)
	{
		GUC_check_errdetail("The value must be at most %d bytes long.", TOKEN_MAX_NAME);
		return false;
	}
	for (; *p; p++)
	{
		if (*p < 0x20 || *p == 0x7f)
		{
			GUC_check_errdetail("The value must not contain control characters.");
			return false;
		}
	}
	return true;
}

void
guc_init(void)
{
	DefineCustomIntVariable("jwt_auth.token_ttl",
							"Lifetime of the tokens that auth.signin() issues.",
							NULL,
							&jwt_auth_token_ttl,
							3600, 1, 7 * 24 * 3600,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("jwt_auth.refresh_ttl",
							"Lifetime of a session that auth.signin_session() opens, renewed by each refresh.",
							NULL,
							&jwt_auth_refresh_ttl,
							30 * 24 * 3600, 60, 365 * 24 * 3600,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("jwt_auth.check_sessions",
							 "Whether auth.verify() refuses tokens whose session has ended.",
							 "Off makes verification stateless: a token then stays valid until it expires, "
							 "whatever happens to its session or its user.",
							 &jwt_auth_check_sessions,
							 true,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("jwt_auth.leeway",
							"Clock skew tolerated when checking exp, nbf and iat.",
							NULL,
							&jwt_auth_leeway,
							30, 0, 300,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("jwt_auth.bcrypt_cost",
							"Cost factor of the bcrypt hash of new passwords.",
							"Each step doubles the time of a signup and a signin.",
							&jwt_auth_bcrypt_cost,
							12, 10, 20,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("jwt_auth.issuer",
							   "Value of the iss claim issued and required.",
							   NULL,
							   &jwt_auth_issuer,
							   "jwt_auth",
							   PGC_SUSET, 0,
							   check_name, NULL, NULL);

	DefineCustomStringVariable("jwt_auth.audience",
							   "Value of the aud claim issued and required.",
							   NULL,
							   &jwt_auth_audience,
							   "authenticated",
							   PGC_SUSET, 0,
							   check_name, NULL, NULL);

	DefineCustomIntVariable("jwt_auth.cache_size",
							"Verified tokens, and active sessions, each backend keeps in memory.",
							"A cached token still has its expiry and its session checked on every call. "
							"0 turns both caches off.",
							&jwt_auth_cache_size,
							1024, 0, 16384,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}
