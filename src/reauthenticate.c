/*-------------------------------------------------------------------------
 *
 * reauthenticate.c
 *	  The verified user's password, asked again before a change that an
 *	  access token alone must not allow (auth.change_password(),
 *	  auth.delete_account()).
 *
 * Guesses are throttled as sign-ins of the user's email are, so that a
 * stolen access token does not allow unlimited guesses, and the password
 * is checked before any row is locked, so that a guess does not hold up the
 * user's sign-ins for the length of a hash.  The caller acts only if the
 * hash is still the one checked: otherwise the password changed meanwhile.
 *
 * src/reauthenticate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "config.h"
#include "db.h"
#include "password.h"
#include "pg_compat.h"
#include "reauthenticate.h"
#include "throttle.h"

static DbQuery find_user = {
	.sql = "SELECT email, password_hash FROM auth.users WHERE id OPERATOR(pg_catalog.=) $1",
	.tables = {"users"},
	.nargs = 1,
	.argtypes = {UUIDOID},
	.expect = SPI_OK_SELECT,
};

pg_noreturn static void
refuse(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PASSWORD),
			 errmsg("invalid password"),
			 detail != NULL ? errdetail_internal("%s", _(detail)) : 0));
}

/*
 * The caller's change found another hash than the one checked: refuse it
 * as a wrong password would be.
 */
void
jwt_auth_reauthenticate_refuse_changed(void)
{
	refuse(gettext_noop("The password was changed by another transaction meanwhile."));
}

/*
 * Check "password" (a text argument, not NULL) against the stored hash of
 * the user (a uuid), between jwt_auth_db_connect() and
 * jwt_auth_db_finish(); return that hash, or fail with 28P01.
 */
char *
jwt_auth_reauthenticate(Datum user_id, Datum password)
{
	char	   *stored = NULL;
	char	   *email = NULL;
	ThrottleKey throttled = {0};
	DbResult	r;
	bool		isnull;

	if (!jwt_auth_password_size_ok(password))
		refuse(NULL);
	if (jwt_auth_db_run(&find_user, &user_id, NULL, &r) == 1)
	{
		email = TextDatumGetCString(jwt_auth_db_value(&r, 0, 0, &isnull));
		stored = TextDatumGetCString(jwt_auth_db_value(&r, 0, 1, &isnull));
	}
	if (email != NULL)
		jwt_auth_throttle_attempt(email, strlen(email), &throttled);
	if (!jwt_auth_password_matches(DatumGetTextPP(password), stored, jwt_auth_config_get()->bcrypt_cost))
		refuse(NULL);
	jwt_auth_throttle_success(&throttled);
	return stored;
}
