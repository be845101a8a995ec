/*-------------------------------------------------------------------------
 *
 * jwt_auth.c
 *	  Entry point of the jwt_auth extension: authentication and a verified
 *	  identity for row-level security, inside PostgreSQL.
 *
 * This file holds the module magic and _PG_init() alone.  Where things live:
 *	  memory.c         the "jwt_auth" memory context the caches live under
 *	  callable.c       what every SQL function checks first; the clock
 *	  invalidation.c   the relcache callback and the cache triggers' body
 *	  guc.c            the jwt_auth.* settings of the server
 *	  config.c         per-database settings: auth.configure(), auth.configuration()
 *	  tables.c         finding and reading the auth.* tables safely
 *	  secrets.c        keeping passwords and tokens out of errors and the log
 *	  identity.c       the verified identity and auth.uid(), auth.jwt(), ...
 *	  keys.c           the keys in auth.keys, cached per backend
 *	  key_admin.c      auth.rotate_key(), auth.import_key()
 *	  jwks.c           auth.jwks()
 *	  codec.c          base64url and UUID text (no server code)
 *	  json_strict.c    the strict JSON parser (no server code)
 *	  mac.c            HMAC-SHA256 with a key prepared once (no server code)
 *	  signature.c      making and checking signatures per algorithm (no server code)
 *	  token.c          a JWT's compact form: parsing, signature, signing (no server code)
 *	  claims.c         checking the claims of a signed JWT (no server code)
 *	  token_cache.c    tokens this backend has verified
 *	  token_argument.c checking a token passed to a SQL function
 *	  access_token.c   issuing access tokens
 *	  session_store.c  opening a session (a row of auth.sessions)
 *	  session_check.c  whether a token's session is active: the session cache
 *	  session_lookup.c reading a session by primary key, with a fresh snapshot
 *	  session_scan.c   the table and scan the look-ups of a query share
 *	  refresh_token.c  issuing refresh tokens and hashing them
 *	  revocation.c     ending a session in a transaction of its own
 *	  email.c          email normalisation and validation
 *	  password.c       password rules and bcrypt hashing through pgcrypto
 *	  throttle.c       throttling of failed sign-ins: the counting rules
 *	  throttle_file.c  the throttling table, a file every backend maps
 *	  signup.c, signin.c, verify.c, refresh.c, signout.c, change_password.c
 *	                   the SQL functions they are named after
 *
 * src/jwt_auth.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "config.h"
#include "guc.h"
#include "identity.h"
#include "invalidation.h"
#include "keys.h"
#include "pg_compat.h"
#include "secrets.h"
#include "session_check.h"
#include "session_scan.h"
#include "throttle_file.h"

#ifdef PG_MODULE_MAGIC_EXT
PG_MODULE_MAGIC_EXT(.name = "jwt_auth", .version = "1.1");
#else
PG_MODULE_MAGIC;
#endif

void		_PG_init(void);

void
_PG_init(void)
{
	guc_init();
	identity_init();
	throttle_file_init();
	secrets_init();
	invalidation_init();
	invalidation_watch(keys_invalidate);
	invalidation_watch(sessions_invalidate);
	session_scan_init();
	invalidation_watch(config_invalidate);
	MarkGUCPrefixReserved("jwt_auth");
}
