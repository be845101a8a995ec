/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  The settings that shape issued and accepted tokens.
 *
 * Every setting here is PGC_SUSET: an application role must not give itself
 * longer-lived tokens, a wider clock leeway or a cheaper password hash.  A
 * superuser sets them (postgresql.conf, ALTER DATABASE/ROLE ... SET), and
 * they are the server's defaults.  The owner of the extension in a database
 * overrides them there with auth.configure() (config.c), which checks values
 * with the same names, units and ranges: guc_setting_defs describes them
 * once for both.
 *
 * The identity settings (jwt_auth.user_id, jwt_auth.claims) live with their
 * feature in identity.c, jwt_auth.throttle_size in throttle.c.
 *
 * src/guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stddef.h>

#include "utils/builtins.h"
#include "utils/guc.h"

#include "guc.h"
#include "jose/token.h"

/* The GUCs' values; DefineCustom*Variable() sets their defaults. */
Settings	jwt_auth_guc_settings;

/* Bumped by every assignment of one of them (their assign hooks). */
uint64		jwt_auth_guc_settings_generation = 1;

static void
assign_int(int newval, void *extra)
{
	jwt_auth_guc_settings_generation++;
}

static void
assign_bool(bool newval, void *extra)
{
	jwt_auth_guc_settings_generation++;
}

static void
assign_name(const char *newval, void *extra)
{
	jwt_auth_guc_settings_generation++;
}
int			jwt_auth_cache_size = 1024;

#define DAY (24 * 3600)
#define S(field) offsetof(Settings, field)

/*
 * In the order auth.configuration() lists them; sized by its entries, so
 * that a count other than SETTINGS_COUNT does not compile.
 */
const SettingDef jwt_auth_guc_setting_defs[] = {
	{
		"token_ttl", SETTING_INT, S(token_ttl), 1, 7 * DAY, GUC_UNIT_S, 3600, NULL,
		"Lifetime of the tokens that auth.signin() issues.", NULL
	},
	{
		"refresh_ttl", SETTING_INT, S(refresh_ttl), 60, 365 * DAY, GUC_UNIT_S, 30 * DAY, NULL,
		"Lifetime of a session that auth.signin_session() opens, renewed by each refresh.", NULL
	},
	{
		"issuer", SETTING_NAME, S(issuer), 0, 0, 0, 0, "jwt_auth",
		"Value of the iss claim issued and required.", NULL
	},
	{
		"audience", SETTING_NAME, S(audience), 0, 0, 0, 0, "authenticated",
		"Value of the aud claim issued and required.", NULL
	},
	{
		"leeway", SETTING_INT, S(leeway), 0, 300, GUC_UNIT_S, 30, NULL,
		"Clock skew tolerated when checking exp, nbf and iat.", NULL
	},
	{
		"bcrypt_cost", SETTING_INT, S(bcrypt_cost), 10, 20, 0, 12, NULL,
		"Cost factor of the bcrypt hash of new passwords.",
		"Each step doubles the time of a signup and a signin."
	},
	{
		"max_failed_signins", SETTING_INT, S(max_failed_signins), 0, 1000, 0, 5, NULL,
		"Failed sign-ins for one email before it is locked for a while.",
		"0 turns throttling off."
	},
	{
		"signin_lockout", SETTING_INT, S(signin_lockout), 30, DAY, GUC_UNIT_S, 900, NULL,
		"Longest lock of an email after failed sign-ins, and how long failures are remembered.", NULL
	},
	{
		"check_sessions", SETTING_BOOL, S(check_sessions), 0, 0, 0, true, NULL,
		"Whether auth.verify() refuses tokens whose session has ended.",
		"Off makes verification stateless: a token then stays valid until it expires, "
		"whatever happens to its session or its user."
	},
	{
		"reset_ttl", SETTING_INT, S(reset_ttl), 1, DAY, GUC_UNIT_S, 900, NULL,
		"Lifetime of the tokens that auth.request_password_reset() makes.", NULL
	},
	{
		"verification_ttl", SETTING_INT, S(verification_ttl), 1, 7 * DAY, GUC_UNIT_S, DAY, NULL,
		"Lifetime of the tokens that auth.request_email_verification() and auth.request_email_change() make.",
		NULL
	},
	{
		"require_verified_email", SETTING_BOOL, S(require_verified_email), 0, 0, 0, false, NULL,
		"Whether auth.signin() refuses an account whose email is not verified.", NULL
	},
};

#define FIELD(s, def, type) ((type *) ((char *) (s) + (def)->offset))

/* What is wrong with an issuer or audience, or NULL: 1 to 255 bytes, no control characters. */
static const char *
name_problem(const char *value)
{
	if (value == NULL || *value == '\0')
		return "The value must not be empty.";
	if (strlen(value) > TOKEN_MAX_NAME)
		return psprintf("The value must be at most %d bytes long.", TOKEN_MAX_NAME);
	for (const unsigned char *p = (const unsigned char *) value; *p; p++)
	{
		if (*p < 0x20 || *p == 0x7f)
			return "The value must not contain control characters.";
	}
	return NULL;
}

static bool
check_name(char **newval, void **extra, GucSource source)
{
	const char *problem = name_problem(*newval);

	if (problem != NULL)
		GUC_check_errdetail("%s", problem);
	return problem == NULL;
}

const SettingDef *
jwt_auth_guc_setting_find(const char *name)
{
	for (int i = 0; i < SETTINGS_COUNT; i++)
	{
		if (strcmp(jwt_auth_guc_setting_defs[i].name, name) == 0)
			return &jwt_auth_guc_setting_defs[i];
	}
	return NULL;
}

/* A number of seconds as SHOW prints it: in the largest unit that divides it. */
static char *
format_seconds(int secs)
{
	if (secs != 0 && secs % DAY == 0)
		return psprintf("%dd", secs / DAY);
	if (secs != 0 && secs % 3600 == 0)
		return psprintf("%dh", secs / 3600);
	if (secs != 0 && secs % 60 == 0)
		return psprintf("%dmin", secs / 60);
	return psprintf("%ds", secs);
}

/*
 * Parse "value" as setting "def" (units and range as for the GUC) into its
 * field of "into"; a name is copied into the current memory context.  On
 * failure, return false with a sentence for errdetail in *detail.
 */
bool
jwt_auth_guc_setting_parse(const SettingDef *def, const char *value, Settings *into,
						   const char **detail)
{
	switch (def->type)
	{
		case SETTING_INT:
			{
				int			n;
				const char *hint = NULL;

				if (!parse_int(value, &n, def->flags, &hint) || n < def->min || n > def->max)
				{
					if (def->flags & GUC_UNIT_S)
						*detail = psprintf("Valid values are from %s to %s; a number without a unit is seconds, "
										   "and the units are s, min, h and d.",
										   format_seconds(def->min), format_seconds(def->max));
					else
						*detail = psprintf("Valid values are whole numbers from %d to %d.",
										   def->min, def->max);
					return false;
				}
				*FIELD(into, def, int) = n;
				return true;
			}
		case SETTING_BOOL:
			{
				bool		b;

				if (!parse_bool(value, &b))
				{
					*detail = "Valid values are on and off.";
					return false;
				}
				*FIELD(into, def, bool) = b;
				return true;
			}
		case SETTING_NAME:
			*detail = name_problem(value);
			if (*detail != NULL)
				return false;
			*FIELD(into, def, char *) = pstrdup(value);
			return true;
	}
	return false;
}

/* Copy setting "def" from "from" into "to" (a name is shared, not copied). */
void
jwt_auth_guc_setting_copy(const SettingDef *def, Settings *to, const Settings *from)
{
	switch (def->type)
	{
		case SETTING_INT:
			*FIELD(to, def, int) = *FIELD(from, def, const int);
			break;
		case SETTING_BOOL:
			*FIELD(to, def, bool) = *FIELD(from, def, const bool);
			break;
		case SETTING_NAME:
			*FIELD(to, def, char *) = *FIELD(from, def, char *const);
			break;
	}
}

/* The value of setting "def" in "from", as text that jwt_auth_guc_setting_parse() reads back. */
char *
jwt_auth_guc_setting_format(const SettingDef *def, const Settings *from)
{
	switch (def->type)
	{
		case SETTING_INT:
			if (def->flags & GUC_UNIT_S)
				return format_seconds(*FIELD(from, def, const int));
			return psprintf("%d", *FIELD(from, def, const int));
		case SETTING_BOOL:
			return pstrdup(*FIELD(from, def, const bool) ? "on" : "off");
		case SETTING_NAME:
			return pstrdup(*FIELD(from, def, char *const));
	}
	return NULL;
}

void
jwt_auth_guc_init(void)
{
	for (int i = 0; i < SETTINGS_COUNT; i++)
	{
		const SettingDef *def = &jwt_auth_guc_setting_defs[i];
		char		name[64];

		snprintf(name, sizeof(name), "jwt_auth.%s", def->name);

		switch (def->type)
		{
			case SETTING_INT:
				DefineCustomIntVariable(name, def->desc, def->long_desc,
										FIELD(&jwt_auth_guc_settings, def, int),
										def->boot, def->min, def->max,
										PGC_SUSET, def->flags, NULL, assign_int, NULL);
				break;
			case SETTING_BOOL:
				DefineCustomBoolVariable(name, def->desc, def->long_desc,
										 FIELD(&jwt_auth_guc_settings, def, bool),
										 def->boot != 0,
										 PGC_SUSET, def->flags, NULL, assign_bool, NULL);
				break;
			case SETTING_NAME:
				DefineCustomStringVariable(name, def->desc, def->long_desc,
										   FIELD(&jwt_auth_guc_settings, def, char *),
										   def->boot_name,
										   PGC_SUSET, def->flags, check_name, assign_name, NULL);
				break;
		}
	}

	DefineCustomIntVariable("jwt_auth.cache_size",
							"Verified tokens, and active sessions, each backend keeps in memory.",
							"A cached token still has its expiry and its session checked on every call. "
							"0 turns both caches off.",
							&jwt_auth_cache_size,
							1024, 0, 16384,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}
