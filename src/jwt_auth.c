/*-------------------------------------------------------------------------
 *
 * jwt_auth.c
 *	  Entry point of the jwt_auth extension: authentication and a verified
 *	  identity for row-level security, inside PostgreSQL.
 *
 * This file holds the module magic and _PG_init() alone, which hands each
 * unit its set-up.  src/README.md says where everything else lives.
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
#include "issuers.h"
#include "keys.h"
#include "pg_compat.h"
#include "secrets.h"
#include "session_check.h"
#include "session_scan.h"
#include "throttle_file.h"

/* PostgreSQL 18 and later show the name and version in pg_get_loaded_modules(). */
#ifdef PG_MODULE_MAGIC_EXT
PG_MODULE_MAGIC_EXT(
					.name = "jwt_auth",
					.version = JWT_AUTH_VERSION
);
#else
PG_MODULE_MAGIC;
#endif

extern PGDLLEXPORT void _PG_init(void);

void
_PG_init(void)
{
	jwt_auth_guc_init();
	jwt_auth_identity_init();
	jwt_auth_throttle_file_init();
	jwt_auth_secrets_init();
	jwt_auth_invalidation_init();
	jwt_auth_invalidation_watch(jwt_auth_keys_invalidate);
	jwt_auth_invalidation_watch(jwt_auth_sessions_invalidate);
	jwt_auth_session_scan_init();
	jwt_auth_invalidation_watch(jwt_auth_config_invalidate);
	jwt_auth_invalidation_watch(jwt_auth_issuers_invalidate);
	MarkGUCPrefixReserved("jwt_auth");
}
