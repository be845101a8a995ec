/*-------------------------------------------------------------------------
 *
 * change_password.c
 *	  auth.change_password(old, new): the verified user changes their
 *	  password, every other session of theirs ends, and (from 1.2) every
 *	  one-time token made for them is void.
 *
 * It runs as SECURITY DEFINER with a fixed search_path, for the identity
 * auth.verify() set in this transaction, and takes effect for every backend
 * as soon as the caller's transaction commits.
 *
 * src/change_password.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "account_token.h"
#include "callable.h"
#include "config.h"
#include "db.h"
#include "identity.h"
#include "password.h"
#include "reauthenticate.h"
#include "session_store.h"
#include "pg_compat.h"
#include "secrets.h"

/* Only if the hash is still the one checked: else the password changed meanwhile. */
static DbQuery set_password = {
	.sql = "UPDATE auth.users SET password_hash = $2, updated_at = pg_catalog.now() "
	"WHERE id OPERATOR(pg_catalog.=) $1 AND password_hash OPERATOR(pg_catalog.=) $3",
	.tables = {"users"},
	.nargs = 3,
	.argtypes = {UUIDOID, TEXTOID, TEXTOID},
	.expect = SPI_OK_UPDATE,
};

static Datum
change_password_impl(PG_FUNCTION_ARGS)
{
	pg_uuid_t	uid;
	text	   *sid = jwt_auth_claim_text("sid");
	text	   *new_password;
	char	   *stored;
	Datum		args[3];
	uint64		ended;

	jwt_auth_db_require_version(DB_VERSION_1_1);
	jwt_auth_require_argument(fcinfo, 0, "old_password");
	jwt_auth_require_argument(fcinfo, 1, "new_password");
	jwt_auth_identity_require_account(&uid);
	jwt_auth_require_writable("auth.change_password()", NULL);
	new_password = jwt_auth_password_check_rules(PG_GETARG_DATUM(1));

	args[0] = UUIDPGetDatum(&uid);
	jwt_auth_db_connect();
	stored = jwt_auth_reauthenticate(args[0], PG_GETARG_DATUM(0));

	args[1] = CStringGetTextDatum(jwt_auth_password_hash(new_password, jwt_auth_config_get()->bcrypt_cost));
	args[2] = CStringGetTextDatum(stored);
	if (jwt_auth_db_run(&set_password, args, NULL, NULL) != 1)
		jwt_auth_reauthenticate_refuse_changed();

	/* Whoever knew the old password is out, and their pending tokens void. */
	ended = jwt_auth_session_end_all(args[0], sid ? text_to_cstring(sid) : NULL);
	if (jwt_auth_db_version() >= DB_VERSION_1_2)
		jwt_auth_account_tokens_void(args[0]);
	jwt_auth_db_finish();
	PG_RETURN_INT32((int32) Min(ended, PG_INT32_MAX));
}

PG_FUNCTION_INFO_V1(jwt_auth_change_password);
Datum
jwt_auth_change_password(PG_FUNCTION_ARGS)
{
	return jwt_auth_call_hiding_statement(change_password_impl, fcinfo);
}
