/*-------------------------------------------------------------------------
 *
 * config.c
 *	  Per-database configuration: auth.configure() and auth.configuration().
 *
 * The jwt_auth.* settings are the server's: only a superuser sets them.  On
 * a managed service the extension's owner is not one, so the owner may
 * override each of them (but jwt_auth.cache_size, a matter of the server's
 * memory) for its own database with auth.configure(), which stores the
 * value in auth.settings.  A value stored there wins over the GUC, whatever
 * the GUC's source; a setting not stored there follows the GUC.
 *
 * Every backend caches the stored values.  A statement trigger on
 * auth.settings sends a relcache invalidation for the table, and its arrival
 * (config_invalidate) makes the next jwt_auth_config_get() read the table
 * again: a change reaches every backend of the database when it commits, even
 * in the middle of a transaction, as a change of auth.keys does.  The table
 * is read as its owner, with the latest snapshot (jwt_auth_db_read()).
 *
 * A database still at version 1.0 of the extension has no auth.settings:
 * the GUCs then apply alone.
 *
 * src/config.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "callable.h"
#include "config.h"
#include "db.h"
#include "invalidation.h"
#include "memory.h"
#include "pg_compat.h"

/* What auth.settings holds, as last read. */
static DbQuery read_settings = {
	.sql = "SELECT setting, value FROM auth.settings",
	.tables = {"settings"},
	.expect = SPI_OK_SELECT,
	.latest = true,
};

static DbQuery store_setting = {
	.sql = "INSERT INTO auth.settings (setting, value) VALUES ($1, $2) "
	"ON CONFLICT (setting) DO UPDATE SET value = EXCLUDED.value",
	.tables = {"settings"},
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
	.expect = SPI_OK_INSERT,
};

/* NULL removes any row of that name, even one no setting reads any more. */
static DbQuery delete_setting = {
	.sql = "DELETE FROM auth.settings WHERE setting OPERATOR(pg_catalog.=) $1",
	.tables = {"settings"},
	.nargs = 1,
	.argtypes = {TEXTOID},
	.expect = SPI_OK_DELETE,
};

static MemoryContext config_context = NULL;
static Settings stored;
static bool is_stored[SETTINGS_COUNT];
static bool stored_valid = false;
static uint64 stored_generation = 0;
static Oid	settings_relid = InvalidOid;

/*
 * What jwt_auth_config_get() returns: the GUCs with the stored values over
 * them, made again when either changes.
 */
static Settings effective;
static uint64 effective_gucs = 0;	/* guc_settings_generation it saw */
static uint64 effective_loads = 0;	/* "loads" it saw */
static uint64 loads = 1;		/* config_load() calls */

/* A relcache invalidation of "relid" arrived (InvalidOid: of every table). */
void
jwt_auth_config_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == settings_relid)
	{
		stored_valid = false;
		stored_generation++;
	}
}

static const SettingDef *
find_setting(const char *name, bool missing_ok)
{
	const SettingDef *def = jwt_auth_guc_setting_find(name);

	if (def == NULL && !missing_ok)
	{
		StringInfoData names;

		initStringInfo(&names);
		for (int i = 0; i < SETTINGS_COUNT; i++)
			appendStringInfo(&names, "%s%s", i ? ", " : "", jwt_auth_guc_setting_defs[i].name);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized setting \"%s\"", name),
				 errdetail("The settings of a database are %s.", names.data),
				 strcmp(name, "cache_size") == 0 ?
				 errhint("jwt_auth.cache_size is a setting of the server: a superuser sets it.") : 0));
	}
	return def;
}

/*
 * Read auth.settings into a fresh context, then swap it in.  A row that no
 * longer parses (written by hand) fails every call rather than being
 * ignored: a security setting is never silently dropped.
 */
static void
config_load(void)
{
	uint64		generation = stored_generation;
	Oid			owner;
	Oid			relid;
	MemoryContext fresh;
	MemoryContext old;
	Settings	loaded;
	bool		loaded_is_stored[SETTINGS_COUNT];
	DbResult	r;

	memset(&loaded, 0, sizeof(loaded));
	memset(loaded_is_stored, 0, sizeof(loaded_is_stored));
	if (jwt_auth_db_version() == DB_VERSION_1_0)
	{
		/* Version 1.0: nothing to read, and no invalidation to wait for. */
		if (config_context != NULL)
			MemoryContextReset(config_context);
		memset(is_stored, 0, sizeof(is_stored));
		loads++;
		return;
	}
	relid = jwt_auth_db_table("settings", &owner);
	fresh = AllocSetContextCreate(CurrentMemoryContext, "jwt_auth configuration",
								  ALLOCSET_SMALL_SIZES);

	old = MemoryContextSwitchTo(fresh);
	jwt_auth_db_read(&read_settings, &r);
	for (uint64 i = 0; i < r.nrows; i++)
	{
		bool		name_null;
		bool		value_null;
		Datum		name_datum = jwt_auth_db_value(&r, i, 0, &name_null);
		Datum		value_datum = jwt_auth_db_value(&r, i, 1, &value_null);
		char	   *name = name_null ? NULL : TextDatumGetCString(name_datum);
		char	   *value = value_null ? NULL : TextDatumGetCString(value_datum);
		const SettingDef *def = name ? jwt_auth_guc_setting_find(name) : NULL;
		const char *detail = NULL;

		if (def == NULL || value == NULL || !jwt_auth_guc_setting_parse(def, value, &loaded, &detail))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid row in auth.settings"),
					 errdetail("The row for \"%s\" does not hold a valid value of a known setting.",
							   name ? name : ""),
					 errhint("Remove it with auth.configure('%s', NULL), then set the value again.",
							 name ? name : "")));
		loaded_is_stored[def - jwt_auth_guc_setting_defs] = true;
	}
	MemoryContextSwitchTo(old);

	if (config_context != NULL)
		MemoryContextDelete(config_context);
	MemoryContextSetParent(fresh, jwt_auth_memory());
	config_context = fresh;
	stored = loaded;
	memcpy(is_stored, loaded_is_stored, sizeof(is_stored));
	settings_relid = relid;
	loads++;
	/* A change that arrived while loading makes the next call load again. */
	stored_valid = (generation == stored_generation);
}

/*
 * The settings in force in this database now.  Takes in the invalidations
 * other backends have sent first (cheap when there are none).  The result
 * is valid until the next call.
 */
const Settings *
jwt_auth_config_get(void)
{
	AcceptInvalidationMessages();
	if (!stored_valid)
		config_load();
	if (effective_gucs == jwt_auth_guc_settings_generation && effective_loads == loads)
		return &effective;
	effective_gucs = jwt_auth_guc_settings_generation;
	effective_loads = loads;
	effective = jwt_auth_guc_settings;
	for (int i = 0; i < SETTINGS_COUNT; i++)
	{
		if (is_stored[i])
			jwt_auth_guc_setting_copy(&jwt_auth_guc_setting_defs[i], &effective, &stored);
	}
	return &effective;
}

#define MAX_ARGUMENT 1024

static char *
bounded_text_argument(FunctionCallInfo fcinfo, int argno, const char *what)
{
	/* Bound the size before detoasting. */
	if (toast_raw_datum_size(PG_GETARG_DATUM(argno)) - VARHDRSZ > MAX_ARGUMENT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is too long", what),
				 errdetail("It may be at most %d bytes long.", MAX_ARGUMENT)));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * auth.configure(setting, value): store "value" for "setting" in this
 * database, or with value NULL forget it; returns the value now in force.
 */
PG_FUNCTION_INFO_V1(jwt_auth_configure);
Datum
jwt_auth_configure(PG_FUNCTION_ARGS)
{
	const SettingDef *def;
	char	   *name;
	Datum		args[2];
	char	   *result;

	jwt_auth_require_argument(fcinfo, 0, "setting");
	name = bounded_text_argument(fcinfo, 0, "setting name");
	/* "jwt_auth.token_ttl" names token_ttl as well. */
	if (strncmp(name, "jwt_auth.", 9) == 0)
		name += 9;
	/* NULL removes any row of that name, even one no setting reads any more. */
	def = find_setting(name, PG_ARGISNULL(1));
	jwt_auth_require_writable("auth.configure()", NULL);

	if (PG_ARGISNULL(1))
		result = def ? jwt_auth_guc_setting_format(def, &jwt_auth_guc_settings) : NULL;
	else
	{
		Settings	parsed;
		const char *detail = NULL;

		if (!jwt_auth_guc_setting_parse(def, bounded_text_argument(fcinfo, 1, "value"), &parsed, &detail))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for setting \"%s\"", def->name),
					 errdetail_internal("%s", detail)));
		result = jwt_auth_guc_setting_format(def, &parsed);
	}
	args[0] = CStringGetTextDatum(name);
	args[1] = result ? CStringGetTextDatum(result) : (Datum) 0;
	jwt_auth_db_connect();
	(void) jwt_auth_db_run(PG_ARGISNULL(1) ? &delete_setting : &store_setting, args, NULL, NULL);
	jwt_auth_db_finish();
	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/* auth.configuration(): every setting, its value in force and where it comes from. */
PG_FUNCTION_INFO_V1(jwt_auth_configuration);
Datum
jwt_auth_configuration(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const Settings *in_force;

	InitMaterializedSRF(fcinfo, 0);
	in_force = jwt_auth_config_get();
	for (int i = 0; i < SETTINGS_COUNT; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(jwt_auth_guc_setting_defs[i].name);
		values[1] = CStringGetTextDatum(jwt_auth_guc_setting_format(&jwt_auth_guc_setting_defs[i], in_force));
		values[2] = CStringGetTextDatum(is_stored[i] ? "database" : "server");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * Trigger function on auth.settings: make every backend read the settings
 * again once this change commits (and this one at the next command).
 */
PG_FUNCTION_INFO_V1(jwt_auth_settings_changed);
Datum
jwt_auth_settings_changed(PG_FUNCTION_ARGS)
{
	return jwt_auth_invalidate_trigger_table(fcinfo, "auth.settings_changed");
}
