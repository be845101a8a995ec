/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  The settings that shape issued and accepted tokens.
 *
 * src/guc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_GUC_H
#define JWT_AUTH_GUC_H

/*
 * The settings a database's owner may override with auth.configure()
 * (config.c).  guc_settings holds the server's values: the jwt_auth.* GUCs
 * point into it.
 */
typedef struct Settings
{
	int			token_ttl;		/* seconds */
	int			refresh_ttl;	/* seconds */
	char	   *issuer;
	char	   *audience;
	int			leeway;			/* seconds */
	int			bcrypt_cost;
	int			max_failed_signins;
	int			signin_lockout; /* seconds */
	bool		check_sessions;
	int			reset_ttl;		/* seconds */
	int			verification_ttl;	/* seconds */
	bool		require_verified_email;
} Settings;

typedef enum SettingType
{
	SETTING_INT,
	SETTING_BOOL,
	SETTING_NAME				/* 1 to 255 bytes, no control characters */
} SettingType;

/* One setting of Settings: its name without "jwt_auth.", type and range. */
typedef struct SettingDef
{
	const char *name;
	SettingType type;
	size_t		offset;			/* of its value in Settings */
	int			min;			/* SETTING_INT: the range, in */
	int			max;			/* the unit of "flags" */
	int			flags;			/* GUC_UNIT_S or 0 */
	int			boot;			/* SETTING_INT, SETTING_BOOL: the default */
	const char *boot_name;		/* SETTING_NAME: the default */
	const char *desc;
	const char *long_desc;
} SettingDef;

#define SETTINGS_COUNT 12		/* entries of jwt_auth_guc_setting_defs */

extern Settings jwt_auth_guc_settings;
extern uint64 jwt_auth_guc_settings_generation;
extern const SettingDef jwt_auth_guc_setting_defs[SETTINGS_COUNT];
extern const int jwt_auth_guc_nsettings;
extern int	jwt_auth_cache_size;

extern void jwt_auth_guc_init(void);
extern const SettingDef *jwt_auth_guc_setting_find(const char *name);
extern bool jwt_auth_guc_setting_parse(const SettingDef *def, const char *value,
									   Settings *into, const char **detail);
extern char *jwt_auth_guc_setting_format(const SettingDef *def, const Settings *from);
extern void jwt_auth_guc_setting_copy(const SettingDef *def, Settings *to, const Settings *from);

#endif							/* JWT_AUTH_GUC_H */
