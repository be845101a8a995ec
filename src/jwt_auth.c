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
	invalidation_watch(issuers_invalidate);
	MarkGUCPrefixReserved("jwt_auth");
}
