/*-------------------------------------------------------------------------
 *
 * tables.c
 *	  Finding the extension's tables in schema auth, safely, and querying
 *	  them.
 *
 * Queries run as the tables' owner (SECURITY DEFINER functions, the key
 * cache) name their tables "auth.users" and "auth.keys".  That is only safe
 * while nobody but that owner can rename, replace or add objects in schema
 * auth: the install script gives the schema to the tables' owner, and
 * before every such query the code checks that the schema and the table
 * still have the same owner.  A schema swapped or renamed by anyone else
 * makes jwt_auth refuse to run instead of querying the impostor.
 *
 * The caches (keys, settings) read their tables as that owner through
 * jwt_auth_read_begin(), whatever role calls the function that needs them.
 * The SQL functions, which run as that owner, query them through
 * jwt_auth_query(), between jwt_auth_query_begin() and jwt_auth_query_end().
 *
 * src/tables.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "fmgr.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "pg_compat.h"
#include "tables.h"

/*
 * The OID of auth.<relname>; its owner in *owner.  Errors if it does not
 * exist or if schema auth has another owner than the table.
 */
Oid
jwt_auth_table(const char *relname, Oid *owner)
{
	Oid			nsp = get_namespace_oid("auth", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid(relname, nsp) : InvalidOid;
	HeapTuple	tup;
	Oid			nspowner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"auth.%s\" does not exist", relname),
				 errhint("Run CREATE EXTENSION jwt_auth.")));

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	*owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	nspowner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);

	if (nspowner != *owner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("schema \"auth\" is not owned by the owner of \"auth.%s\"", relname),
				 errdetail("jwt_auth runs its queries as the owner of its tables and refuses to do so "
						   "while another role controls the schema they are found in."),
				 errhint("Give schema auth back to the owner of the extension's tables.")));
	return relid;
}

/* True if auth.<relname> exists (tables added by an update may not yet). */
bool
jwt_auth_table_exists(const char *relname)
{
	Oid			nsp = get_namespace_oid("auth", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid(relname, nsp));
}

/* Refuse to go on while the tables of version 1.1 are missing. */
void
jwt_auth_require_sessions(void)
{
	if (!jwt_auth_table_exists("sessions"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"jwt_auth\" must be updated"),
				 errdetail("This function needs auth.sessions, which version 1.1 adds."),
				 errhint("Run ALTER EXTENSION jwt_auth UPDATE.")));
}

/*
 * Run "sql", a SELECT of auth tables, as their owner "owner" (found by
 * jwt_auth_table()) in a security-restricted operation, through SPI.  It reads
 * the latest committed state, not the caller's snapshot: a cache filled
 * from it outlives the transaction, and under REPEATABLE READ a deleted row
 * would otherwise be read back into it.  The rows are in SPI_tuptable until
 * jwt_auth_read_end(); every function and operator in "sql" must be
 * schema-qualified, since it runs with the caller's search_path.
 */
void
jwt_auth_read_begin(Oid owner, const char *sql, AuthRead *state)
{
	SPIPlanPtr	plan;

	GetUserIdAndSecContext(&state->save_userid, &state->save_sec_context);
	SetUserIdAndSecContext(owner,
						   state->save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run: %s", sql);
}

void
jwt_auth_read_end(AuthRead *state)
{
	SPI_finish();
	SetUserIdAndSecContext(state->save_userid, state->save_sec_context);
}

/*
 * Connect to SPI to run jwt_auth_query(); jwt_auth_query_end()
 * disconnects.  The caller's function is SECURITY DEFINER or runs as the
 * tables' owner.
 */
void
jwt_auth_query_begin(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/*
 * Run "sql" with its arguments (nargs values of the given types; "nulls"
 * as SPI takes it, or NULL) and return the number of rows it returned or
 * changed.  Any result but "expected" (SPI_OK_SELECT, SPI_OK_UPDATE, ...)
 * is an internal error.  The SQL must schema-qualify every function and
 * operator it names.
 */
uint64
jwt_auth_query(const char *sql, int nargs, Oid *types, Datum *values,
		   const char *nulls, bool read_only, int expected)
{
	if (SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, 0) != expected)
		elog(ERROR, "could not run: %s", sql);
	return SPI_processed;
}

void
jwt_auth_query_end(void)
{
	SPI_finish();
}

/*
 * auth.schema_created_now(), which the install script makes, calls once and
 * drops: true if schema auth was created by the current transaction, so
 * that no other session can have put anything in it, even uncommitted.
 */
PG_FUNCTION_INFO_V1(jwt_auth_schema_created_now);
Datum
jwt_auth_schema_created_now(PG_FUNCTION_ARGS)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACENAME, CStringGetDatum("auth"));
	bool		created_now;

	if (!HeapTupleIsValid(tup))
		PG_RETURN_BOOL(false);
	created_now = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tup->t_data));
	ReleaseSysCache(tup);
	PG_RETURN_BOOL(created_now);
}
